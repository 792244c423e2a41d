"""One enterprise from a YAML/JSON profile file, without polars or numpy (issue 16).

``report PROFILE.yaml`` and ``explain`` read one mapping: the frame path
(:func:`matcher.api.load_portfolio`) would import polars and numpy (0.3 s) and plan
its queries only to normalise that one row with :func:`matcher.normalize_rows.normalise_rows`
anyway. This gives the same row, problems and resolutions straight from it; whatever
this path does not cover (a list of profiles, a row that looks like a totals or
footnote row, a file it cannot read) is left to the frame path, which reports it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from matcher.evaluate.row import Outcome
from matcher.fields import PROFILE_FIELDS, ROW, FieldType
from matcher.intake.errors import IntakeError
from matcher.intake.limits import Limits
from matcher.intake.limits import resolve as resolve_limits
from matcher.intake.profile_file import read_profile_file
from matcher.intake.raw import _NOTE_RE, _TOTAL_RE, RENAMED_PREFIX, _first_chars
from matcher.intake.values import DATE_HI_SUFFIX
from matcher.lazy import lazy_pattern
from matcher.normalize_shared import _cell, all_messages
from matcher.reference.resolution import Resolution
from matcher.rule import Rule

__all__ = ["OneProfile", "match_one", "problem_lines", "read_one"]

SINGLE_SUFFIXES = {".yaml", ".yml", ".json"}


class OneProfile(NamedTuple):
    """What :func:`matcher.api.load_portfolio` gives for a file of one profile, as plain
    values: the row (None when it was rejected), every problem (``ERROR_COLUMNS`` keys)
    and the region and industry resolutions."""

    row: dict[str, Any] | None
    errors: list[dict[str, Any]]
    regions: dict[str, Resolution]
    industries: dict[str, Resolution]
    unused: list[str]  # keys that are no profile field


def read_one(
    path: Path,
    *,
    region_context: str | None = None,
    today: dt.date | None = None,
    limits: Limits | None = None,
) -> OneProfile | None:
    """The one profile in ``path``, or None when the frame path must read it (not a
    YAML/JSON file, not one mapping, unreadable, or a possible totals/footnote row)."""
    path = Path(path)
    if path.suffix.lower() not in SINGLE_SUFFIXES or not path.exists():
        return None
    lim = resolve_limits(limits)
    try:
        data = read_profile_file(path, lim)
    except IntakeError:
        return None  # the frame path says why, in its words
    if not isinstance(data, dict):
        return None
    # as matcher.normalize.profile_to_raw: the row number's own name is taken
    cells = {(RENAMED_PREFIX + ROW if str(k) == ROW else str(k)): _cell(v) for k, v in data.items()}
    if _maybe_not_data(cells.values()):
        return None
    from matcher.normalize_rows import normalise_rows
    from matcher.reference import catalogue, industry, scope

    catalogue.use_disk_memo()  # the same for scopes scored against the 鼓励外商投资产业目录
    industry.load_memo()  # texts seen by earlier runs need neither numpy nor the model
    scope.use_disk_memo()  # … and scopes read before need no catalogue reader
    res = normalise_rows(
        [{ROW: 1, **cells}], list(cells), today=today, limits=lim, region_context=region_context
    )
    industry.save_memo()
    scope.save_memo()
    row = _typed(res.rows[0], res.columns) if res.rows else None
    unused = [k for k in res.mapping.unmapped if k != ROW]
    return OneProfile(row, res.errors, res.regions, res.industries, unused)


# Whitespace as polars (Rust) and Python see it: removed before the totals/footnote test.
# (\s is str.isspace(), which holds for every other character listed but U+FEFF.)
_SPACE_RE = lazy_pattern(r"[\s\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]+")


def _maybe_not_data(cells: Collection[str | None]) -> bool:
    """True if any cell could make :func:`matcher.intake.readers.split_non_data` drop
    the row (it tests the first filled cell; testing every cell errs on the safe side).
    Both patterns are anchored words: a cell whose first character starts none of them
    matches neither, and the patterns are compiled only when one does."""
    first = _first_chars()
    for text in cells:
        if text is None:
            continue
        lead = next((c for c in text if not (c.isspace() or c == "\ufeff")), "")
        if lead.lower()[:1] not in first:  # the first character of the squeezed cell
            continue
        squeezed = _SPACE_RE.sub("", text).lower()
        if re.search(_TOTAL_RE, squeezed) or re.search(_NOTE_RE, squeezed):
            return True
    return False


_CAST = {FieldType.INT: int, FieldType.AMOUNT: float, FieldType.BOOL: bool}


def _typed(values: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """The row as the frame path's ``frame.row(0, named=True)`` gives it: its columns in
    order, each value of its column's type (an amount of 80 is 80.0)."""
    types = {s.name: s.type for s in PROFILE_FIELDS}
    row: dict[str, Any] = {}
    for c in columns:
        v = values[c]
        cast = _CAST.get(types[c]) if c in types else None
        if v is not None and cast is not None:
            v = cast(v)
        elif v is not None and c.endswith(DATE_HI_SUFFIX) and isinstance(v, dt.datetime):
            v = v.date()
        row[c] = v
    return row


def match_one(row: dict[str, Any], rules: Sequence[Rule], as_of: dt.date) -> list[Outcome]:
    """Every rule on one enterprise, ranked as the report shows them."""
    from matcher.batch import match_row
    from matcher.evaluate.questions import rerank  # issue 13: undecided by money, then questions

    return rerank(match_row(row, rules, as_of))


def problem_lines(
    errors: Sequence[dict[str, Any]], needed: Collection[str], lang: str
) -> list[dict[str, Any]]:
    """The problems as the CLI lists them: those that cannot change a result (a field no
    loaded rule reads) last, each with ``minor`` and its rendered ``message``."""
    templates = {code: pair[0 if lang == "zh" else 1] for code, pair in all_messages().items()}
    rows = []
    for e in errors:
        minor = e["field"] is not None and e["field"] not in needed and not (e["rejected"] or False)
        message = templates.get(e["code"], e["code"]).replace("{value}", e["value"] or "")
        rows.append({**e, "minor": minor, "message": message})
    return sorted(rows, key=lambda r: r["minor"])
