"""Mapping spreadsheet headers onto the profile field contract.

For each header, in this order (the first that applies wins):

1. ``override`` — the user said so (``--map 表头=field``); the field may be named by
   its canonical English name, its Chinese header or one of its aliases, and
   ``""``/``"-"`` means "leave this column unmapped";
2. ``exact`` — the canonical English name (case-insensitive; spaces, ``_`` and
   ``-`` ignored) or the Chinese header;
3. ``alias`` — one of the field's aliases;
   steps 2 and 3 compare normalised keys: NFKC (full-width brackets → ASCII),
   lower case, no whitespace, no required-field marks (``*``), and then again
   with a trailing bracket such as ``(万元)``/``（人）``/``[是/否]`` and a year
   such as ``2023年``/``2023年度`` removed;
4. ``fuzzy`` — a near miss (rapidfuzz ``ratio`` ≥ :data:`FUZZY_CUTOFF` and at
   least :data:`FUZZY_MARGIN` points above the best other field);
5. otherwise ``ambiguous`` (two fields are about equally close) or ``none``.
   Neither is ever guessed: the column is passed through unmapped.

Units: a bracket in an AMOUNT header naming a money unit (``营业收入(元)``) is
recorded in :attr:`HeaderMatch.unit` and :attr:`HeaderMapping.units`; pass it to
``parse_expr(..., unit=...)`` so bare numbers are read in that unit. An AMOUNT
header whose bracket names an unknown currency or unit (``营业收入(美元)``) is not
mapped automatically.

Duplicates: when several headers reach one field, the strongest match wins
(override > exact > alias > the same after removing a bracket or a year >
fuzzy), then the latest year (a header without a year counts as current), then
the leftmost column. The others are listed in
:attr:`HeaderMapping.duplicates` with method ``"duplicate"`` and stay unmapped.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Literal

from rapidfuzz import fuzz, process

from matcher.fields import PROFILE_FIELDS, FieldType
from matcher.intake.errors import message
from matcher.intake.values import AMOUNT_UNITS

__all__ = [
    "FUZZY_CUTOFF",
    "FUZZY_MARGIN",
    "HeaderDuplicate",
    "HeaderMapping",
    "HeaderMappingError",
    "HeaderMatch",
    "header_key",
    "map_headers",
    "resolve_field",
    "suggest",
]

Method = Literal["override", "exact", "alias", "fuzzy", "ambiguous", "none", "duplicate"]

#: Minimum rapidfuzz ``ratio`` (0–100) for a fuzzy match.
FUZZY_CUTOFF = 80.0
#: Minimum lead of the best field over the runner-up field for a fuzzy match.
FUZZY_MARGIN = 10.0
#: Minimum score for an alternative to be listed.
ALTERNATIVE_CUTOFF = 50.0
#: Columns added by readers, never mapped and not reported.
RESERVED_COLUMNS = frozenset({"__row"})

_RANK = {"override": 0, "exact": 1, "alias": 2, "fuzzy": 3}


@dataclass(frozen=True)
class HeaderMatch:
    header: str
    field: str | None
    score: float
    method: Method
    alternatives: list[tuple[str, float]] = dc_field(default_factory=list)
    unit: str | None = None  # unit found in the header's trailing bracket, e.g. "万元"
    note: str = ""


@dataclass(frozen=True)
class HeaderDuplicate:
    header: str  # the header that was not mapped
    field: str  # the field it would have mapped to
    kept: str  # the header that is mapped to that field


@dataclass
class HeaderMapping:
    columns: dict[str, str]  # original header -> canonical field name
    details: list[HeaderMatch]
    unmapped: list[str]
    duplicates: list[HeaderDuplicate]
    units: dict[str, str] = dc_field(default_factory=dict)  # AMOUNT field -> unit in its header

    @property
    def by_field(self) -> dict[str, str]:
        """Canonical field name -> original header."""
        return {f: h for h, f in self.columns.items()}


class HeaderMappingError(ValueError):
    """A bad ``--map`` override: unknown field or unknown header."""

    def __init__(self, code: str, value: str, suggestion: str | None = None):
        self.code = code
        self.value = value
        self.suggestion = suggestion
        super().__init__(self.message("zh"))

    def message(self, lang: str = "zh") -> str:
        text = message(self.code, self.value, lang)
        if self.suggestion is not None:
            if lang == "en":
                text += f"; did you mean '{self.suggestion}'?"
            else:
                text += f"，是不是「{self.suggestion}」？"
        return text


# ---------------------------------------------------------------------------------
# Normalised keys
# ---------------------------------------------------------------------------------

_NOISE_RE = re.compile(r"[\s_\-*※★☆:：'\"“”‘’]+")
_TRAILING_BRACKET_RE = re.compile(r"^(?P<head>.+?)[(\[【〔](?P<inner>[^()\[\]【】〔〕]*)[)\]】〕]$")
_YEAR_PREFIX_RE = re.compile(r"^(?P<year>(?:19|20)[0-9]{2})年?度?(?P<rest>.+)$")
_YEAR_SUFFIX_RE = re.compile(r"^(?P<rest>.+?)(?P<year>(?:19|20)[0-9]{2})年?度?$")
_UNIT_PREFIX_RE = re.compile(r"^单位")
_CURRENCY_HINT_RE = re.compile(r"元|币|美|欧|\$|usd|eur|hkd|rmb|cny|%|‰")
_COUNT_UNITS = frozenset({"人", "名", "个", "位", "岗", "个岗位", "岗位", "户", "家"})


def header_key(s: str) -> str:
    """Full normalised key: NFKC, lower case, no spaces/underscores/stars/quotes."""
    return _NOISE_RE.sub("", unicodedata.normalize("NFKC", s).lower())


@dataclass(frozen=True)
class _Parsed:
    full: str
    stripped: str
    year: int | None
    brackets: tuple[str, ...]


def _parse_header(s: str) -> _Parsed:
    full = header_key(s)
    rest = full
    brackets: list[str] = []
    year: int | None = None
    for _ in range(4):
        m = _TRAILING_BRACKET_RE.match(rest)
        if m:
            brackets.append(_UNIT_PREFIX_RE.sub("", m.group("inner")))
            rest = m.group("head")
            continue
        m = _YEAR_PREFIX_RE.match(rest) or _YEAR_SUFFIX_RE.match(rest)
        if m and year is None:
            year = int(m.group("year"))
            rest = m.group("rest")
            continue
        break
    return _Parsed(full, rest, year, tuple(brackets))


def _amount_unit(brackets: Iterable[str]) -> tuple[str | None, bool]:
    """(known money unit, whether some bracket looks like an unknown unit)."""
    unit = None
    unknown = False
    for b in brackets:
        if b in AMOUNT_UNITS and b not in ("", "k", "w"):
            unit = b
        elif _CURRENCY_HINT_RE.search(b):
            unknown = True
    return unit, unknown


# key -> (field, method); built once from the field contract.
_FULL: dict[str, tuple[str, Method]] = {}
_STRIPPED: dict[str, tuple[str, Method]] = {}
_FIELD_TYPES: dict[str, FieldType] = {f.name: f.type for f in PROFILE_FIELDS}
_FUZZY_CHOICES: list[tuple[str, str]] = []  # (stripped key, field)


def _register(table: dict[str, tuple[str, Method]], key: str, name: str, method: Method) -> None:
    prev = table.get(key)
    if prev is None or (prev[0] == name and _RANK[method] < _RANK[prev[1]]):
        table[key] = (name, method)
    elif prev[0] != name:
        raise RuntimeError(f"header key {key!r} is claimed by {prev[0]} and {name}")


for _spec in PROFILE_FIELDS:
    _names: list[tuple[str, Method]] = [(_spec.name, "exact"), (_spec.zh, "exact")]
    _names += [(a, "alias") for a in _spec.aliases]
    for _text, _method in _names:
        _p = _parse_header(_text)
        _register(_FULL, _p.full, _spec.name, _method)
        _register(_STRIPPED, _p.stripped, _spec.name, _method)
        if (_p.stripped, _spec.name) not in _FUZZY_CHOICES:
            _FUZZY_CHOICES.append((_p.stripped, _spec.name))


def _field_scores(key: str) -> list[tuple[str, float]]:
    """Best fuzzy score per field, highest first."""
    best: dict[str, float] = {}
    choices = [c for c, _ in _FUZZY_CHOICES]
    for _, score, idx in process.extract(
        key, choices, scorer=fuzz.ratio, limit=None, score_cutoff=ALTERNATIVE_CUTOFF
    ):
        name = _FUZZY_CHOICES[idx][1]
        if score > best.get(name, -1.0):
            best[name] = score
    return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))


def suggest(word: str, choices: Iterable[str], cutoff: float = 60.0) -> str | None:
    """The closest of ``choices`` to ``word`` (normalised keys, rapidfuzz ``ratio``),
    or None when nothing reaches ``cutoff``."""
    options = list(choices)
    if not options:
        return None
    hit = process.extractOne(
        header_key(word), [header_key(c) for c in options], scorer=fuzz.ratio, score_cutoff=cutoff
    )
    return None if hit is None else options[hit[2]]


def resolve_field(name: str) -> str | None:
    """Canonical field name for a field given by English name, Chinese header or alias.

    Returns None for ``""``/``"-"`` (meaning "unmapped"); raises
    :class:`HeaderMappingError` (``unknown_field``, with a suggestion) otherwise.
    """
    if name.strip() in ("", "-"):
        return None
    p = _parse_header(name)
    hit = _FULL.get(p.full) or _STRIPPED.get(p.full)
    if hit is None:
        names = [f.name for f in PROFILE_FIELDS] + [f.zh for f in PROFILE_FIELDS]
        raise HeaderMappingError("unknown_field", name, suggest(name, names))
    return hit[0]


def _header_unit(name: str, p: _Parsed) -> tuple[str | None, bool]:
    """(unit written in the header, whether it names an unknown money unit)."""
    if _FIELD_TYPES[name] is FieldType.AMOUNT:
        return _amount_unit(p.brackets)
    if _FIELD_TYPES[name] is FieldType.INT:
        return next((b for b in p.brackets if b in _COUNT_UNITS), None), False
    return None, False


def _match_one(header: str) -> HeaderMatch:
    p = _parse_header(header)
    if not p.full:
        return HeaderMatch(header, None, 0.0, "none")
    hit = _FULL.get(p.full) or _STRIPPED.get(p.stripped)
    score = 100.0
    method: Method
    alternatives: list[tuple[str, float]] = []
    if hit is not None:
        name, method = hit
    else:
        scores = _field_scores(p.stripped)
        if not scores or scores[0][1] < FUZZY_CUTOFF:
            best = scores[0][1] if scores else 0.0
            return HeaderMatch(header, None, best, "none", scores[:3])
        runner_up = scores[1][1] if len(scores) > 1 else 0.0
        if scores[0][1] - runner_up < FUZZY_MARGIN:
            return HeaderMatch(header, None, scores[0][1], "ambiguous", scores[:3])
        name, score, method = scores[0][0], scores[0][1], "fuzzy"
        alternatives = scores[1:3]
    unit, unknown_unit = _header_unit(name, p)
    if unknown_unit and unit is None:
        return HeaderMatch(
            header,
            None,
            score,
            "none",
            [(name, score)],
            note="unknown unit in header; convert the column to 万元 and map it explicitly",
        )
    return HeaderMatch(header, name, score, method, alternatives, unit=unit)


def _override_target(key: str, headers: list[str]) -> str:
    if key in headers:
        return key
    full = header_key(key)
    hits = [h for h in headers if header_key(h) == full]
    if len(hits) == 1:
        return hits[0]
    raise HeaderMappingError("unknown_header", key, suggest(key, headers))


def map_headers(headers: list[str], overrides: dict[str, str] | None = None) -> HeaderMapping:
    """Map original headers to canonical field names (see the module docstring).

    ``overrides`` maps a header (as written, or equal after normalisation) to a
    field (English name, Chinese header or alias; ``""``/``"-"`` = leave unmapped).
    Raises :class:`HeaderMappingError` for an override naming an unknown field or
    a header that is not in ``headers``.
    """
    visible = [h for h in headers if h not in RESERVED_COLUMNS]
    forced: dict[str, str | None] = {}
    for key, target in (overrides or {}).items():
        forced[_override_target(key, visible)] = resolve_field(target)

    matches: list[HeaderMatch] = []
    for h in visible:
        if h in forced:
            forced_field = forced[h]
            matches.append(
                HeaderMatch(
                    h,
                    forced_field,
                    100.0,
                    "override",
                    unit=_header_unit(forced_field, _parse_header(h))[0],
                )
                if forced_field is not None
                else HeaderMatch(h, None, 0.0, "override", note="left unmapped by override")
            )
        else:
            matches.append(_match_one(h))

    # Resolve duplicates: strongest method, then latest year, then leftmost.
    claims: dict[str, list[int]] = {}
    for i, m in enumerate(matches):
        if m.field is not None:
            claims.setdefault(m.field, []).append(i)
    duplicates: list[HeaderDuplicate] = []
    for name, idxs in claims.items():
        if len(idxs) < 2:
            continue

        def order(i: int) -> tuple[int, int, int]:
            m = matches[i]
            p = _parse_header(m.header)
            tier = _RANK[m.method]
            if m.method in ("exact", "alias") and p.full not in _FULL:
                tier += 2  # matched only after removing a bracket or a year
            if m.method == "fuzzy":
                tier = 9
            return (tier, -(p.year if p.year is not None else 9999), i)

        winner = min(idxs, key=order)
        for i in idxs:
            if i != winner:
                loser = matches[i]
                duplicates.append(HeaderDuplicate(loser.header, name, matches[winner].header))
                matches[i] = HeaderMatch(
                    loser.header,
                    None,
                    loser.score,
                    "duplicate",
                    [(name, loser.score)],
                    unit=loser.unit,
                    note=f"{name} is taken by {matches[winner].header!r}",
                )

    columns = {m.header: m.field for m in matches if m.field is not None}
    units = {
        m.field: m.unit
        for m in matches
        if m.field is not None and m.unit is not None and _FIELD_TYPES[m.field] is FieldType.AMOUNT
    }
    unmapped = [m.header for m in matches if m.field is None]
    return HeaderMapping(columns, matches, unmapped, duplicates, units)
