"""Submissions received from enterprises, in SQLite (only with --data-dir).

WAL journal, synchronous=FULL, one transaction per submission: a submission is
acknowledged only after its commit returned, so a killed server loses none that
were acknowledged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    as_of TEXT NOT NULL,
    name TEXT NOT NULL,
    profile TEXT NOT NULL,      -- the values as submitted, Chinese headers -> text
    consent INTEGER NOT NULL CHECK (consent = 1)
)
"""


class Store:
    def __init__(self, data_dir: Path):
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / "submissions.sqlite3"  # fixed name: no request value is a path
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA synchronous=FULL")
            yield db
        finally:
            db.close()

    def add(self, name: str, profile: dict[str, Any], as_of: dt.date) -> int:
        """Store one submission in its own transaction; returns its number once committed."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            cur = db.execute(
                "INSERT INTO submissions (received_at, as_of, name, profile, consent)"
                " VALUES (?, ?, ?, ?, 1)",
                (
                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    as_of.isoformat(),
                    name,
                    json.dumps(profile, ensure_ascii=False, default=str),
                ),
            )
            db.execute("COMMIT")
            return int(cur.lastrowid or 0)

    def all(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, received_at, as_of, name, profile FROM submissions ORDER BY id"
            ).fetchall()
        return [
            {"id": i, "received_at": r, "as_of": a, "name": n, "profile": json.loads(p)}
            for i, r, a, n, p in rows
        ]

    def ids(self) -> set[int]:
        with self._connect() as db:
            return {r[0] for r in db.execute("SELECT id FROM submissions")}


def portfolio_csv(submissions: list[dict[str, Any]]) -> bytes:
    """The submissions as a portfolio file `batch` reads back (UTF-8 with BOM, no formulas)."""
    import polars as pl

    from matcher.fields import PROFILE_FIELDS
    from matcher.report.files import neutralise

    heads = [s.zh for s in PROFILE_FIELDS]
    rows = []
    for s in submissions:
        p = s["profile"]
        row = {h: (None if p.get(h) is None else str(p.get(h))) for h in heads}
        row["企业编号"] = row["企业编号"] or f"S{s['id']}"
        row["提交编号"] = str(s["id"])
        row["提交时间"] = s["received_at"]
        rows.append(row)
    schema = dict.fromkeys([*heads, "提交编号", "提交时间"], pl.String)
    import io

    buf = io.BytesIO()
    neutralise(pl.DataFrame(rows, schema=schema)).collect().write_csv(buf, include_bom=True)
    return buf.getvalue()
