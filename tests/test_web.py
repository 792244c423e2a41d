"""The web service through FastAPI's TestClient: API, pages, limits, auth and CSRF."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from matcher.web.app import create_app
from matcher.web.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "profiles" / "demo.csv"
AS_OF = dt.date(2022, 7, 1)
TOKEN = "test-token-0123456789"
BEIJING = {
    "企业名称": "北京甲科技有限公司",
    "所在地区": "北京市海淀区",
    "其中本地高校毕业生人数": 4,
}


@pytest.fixture(scope="module")
def client() -> TestClient:
    settings = Settings(
        as_of=AS_OF, token=TOKEN, max_batch=5, max_rows=30, max_upload_bytes=256 * 1024
    )
    return TestClient(create_app(settings))


@pytest.fixture()
def stored(tmp_path: Path) -> TestClient:
    return TestClient(create_app(Settings(as_of=AS_OF, token=TOKEN, data_dir=tmp_path)))


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}


def csrf(client: TestClient, path: str = "/") -> str:
    client.get(path, headers={"accept": "text/html"})
    token = client.cookies.get("pm_csrf")
    assert token
    return token


def login(client: TestClient) -> None:
    r = client.post(
        "/advisor/login",
        data={"csrf_token": csrf(client, "/advisor/login"), "token": TOKEN},
        follow_redirects=False,
    )
    assert r.status_code == 303


# --- JSON API -------------------------------------------------------------------------


def test_match_ranks_the_expansion_subsidy_first(client: TestClient) -> None:
    r = client.post("/api/match", json={"profile": BEIJING})
    assert r.status_code == 200
    body = r.json()
    first = body["results"][0]
    assert (first["rule_id"], first["status_zh"], first["amount_yuan"]) == (
        "bj-grad-expansion-subsidy",
        "符合",
        6000,
    )
    assert body["as_of"] == "2022-07-01" and body["money_certain_yuan"] == 6000
    assert [x["rank"] for x in body["results"]] == list(range(1, len(body["results"]) + 1))


def test_match_accepts_field_names_and_a_per_request_date(client: TestClient) -> None:
    profile = {"name": "北京乙有限公司", "region": "110105", "grad_hires_local": "2"}
    r = client.post("/api/match", json={"profile": profile, "as_of": "2022-08-01"})
    assert r.status_code == 200
    assert r.json()["as_of"] == "2022-08-01"
    assert r.json()["results"][0]["amount_yuan"] == 3000


def test_unreadable_values_are_unknown_and_reported(client: TestClient) -> None:
    r = client.post("/api/match", json={"profile": BEIJING | {"从业人员": "若干人"}})
    assert r.status_code == 200
    problems = r.json()["problems"]
    assert problems == [
        {
            "field": "employees",
            "label": "从业人员",
            "value": "若干人",
            "message": "「若干人」不是整数",
            "rejected": False,
        }
    ]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"profile": {"所在地区": "北京市"}}, "企业名称：缺少企业名称"),
        ({"profile": {"企业名称": "甲", "注册资本": "100"}}, "未知字段 「注册资本」"),
        ({"profile": {"企业名称": "甲"}, "as_of": "2022-13-01"}, "as_of：不是日期"),
        ({"profil": {}}, "profile：缺少此项"),
        ({"profile": "甲公司"}, "profile：应为对象"),
    ],
)
def test_bad_input_is_a_clear_chinese_4xx(client: TestClient, body: object, expected: str) -> None:
    r = client.post("/api/match", json=body)
    assert r.status_code == 422
    assert expected in r.json()["detail"]


def test_malformed_json_is_refused_in_chinese(client: TestClient) -> None:
    r = client.post(
        "/api/match", content=b'{"profile": ', headers={"content-type": "application/json"}
    )
    assert r.status_code == 422
    assert "请求格式不对" in r.json()["detail"]


def test_a_lone_surrogate_is_refused_naming_the_field(client: TestClient) -> None:
    """JSON can escape half a UTF-16 pair ("\\ud800"); no text holds it, so the request is
    refused with the field and the value shown escaped, not answered with a 500."""
    cases = [
        (b'{"profile": {"name": "\\ud800x"}}', "企业名称：取值「\\ud800x」含单独的 UTF-16 代理项"),
        (b'{"profile": {"name": "A", "certifications": ["\\udc00"]}}', "资质认定：取值「\\udc00」"),
        (b'{"profile": {"\\udfff": "1"}}', "未知字段 「\\udfff」"),
    ]
    for body, expected in cases:
        r = client.post("/api/match", content=body, headers={"content-type": "application/json"})
        assert r.status_code == 422 and expected in r.json()["detail"], r.text
    batch = b'{"profiles": [{"name": "A"}, {"name": "\\ud800"}]}'
    r = client.post(
        "/api/batch", content=batch, headers={"content-type": "application/json"} | bearer()
    )
    assert r.status_code == 422 and r.json()["detail"].startswith("第 2 家企业：企业名称：")


def test_a_body_that_is_not_utf8_is_refused_in_chinese(client: TestClient) -> None:
    r = client.post(
        "/api/match",
        content='{"profile": {"企业名称": "甲"}}'.encode("gbk"),
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 400 and r.json()["detail"] == "请求体无法解析：应为 UTF-8 编码的 JSON"


def test_a_body_that_is_not_json_is_refused(client: TestClient) -> None:
    r = client.post(
        "/api/match",
        content='{"profile": {"企业名称": "甲"}}',
        headers={"content-type": "text/plain"},
    )
    assert r.status_code == 415 and "application/json" in r.json()["detail"]


def test_a_lone_profile_has_no_made_up_enterprise_number(client: TestClient) -> None:
    body = client.post("/api/match", json={"profile": BEIJING}).json()
    assert body["enterprise"]["id"] == ""
    given = client.post("/api/match", json={"profile": BEIJING | {"企业编号": "BJ9"}}).json()
    assert given["enterprise"]["id"] == "BJ9"


def test_rules_lists_every_rule_with_the_ruleset_fingerprint(client: TestClient) -> None:
    body = client.get("/api/rules").json()
    assert body["count"] == len(body["rules"]) == 49
    assert len(body["metadata"]["rules_sha256"]) == 64
    expansion = next(r for r in body["rules"] if r["id"] == "bj-grad-expansion-subsidy")
    assert expansion["title"].startswith("北京市一次性扩岗补助")
    assert expansion["valid_until"] == "未注明有效期"


def test_openapi_documents_the_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/match", "/api/batch", "/api/rules"} <= set(paths)


def test_docs_work_offline(client: TestClient) -> None:
    """Swagger UI comes from the package: a 政务 intranet reaches no CDN."""
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs/static/swagger-ui-bundle.js" in page.text and "/openapi.json" in page.text
    assert "http" not in page.text.replace("http-equiv", "")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in csp and "https:" not in csp
    for asset, kind in (("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css")):
        r = client.get(f"/docs/static/{asset}")
        assert (
            r.status_code == 200 and kind in r.headers["content-type"] and len(r.content) > 10_000
        )


def test_batch_needs_the_token(client: TestClient) -> None:
    r = client.post("/api/batch", json={"profiles": [BEIJING]})
    assert r.status_code == 401 and "顾问口令" in r.json()["detail"]
    r = client.post(
        "/api/batch", json={"profiles": [BEIJING]}, headers={"Authorization": "Bearer wrong"}
    )
    assert r.status_code == 401


def test_batch_matches_each_profile_and_keeps_rejected_ones(client: TestClient) -> None:
    r = client.post(
        "/api/batch", json={"profiles": [BEIJING, {"所在地区": "北京"}]}, headers=bearer()
    )
    assert r.status_code == 200
    first, second = r.json()["results"]
    assert first["ok"] and first["results"][0]["amount_yuan"] == 6000
    assert not second["ok"] and second["problems"][0]["field"] == "name"


def test_batch_size_is_bounded(client: TestClient) -> None:
    r = client.post("/api/batch", json={"profiles": [BEIJING] * 6}, headers=bearer())
    assert r.status_code == 413 and "一次最多 5 家企业，收到 6 家" in r.json()["detail"]


def test_request_body_size_is_bounded(client: TestClient) -> None:
    big = {"profile": BEIJING | {"经营范围": "软件开发；" * 60_000}}
    r = client.post("/api/match", json=big)
    assert r.status_code == 413 and "请求内容超过上限" in r.json()["detail"]


def test_a_request_over_the_time_limit_is_a_503() -> None:
    # A batch waits on worker threads, where the limit can stop it; one profile (/api/match)
    # is a few milliseconds of CPU in the event loop and is always answered.
    slow = TestClient(create_app(Settings(as_of=AS_OF, timeout_seconds=0.001, token=TOKEN)))
    r = slow.post("/api/batch", json={"profiles": [BEIJING] * 50}, headers=bearer())
    assert r.status_code == 503 and "已停止等待" in r.json()["detail"]


def test_security_headers_on_every_response(client: TestClient) -> None:
    for r in (client.get("/"), client.get("/api/rules"), client.get("/nope")):
        assert "default-src 'none'" in r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
    assert client.get("/nope").json()["detail"] == "没有这个页面或接口"


# --- the enterprise form ----------------------------------------------------------------


def test_form_is_generated_from_the_field_contract(client: TestClient) -> None:
    from matcher.fields import PROFILE_FIELDS

    html = client.get("/").text
    for spec in PROFILE_FIELDS:
        if spec.name != "id":
            assert f'name="{spec.name}"' in html and spec.zh in html and spec.zh_desc in html
    assert "<script" not in html


def test_form_errors_are_shown_next_to_the_field(client: TestClient) -> None:
    token = csrf(client)
    r = client.post(
        "/", data={"csrf_token": token, "region": "北京市海淀区", "employees": "十几个"}
    )
    assert r.status_code == 422
    html = r.text
    name_block = html[html.index('for="f-name"') : html.index('for="f-credit_code"')]
    assert "缺少企业名称" in name_block
    assert 'value="北京市海淀区"' in html  # what was typed is kept


def test_form_result_is_the_report(client: TestClient) -> None:
    token = csrf(client)
    r = client.post(
        "/",
        data={
            "csrf_token": token,
            "name": "<script>x</script>",
            "region": "北京市海淀区",
            "grad_hires_local": "4",
        },
    )
    assert r.status_code == 200
    assert "一次性扩岗补助" in r.text and "6,000" in r.text
    assert "<script>x" not in r.text and "&lt;script&gt;x&lt;/script&gt;" in r.text


def test_form_without_the_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/")
    r = client.post("/", data={"csrf_token": "forged-" * 8, "name": "甲"})
    assert r.status_code == 403 and "CSRF" in r.text


# --- submissions ---------------------------------------------------------------------------


def test_a_submission_with_consent_is_stored_and_exported(
    stored: TestClient, tmp_path: Path
) -> None:
    token = csrf(stored)
    r = stored.post(
        "/",
        data={
            "csrf_token": token,
            "name": "北京丙有限公司",
            "region": "北京市海淀区",
            "grad_hires_local": "4",
            "consent": "yes",
        },
    )
    assert r.status_code == 200 and "提交编号 1" in r.text
    r = stored.post("/", data={"csrf_token": token, "name": "不同意公司", "region": "北京市"})
    assert "信息没有提交" in r.text
    login(stored)
    assert "北京丙有限公司" in stored.get("/advisor/submissions").text
    export = stored.get("/advisor/submissions.csv")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(r["企业名称"], r["其中本地高校毕业生人数"], r["企业编号"]) for r in rows] == [
        ("北京丙有限公司", "4", "S1")
    ]
    # The export is a portfolio batch reads back.
    path = tmp_path / "back.csv"
    path.write_bytes(export.content)
    from matcher.cli import app

    res = CliRunner().invoke(
        app, ["batch", str(path), "--as-of", "2022-07-01", "--out", str(tmp_path / "r.csv")]
    )
    assert res.exit_code == 0, res.stderr


def test_without_data_dir_nothing_is_stored(client: TestClient) -> None:
    login(client)
    r = client.get("/advisor/submissions")
    assert r.status_code == 404 and "--data-dir" in r.json()["detail"]


# --- advisor pages --------------------------------------------------------------------------


def test_advisor_pages_need_the_token(client: TestClient) -> None:
    fresh = TestClient(client.app)
    r = fresh.get("/advisor", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/advisor/login"
    assert fresh.get("/advisor/submissions.csv").status_code == 401
    r = fresh.post(
        "/advisor/login", data={"csrf_token": csrf(fresh, "/advisor/login"), "token": "wrong"}
    )
    assert r.status_code == 401 and "口令不对" in r.text


def test_advisor_pages_are_off_without_a_token() -> None:
    off = TestClient(create_app(Settings(as_of=AS_OF)))
    r = off.get("/advisor")
    assert r.status_code == 404 and "--token" in r.json()["detail"]
    assert off.post("/api/batch", json={"profiles": [BEIJING]}).status_code == 404


def test_upload_without_csrf_is_refused(client: TestClient) -> None:
    login(client)
    r = client.post(
        "/advisor/upload",
        data={"csrf_token": "x" * 43},
        files={"portfolio": ("p.csv", DEMO.read_bytes(), "text/csv")},
    )
    assert r.status_code == 403


def test_upload_gives_the_batch_report(client: TestClient, tmp_path: Path) -> None:
    login(client)
    token = csrf(client, "/advisor")
    r = client.post(
        "/advisor/upload",
        data={"csrf_token": token},
        files={"portfolio": ("../../名单.csv", DEMO.read_bytes(), "text/csv")},
    )
    assert r.status_code == 200, r.text
    assert "读取 26 行，匹配 26 家企业，拒绝 0 行" in r.text
    assert "联系人" in r.text and "（未对应，原样保留）" in r.text  # the column accounting
    key = r.text.split("/advisor/download/")[1].split("/")[0]

    from matcher.cli import app

    out = tmp_path / "batch.csv"
    res = CliRunner().invoke(app, ["batch", str(DEMO), "--as-of", "2022-07-01", "--out", str(out)])
    assert res.exit_code == 0
    assert client.get(f"/advisor/download/{key}/csv").content == out.read_bytes()

    xlsx = client.get(f"/advisor/download/{key}/xlsx")
    assert xlsx.content[:2] == b"PK" and "attachment" in xlsx.headers["content-disposition"]
    pages = zipfile.ZipFile(io.BytesIO(client.get(f"/advisor/download/{key}/zip").content))
    assert "index.html" in pages.namelist() and len(pages.namelist()) == 27
    assert client.get(f"/advisor/download/{key}/other").status_code == 404
    assert client.get("/advisor/download/nope/csv").status_code == 404


def test_upload_limits(client: TestClient, tmp_path: Path) -> None:
    login(client)
    token = csrf(client, "/advisor")
    lines = DEMO.read_text(encoding="utf-8-sig").splitlines()
    too_many = "\n".join([lines[0]] + [lines[1].replace("BJ001", f"X{i}") for i in range(31)])
    r = client.post(
        "/advisor/upload",
        data={"csrf_token": token},
        files={"portfolio": ("p.csv", too_many.encode(), "text/csv")},
    )
    assert r.status_code == 422 and "超过本服务的上限 30 行" in r.text
    r = client.post(
        "/advisor/upload",
        data={"csrf_token": token},
        files={"portfolio": ("p.exe", b"MZ", "application/octet-stream")},
    )
    assert r.status_code == 422 and "不支持的文件类型" in r.text
    r = client.post(
        "/advisor/upload",
        data={"csrf_token": token},
        files={"portfolio": ("p.csv", b"x" * (300 * 1024), "text/csv")},
    )
    assert r.status_code == 413


def test_serve_is_a_command() -> None:
    from matcher.cli import app

    res = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "--data-dir" in res.stdout and "127.0.0.1" in res.stdout


def test_worker_settings_round_trip(tmp_path: Path) -> None:
    """serve --workers N hands each worker the same settings, cookie secret included."""
    from matcher.web.settings import Settings as S

    s = S(as_of=AS_OF, token=TOKEN, data_dir=tmp_path, rules=(tmp_path / "r",), max_rows=7)
    assert S.from_json(s.to_json()) == s
    assert S.from_json(S().to_json()).secret != S().secret  # each server its own secret
