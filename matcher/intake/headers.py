"""Mapping spreadsheet headers onto the profile field contract.

For each header, in this order (the first that applies wins):

1. ``override`` — the user said so (``--map 表头=field``); the field may be named by
   its canonical English name, its Chinese header or one of its aliases, and
   ``""``/``"-"`` means "leave this column unmapped";
2. ``exact``/``alias`` on the whole header: the canonical English name
   (case-insensitive; spaces, ``_`` and ``-`` ignored), the Chinese header, an alias, or an
   ``exact`` row of ``rules/reference/header_aliases.csv``; a row there whose field is
   ``none`` is a false friend (注册资本, 企业类型, 序号…) and is never mapped;
3. the header is cleaned (:func:`_clean`): numbering (3. （一） ①), every bracket (kept
   aside: units, 是/否, notes), periods (2023年, 上年度, 截至2024年底), 请填写, and English
   or pinyin words translated (``header_latin.csv``); a false-friend word in a bracket
   vetoes (资质（证书编号）), up to a 含/不含/无则 aside;
4. ``exact``/``alias`` on the cleaned words, then a false-friend word in them vetoes
   (营业收入增长率, 研发人员数, 其中京籍), then ``keyword``: every ``contains`` row whose
   words occur (a word inside a longer matched word does not count; ``generic`` rows only
   when nothing else matched); words of two fields are ``ambiguous`` unless
   ``header_precedence.csv`` says which is meant (其中北京高校毕业生 → the local part);
   a header joined from two header rows (招聘计划/应届生/其中北京高校) is tried by its
   trailing parts when its words decide nothing, then a bracket of options (企业类别（大中小微）)
   or of instructions (代码（请填写统一社会信用代码）); parts joined by 及/和/、 that name two
   fields make the header ambiguous (营业收入及资产);
   at every positive step, a word of ``header_qualifiers.csv`` can rule the field out
   (日期 on a certification, 编号 on anything but an id, 是否 on a count, 新增 on headcount);
   when that word or a false friend stands only in a bracket while the header's own words
   name a field (统一社会信用代码（税号）), the column is unused and reported with that field
   and its ``--map`` line rather than as a false friend;
5. ``fuzzy`` — a typo: rapidfuzz ``ratio`` ≥ :data:`FUZZY_CUTOFF` against an alias of the
   same length (an added character changes the meaning: 营业外收入), on cleaned headers
   of at least :data:`FUZZY_MIN_LEN` characters, and at least :data:`FUZZY_MARGIN` points
   above the best other field;
6. otherwise ``ambiguous`` (two fields are about equally close) or ``none``.
   Neither is ever guessed: the column is passed through unmapped.

Yes/no certification columns (是否专精特新, 高企…) map to ``certifications`` with
:attr:`HeaderMatch.flag` naming the certification they answer; they are listed in
:attr:`HeaderMapping.flags`, never in ``columns``, and several may coexist with a list column.

Units: a bracket (or a trailing 万元/亿元 without one) in an AMOUNT header naming a money
unit (``营业收入(元)``, ``资产总额（上年末，万元）``) is recorded in :attr:`HeaderMatch.unit` and :attr:`HeaderMapping.units`; pass it to
``parse_expr(..., unit=...)`` so bare numbers are read in that unit. An AMOUNT
header whose bracket names an unknown currency or unit (``营业收入(美元)``) is not
mapped automatically.

Duplicates: when several headers reach one field, the strongest match wins
(override > exact > alias > keyword > the same after removing a bracket or a year >
fuzzy), then the latest year (a header without a year counts as current), then
the leftmost column. The others are listed in
:attr:`HeaderMapping.duplicates` with method ``"duplicate"`` and stay unmapped.
``strict=True`` refuses fuzzy matches (method ``"refused"``).

Column accounting (matcher/intake/columns.py, `account_columns` → `ColumnAccount`): every input column is
used, ambiguous, duplicate, refused or unused, with its closest field and the ``--map`` line
to copy; a column that looks like a field the loaded rules need, while no column feeds that
field, is flagged. `render_account` gives the zh/en lines, ``to_dict`` the JSON, and
`check_strict` raises when any column was guessed, ambiguous or duplicated.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import field as dc_field
from typing import Literal, NamedTuple

from matcher.fields import PROFILE_FIELDS, FieldSpec, FieldType
from matcher.intake.errors import message
from matcher.intake.values import AMOUNT_UNITS
from matcher.lazy import lazy_pattern
from matcher.records import record
from matcher.reference.data import (
    header_alias_rows,
    header_latin_rows,
    header_precedence_rows,
    header_qualifier_rows,
)

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

Method = Literal[
    "override", "exact", "alias", "keyword", "fuzzy", "ambiguous", "none", "duplicate", "refused"
]

#: Minimum rapidfuzz ``ratio`` (0–100) for a fuzzy match.
FUZZY_CUTOFF = 85.0
#: Shortest header (and alias) a fuzzy match may join: between short Chinese words one
#: character is a different meaning (营业期限/营业期限自, 所属社区/所属区), not a typo.
FUZZY_MIN_LEN = 5
#: Minimum lead of the best field over the runner-up field for a fuzzy match.
FUZZY_MARGIN = 10.0
#: Minimum score for an alternative to be listed.
ALTERNATIVE_CUTOFF = 50.0
#: Columns added by readers, never mapped and not reported.
RESERVED_COLUMNS = frozenset({"__row"})

_RANK = {"override": 0, "exact": 1, "alias": 2, "keyword": 3, "fuzzy": 4}


@record
class HeaderMatch:
    header: str
    field: str | None
    score: float
    method: Method
    alternatives: list[tuple[str, float]] = dc_field(default_factory=list)
    unit: str | None = None  # unit found in the header's trailing bracket, e.g. "万元"
    note: str = ""
    flag: str | None = None  # yes/no certification column: the certification it answers
    blocked: bool = False  # a known false friend (注册资本, 企业类型…): never mapped
    resembles: str | None = None  # for a false friend: the field it is mistaken for


class HeaderDuplicate(NamedTuple):
    header: str  # the header that was not mapped
    field: str  # the field it would have mapped to
    kept: str  # the header that is mapped to that field


class HeaderMapping(NamedTuple):
    columns: dict[str, str]  # original header -> canonical field name
    details: list[HeaderMatch]
    unmapped: list[str]
    duplicates: list[HeaderDuplicate]
    units: dict[str, str]  # AMOUNT field -> unit in its header
    flags: dict[str, str]  # yes/no column -> certification

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

_NOISE_RE = re.compile(r"[\s_\-*※★☆:：'\"“”‘’/|·]+")
_SEGMENT_RE = lazy_pattern(r"[/|\n>→·\\]+")
_UNIT_SUFFIX_RE = re.compile(r"^(?P<head>.{2,}?)(?P<unit>百万元|千万元|万元|亿元|千元)$")
_TRAILING_BRACKET_RE = re.compile(r"^(?P<head>.+?)[(\[【〔](?P<inner>[^()\[\]【】〔〕]*)[)\]】〕]$")
_YEAR_PREFIX_RE = re.compile(r"^(?P<year>(?:19|20)[0-9]{2})年?度?(?P<rest>.+)$")
_YEAR_SUFFIX_RE = re.compile(r"^(?P<rest>.+?)(?P<year>(?:19|20)[0-9]{2})年?度?$")
_UNIT_PREFIX_RE = re.compile(r"^单位")
_CURRENCY_HINT_RE = lazy_pattern(r"元|币|美|欧|\$|usd|eur|hkd|rmb|cny|%|‰")
_COUNT_UNITS = frozenset({"人", "名", "个", "位", "岗", "个岗位", "岗位", "户", "家"})


def header_key(s: str) -> str:
    """Full normalised key: NFKC, lower case, no spaces/underscores/stars/quotes."""
    return _NOISE_RE.sub("", unicodedata.normalize("NFKC", s).lower())


class _Parsed(NamedTuple):
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
        m = _UNIT_SUFFIX_RE.match(rest)
        if m:  # 营业收入万元, 营业收入/万元: a unit written without a bracket
            brackets.append(m.group("unit"))
            rest = m.group("head")
            continue
        break
    return _Parsed(full, rest, year, tuple(brackets))


def _amount_unit(brackets: Iterable[str]) -> tuple[str | None, bool]:
    """(known money unit, whether some bracket looks like an unknown unit)."""
    unit = None
    unknown = False
    _latin_table()
    # A bracket may say more than the unit: (上年末,万元).
    parts = [x for b in brackets for x in re.split(r"[,，、;；]", b)]
    for b in parts:
        b = _LATIN.get(b, b)  # Revenue (10k RMB)
        if b in AMOUNT_UNITS and b not in ("", "k", "w"):
            unit = b
        elif _CURRENCY_HINT_RE.search(b):
            unknown = True
    return unit, unknown


class _Target(NamedTuple):
    field: str | None  # None: a false friend
    method: Method
    flag: str | None = None
    note: str = ""
    resembles: str | None = None


# key -> target; built on first use (:func:`_exact_tables`) from the field contract and the
# advisors' table. A header written as the contract or the table writes it (every key of a
# YAML profile) needs only these: the tables of words below are built when a header is not.
_FULL: dict[str, _Target] = {}
_STRIPPED: dict[str, _Target] = {}
_TABLE_FULL: dict[str, _Target] = {}
_TABLE_STRIPPED: dict[str, _Target] = {}
_VETOES: list[tuple[str, _Target]] = []  # contains-words that mark a false friend


class _Keyword(NamedTuple):
    parts: tuple[str, ...]  # every part must occur (A+B)
    target: _Target
    generic: bool  # tried only when no other keyword matched


class _Qualifier(NamedTuple):
    word: str
    blocks: frozenset[str] | None  # None: every field
    allows: frozenset[str]
    note: str

    def rules_out(self, key: str) -> bool:
        """``key``: a field, or certifications:<name> for a yes/no column."""
        field, sep, _ = key.partition(":")
        names = {key, f"{field}:*"} if sep else {key}
        if names & self.allows:
            return False
        return self.blocks is None or bool(names & self.blocks)


_KEYWORDS: list[_Keyword] = []  # contains-words; words of two fields make a header ambiguous
_QUALIFIERS: list[_Qualifier] = []  # words that rule fields out (日期 on a certification)
_PRECEDENCE: set[tuple[str, str]] = set()  # (winner, loser) when a header names both
_LATIN: dict[str, str] = {}  # English/pinyin word -> Chinese word
_LATIN_LONGEST = 0
_FIELD_TYPES: dict[str, FieldType] = {f.name: f.type for f in PROFILE_FIELDS}
_FUZZY_CHOICES: list[tuple[str, _Target]] = []  # (stripped key, target)


def _register(table: dict[str, _Target], key: str, target: _Target) -> None:
    prev = table.get(key)
    if prev is None or (prev.field == target.field and _RANK[target.method] < _RANK[prev.method]):
        table[key] = target
    elif (prev.field, prev.flag) != (target.field, target.flag):
        raise RuntimeError(f"header key {key!r} is claimed by {prev.field} and {target.field}")


def _contract_names(spec: FieldSpec) -> list[tuple[str, Method]]:
    names: list[tuple[str, Method]] = [(spec.name, "exact"), (spec.zh, "exact")]
    return names + [(a, "alias") for a in spec.aliases]


@functools.cache
def _table_rows() -> tuple[tuple[str, _Target], ...]:
    """(header, target) of each whole-header row of the advisors' table, after checking
    every row's field and flag."""
    out = []
    for row in header_alias_rows():
        name = None if row["field"] == "none" else row["field"]
        if name is not None and name not in _FIELD_TYPES:
            raise RuntimeError(f"header_aliases.csv: {row['header']!r} names unknown field {name}")
        flag = row["flag"] or None
        resembles = row.get("resembles") or None
        if flag is not None and name != "certifications":
            raise RuntimeError(
                f"header_aliases.csv: {row['header']!r} has a flag but no list field"
            )
        if row["match"] in ("contains", "generic"):
            continue  # a word, not a whole header: _word_tables
        target = _Target(name, "alias" if name else "none", flag, row["note"], resembles)
        out.append((row["header"], target))
    return tuple(out)


@functools.cache
def _exact_tables() -> None:
    """Fill the tables of whole keys (once): all that a header written exactly as the
    contract or the advisors' table writes it needs (every key of a YAML profile)."""
    for spec in PROFILE_FIELDS:
        for text, method in _contract_names(spec):
            _register(_FULL, header_key(text), _Target(spec.name, method))
    for text, target in _table_rows():
        _register(_TABLE_FULL, header_key(text), target)


@functools.cache
def _stripped_tables() -> None:
    """Fill the tables of keys without brackets, years and units, and the fuzzy choices
    (once)."""
    _exact_tables()
    seen: set[tuple[str, str]] = set()  # (stripped key, field) already a fuzzy choice
    for spec in PROFILE_FIELDS:
        for text, method in _contract_names(spec):
            p = _parse_header(text)
            target = _Target(spec.name, method)
            _register(_STRIPPED, p.stripped, target)
            if (p.stripped, spec.name) not in seen:
                seen.add((p.stripped, spec.name))
                _FUZZY_CHOICES.append((p.stripped, target))
    for text, target in _table_rows():
        p = _parse_header(text)
        _register(_TABLE_STRIPPED, p.stripped, target)
        if target.field is not None:
            _FUZZY_CHOICES.append((p.stripped, target))
    # A false friend is never a fuzzy target, even when the contract lists it (序号).
    blocked = {k for k, t in _TABLE_STRIPPED.items() if t.field is None}
    _FUZZY_CHOICES[:] = [(k, t) for k, t in _FUZZY_CHOICES if k not in blocked]


@functools.cache
def _word_tables() -> None:
    """Fill the keywords, false-friend words, qualifiers and precedences (once)."""
    _table_rows()  # checks every row of the advisors' table first
    for row in header_alias_rows():
        if row["match"] not in ("contains", "generic"):
            continue
        name = None if row["field"] == "none" else row["field"]
        flag = row["flag"] or None
        resembles = row.get("resembles") or None
        target = _Target(name, "keyword", flag, row["note"], resembles)
        if name is None:
            _VETOES.append((header_key(row["header"]), target))
        else:
            parts = tuple(header_key(w) for w in row["header"].split("+"))
            _KEYWORDS.append(_Keyword(parts, target, row["match"] == "generic"))
    for row in header_qualifier_rows():
        blocks = None if row["blocks"] == "*" else frozenset(row["blocks"].split())
        allows = frozenset(row["except"].split())
        for name in (blocks or frozenset()) | allows:
            if name.partition(":")[0] not in _FIELD_TYPES:
                raise RuntimeError(f"header_qualifiers.csv: {row['word']!r} names unknown {name}")
        _QUALIFIERS.append(_Qualifier(header_key(row["word"]), blocks, allows, row["note"]))
    for row in header_precedence_rows():
        for name in (row["winner"], row["loser"]):
            if name.partition(":")[0] not in _FIELD_TYPES:
                raise RuntimeError(f"header_precedence.csv: unknown field {name}")
        _PRECEDENCE.add((row["winner"], row["loser"]))


@functools.cache
def _latin_table() -> None:
    """Fill the English/pinyin words (once)."""
    global _LATIN_LONGEST
    for row in header_latin_rows():
        _LATIN[row["latin"]] = row["zh"]
    _LATIN_LONGEST = max(map(len, _LATIN), default=0)


def _field_scores(key: str, *, same_length: bool = False) -> list[tuple[str, float, _Target]]:
    """Best fuzzy score per (field, flag), highest first. ``same_length``: only aliases as
    long as ``key`` (a typo replaces a character; an added one changes the meaning:
    营业外收入 is not 营业收入)."""
    from rapidfuzz import fuzz, process  # on first use (issue 16)

    _stripped_tables()
    best: dict[tuple[str | None, str | None], tuple[float, _Target]] = {}
    pool = [(c, t) for c, t in _FUZZY_CHOICES if not same_length or len(c) == len(key)]
    choices = [c for c, _ in pool]
    for _, score, idx in process.extract(
        key, choices, scorer=fuzz.ratio, limit=None, score_cutoff=ALTERNATIVE_CUTOFF
    ):
        target = pool[idx][1]
        k = (target.field, target.flag)
        if score > best.get(k, (-1.0, target))[0]:
            best[k] = (score, target)
    ranked = sorted(best.values(), key=lambda st: (-st[0], st[1].field or ""))
    return [(t.field or "", s, t) for s, t in ranked]


def suggest(word: str, choices: Iterable[str], cutoff: float = 60.0) -> str | None:
    """The closest of ``choices`` to ``word`` (normalised keys, rapidfuzz ``ratio``),
    or None when nothing reaches ``cutoff``."""
    from rapidfuzz import fuzz, process  # on first use (issue 16)

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
    _stripped_tables()
    p = _parse_header(name)
    hit = _FULL.get(p.full) or _STRIPPED.get(p.full)
    if hit is None or hit.field is None:
        names = [f.name for f in PROFILE_FIELDS] + [f.zh for f in PROFILE_FIELDS]
        raise HeaderMappingError("unknown_field", name, suggest(name, names))
    return hit.field


def _header_unit(name: str, p: _Parsed) -> tuple[str | None, bool]:
    """(unit written in the header, whether it names an unknown money unit)."""
    if _FIELD_TYPES[name] is FieldType.AMOUNT:
        return _amount_unit(p.brackets)
    if _FIELD_TYPES[name] is FieldType.INT:
        return next((b for b in p.brackets if b in _COUNT_UNITS), None), False
    return None, False


def _segments(header: str) -> list[str]:
    """The header, then its trailing parts when it was joined from several header rows."""
    parts = [x for x in _SEGMENT_RE.split(unicodedata.normalize("NFKC", header)) if x.strip()]
    return [header] + ["".join(parts[i:]) for i in range(1, len(parts))]


def _lookup(header: str, *, stripped: bool = True, parts: bool = False) -> _Target | None:
    """Exact and alias stages on the whole header, or (``parts``) on its trailing parts."""
    _exact_tables()
    if stripped:
        _stripped_tables()
    for text in _segments(header)[1:] if parts else [header]:
        if not stripped:  # the whole key alone
            full = header_key(text)
            hit = _TABLE_FULL.get(full) or _FULL.get(full)
            if hit is not None:
                return hit
            continue
        p = _parse_header(text)
        tables = [(_TABLE_FULL, p.full), (_FULL, p.full)]
        tables += [(_TABLE_STRIPPED, p.stripped), (_STRIPPED, p.stripped)]
        for table, key in tables:
            hit = table.get(key)
            if hit is not None:
                return hit
    return None


# ---------------------------------------------------------------------------------
# Cleaning a header as advisors type it: numbering, brackets, periods, English/pinyin
# ---------------------------------------------------------------------------------

# 3. / 3、 / (一) / 一、 / 第3 / a leading ① (NFKC makes it "1"); not 2023年 or 35岁.
_NUMBERING_RE = lazy_pattern(
    r"^(?:第?[0-9]{1,2}[、.,)]|第?[一二三四五六七八九十]{1,3}[、.,)]"
    r"|\([0-9一二三四五六七八九十]{1,3}\)|[0-9]{1,2}(?=名称|[^0-9年月日岁周届个人名万亿元%.~]))+"
)
_BRACKET_RE = lazy_pattern(r"[(\[【〔《<{]([^()\[\]【】〔〕《》<>{}]*)[)\]】〕》>}]")
_OPEN_RE = lazy_pattern(r"[(\[【〔《<{]")
_CLOSE_RE = lazy_pattern(r"[)\]】〕》>}]")
# Periods say when, not what: 截至2024年底, 2023年末, 上年度, 近一年, 今年.
_PERIOD_RE = lazy_pattern(
    r"(?:截至|截止到?|到)?(?:19|20)[0-9]{2}(?:年度?|届)?(?:[0-9]{1,2}月)?(?:[0-9]{1,2}日)?"
    r"(?:末|底|初)?"
    r"|(?:截至|截止到?)(?:上年|本年|当年|上月|目前|当前|今年|填报日|报告期)?(?:末|底)?"
    r"|上一?年度?(?:末|底)?|本年度?|今年|当年|年末|年底|近一年|近1年|全年|上月末?|年度"
    r"|(?:且|并)?(?:在|处于)?有效期内"
)
# 营业收入不含税: whether tax is included says how the amount is counted, not what it is.
_TAX_ASIDE_RE = lazy_pattern(r"(?:不含|含)税")
_ASK_RE = lazy_pattern(r"^(?:请填写|请填|请选择|请输入|填写|请)")
# In a bracket, what follows these says what the column includes or excludes, or what to
# write instead: 不含税, 含劳务派遣, 无则填写纳税人识别号. It does not change what the column is.
_ASIDE_RE = lazy_pattern(
    r"(?:^(?:按|依据|根据|参照|以)|有效期内|如有|若有|如果|若|不含|不包括|不包含|含|包括|包含|除|非|勿|无需|不要|无则|没有的|或).*$"
)
# A bracket that tells what to write: its words may name the field when the head does not
# (代码（请填写统一社会信用代码）).
_INSTRUCTION_RE = lazy_pattern(r"^(?:请填写|请填|填写|即|指)(?P<what>.+)$")
_LATIN_RUN_RE = lazy_pattern(r"[a-z][a-z0-9&.]*")
_LATIN_MAX_RUN = 60  # longer Latin runs are left as written (and the header unmapped)


# What may follow a generic word that is still the header's head: 产业分类, 规模类别, 员工数量.
_NEUTRAL_TAILS = frozenset(
    {"", "类型", "类别", "分类", "情况", "数", "人数", "总数", "数量", "总人数", "名称", "区县"}
)


class _Clean(NamedTuple):
    core: str  # the header's own words: no numbering, brackets, periods or units
    brackets: tuple[str, ...]  # bracket texts, asides removed
    instructions: tuple[str, ...]  # what a 请填写… bracket asks for


def _translate(key: str) -> str:
    """English and pinyin words → Chinese (header_latin.csv), only when a whole Latin run
    splits into known words; otherwise the run is left as written."""
    _latin_table()

    @functools.cache
    def words(text: str) -> str | None:
        """Longest known word first, backing off when the rest does not split
        (studentstartup is student + startup, not students + …)."""
        if not text:
            return ""
        for j in range(min(len(text), _LATIN_LONGEST), 0, -1):
            zh = _LATIN.get(text[:j])
            if zh is not None and (rest := words(text[j:])) is not None:
                return zh + rest
        return None

    def run(m: re.Match[str]) -> str:
        text = m.group(0).replace("&", "").replace(".", "")
        if len(text) > _LATIN_MAX_RUN:  # no header is that long a sentence
            return m.group(0)
        whole = words(text)
        if whole is None and "of" in text:  # name of company → company name
            head, _, tail = text.partition("of")
            parts = words(tail), words(head)
            whole = None if None in parts else "".join(p or "" for p in parts)
        return m.group(0) if whole is None else whole

    return _LATIN_RUN_RE.sub(run, key)


def _clean(header: str) -> _Clean:
    key = _translate(header_key(header))
    key = _NUMBERING_RE.sub("", key)
    inner: list[str] = []
    while (m := _BRACKET_RE.search(key)) is not None:
        inner.append(m.group(1))
        key = key[: m.start()] + key[m.end() :]
    if (m := _OPEN_RE.search(key)) is not None:  # an unclosed bracket: the rest is a note
        inner.append(key[m.end() :])
        key = key[: m.start()]
    key = _CLOSE_RE.sub("", key)
    if not key and len(inner) == 1:  # 【营业收入】: the whole header in a bracket
        key, inner = inner[0], []
    key = _ASK_RE.sub("", _PERIOD_RE.sub("", _TAX_ASIDE_RE.sub("", key)))
    key = _NUMBERING_RE.sub("", key)
    brackets = tuple(_ASIDE_RE.sub("", b) for b in inner)
    asks = tuple(m.group("what") for b in inner if (m := _INSTRUCTION_RE.match(b)))
    return _Clean(key, brackets, asks)


def _veto(key: str) -> tuple[str, _Target] | None:
    """The false-friend word that occurs in ``key``."""
    _word_tables()
    return next(((w, t) for w, t in _VETOES if w in key), None)


def _target_key(t: _Target) -> str:
    return f"{t.field}:{t.flag}" if t.flag else str(t.field)


def _keywords(core: str) -> list[_Target]:
    """The fields the header's words point to: a word inside a longer matched word does
    not count (主营业务 in 主营业务收入), generic words only when nothing else matched,
    and header_precedence.csv settles known pairs. More than one left: ambiguous."""
    _word_tables()
    found: list[tuple[list[tuple[int, int]], _Keyword]] = []
    for kw in _KEYWORDS:
        spans = []
        for part in kw.parts:
            i = core.find(part)
            if i < 0:
                break
            spans.append((i, i + len(part)))
        else:
            found.append((spans, kw))

    def inside(a: tuple[int, int], b: tuple[int, int]) -> bool:
        return b[0] <= a[0] and a[1] <= b[1] and b[1] - b[0] > a[1] - a[0]

    kept = [
        (spans, kw)
        for spans, kw in found
        if not any(
            other is not kw and all(any(inside(s, t) for t in ospans) for s in spans)
            for ospans, other in found
        )
    ]
    if any(not kw.generic for _, kw in kept):
        kept = [(s, kw) for s, kw in kept if not kw.generic]
    # A generic word decides only as the head of the header, which in Chinese comes last
    # (在册员工, 所属产业), or before a neutral tail (产业分类); 员工持股平台 is a platform.
    kept = [
        (spans, kw)
        for spans, kw in kept
        if not kw.generic or core[spans[-1][1] :] in _NEUTRAL_TAILS
    ]
    targets: dict[str, _Target] = {}
    for _, kw in kept:
        targets.setdefault(_target_key(kw.target), kw.target)
    names = set(targets)
    for winner, loser in _PRECEDENCE:
        if winner in names and loser in names:
            targets.pop(loser, None)
    return list(targets.values())


_JOIN_RE = lazy_pattern(r"以及|及|和|与|或|、|&")


def _joined(core: str, targets: list[_Target]) -> list[_Target]:
    """``targets`` plus the field of any joined part that names another one exactly."""
    keys = {_target_key(t) for t in targets}
    out = list(targets)
    for part in _JOIN_RE.split(core):
        hit = _lookup(part) if part else None
        if hit is not None and hit.field is not None and _target_key(hit) not in keys:
            keys.add(_target_key(hit))
            out.append(hit)
    return out


def _ruled_out(target: _Target, texts: Iterable[str]) -> _Qualifier | None:
    """The first qualifier word in ``texts`` that rules ``target`` out."""
    _word_tables()
    key = _target_key(target)
    texts = tuple(texts)
    return next(
        (q for q in _QUALIFIERS if q.rules_out(key) and any(q.word in t for t in texts)), None
    )


def _blocked(header: str, t: _Target, q: _Qualifier | None = None) -> HeaderMatch:
    """A column known not to be a field (注册资本, 女性员工人数): never mapped."""
    note = t.note if q is None else (q.note or f"表头含「{q.word}」")
    resembles = t.resembles if t.field is None else t.field
    return HeaderMatch(header, None, 100.0, "none", note=note, blocked=True, resembles=resembles)


def _unsure(header: str, t: _Target, word: str) -> HeaderMatch:
    """The header's words name a field, but its bracket says otherwise (统一社会信用代码（税号）,
    高新技术企业（请填写证书编号））: not used, reported with that field and a ``--map`` line."""
    note = f"括号里有「{word}」，未采用；如确是该字段，用 --map 指定"
    return HeaderMatch(header, None, 100.0, "none", [(_target_key(t), 100.0)], note=note)


def _option_key(bracket: str) -> str:
    """A bracket of options as one key: 大型、中型、小型、微型 → 大型中型小型微型."""
    return re.sub(r"[、,，;；]", "", bracket)


def _own_target(c: _Clean) -> _Target | None:
    """The one field the header's own words name, if any."""
    hit = _lookup(c.core) if c.core else None
    if hit is None and c.core and _veto(c.core) is None:
        own = _keywords(c.core)
        hit = own[0] if len(own) == 1 else None
    return hit if hit is not None and hit.field is not None else None


@functools.lru_cache(maxsize=4096)
def _match_one(header: str) -> HeaderMatch:
    """One header read (the same few headers come again and again: a form, a web request)."""
    return _read_header(header)


def _read_header(header: str) -> HeaderMatch:
    """One header read: the first step that settles it decides (see the steps below)."""
    p = _parse_header(header)
    if not p.full:
        return HeaderMatch(header, None, 0.0, "none")
    # 1. The header exactly as a known alias or false friend (科技型中小企业（入库编号）).
    read: HeaderMatch | _Target | None = _lookup(header, stripped=False)
    if isinstance(read, _Target) and read.field is not None:
        return _matched(header, p, read, 100.0, [])  # its words need no cleaning
    c = _clean(header)
    # 2. A false friend in a bracket vetoes: 资质（证书编号）, 营业收入（税后）.
    if read is None:
        read = _bracket_veto(header, c)
    # 3. The header's own words exactly, then a false-friend word in them, then keywords.
    if read is None and c.core:
        read = _own_words(header, c)
    if read is None and c.core:
        read = _by_keywords(header, c)
    if isinstance(read, _Target) and read.field is None:
        read = _false_friend(header, c, read)
    if isinstance(read, HeaderMatch):
        return read
    if read is None:
        return _fuzzy(header, p, c)
    return _matched(header, p, read, 100.0, [])


def _bracket_veto(header: str, c: _Clean) -> HeaderMatch | None:
    """A false-friend word in a bracket: the column is blocked, or unsure when the header's
    own words name a field (统一社会信用代码（税号）)."""
    found = next((v for b in c.brackets if (v := _veto(b)) is not None), None)
    if found is None:
        return None
    own = _own_target(c)
    return _blocked(header, found[1]) if own is None else _unsure(header, own, found[0])


def _own_words(header: str, c: _Clean) -> HeaderMatch | _Target | None:
    """The header, or its own words, exactly as a known header; unsure when a bracket holds
    a qualifier that rules that field out."""
    hit = _lookup(header) or _lookup(c.core)
    if hit is not None and hit.field is not None:
        q = _ruled_out(hit, c.brackets)
        if q is not None:
            return _unsure(header, hit, q.word)
    return hit


def _by_keywords(header: str, c: _Clean) -> HeaderMatch | _Target | None:
    """A false-friend word in the header's words blocks it; else the one field its keywords
    name (two or more: ambiguous), unless a qualifier rules that field out — in the words
    (blocked) or in a bracket (unsure). None when no keyword names a field."""
    found = _veto(c.core)
    if found is not None:
        return _blocked(header, found[1])
    targets = _keyword_targets(header, c)
    if isinstance(targets, HeaderMatch):
        return targets
    if len(targets) == 1:  # 营业收入及资产: each joined part names its own field
        targets = _joined(c.core, targets)
    if len(targets) > 1:
        alts = [(_target_key(t), 100.0) for t in targets]
        return HeaderMatch(header, None, 100.0, "ambiguous", alts)
    if not targets:
        return None
    hit = targets[0]
    assert hit.field is not None
    q = _ruled_out(hit, (c.core, *c.brackets))
    if q is None:
        return hit
    return _blocked(header, hit, q) if q.word in c.core else _unsure(header, hit, q.word)


def _keyword_targets(header: str, c: _Clean) -> HeaderMatch | list[_Target]:
    """The fields named by the first of: the header's words, its trailing parts (a header
    joined from several rows), the options in a bracket, an instruction or bracket that names
    one field. A false friend among the trailing parts blocks the column."""
    # A Latin word left untranslated is a part of the header not understood (IP地址).
    targets = [] if _LATIN_RUN_RE.search(c.core) else _keywords(c.core)
    if targets:
        return targets
    hit = _lookup(header, parts=True)  # joined from header rows: 招聘计划/应届生/其中北京高校
    if hit is not None and hit.field is None:
        return _blocked(header, hit)
    if hit is not None:
        return [hit]
    # 企业类别（大中小微）: the options name the field
    found_t = next((t for b in c.brackets if (t := _lookup(_option_key(b), stripped=False))), None)
    if found_t is not None and found_t.field is not None:
        return [found_t]
    # 代码（请填写统一社会信用代码）, 年收入（营业收入，万元）: what the bracket asks for
    for ask in (*c.instructions, *c.brackets):
        if _veto(ask) is None and len(targets := _keywords(ask)) == 1:
            return targets
    return []


def _false_friend(header: str, c: _Clean, hit: _Target) -> HeaderMatch | _Target:
    """A false friend is blocked, unless a bracket of options names the very field its words
    resemble (企业类型（大型/中型/小型/微型））: then that field."""
    opts = [t for b in c.brackets if (t := _lookup(_option_key(b), stripped=False)) and t.field]
    if not (opts and hit.resembles is not None and opts[0].field == hit.resembles):
        return _blocked(header, hit)
    return opts[0]


def _fuzzy(header: str, p: _Parsed, c: _Clean) -> HeaderMatch:
    """The last resort: the field whose alias of the same length is closest, when close
    enough, long enough, clearly ahead of the next field and not ruled out; else unmapped
    (or ambiguous) with the closest fields as alternatives for the column report."""
    key = c.core or p.stripped
    alts = [(f, s) for f, s, _ in _field_scores(key)[:3]]  # for the column report
    scores = _field_scores(key, same_length=True)
    best = scores[0][1] if scores else 0.0
    runner_up = scores[1][1] if len(scores) > 1 else 0.0
    if best < FUZZY_CUTOFF or len(c.core) < FUZZY_MIN_LEN:
        return HeaderMatch(header, None, alts[0][1] if alts else 0.0, "none", alts)
    if best - runner_up < FUZZY_MARGIN:
        return HeaderMatch(header, None, best, "ambiguous", alts)
    hit = _Target(scores[0][0], "fuzzy", scores[0][2].flag, scores[0][2].note)
    q = _ruled_out(hit, (c.core, *c.brackets))
    if q is not None or _veto(c.core) is not None:
        return HeaderMatch(header, None, best, "none", alts)
    return _matched(header, p, hit, best, [(f, s) for f, s, _ in scores[1:3]])


def _matched(
    header: str, p: _Parsed, hit: _Target, score: float, alternatives: list[tuple[str, float]]
) -> HeaderMatch:
    """The header mapped to ``hit``'s field, with the unit its bracket gives; unmapped when
    the bracket names a money unit the reader cannot convert."""
    assert hit.field is not None
    name = hit.field
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
    return HeaderMatch(
        header, name, score, hit.method, alternatives, unit=unit, note=hit.note, flag=hit.flag
    )


def _override_target(key: str, headers: list[str]) -> str:
    if key in headers:
        return key
    full = header_key(key)
    hits = [h for h in headers if header_key(h) == full]
    if len(hits) == 1:
        return hits[0]
    raise HeaderMappingError("unknown_header", key, suggest(key, headers))


def _flags() -> dict[str, str]:
    """Normalised certification name -> the name used as a yes/no column's flag."""
    _word_tables()
    return {header_key(f): f for k in _KEYWORDS if (f := k.target.flag) is not None}


def _resolve_target(target: str) -> tuple[str | None, str | None]:
    """(field, flag) named by a ``--map`` target: a field, or ``certifications:<name>``
    for a yes/no column answering one certification."""
    head, sep, cert = target.partition(":")
    if sep and resolve_field(head) == "certifications":
        flag = _flags().get(header_key(cert))
        if flag is None:
            raise HeaderMappingError("unknown_field", target, suggest(cert, set(_flags().values())))
        return "certifications", flag
    return resolve_field(target), None


def _forced_match(h: str, forced_field: str | None, flag: str | None = None) -> HeaderMatch:
    if forced_field is None:
        return HeaderMatch(h, None, 0.0, "override", note="left unmapped by override")
    unit = _header_unit(forced_field, _parse_header(h))[0]
    return HeaderMatch(h, forced_field, 100.0, "override", unit=unit, flag=flag)


def _refuse_guesses(matches: list[HeaderMatch]) -> list[HeaderMatch]:
    """Strict mode: a fuzzy match is a guess; it is refused and the column left unmapped."""
    return [
        HeaderMatch(
            m.header,
            None,
            m.score,
            "refused",
            [(m.field, m.score), *m.alternatives] if m.field else m.alternatives,
            note="strict: a fuzzy match is not used",
        )
        if m.method == "fuzzy"
        else m
        for m in matches
    ]


def _dedupe(matches: list[HeaderMatch]) -> list[HeaderDuplicate]:
    """Keep one column per field (strongest method, latest year, leftmost); mark the others.

    Yes/no certification columns are not duplicates of each other or of the list column."""
    claims: dict[str, list[int]] = {}
    for i, m in enumerate(matches):
        if m.field is not None and m.flag is None:
            claims.setdefault(m.field, []).append(i)
    duplicates: list[HeaderDuplicate] = []
    for name, idxs in claims.items():
        if len(idxs) < 2:
            continue

        def order(i: int) -> tuple[int, int, int]:
            m = matches[i]
            p = _parse_header(m.header)
            tier = _RANK[m.method]
            if m.method in ("exact", "alias") and p.full not in _FULL and p.full not in _TABLE_FULL:
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
    return duplicates


def map_headers(
    headers: list[str], overrides: dict[str, str] | None = None, *, strict: bool = False
) -> HeaderMapping:
    """Map original headers to canonical field names (see the module docstring).

    ``overrides`` maps a header (as written, or equal after normalisation) to a
    field (English name, Chinese header or alias; ``""``/``"-"`` = leave unmapped).
    Raises :class:`HeaderMappingError` for an override naming an unknown field or
    a header that is not in ``headers``. With ``strict``, fuzzy matches are refused
    (method ``refused``, unmapped); :func:`check_strict` turns them into an error.
    """
    _exact_tables()  # also read by _dedupe
    visible = [h for h in headers if h not in RESERVED_COLUMNS]
    forced: dict[str, tuple[str | None, str | None]] = {}
    for key, target in (overrides or {}).items():
        forced[_override_target(key, visible)] = _resolve_target(target)

    matches = [_forced_match(h, *forced[h]) if h in forced else _match_one(h) for h in visible]
    if strict:
        matches = _refuse_guesses(matches)
    duplicates = _dedupe(matches)

    columns = {m.header: m.field for m in matches if m.field is not None and m.flag is None}
    flags = {m.header: m.flag for m in matches if m.field is not None and m.flag is not None}
    units = {
        m.field: m.unit
        for m in matches
        if m.field is not None and m.unit is not None and _FIELD_TYPES[m.field] is FieldType.AMOUNT
    }
    unmapped = [m.header for m in matches if m.field is None]
    return HeaderMapping(columns, matches, unmapped, duplicates, units, flags)
