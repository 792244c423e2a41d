"""What the table readers (:mod:`matcher.intake.readers`) share with the one-profile path
(:mod:`matcher.single`, :mod:`matcher.normalize_rows`): the problem record, column naming,
nesting depth and the totals/footnote patterns. Kept apart so that a one-enterprise report
does not import the readers, which it never runs (issue 16)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, NamedTuple

from matcher.intake.errors import message

__all__ = ["RENAMED_PREFIX", "ROW", "RawProblem", "make_headers", "nesting_depth"]

ROW = "__row"
#: What a column named like one of ours is renamed to: 原表·<its name>.
RENAMED_PREFIX = "原表·"

# The first filled cell of a totals row, or how a footnote starts (spaces removed).
_TOTAL_RE = r"^(合计|总计|小计|总合计|共计|汇总|total|subtotal|sum)[:：]?$"
_NOTE_RE = r"^(填表人|填报人|填表日期|填报日期|制表人|制表日期|审核人|负责人签字|注[:：]|注\d|说明[:：]|备注[:：])"


@functools.cache
def _first_chars() -> list[str]:
    """The first character of every word _TOTAL_RE and _NOTE_RE start with."""
    words = [w for p in (_TOTAL_RE, _NOTE_RE) for w in p[2 : p.index(")")].split("|")]
    return sorted({w[0] for w in words})


class RawProblem(NamedTuple):
    """A row-level (or header-level) problem found while reading.

    ``row`` is the row number as in ``__row`` (None when it concerns the whole
    table); ``message_code`` a key of ``ERROR_MESSAGES``; ``detail`` fills its
    ``{value}`` placeholder.
    """

    row: int | None
    message_code: str
    detail: str
    column: str = ""  # the header, when the problem is one cell's

    def message(self, lang: str = "zh") -> str:
        return message(self.message_code, self.detail, lang)


def _clean_header(cell: str | None) -> str:
    return (cell or "").replace("\ufeff", "").strip()


def make_headers(
    cells: Sequence[str | None], labels: list[str], header_row: int | None
) -> tuple[list[str], list[RawProblem]]:
    """Unique column names; blank headers named ``列<label>``."""
    names: list[str] = []
    problems: list[RawProblem] = []
    seen = {ROW}
    taken = {_clean_header(c) for c in cells}
    for cell, label in zip(cells, labels, strict=True):
        name = _clean_header(cell)
        if not name:
            name = f"列{label}"
        if name == ROW:
            name = RENAMED_PREFIX + ROW  # reported by normalise, as other renamed columns
        if name in seen:
            k = 2
            while f"{name}.{k}" in seen or f"{name}.{k}" in taken:
                k += 1
            problems.append(RawProblem(header_row, "duplicate_header", name))
            name = f"{name}.{k}"
        seen.add(name)
        names.append(name)
    return names, problems


def nesting_depth(value: Any, cap: int) -> int:
    """Depth of nested lists and mappings (a scalar is 0), counted up to ``cap + 1``."""
    depth, level = 0, [value]
    while level and depth <= cap:
        nested = [v for v in level if isinstance(v, dict | list)]
        if not nested:
            break
        depth += 1
        level = [x for v in nested for x in (v.values() if isinstance(v, dict) else v)]
    return depth
