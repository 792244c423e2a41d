"""POST /api/match's answer from remembered pieces (matcher/web/answer.py) is, byte for
byte, json.dumps of result_json over the report context of freshly evaluated outcomes."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")

from matcher.batch import match_row
from matcher.report.html import report_context
from matcher.web.engine import Engine, canonical, result_json
from matcher.web.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = Path(__file__).parent / "data" / "patterns"
AS_OF = dt.date(2022, 7, 1)
LATER = dt.date(2030, 1, 1)  # past every stated end and assumed period


def _generated(n: int) -> list[dict[str, Any]]:
    path = ROOT / "bench" / "generate.py"
    if not path.exists():
        pytest.skip("bench/generate.py is not in this checkout")
    spec = importlib.util.spec_from_file_location("bench_generate", path)
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = gen
    spec.loader.exec_module(gen)
    rows = gen.generate(n, seed=11).iter_rows(named=True)
    return [{k: v for k, v in r.items() if v and k != "联系人"} for r in rows]


def plain(engine: Engine, profile: dict[str, Any], as_of: dt.date) -> bytes | None:
    """The answer the plain way: fresh outcomes, the whole context, json.dumps."""
    parsed = engine.parse(canonical(profile))
    if parsed.row is None:
        return None
    outcomes = match_row(parsed.row, engine.rules, as_of)
    context = report_context(parsed.row, outcomes, as_of, engine.rules, identity=engine.identity)
    content = result_json(context, parsed.errors)
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def remembered(engine: Engine, profile: dict[str, Any], as_of: dt.date) -> bytes | None:
    parsed = engine.parse(canonical(profile))
    if parsed.row is None:
        return None
    return engine.answer(parsed.row, as_of, parsed.errors)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(Settings(as_of=AS_OF))


def test_generated_profiles_get_the_plain_answer(engine: Engine) -> None:
    profiles = _generated(300)
    answered = 0
    for as_of in (AS_OF, LATER):
        for profile in profiles + profiles[:40]:  # the second time from the memo alone
            expected = plain(engine, profile, as_of)
            assert remembered(engine, profile, as_of) == expected
            answered += expected is not None
    assert answered > 500
    assert engine.answers.hits >= 2 * 40 * len(engine.rules) and engine.answers.misses > 0


def test_forgetting_everything_when_full_changes_no_answer() -> None:
    small = Engine(Settings(as_of=AS_OF))
    small.answers.max_entries = 60  # about one profile's worth: forgotten again and again
    for profile in _generated(40):
        assert remembered(small, profile, AS_OF) == plain(small, profile, AS_OF)
    assert len(small.answers._memo) <= 60


def test_exclusive_groups_leave_out_the_same_rule() -> None:
    """Two rules that cannot be stacked: the answer ranks and totals the one left out
    (eligible, amount null) exactly as exclusive.apply does, whichever wins."""
    engine = Engine(Settings(as_of=AS_OF, rules=(PATTERNS,), only_rules=True))
    assert engine.answers.components
    left_out = 0
    # pat-must-know pays 500 per employee: with 2 its 1,000 lies between the two rivals'.
    grid = [(e, y, g) for e in ("2", "30") for y in ("", "0", "1", "2", "3", "5") for g in "0124"]
    for employees, youth, local in grid:
        profile: dict[str, Any] = {
            "企业名称": "甲",
            "所在地区": "北京市海淀区",
            "从业人员": employees,
        }
        profile |= {"招用35岁以下失业青年人数": youth, "其中本地高校毕业生人数": local}
        profile = {k: v for k, v in profile.items() if v}
        for _ in range(2):
            expected = plain(engine, profile, AS_OF)
            assert expected is not None
            assert remembered(engine, profile, AS_OF) == expected
        results = json.loads(expected)["results"]
        # Eligible per head with the heads known: no amount only when left out.
        left_out += any(r["status"] == "eligible" and r["amount_yuan"] is None for r in results)
    assert left_out >= 4


DIRECT_CASES: list[tuple[bytes, dict[str, str]]] = [
    (b'{"profile": ', {}),
    (b"", {}),
    (b"[]", {}),
    ('{"profile": {"所在地区": "北京市"}}'.encode(), {}),
    ('{"profile": {"企业名称": "甲", "注册资本": "100"}}'.encode(), {}),
    ('{"profile": {"企业名称": "甲"}, "as_of": "2022-13-01"}'.encode(), {}),
    ('{"profile": {"企业名称": "甲"}, "as_of": "2030-01-01"}'.encode(), {}),
    ('{"profile": {"企业名称": "合计"}}'.encode(), {}),
    ('{"profile": {"企业名称": {"a": 1}}}'.encode(), {}),
    ('{"profile": {"企业名称": "甲", "从业人员": NaN}}'.encode(), {}),
    ('{"profile": {"企业名称": "甲", "资质认定": ["高企"]}}'.encode(), {}),
    ('{"profile": {"企业名称": "甲"}}'.encode(), {"content-type": "text/plain"}),
    (
        '{"profile": {"企业名称": "甲"}}'.encode(),
        {"content-type": "application/json; charset=utf-8"},
    ),
    ('{"profile": {"企业名称": "甲"}}'.encode("utf-16"), {}),
    (b"[" * 5000 + b"]" * 5000, {}),
    # lone surrogates (JSON escapes no UTF-8 text can hold), in a value, a list and a key
    (b'{"profile": {"\xe4\xbc\x81\xe4\xb8\x9a\xe5\x90\x8d\xe7\xa7\xb0": "\\ud800x"}}', {}),
    ('{"profile": {"企业名称": "甲", "资质认定": ["高企", "\\udfff"]}}'.encode(), {}),
    (b'{"profile": {"\\ud800": 1}}', {}),
    (b'{"profile": {"name": "\\ud83d\\ude00"}}', {}),  # a pair is an emoji, and fine
    (b'{"profile": {"name": "\xff\xfe"}}', {}),  # not UTF-8
]


def test_direct_answers_are_fastapis_byte_for_byte() -> None:
    """matcher/web/direct.py answers well-formed requests before FastAPI: the same status,
    headers and body as the route for generated profiles and for every kind of error."""
    from fastapi.testclient import TestClient

    from matcher.web.app import create_app

    settings = Settings(as_of=AS_OF, max_upload_bytes=64 * 1024)
    direct = TestClient(create_app(settings))
    routed = TestClient(create_app(settings, direct_match=False))
    bodies = [
        (json.dumps({"profile": p}, ensure_ascii=False).encode(), {}) for p in _generated(150)
    ]
    big = json.dumps({"profile": {"企业名称": "甲" * 40_000}}, ensure_ascii=False).encode()
    answered = set()
    for body, headers in [*bodies, *DIRECT_CASES, (big, {})]:
        headers = {"content-type": "application/json"} | headers
        a = direct.post("/api/match", content=body, headers=headers)
        b = routed.post("/api/match", content=body, headers=headers)
        assert (a.status_code, a.headers.items(), a.content) == (
            b.status_code,
            b.headers.items(),
            b.content,
        )
        answered.add(a.status_code)
    assert answered == {200, 400, 413, 415, 422}


def _asgi_post(app: Any, chunks: list[bytes], headers: list[tuple[bytes, bytes]]) -> Any:
    """POST /api/match through the ASGI app with the body in ``chunks`` (no length given)."""
    import asyncio

    async def run() -> tuple[int, list[Any], bytes]:
        pending = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            if pending:
                return pending.pop(0)
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/api/match",
            "raw_path": b"/api/match",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"host", b"t"), *headers],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }
        await app(scope, receive, send)
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return start["status"], start["headers"], body

    return asyncio.run(run())


def test_streamed_bodies_get_fastapis_answer_too() -> None:
    """A body in several pieces without a declared length: read whole, answered directly
    when well formed; over the size limit, the same 413 as a declared length gets (FastAPI
    turns the limit's exception, raised while it reads the body, into its own 400, which
    the app's handler answers as the 413 it is)."""
    from matcher.web.app import create_app

    settings = Settings(as_of=AS_OF, max_upload_bytes=4 * 1024)
    direct, routed = create_app(settings), create_app(settings, direct_match=False)
    json_type = [(b"content-type", b"application/json")]
    small = json.dumps({"profile": {"企业名称": "甲", "所在地区": "海淀区"}}, ensure_ascii=False)
    big = json.dumps({"profile": {"企业名称": "甲" * 3000}}, ensure_ascii=False)
    statuses = []
    for text in (small, big):
        body = text.encode()
        chunks = [body[i : i + 700] for i in range(0, len(body), 700)]
        answer = _asgi_post(direct, chunks, json_type)
        assert answer == _asgi_post(routed, chunks, json_type)
        statuses.append(answer[0])
    assert statuses == [200, 413]
    assert "请求内容超过上限" in json.loads(answer[2])["detail"]
