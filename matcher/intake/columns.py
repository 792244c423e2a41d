"""Column accounting (issue 12): every input column of a portfolio, used or not, and why.

:func:`account_columns` → :class:`ColumnAccount`: every input column is used, ambiguous,
duplicate, refused or unused, with its closest field and the ``--map`` line to copy; a
column that looks like a field the loaded rules need, while no column feeds that field, is
flagged. :func:`render_account` gives the zh/en lines, ``to_dict`` the JSON, and
:func:`check_strict` raises when any column was guessed, ambiguous or duplicated.

Kept apart from :mod:`matcher.intake.headers`, which maps the headers, because a
one-enterprise report maps its keys but never accounts for columns (issue 16); the names
are still importable from :mod:`matcher.intake.headers`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Literal, NamedTuple

from matcher.fields import FIELDS_BY_NAME, FieldType
from matcher.intake.headers import (
    _FIELD_TYPES,
    HeaderMapping,
    HeaderMappingError,
    HeaderMatch,
    _field_scores,
    _parse_header,
)
from matcher.lazy import lazy_pattern

__all__ = [
    "ColumnAccount",
    "ColumnEntry",
    "Status",
    "account_columns",
    "check_strict",
    "render_account",
]


Status = Literal["used", "ambiguous", "duplicate", "refused", "unused"]

_STATUS_ZH = {
    "used": "使用",
    "ambiguous": "有歧义",
    "duplicate": "重复",
    "refused": "未采用",
    "unused": "未使用",
}
_METHOD_ZH = {
    "override": "--map 指定",
    "exact": "标准表头",
    "alias": "别名",
    "keyword": "关键词",
    "fuzzy": "模糊匹配",
}
# The row number stands in for a missing id, and size is derived from the size standard:
# neither missing column is worth a loud flag.
_NOT_FLAGGED = frozenset({"id", "size"})
_CLOSEST = 60.0  # an unused column names its closest field from this score up
_LOOSE = 50.0  # a column this close to a needed field (rapidfuzz ratio) is flagged
_INT_RE = lazy_pattern(r"^\s*[0-9０-９]+\s*[人名个位岗]?\s*$")
_YES_NO = frozenset({"是", "否", "√", "×", "✓", "✗", "有", "无", "y", "n", "yes", "no"})
_CREDIT_RE = lazy_pattern(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_DIVISION_RE = lazy_pattern(r"(省|市|区|县|旗)")


class ColumnEntry(NamedTuple):
    """One input column and what became of it."""

    header: str
    status: Status
    field: str | None  # used: the field it feeds; otherwise the closest field, if any
    method: str
    score: float
    flag: str | None = None  # yes/no certification column: the certification
    unit: str | None = None
    candidates: tuple[tuple[str, float], ...] = ()
    kept: str | None = None  # duplicate: the column that feeds the field instead
    note: str = ""
    needed: bool = False  # flagged loudly: looks like a field a loaded rule needs
    false_friend: bool = False  # known not to be ``field`` (注册资本 is not total_assets)

    @property
    def map_line(self) -> str | None:
        """The ``--map`` option that uses this column for its closest field."""
        if self.status == "used" or self.field is None:
            return None
        target = f"{self.field}:{self.flag}" if self.flag else self.field
        return f"--map '{self.header}={target}'"

    def to_dict(self) -> dict[str, object]:
        return {
            "header": self.header,
            "status": self.status,
            "field": self.field,
            "method": self.method,
            "score": round(self.score, 1),
            "flag": self.flag,
            "unit": self.unit,
            "candidates": [{"field": f, "score": round(sc, 1)} for f, sc in self.candidates],
            "kept": self.kept,
            "note": self.note,
            "needed": self.needed,
            "false_friend": self.false_friend,
            "map": self.map_line,
        }


class ColumnAccount(NamedTuple):
    """Every input column of a portfolio: used, ambiguous, duplicate, refused or unused."""

    entries: tuple[ColumnEntry, ...]
    strict: bool = False

    def by_status(self, status: Status) -> list[ColumnEntry]:
        return [e for e in self.entries if e.status == status]

    @property
    def unused(self) -> list[ColumnEntry]:
        """Columns that feed no field (ambiguous, duplicate and refused ones included)."""
        return [e for e in self.entries if e.status != "used"]

    @property
    def flagged(self) -> list[ColumnEntry]:
        """Unused columns that look like a field some loaded rule needs."""
        return [e for e in self.entries if e.needed]

    @property
    def guesses(self) -> list[ColumnEntry]:
        return [e for e in self.entries if e.status == "used" and e.method == "fuzzy"]

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in _STATUS_ZH}
        for e in self.entries:
            out[e.status] += 1
        return out

    def to_dict(self) -> dict[str, object]:
        return {
            "counts": self.counts(),
            "strict": self.strict,
            "flagged": [e.header for e in self.flagged],
            "columns": [e.to_dict() for e in self.entries],
        }

    def render(self, lang: str = "zh") -> list[str]:
        """One line per column (used first, then the rest, flagged ones marked ‼)."""
        return render_account(self, lang)


def account_columns(
    mapping: HeaderMapping,
    *,
    needed: Iterable[str] | None = None,
    samples: dict[str, list[str | None]] | None = None,
    strict: bool = False,
) -> ColumnAccount:
    """Account for every column of ``mapping``.

    ``needed`` are the fields the loaded rules read (e.g. ``normalize.input_fields(rules)``);
    an unused column whose header is close to one of them, or whose values (``samples``,
    header → a few cells) look like one, while no column feeds that field, is flagged.
    """
    need = set(needed or ()) - _NOT_FLAGGED
    fed = {m.field for m in mapping.details if m.field is not None}
    entries = []
    for m in mapping.details:
        entry = _entry(m, mapping)
        if entry.status != "used" and need:
            cells = (samples or {}).get(m.header, [])
            entry = _flag_needed(entry, m, need - fed, cells)
        entries.append(entry)
    return ColumnAccount(tuple(entries), strict)


def _entry(m: HeaderMatch, mapping: HeaderMapping) -> ColumnEntry:
    if m.field is not None:
        return ColumnEntry(
            m.header, "used", m.field, m.method, m.score, m.flag, m.unit, note=m.note
        )
    cands = tuple(m.alternatives)
    if m.method == "duplicate":
        dup = next(d for d in mapping.duplicates if d.header == m.header)
        return ColumnEntry(
            m.header, "duplicate", dup.field, m.method, m.score, unit=m.unit, kept=dup.kept
        )
    if m.method == "ambiguous":
        return ColumnEntry(m.header, "ambiguous", None, m.method, m.score, candidates=cands)
    if m.method == "refused":
        best = cands[0][0] if cands else None
        return ColumnEntry(m.header, "refused", best, m.method, m.score, candidates=cands[1:])
    if m.blocked:
        return ColumnEntry(
            m.header, "unused", m.resembles, m.method, m.score, note=m.note, false_friend=True
        )
    closest = cands[0][0] if cands and cands[0][1] >= _CLOSEST else None
    return ColumnEntry(
        m.header, "unused", closest, m.method, m.score, candidates=cands, note=m.note
    )


def _values_look_like(cells: list[str | None], kind: FieldType | str) -> bool:
    vals = [unicodedata.normalize("NFKC", c).strip() for c in cells if c and c.strip()]
    if not vals:
        return False
    checks = {
        FieldType.INT: lambda v: bool(_INT_RE.match(v)),
        FieldType.BOOL: lambda v: v.lower() in _YES_NO,
        FieldType.REGION: lambda v: bool(_DIVISION_RE.search(v)),
        "credit_code": lambda v: bool(_CREDIT_RE.match(v.upper())),
    }
    check = checks.get(kind)
    return check is not None and sum(map(check, vals)) >= 0.8 * len(vals)


def _flag_needed(
    entry: ColumnEntry, m: HeaderMatch, missing: set[str], cells: list[str | None]
) -> ColumnEntry:
    """Flag the column when its header or its values look like a needed, unfed field."""
    if entry.status == "duplicate":
        return entry  # the field is fed by the kept column
    close = [f for f, sc in [(entry.field, 100.0), *entry.candidates] if f in missing]
    if not close and not entry.false_friend:  # a known false friend is not loosely anything
        close = [f for f, sc, _ in _field_scores(_parse_header(m.header).stripped) if sc >= _LOOSE]
        close = [f for f in close if f in missing]
    if not close and cells:
        for f in sorted(missing):
            kind = "credit_code" if f == "credit_code" else _FIELD_TYPES.get(f)
            if kind in (FieldType.BOOL, FieldType.REGION, "credit_code") and _values_look_like(
                cells, kind
            ):
                close = [f]
                break
    if not close:
        return entry
    return ColumnEntry(
        entry.header,
        entry.status,
        close[0],
        entry.method,
        entry.score,
        entry.flag,
        entry.unit,
        entry.candidates,
        entry.kept,
        entry.note,
        needed=True,
        false_friend=entry.false_friend,
    )


def _field_label(name: str | None, flag: str | None, zh: bool) -> str:
    if name is None:
        return ""
    spec = FIELDS_BY_NAME.get(name)
    label = f"{name}（{spec.zh}）" if zh and spec else name
    if flag:
        label += f"：{flag}（是/否列）" if zh else f": {flag} (yes/no column)"
    return label


def _line(e: ColumnEntry, zh: bool) -> str:
    head = f"「{e.header}」" if zh else f"'{e.header}'"
    target = _field_label(e.field, e.flag, zh)
    mark = "‼ " if e.needed else "  "
    if e.status == "used":
        how = _METHOD_ZH.get(e.method, e.method) if zh else e.method
        if e.method == "fuzzy":
            how += f"，相似度 {e.score:.0f}" if zh else f", score {e.score:.0f}"
        unit = (f"，单位 {e.unit}" if zh else f", unit {e.unit}") if e.unit else ""
        return (
            f"{mark}{_STATUS_ZH['used'] if zh else 'used'} {head} → {target}（{how}{unit}）"
            if zh
            else f"{mark}used {head} → {target} ({how}{unit})"
        )
    status = _STATUS_ZH[e.status] if zh else e.status
    text = f"{mark}{status} {head}"
    if e.status == "ambiguous":
        opts = (" 或 " if zh else " or ").join(
            f"{f}（{sc:.0f}）" if zh else f"{f} ({sc:.0f})" for f, sc in e.candidates
        )
        text += f"：可能是 {opts}" if zh else f": could be {opts}"
        if e.candidates:
            text += (
                f"；指定：--map '{e.header}={e.candidates[0][0]}'"
                if zh
                else f"; choose with --map '{e.header}={e.candidates[0][0]}'"
            )
        return text
    if e.status == "duplicate":
        text += (
            f"：{target} 已由「{e.kept}」提供，本列未用；改用本列：{e.map_line} --map '{e.kept}=-'"
            if zh
            else f": {target} is already fed by '{e.kept}', this column is not used; "
            f"to use it instead: {e.map_line} --map '{e.kept}=-'"
        )
        return text
    if e.status == "refused":
        text += (
            f"：严格模式不采用模糊匹配（{target}，相似度 {e.score:.0f}）；确认后：{e.map_line}"
            if zh
            else f": strict mode refuses a fuzzy match ({target}, score {e.score:.0f}); "
            f"if right: {e.map_line}"
        )
        return text
    if e.needed and e.false_friend:
        text += (
            f"：规则需要 {target}，表中没有对应的列；本列不能直接代替"
            if zh
            else f": loaded rules need {target} and no column feeds it; this one is not it"
        )
    elif e.needed:
        text += (
            f"：看起来像规则需要的 {target}，但未使用；如确是：{e.map_line}"
            if zh
            else f": looks like {target}, which loaded rules need, but is not used; "
            f"if it is: {e.map_line}"
        )
    elif e.false_friend and e.field is not None:
        text += f"：不是 {target}" if zh else f": not {target}"
    elif e.field is not None:
        text += (
            f"：最接近 {target}；如是：{e.map_line}"
            if zh
            else f": closest field {target}; if it is: {e.map_line}"
        )
    if e.note and (zh or not _has_cjk(e.note)):
        text += f"（{e.note}）" if zh else f" ({e.note})"
    return text


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


_ORDER = {"used": 0, "ambiguous": 1, "duplicate": 2, "refused": 3, "unused": 4}


def render_account(account: ColumnAccount, lang: str = "zh") -> list[str]:
    """Lines for people: a summary, then one line per column (flagged ones marked ‼)."""
    zh = lang != "en"
    c = account.counts()
    total = len(account.entries)
    if zh:
        head = (
            f"列对照：共 {total} 列，使用 {c['used']}，未使用 {total - c['used']}"
            f"（有歧义 {c['ambiguous']}，重复 {c['duplicate']}，未采用 {c['refused']}）"
        )
        if account.flagged:
            head += f"；‼ {len(account.flagged)} 列像是规则需要的字段却未使用"
    else:
        head = (
            f"Columns: {total}, used {c['used']}, not used {total - c['used']} "
            f"(ambiguous {c['ambiguous']}, duplicate {c['duplicate']}, refused {c['refused']})"
        )
        if account.flagged:
            head += f"; ‼ {len(account.flagged)} look like fields the rules need but are not used"
    ordered = sorted(account.entries, key=lambda e: (_ORDER[e.status], not e.needed))
    return [head, *(_line(e, zh) for e in ordered)]


def check_strict(account: ColumnAccount) -> None:
    """Strict headers: raise when any column was guessed, refused, ambiguous or duplicated."""
    bad = [e for e in account.entries if e.status in ("refused", "ambiguous", "duplicate")]
    bad += account.guesses
    if bad:
        raise HeaderMappingError("strict_headers", "、".join(e.header for e in bad))
