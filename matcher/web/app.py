"""The FastAPI application: one Engine (rules, reference models) per process."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from matcher.web.security import TOO_LARGE, BodyTooLarge, Guard, too_large_message
from matcher.web.settings import Settings
from matcher.web.state import Web


def create_app(settings: Settings | None = None, *, direct_match: bool = True) -> FastAPI:
    """The service; ``direct_match=False`` sends every ``POST /api/match`` through FastAPI
    (matcher/web/direct.py answers the well-formed ones before it, with the same bytes)."""
    settings = settings or Settings()
    app = FastAPI(
        title="policy-match 政策找人",
        description="企业画像与政策规则比对：符合 / 不符合 / 待补充信息，原因、金额、有效期和政策原文。",
        version="0.1.0",
        redoc_url=None,
        docs_url=None,
    )
    app.state.web = Web(settings)
    # Uploaded files stay in memory up to the upload limit instead of spilling to a temp file.
    from starlette.formparsers import MultiPartParser

    MultiPartParser.spool_max_size = max(MultiPartParser.spool_max_size, settings.max_upload_bytes)
    from matcher.web import advisor, api_routes, pages

    # The API first: routes are tried in order, and /api/match is the busiest (no path
    # is shared between the routers; only the API's are in the OpenAPI document).
    app.include_router(api_routes.router)
    app.include_router(pages.router)
    app.include_router(advisor.router)
    _error_handlers(app)
    _offline_docs(app)
    if direct_match:  # inside Guard: its headers, size limit and time limit apply
        from matcher.web.direct import DirectMatch

        app.add_middleware(DirectMatch, engine=app.state.web.engine)
    app.add_middleware(Guard, max_body=settings.max_upload_bytes, timeout=settings.timeout_seconds)
    return app


DOCS_STATIC = "/docs/static"


def _offline_docs(app: FastAPI) -> None:
    """/docs with Swagger UI's files from the swagger-ui-bundle package, not from a CDN."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from starlette.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    app.mount(DOCS_STATIC, StaticFiles(directory=str(swagger_ui_path)), name="docs-static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} — 接口说明",
            swagger_js_url=f"{DOCS_STATIC}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_STATIC}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_STATIC}/favicon-32x32.png",
        )


def worker_app() -> FastAPI:
    """The app of one worker of `serve --workers N` (uvicorn's factory), with the settings
    the parent process put in the environment."""
    import os

    from matcher.web.settings import WORKER_ENV

    return settled(create_app(Settings.from_json(os.environ[WORKER_ENV])))


def settled(app: FastAPI) -> FastAPI:
    """For a server process, once its app is built: what it loaded (rules, reference
    tables, about 100,000 objects) lives as long as the process, so the garbage
    collector's full collections need not walk it again and again (gc.freeze); they
    took up to 0.14 s each, in the middle of a request. The catalogue editions are
    fixed for the process too, as the engine's remembered outcomes assume."""
    import gc

    from matcher.reference.catalogue import pin_editions

    pin_editions()
    gc.collect()
    gc.freeze()
    return app


VALIDATION_ZH = {
    "missing": "缺少此项",
    "json_invalid": "不是合法的 JSON",
    "dict_type": "应为对象（{…}）",
    "list_type": "应为列表（[…]）",
    "date_from_datetime_parsing": "不是日期，应写成 YYYY-MM-DD",
    "date_parsing": "不是日期，应写成 YYYY-MM-DD",
    "string_type": "应为文本",
    "model_attributes_type": "应为对象（{…}）",
    "too_long": "条目过多",
}


# FastAPI's wording when reading or decoding a body failed (fastapi/routing.py).
BODY_UNREADABLE = "There was an error parsing the body"


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if "json" not in request.headers.get("content-type", ""):
            return JSONResponse(
                {"detail": "请求体应为 JSON，并带请求头 Content-Type: application/json"},
                status_code=415,
            )
        items = []
        for e in exc.errors():
            where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "请求体"
            items.append({"field": where, "message": VALIDATION_ZH.get(e["type"], "取值不合要求")})
        text = "；".join(f"{i['field']}：{i['message']}" for i in items)
        return JSONResponse(
            {"detail": f"请求格式不对：{text}。接口说明见 /docs", "errors": items}, status_code=422
        )

    @app.exception_handler(TimeoutError)
    async def timed_out(_: Request, __: TimeoutError) -> JSONResponse:
        return JSONResponse(
            {
                "detail": f"处理超过 {app.state.web.settings.timeout_seconds:g} 秒，已停止等待，请稍后重试"
            },
            status_code=503,
        )

    @app.exception_handler(BodyTooLarge)
    async def too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse({"detail": too_large_message(exc.limit)}, status_code=413)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail
        if exc.status_code == 400 and detail == BODY_UNREADABLE:
            limit = request.scope.get(TOO_LARGE)
            if limit is not None:  # a streamed body over the limit, cut off while read
                return JSONResponse({"detail": too_large_message(limit)}, status_code=413)
            detail = "请求体无法解析：应为 UTF-8 编码的 JSON"
        if exc.status_code == 404 and detail == "Not Found":
            detail = "没有这个页面或接口"
        elif exc.status_code == 405:
            detail = "此地址不支持这种请求方法"
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)


def app_from_env() -> FastAPI:
    """For `uvicorn --factory matcher.web.app:app_from_env` (settings from POLICY_MATCH_* env)."""
    import datetime as dt
    import os

    as_of = os.environ.get("POLICY_MATCH_AS_OF")
    data = os.environ.get("POLICY_MATCH_DATA_DIR")
    return create_app(
        Settings(
            as_of=dt.date.fromisoformat(as_of) if as_of else None,
            token=Settings.token_from_env(None),
            data_dir=Path(data) if data else None,
        )
    )
