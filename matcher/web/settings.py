"""What one server process is started with; nothing here comes from a request."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import field
from pathlib import Path

from matcher.records import record

TOKEN_ENV = "POLICY_MATCH_TOKEN"
# How `serve --workers N` hands its settings to the worker processes it starts.
WORKER_ENV = "POLICY_MATCH_SERVE_SETTINGS"


@record
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

    def to_json(self) -> str:
        """For the worker processes of one server: the same settings and cookie secret
        (a cookie signed by one worker is read by another)."""
        return json.dumps(
            {
                "as_of": self.as_of.isoformat() if self.as_of else None,
                "token": self.token,
                "data_dir": str(self.data_dir) if self.data_dir else None,
                "rules": [str(r) for r in self.rules],
                "only_rules": self.only_rules,
                "max_upload_bytes": self.max_upload_bytes,
                "max_rows": self.max_rows,
                "max_batch": self.max_batch,
                "timeout_seconds": self.timeout_seconds,
                "secret": self.secret.hex(),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Settings:
        d = json.loads(text)
        return cls(
            as_of=dt.date.fromisoformat(d["as_of"]) if d["as_of"] else None,
            token=d["token"],
            data_dir=Path(d["data_dir"]) if d["data_dir"] else None,
            rules=tuple(Path(r) for r in d["rules"]),
            only_rules=d["only_rules"],
            max_upload_bytes=d["max_upload_bytes"],
            max_rows=d["max_rows"],
            max_batch=d["max_batch"],
            timeout_seconds=d["timeout_seconds"],
            secret=bytes.fromhex(d["secret"]),
        )
