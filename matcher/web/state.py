"""What the web routes share (settings, engine, store, templates, finished advisor
jobs), apart from the app so that routes and app do not import each other."""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from matcher.web.engine import Engine
from matcher.web.security import CSRF_COOKIE, new_csrf
from matcher.web.settings import Settings
from matcher.web.store import Store


@dataclass
class Job:
    files: dict[str, bytes]
    summary: dict[str, Any]
    created: float = field(default_factory=time.monotonic)


class Jobs:
    """Finished uploads, in memory only, the newest few (ids are random, never paths)."""

    def __init__(self, keep: int = 8):
        self.keep = keep
        self._jobs: OrderedDict[str, Job] = OrderedDict()

    def add(self, job: Job) -> str:
        key = secrets.token_urlsafe(16)
        self._jobs[key] = job
        while len(self._jobs) > self.keep:
            self._jobs.popitem(last=False)
        return key

    def get(self, key: str) -> Job | None:
        return self._jobs.get(key)


TEMPLATES = Path(__file__).parent / "templates"


class Web:
    """What the routes share: settings, engine, store, templates, finished advisor jobs."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.engine = Engine(settings)
        self.store = Store(settings.data_dir) if settings.data_dir is not None else None
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.jobs = Jobs()

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        """A page with the CSRF token its forms carry (the cookie is set on first visit)."""
        token = request.cookies.get(CSRF_COOKIE) or new_csrf()
        html = self.templates.get_template(name).render(csrf=token, **context)
        response = HTMLResponse(html, status_code=status)
        if request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict")
        return response


async def web(request: Request) -> Web:
    """async: FastAPI runs a plain function dependency in a worker thread, per request."""
    return request.app.state.web
