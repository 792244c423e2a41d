"""``POST /api/match`` answered before FastAPI's routing when the request is well formed.

FastAPI's share of one answer — routing, reading and validating the body, solving the
route's parameters, the exception wrappers — was about 0.15 ms of CPU, a sixth of the
whole request once matching was made cheap. A well-formed request (a JSON body that the
route's model accepts, known fields, a profile that is not refused) is answered here
with the bytes and headers the route would send, by the same engine calls; anything
else — every error answer — goes on to FastAPI with the body as it came, so errors
keep their exact wording. ``tests/test_web_answer.py`` sends the same requests both
ways and compares status, headers and body.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from matcher.web.api_routes import MatchRequest
from matcher.web.engine import Engine, UnknownFields, canonical

PATH = "/api/match"
# FastAPI reads bodies of other JSON media types too; those go through it.
JSON = b"application/json"


def answer(engine: Engine, body: bytes) -> bytes | None:
    """What the route answers with 200, or None when it would answer otherwise."""
    try:
        data = json.loads(body)  # as Starlette's Request.json
        request = MatchRequest.model_validate(data, from_attributes=True)  # as FastAPI
        profile = canonical(request.profile)
    except (ValueError, ValidationError, UnknownFields):
        return None
    parsed = engine.parse(profile)
    if parsed.row is None:
        return None
    return engine.answer(parsed.row, engine.as_of(request.as_of), parsed.errors)


class DirectMatch:
    """ASGI middleware in front of FastAPI for ``POST /api/match``."""

    def __init__(self, app: ASGIApp, engine: Engine):
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != PATH
            or scope["method"] != "POST"
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        types = [v for k, v in scope["headers"] if k == b"content-type"]
        if types != [JSON]:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        try:
            while True:
                message = await receive()
                messages.append(message)
                if message["type"] != "http.request" or not message.get("more_body", False):
                    break
        except Exception as exc:  # over the size limit: FastAPI's handlers answer it
            await self.app(scope, _replay(messages, receive, exc), send)
            return
        body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.request")
        try:
            content = answer(self.engine, body) if messages[-1]["type"] == "http.request" else None
        except Exception:  # the route fails the same way, and its failure is the answer
            content = None
        if content is None:
            await self.app(scope, _replay(messages, receive), send)
            return
        # As FastJSON(content) sends itself (starlette.responses.Response.__call__).
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-length", str(len(content)).encode("latin-1")),
                    (b"content-type", b"application/json"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": content})


def _replay(messages: list[Message], receive: Receive, error: Exception | None = None) -> Any:
    """A receive that gives the messages already read, then raises ``error`` (if any)
    where reading stopped, then goes on reading."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        if error is not None:
            raise error
        return await receive()

    return replayed
