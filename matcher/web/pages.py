"""The enterprise's pages (public): the profile form and the printable result."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from matcher.report.html import render_html
from matcher.web.engine import canonical
from matcher.web.forms import form_fields
from matcher.web.security import CSRF_COOKIE, csrf_ok
from matcher.web.state import Web, web

router = APIRouter(include_in_schema=False)

MAX_FIELD_CHARS = 2_000  # one form value; a business scope is a few hundred characters


def _form_page(
    w: Web,
    request: Request,
    values: dict[str, str],
    errors: dict[str, list[str]],
    status: int = 200,
    message: str = "",
) -> Response:
    return w.page(
        request,
        "form.html.j2",
        status=status,
        fields=form_fields(),
        values=values,
        errors=errors,
        message=message,
        storing=w.store is not None,
        as_of=w.engine.as_of().isoformat(),
    )


@router.get("/", response_class=HTMLResponse)
async def form(request: Request, w: Web = Depends(web)) -> Response:
    return _form_page(w, request, {}, {})


@router.post("/", response_class=HTMLResponse)
async def submit(request: Request, w: Web = Depends(web)) -> Response:
    form = await request.form(max_files=0, max_fields=50, max_part_size=64 * 1024)
    if not csrf_ok(request.cookies.get(CSRF_COOKIE), form.get("csrf_token")):
        return _form_page(
            w, request, {}, {}, 403, "页面已过期或来源不明（CSRF 校验未通过），请刷新后重新填写"
        )
    names = {f.name for f in form_fields()}
    values = {
        k: str(v).strip()[:MAX_FIELD_CHARS]
        for k, v in form.items()
        if k in names and str(v).strip()
    }
    consent = form.get("consent") == "yes"
    parsed = await w.engine.parse_async(canonical(values))
    errors: dict[str, list[str]] = {}
    for e in parsed.errors:
        errors.setdefault(e.field, []).append(e.message)
    if parsed.row is None:
        return _form_page(w, request, values, errors, 422, "请修改标红的项目后再提交")
    as_of = w.engine.as_of()
    context = await run_in_threadpool(w.engine.context, parsed.row, as_of)
    banner = _banner(w, parsed.errors)
    if w.store is not None and consent:
        number = await run_in_threadpool(w.store.add, parsed.row["name"], canonical(values), as_of)
        banner["stored"] = f"已提交给服务中心，提交编号 {number}。"
    elif w.store is not None:
        banner["stored"] = "未勾选同意，信息没有提交给服务中心，仅显示匹配结果。"
    context["banner"] = banner
    return HTMLResponse(render_html(context))


def _banner(w: Web, problems: list[Any]) -> dict[str, Any]:
    return {
        "back": "/",
        "stored": "",
        "problems": [f"{e.label}：{e.message}" for e in problems],
    }
