"""Security for every response and every form: headers, body limits, CSRF, advisor auth."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# The OpenAPI page is Swagger UI served from the package (a 政务 intranet reaches no CDN):
# its page starts the bundle with an inline script.
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
)
CSRF_COOKIE = "pm_csrf"
ADVISOR_COOKIE = "pm_advisor"


# Set in the request scope when a streamed body passed the limit.
TOO_LARGE = "policy_match.body_too_large"


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        self.limit = limit


class Guard:
    """ASGI middleware: security headers on every response, and a request body cap
    (declared length checked up front, streamed bodies counted as they arrive)."""

    def __init__(self, app: ASGIApp, max_body: int, timeout: float):
        self.app = app
        self.max_body = max_body
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in ("/docs", "/docs/oauth2-redirect")
        limit = self.max_body

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", (DOCS_CSP if docs else CSP).encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cache-control", b"no-store"),
                ]
                message["headers"] = headers
            await send(message)

        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(limit, send_with_headers)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # FastAPI turns an error while reading a body into its own 400; the
                    # flag lets the app's handler answer 413 instead
                    scope[TOO_LARGE] = limit
                    raise BodyTooLarge(limit)
            return message

        try:
            await asyncio.wait_for(self.app(scope, counted, send_with_headers), self.timeout)
        except TimeoutError:
            if not started:
                from starlette.responses import JSONResponse

                response = JSONResponse(
                    {"detail": f"处理超过 {self.timeout:.0f} 秒，已停止等待；请减少行数后重试"},
                    status_code=503,
                )
                await response({"type": "http"}, _no_body, send_with_headers)


async def _too_large(limit: int, send: Send) -> None:
    from starlette.responses import JSONResponse

    response = JSONResponse({"detail": too_large_message(limit)}, status_code=413)
    await response({"type": "http"}, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.disconnect"}


def too_large_message(limit: int) -> str:
    return f"请求内容超过上限 {limit / 1024 / 1024:.1f} MB，请拆分后再提交（服务启动时可用 --max-upload-mb 调整）"


def new_csrf() -> str:
    return secrets.token_urlsafe(32)


def csrf_ok(cookie: str | None, submitted: Any) -> bool:
    """Double-submit: the form's hidden value must equal the (SameSite=Strict) cookie."""
    return (
        isinstance(cookie, str)
        and isinstance(submitted, str)
        and len(cookie) >= 32
        and hmac.compare_digest(cookie, submitted)
    )


def advisor_session(secret: bytes, token: str) -> str:
    """The cookie value proving the token was entered; the token itself is never stored."""
    return hmac.new(secret, b"advisor:" + token.encode(), hashlib.sha256).hexdigest()


def token_ok(expected: str | None, given: str | None) -> bool:
    if not expected or not isinstance(given, str):
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
