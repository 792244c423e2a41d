"""Advisor pages (token, CSRF): upload a portfolio, see how its columns were read,
download the report (CSV, xlsx, HTML zip); list and export received submissions."""

from __future__ import annotations

import contextlib
import io
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from matcher import api
from matcher.errors import PolicyMatchError
from matcher.web.security import (
    ADVISOR_COOKIE,
    CSRF_COOKIE,
    advisor_session,
    csrf_ok,
    token_ok,
)
from matcher.web.state import Job, Web, web

router = APIRouter(prefix="/advisor", include_in_schema=False)

# Upload file name extension -> the fixed name it is stored under (never the client's name).
UPLOAD_NAMES = {
    ".csv": "upload.csv",
    ".txt": "upload.csv",
    ".tsv": "upload.csv",
    ".xlsx": "upload.xlsx",
    ".xls": "upload.xls",
    ".jsonl": "upload.jsonl",
    ".parquet": "upload.parquet",
}
DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", "政策匹配结果.csv"),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "政策匹配结果.xlsx",
    ),
    "zip": ("application/zip", "政策匹配报告.zip"),
    "errors": ("text/csv; charset=utf-8", "输入问题.csv"),
}


def is_advisor(w: Web, request: Request) -> bool:
    token = w.settings.token
    if not token:
        return False
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer ") and token_ok(token, auth[7:].strip()):
        return True
    cookie = request.cookies.get(ADVISOR_COOKIE)
    return cookie is not None and token_ok(advisor_session(w.settings.secret, token), cookie)


def advisor(request: Request, w: Web = Depends(web)) -> Web:
    if not w.settings.token:
        raise HTTPException(
            404, "顾问页面未启用：启动服务时用 --token 或环境变量 POLICY_MATCH_TOKEN 设置口令"
        )
    if not is_advisor(w, request):
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            raise HTTPException(303, "请先登录", headers={"Location": "/advisor/login"})
        raise HTTPException(
            401, "需要顾问口令：请先登录，或在请求头加 Authorization: Bearer <口令>"
        )
    return w


def _check_csrf(request: Request, form: Any) -> None:
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), form.get("csrf_token")):
        raise HTTPException(403, "CSRF 校验未通过：页面已过期或来自其他网站，请刷新页面后重试")


@router.get("/login")
async def login_page(request: Request, w: Web = Depends(web)) -> Response:
    if not w.settings.token:
        raise HTTPException(
            404, "顾问页面未启用：启动服务时用 --token 或环境变量 POLICY_MATCH_TOKEN 设置口令"
        )
    return w.page(request, "login.html.j2", message="")


@router.post("/login")
async def login(request: Request, w: Web = Depends(web)) -> Response:
    if not w.settings.token:
        raise HTTPException(404, "顾问页面未启用")
    form = await request.form(max_files=0, max_fields=5, max_part_size=4096)
    _check_csrf(request, form)
    if not token_ok(w.settings.token, str(form.get("token", ""))):
        return w.page(request, "login.html.j2", status=401, message="口令不对，请重新输入")
    response = RedirectResponse("/advisor", status_code=303)
    response.set_cookie(
        ADVISOR_COOKIE,
        advisor_session(w.settings.secret, w.settings.token),
        httponly=True,
        samesite="strict",
    )
    return response


@router.get("")
async def home(request: Request, w: Web = Depends(advisor)) -> Response:
    count = len(w.store.ids()) if w.store is not None else None
    return w.page(
        request, "advisor.html.j2", job=None, key="", error="", submissions=count, limits=_limits(w)
    )


def _limits(w: Web) -> str:
    s = w.settings
    return f"文件不超过 {s.max_upload_bytes / 1024 / 1024:.1f} MB、{s.max_rows:,} 行"


@router.post("/upload")
async def upload(request: Request, w: Web = Depends(advisor)) -> Response:
    form = await request.form(max_files=1, max_fields=5, max_part_size=w.settings.max_upload_bytes)
    _check_csrf(request, form)
    file = form.get("portfolio")
    if file is None or isinstance(file, str):
        return _upload_error(w, request, "请选择要上传的企业名单文件（CSV 或 Excel）")
    suffix = Path(file.filename or "").suffix.lower()
    stored_as = UPLOAD_NAMES.get(suffix)
    if stored_as is None:
        return _upload_error(
            w,
            request,
            f"不支持的文件类型「{suffix or '无扩展名'}」：请上传 .csv 或 .xlsx（也可 .jsonl、.parquet）",
        )
    data = await file.read()
    try:
        job = await run_in_threadpool(process_upload, w, data, stored_as)
    except PolicyMatchError as exc:
        return _upload_error(w, request, exc.message + (f"。{exc.remedy}" if exc.remedy else ""))
    key = w.jobs.add(job)
    return w.page(
        request,
        "advisor.html.j2",
        job=job.summary,
        key=key,
        error="",
        submissions=None,
        limits=_limits(w),
    )


def _upload_error(w: Web, request: Request, message: str) -> Response:
    return w.page(
        request,
        "advisor.html.j2",
        status=422,
        job=None,
        key="",
        error=message,
        submissions=None,
        limits=_limits(w),
    )


@contextlib.contextmanager
def scratch(w: Web) -> Iterator[Path]:
    """A private folder for one upload: in memory (/dev/shm) when there is one, else
    under --data-dir; removed afterwards. Without either, the system temp folder."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() else (w.settings.data_dir or None)
    folder = Path(tempfile.mkdtemp(prefix="policy-match-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def process_upload(w: Web, data: bytes, stored_as: str) -> Job:
    """The same library calls as `batch`: the CSV is byte for byte what batch writes."""
    from matcher.report.html import portfolio_pages
    from matcher.report.xlsx import write_advisor_xlsx

    engine, settings = w.engine, w.settings
    as_of = engine.as_of()
    with scratch(w) as folder:
        src = folder / stored_as
        src.write_bytes(data)
        portfolio = api.load_portfolio(src)
        if portfolio.read > settings.max_rows:
            raise PolicyMatchError(
                f"名单有 {portfolio.read:,} 行，超过本服务的上限 {settings.max_rows:,} 行",
                "请拆分后分批上传，或在本机用 policy-match batch 处理",
            )
        run = api.run_batch(
            src, engine.rules, as_of, out=folder / "report.csv", errors_out=folder / "errors.csv"
        )
        kept = api.run_batch(src, engine.rules, as_of, keep_frames=True)
        import polars as pl

        frame = pl.concat(kept.frames) if kept.frames else pl.DataFrame()
        write_advisor_xlsx(frame, folder / "report.xlsx", as_of=as_of, rules=engine.rules)
        files = {
            "csv": (folder / "report.csv").read_bytes(),
            "errors": (folder / "errors.csv").read_bytes(),
            "xlsx": (folder / "report.xlsx").read_bytes(),
        }
    pages = portfolio_pages(portfolio.frame.to_dicts(), engine.rules, as_of)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in pages.items():
            zf.writestr(name, text)
    files["zip"] = buf.getvalue()
    return Job(files, _summary(portfolio, run, as_of))


def _summary(portfolio: Any, run: Any, as_of: Any) -> dict[str, Any]:
    from matcher.fields import FIELDS_BY_NAME
    from matcher.normalize import error_messages

    errors = portfolio.errors.head(100)
    shown = errors.with_columns(error_messages(errors).alias("message")).to_dicts()
    return {
        "as_of": as_of.isoformat(),
        "read": portfolio.read,
        "matched": portfolio.matched,
        "rejected": portfolio.rejected,
        "written": run.written,
        "columns": [
            {
                "header": d.header,
                "field": FIELDS_BY_NAME[d.field].zh if d.field in FIELDS_BY_NAME else "",
                "method": {
                    "exact": "完全一致",
                    "alias": "别名",
                    "fuzzy": "相近",
                    "override": "手工指定",
                }.get(d.method, d.method),
                "score": f"{d.score:.0f}",
            }
            for d in portfolio.mapping.details
        ],
        "passthrough": list(portfolio.passthrough),
        "problems": shown,
        "problem_count": portfolio.errors.height,
    }


@router.get("/download/{key}/{kind}")
async def download(key: str, kind: str, w: Web = Depends(advisor)) -> Response:
    job = w.jobs.get(key)
    if kind not in DOWNLOADS or job is None:
        raise HTTPException(404, "没有这份结果：服务只在内存中保留最近几次上传，请重新上传")
    media, filename = DOWNLOADS[kind]
    from urllib.parse import quote

    return Response(
        job.files[kind],
        media_type=media,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"},
    )


@router.get("/submissions")
async def submissions(request: Request, w: Web = Depends(advisor)) -> Response:
    if w.store is None:
        raise HTTPException(404, "未保存企业提交：启动服务时用 --data-dir 指定保存目录")
    rows = await run_in_threadpool(w.store.all)
    return w.page(request, "submissions.html.j2", rows=rows)


@router.get("/submissions.csv")
async def submissions_csv(w: Web = Depends(advisor)) -> Response:
    from urllib.parse import quote

    from matcher.web.store import portfolio_csv

    if w.store is None:
        raise HTTPException(404, "未保存企业提交：启动服务时用 --data-dir 指定保存目录")
    data = portfolio_csv(await run_in_threadpool(w.store.all))
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote('企业提交名单.csv')}"
        },
    )
