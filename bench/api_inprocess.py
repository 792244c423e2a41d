"""`POST /api/match` with the ASGI app called in this process (no server, no sockets).

    python bench/api_inprocess.py record OUT.jsonl [--profiles 300]   # answers, byte for byte
    python bench/api_inprocess.py compare A.jsonl B.jsonl             # same answers?
    python bench/api_inprocess.py time [--profiles 2000] [--repeat 3]  # CPU ms per request, GC
    python bench/api_inprocess.py profile [--profiles 2000]            # cProfile, top functions

What the web server's process does per request apart from HTTP parsing and the socket:
the middleware, routing, body validation, matching and the JSON answer. ``record`` keeps
status, headers and body of a few hundred generated profiles (bench_api's bodies) and of
the error cases (bad JSON, unknown fields, rejected profiles, wrong types, 404, 405, 413,
415, the OpenAPI document), so that a change to the request path can be checked to give
the same bytes (``compare``). ``time`` posts profiles never seen before by the process
(the outcome memo starts empty, as in a fresh server) and reports CPU time per request.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime as dt
import gc
import json
import pstats
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

AS_OF = dt.date(2022, 7, 1)


def make_app(token: str | None = "bench-token-0123456789") -> Any:
    from matcher.web.app import create_app
    from matcher.web.settings import Settings

    app = create_app(Settings(as_of=AS_OF, token=token, max_batch=5))
    try:  # as `serve` does; older commits (measured for comparison) had no such step
        from matcher.web.app import settled
    except ImportError:
        return app
    return settled(app)


async def call(
    app: Any,
    method: str,
    path: str,
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """One request through the ASGI app, as uvicorn would make it (one body message)."""
    if headers is None:
        headers = [(b"content-type", b"application/json")]
    headers = [
        (b"host", b"127.0.0.1"),
        *headers,
        (b"content-length", str(len(body)).encode()),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    status = 0
    out_headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, out_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            out_headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    try:
        await app(scope, receive, send)
    except Exception as exc:  # Starlette sent its 500 answer and re-raised: keep both
        chunks.append(f" [raised {type(exc).__name__}]".encode())
    return status, out_headers, b"".join(chunks)


def bodies(n: int, skip: int = 0) -> list[bytes]:
    import bench_api

    return [
        json.dumps({"profile": p}, ensure_ascii=False).encode()
        for p in bench_api.profiles(n + skip)[skip:]
    ]


ERROR_CASES: list[tuple[str, str, bytes, list[tuple[bytes, bytes]] | None]] = [
    ("POST", "/api/match", b'{"profile": ', None),
    ("POST", "/api/match", b"", None),
    ("POST", "/api/match", b"[]", None),
    ("POST", "/api/match", b"null", None),
    ("POST", "/api/match", '{"profile": {"所在地区": "北京市"}}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲", "注册资本": "100"}}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲", "regoin": "1"}}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲"}, "as_of": "2022-13-01"}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲"}, "as_of": 5}'.encode(), None),
    ("POST", "/api/match", b'{"profil": {}}', None),
    ("POST", "/api/match", '{"profile": "甲公司"}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": {"a": 1}}}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": ["甲", 1]}}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "合计"}}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "-"}}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲", "从业人员": "若干人"}}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲", "从业人员": 1e400}}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲", "从业人员": NaN}}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲", "从业人员": true}}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲"}, "extra": 1}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲\\u0000"}}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "\\ud800"}}'.encode(), None),
    ("POST", "/api/match", b"\xff\xfe", None),
    (
        "POST",
        "/api/match",
        '{"profile": {"企业名称": "甲"}}'.encode(),
        [(b"content-type", b"text/plain")],
    ),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲"}}'.encode(), []),
    *(
        ("POST", "/api/match", '{"profile": {"企业名称": "甲"}}'.encode(), [(b"content-type", t)])
        for t in (
            b"application/json; charset=utf-8",
            b"Application/JSON",
            b"application/problem+json",
            b"application/x-www-form-urlencoded",
        )
    ),
    (
        "POST",
        "/api/match",
        '{"profile": {"企业名称": "甲"}}'.encode(),
        [(b"content-type", b"application/json"), (b"content-type", b"application/json")],
    ),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲"}, "as_of": "2030-01-01"}'.encode(), None),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲"}, "as_of": null}'.encode(), None),
    ("POST", "/api/match", b'{"profile": {}}', None),
    (
        "POST",
        "/api/match",
        '{"profile": {"企业名称": "甲", "资质认定": ["高企", "小巨人"]}}'.encode(),
        None,
    ),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲", "从业人员": 12.5}}'.encode(), None),
    ("POST", "/api/match", b"[" * 5000 + b"]" * 5000, None),
    ("POST", "/api/match", '{"profile": {"企业名称": "甲"}}'.encode("utf-16"), None),
    ("POST", "/api/match", b'{"profile": {"name": "' + b"x" * 300_000 + b'"}}', None),
    ("GET", "/api/match", b"", None),
    ("GET", "/api/nope", b"", None),
    ("GET", "/api/rules", b"", None),
    ("GET", "/api/fields", b"", None),
    ("GET", "/openapi.json", b"", None),
    ("POST", "/api/batch", '{"profiles": [{"企业名称": "甲"}]}'.encode(), None),
    (
        "POST",
        "/api/batch",
        '{"profiles": [{"企业名称": "甲", "所在地区": "北京市海淀区"}, {"所在地区": "北京"}]}'.encode(),
        [
            (b"content-type", b"application/json"),
            (b"authorization", b"Bearer bench-token-0123456789"),
        ],
    ),
]


def record(out: Path, n: int) -> None:
    app = make_app()

    async def run() -> list[dict[str, Any]]:
        rows = []
        for i, body in enumerate(bodies(n)):
            status, headers, answer = await call(app, "POST", "/api/match", body)
            rows.append(_row(f"profile {i}", status, headers, answer))
        # Each profile again: the second answer comes from the memos.
        for i, body in enumerate(bodies(n)[:50]):
            status, headers, answer = await call(app, "POST", "/api/match", body)
            rows.append(_row(f"profile {i} again", status, headers, answer))
        for method, path, body, hdrs in ERROR_CASES:
            status, headers, answer = await call(app, method, path, body, hdrs)
            rows.append(_row(f"{method} {path} {body[:80]!r} {hdrs}", status, headers, answer))
        return rows

    rows = asyncio.run(run())
    with out.open("w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(rows)} answers written to {out}")


def _row(case: str, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> dict[str, Any]:
    return {
        "case": case,
        "status": status,
        "headers": [[k.decode("latin-1"), v.decode("latin-1")] for k, v in headers],
        "body": body.decode("latin-1"),
    }


def compare(a: Path, b: Path) -> int:
    left = a.read_text(encoding="utf-8").split("\n")
    right = b.read_text(encoding="utf-8").split("\n")
    bad = 0
    if len(left) != len(right):
        print(f"{len(left)} answers against {len(right)}")
        bad += 1
    for x, y in zip(left, right, strict=False):
        if x != y:
            bad += 1
            rx, ry = json.loads(x), json.loads(y)
            print(f"DIFFERENT: {rx['case']}")
            for key in ("status", "headers", "body"):
                if rx[key] != ry[key]:
                    print(
                        f"  {key}: {str(rx[key])[:300]}\n  {' ' * len(key)}  {str(ry[key])[:300]}"
                    )
    print(f"{len(left)} answers, {bad} different")
    return 1 if bad else 0


def timed(n: int, repeat: int, profile: bool) -> None:
    app = make_app()
    warm = bodies(200, skip=n * repeat + 100)
    runs = [bodies(n, skip=i * n) for i in range(repeat)]

    latencies: list[float] = []

    async def post_all(items: list[bytes]) -> None:
        for body in items:
            t = time.perf_counter()
            status, _, _ = await call(app, "POST", "/api/match", body)
            latencies.append(time.perf_counter() - t)
            assert status == 200, status

    # The garbage collector's collections per generation: how many, how long.
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started = [0.0]

    def collecting(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - started[0])

    asyncio.run(post_all(warm))
    gc.callbacks.append(collecting)
    for items in runs:
        latencies.clear()
        for kept in pauses.values():
            kept.clear()
        profiler = cProfile.Profile() if profile else None
        t0, c0 = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        asyncio.run(post_all(items))
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        print(
            f"{len(items)} new profiles: CPU {cpu * 1000 / len(items):.3f} ms/request, wall {wall * 1000 / len(items):.3f} ms"
        )
        ms = sorted(x * 1000 for x in latencies)
        print(
            f"  per request (wall) p50 {ms[len(ms) // 2]:.2f} ms, p99 {ms[int(len(ms) * 0.99)]:.2f} ms, "
            f"max {ms[-1]:.1f} ms; garbage collections: "
            + ", ".join(
                f"generation {g} × {len(p)} (total {sum(p) * 1000:.0f} ms, longest {max(p, default=0) * 1000:.1f} ms)"
                for g, p in pauses.items()
            )
        )
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(60)
            stats.sort_stats("tottime").print_stats(40)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("record")
    p.add_argument("out", type=Path)
    p.add_argument("--profiles", type=int, default=300)
    p = sub.add_parser("compare")
    p.add_argument("a", type=Path)
    p.add_argument("b", type=Path)
    for name in ("time", "profile"):
        p = sub.add_parser(name)
        p.add_argument("--profiles", type=int, default=2000)
        p.add_argument("--repeat", type=int, default=3 if name == "time" else 1)
    args = parser.parse_args()
    if args.command == "record":
        record(args.out, args.profiles)
    elif args.command == "compare":
        return compare(args.a, args.b)
    else:
        timed(args.profiles, args.repeat, args.command == "profile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
