"""Stand-ins for the web service, to measure what the server costs without the matching.

    python bench/bench_api.py --stub asgi      # uvicorn alone: a bare ASGI app
    python bench/bench_api.py --stub fastapi   # uvicorn + FastAPI + our middleware

Both read the whole request body and answer ``POST /api/match`` (and ``GET /api/rules``,
which the benchmark polls until the server is up) with a fixed JSON body of the size of a
real answer (about 42 KB), so the socket and HTTP work per request equals the real
service's. The difference between the real service's CPU per request and a stub's is what
the matching, validation and JSON cost; the stub's is the floor that no change to the
request path can go below.
"""

from __future__ import annotations

import json
from typing import Any

from matcher.web.api_routes import MatchRequest  # resolved by FastAPI from this module

ANSWER = json.dumps(
    {"results": [{"rank": i, "text": "政策" * 140} for i in range(49)]},
    ensure_ascii=False,
    separators=(",", ":"),
).encode()


async def asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A bare ASGI app: read the body, send the fixed answer."""
    if scope["type"] != "http":
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(ANSWER)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": ANSWER})


def fastapi_app() -> Any:
    """FastAPI with the service's middleware and a body model, the matching left out."""
    from fastapi import FastAPI
    from fastapi.responses import Response

    from matcher.web.security import Guard

    app = FastAPI()

    @app.post("/api/match")
    async def match(body: MatchRequest) -> Response:
        return Response(ANSWER, media_type="application/json")

    @app.get("/api/rules")
    async def rules() -> Response:
        return Response(ANSWER, media_type="application/json")

    app.add_middleware(Guard, max_body=5 * 1024 * 1024, timeout=60.0)
    return app
