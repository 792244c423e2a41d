"""What one server process is started with; nothing here comes from a request."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

TOKEN_ENV = "POLICY_MATCH_TOKEN"


@dataclass(frozen=True)
class Settings:
    as_of: dt.date | None = None  # None: today, evaluated per request
    token: str | None = None  # advisor pages and /api/batch; None disables them
    data_dir: Path | None = None  # submissions are stored only when given
    rules: tuple[Path, ...] = ()
    only_rules: bool = False
    max_upload_bytes: int = 5 * 1024 * 1024
    max_rows: int = 5_000  # portfolio rows per upload
    max_batch: int = 200  # profiles per POST /api/batch
    timeout_seconds: float = 60.0
    secret: bytes = field(default_factory=lambda: os.urandom(32))  # signs cookies

    @staticmethod
    def token_from_env(token: str | None) -> str | None:
        return token or os.environ.get(TOKEN_ENV) or None

    def today(self) -> dt.date:
        return self.as_of or dt.date.today()
