"""Bounds on what one input may cost to read.

A small hostile file must not take minutes or gigabytes: 10,000 columns, a
cell of megabytes, a zip bomb of a workbook, a YAML alias bomb, JSON nested
thousands deep. Each limit has a default far above real portfolios, is refused
with a message naming it, and can be raised by an environment variable or by
passing :class:`Limits` to the library (``read_table``, ``load_portfolio``,
``run_batch``…).
"""

from __future__ import annotations

import os
from typing import NamedTuple

from matcher.intake.errors import IntakeError

__all__ = ["ENV_VARS", "Limits"]

#: Environment variable that overrides each limit.
ENV_VARS: dict[str, str] = {
    "max_columns": "POLICY_MATCH_MAX_COLUMNS",
    "max_cell_chars": "POLICY_MATCH_MAX_CELL_CHARS",
    "max_sheet_rows": "POLICY_MATCH_MAX_SHEET_ROWS",
    "max_sheet_bytes": "POLICY_MATCH_MAX_SHEET_BYTES",
    "max_profile_bytes": "POLICY_MATCH_MAX_PROFILE_BYTES",
    "max_depth": "POLICY_MATCH_MAX_DEPTH",
}


class Limits(NamedTuple):
    #: columns of a portfolio; real ones have tens
    max_columns: int = 1_000
    #: characters in one cell, as in Excel; a longer cell is a bad cell of its row
    max_cell_chars: int = 32_767
    #: rows of an Excel sheet, as in Excel itself
    max_sheet_rows: int = 1_048_576
    #: uncompressed size of one sheet of an xlsx file (a zip bomb expands far beyond)
    max_sheet_bytes: int = 2 << 30
    #: size of a YAML/JSON profile file
    max_profile_bytes: int = 4 << 20
    #: nesting of lists and mappings in a YAML/JSON profile or a JSON Lines record
    max_depth: int = 32

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, each overridden by its environment variable when set to a
        positive integer (anything else is ignored rather than failing every run)."""
        values: dict[str, int] = {}
        for name in cls._fields:
            text = os.environ.get(ENV_VARS[name], "").strip().replace("_", "")
            if text.isdigit() and int(text) > 0:
                values[name] = int(text)
        return cls(**values)

    def hint(self, name: str, lang: str = "zh") -> str:
        """How to raise limit ``name``: the environment variable and the parameter."""
        var = ENV_VARS[name]
        if lang == "en":
            return f"to raise the limit, set the environment variable {var} (or Limits({name}=…))"
        return f"如确需更大，可设置环境变量 {var}（或在程序中传入 Limits({name}=…)）提高上限"


def resolve(limits: Limits | None) -> Limits:
    return limits if limits is not None else Limits.from_env()


def exceeded(
    code: str,
    path: object,
    name: str,
    found: tuple[str, str],
    limits: Limits,
    value: str | None = None,
) -> IntakeError:
    """The IntakeError refusing ``path``: ``found`` (zh, en) exceeds limit ``name``."""
    limit = getattr(limits, name)
    return IntakeError(
        code,
        str(path),
        f"{found[0]}，上限 {limit}；{limits.hint(name)}",
        value,
        detail_en=f"{found[1]}, limit {limit}; {limits.hint(name, 'en')}",
    )
