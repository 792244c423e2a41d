"""GB/T 4754-2017 industry codes: lookup, containment and resolution of free text.

Codes are normalised as section letter + digits: ``"C"``, ``"C30"``, ``"C301"``, ``"C3011"``.
Resolution order for a text: code → exact official name → alias → keyword inside a longer
description (with a trade/production cue check) → fuzzy match (rapidfuzz ``ratio`` with a cutoff,
narrowed to the 门类 that cue words point at). Below the cutoff the code is ``None``.

Every reading but a code, an official name or an exact alias then gets a second opinion from a
character n-gram text model (:mod:`matcher.reference.classifier`) trained on the official
names, the keyword tables and labelled example descriptions (``industry_examples.csv``), and
a vote of the most similar labelled descriptions (rapidfuzz ``cdist``). The rules' choice and
the vote are added to the model's log-odds; a 大类 is given only when all together reach
:data:`CONFIDENCE`, and the model overrules the rules only where the vote agrees with it.
Otherwise the text is unknown and the candidates (or the contradicting example) say why.

The weak readings (the text model's own answer, a fuzzy match) stand only on positive evidence
that the cell names a trade (:func:`_evidenced`): a character pair of a trade word of the
reference tables (:func:`trade_share`), a one-character activity cue, or a close labelled
description of the same 大类. Text that names no trade is refused before any stage reads it
(:mod:`matcher.reference.industry_refusal`), notes to a colleague included.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matcher.lazy import lazy_pattern
from matcher.records import record
from matcher.reference import classifier, model_cache, resolution
from matcher.reference.classifier import CharNaiveBayes, stripped
from matcher.reference.data import TABLE_CACHE_OFF_ENV, industry_rows, load_yaml, reference_path
from matcher.reference.disk_memo import ShardedMemo
from matcher.reference.industry_refusal import (
    letters_apart,
    person_like,
    reason,
    refusal,
    service_about,
    strip_label,
)
from matcher.reference.resolution import (
    Resolution,
    ResolutionCache,
    normalize_text,
    resolve_many,
    split_phrases,
)

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import numpy as np
    import polars as pl
else:
    from matcher.lazy import lazy_module

    np = lazy_module("numpy")
    from matcher.frame import pl


__all__ = [
    "FUZZY_CUTOFF",
    "IndustryCode",
    "industry_codes",
    "industry_contains",
    "industry_contains_expr",
    "industry_exists",
    "industry_name",
    "industry_parent",
    "normalize_industry_code",
    "resolve_industries",
    "resolve_industry",
]

#: rapidfuzz ``ratio`` (0–100) a fuzzy match needs before a code is returned.
FUZZY_CUTOFF = 72.0
#: score given to a keyword found inside a longer description.
KEYWORD_SCORE = 90.0
#: score given to a keyword taken from the official 说明 (industry_desc_keywords.csv).
DESC_SCORE = 80.0
#: score given when cue words only name the 门类 (e.g. "…制造" with no known product).
SECTION_SCORE = 60.0
#: log-odds added to the text model's for the 大类 the keyword rules chose. Chosen leave one
#: set out on the labelled sets (tests/test_reference_industry.py tells the history).
RULE_WEIGHT = 8.0
#: log-odds added for the 大类 the nearest labelled examples vote for: those within
#: NEIGHBOUR_BAND (rapidfuzz ``ratio``) of the best match, weighted by their score.
NEIGHBOUR_WEIGHT = 4.0
NEIGHBOUR_BAND = 10
#: probability the best 大类 needs, rules, text model and neighbours together, before a code
#: is given. The text model may overrule the rules only where the neighbours agree with it.
CONFIDENCE = 0.999
#: a text of GIBBERISH_PAIRS character pairs or more of which under GIBBERISH_SHARE were ever
#: seen in training is refused: random characters (1% of 20-character strings of common
#: characters reach 0.17, of 50 reach 0.13); every labelled description reaches 0.20
GIBBERISH_PAIRS = 20
GIBBERISH_SHARE = 0.16
#: so is a shorter text of GIBBERISH_MIN_PAIRS pairs or more none of which was ever seen
#: (random 4–9 characters: 37 of 2,000 resolved before, 26 after; no labelled set changed,
#: scored leave one set out; one seen pair allowed cost 0.2–2.2 points of top-1)
GIBBERISH_MIN_PAIRS = 3
#: the weak readings (the text model's own answer, a fuzzy match) stand only on positive
#: evidence that the cell names a trade (:func:`_evidenced`): at least EVIDENCE_SHARE of its
#: Han characters inside trade words of the reference tables (:func:`trade_share`; 0.01 is
#: any one pair: a share of 0.2 or 0.3 cost 0.3–1.1 points of top-1 on the labelled sets), or
#: a labelled description of the same 大类 at least EVIDENCE_NEIGHBOUR similar (rapidfuzz
#: ``ratio``) once the words that name no trade are taken out of the cell. 42 is the highest
#: that keeps the labelled sets (45 costs holdout5 0.5 and holdout3 0.4 points: 商砼站 44,
#: 我们是做水性工业漆的 42); every garbage set gives the same count from 42 to 55.
EVIDENCE_SHARE = 0.01
EVIDENCE_NEIGHBOUR = 42
_CHUNK = 2048  # queries per cdist call (bounds memory: chunk × choices float32)
_MAX_CANDIDATES = 5
_TRIED = ("code", "exact", "alias", "fuzzy")
_CERTAIN = ("code", "exact")  # a code or an official name needs no second opinion

_CODE_RE = lazy_pattern(r"^([a-t])?(\d{2,4})$|^([a-t])$", re.IGNORECASE)
# a separator after the 门类 letter only, and only before digits: "-56" is a negative number,
# not 大类 56, and "B-" a grade, not 门类 B
_DIGITS = r"\d{2}(?:[\s.\-_]*\d{1,2})?"
_SEPARATED_RE = lazy_pattern(rf"^(?:[a-t](?:[\s.\-_]*{_DIGITS})?|{_DIGITS})$", re.IGNORECASE)
# one digit after a decimal point is a number (20.1, 13.5), not a 中类: codes are 30.11;
# two numbers joined by a dash with no section letter are a range (10-20), not 30-11
_DECIMAL_RE = lazy_pattern(r"^\d{2}\.\d$|^\d{2}\s*-\s*\d{1,2}$")


@record
class IndustryCode:
    code: str  # normalised, e.g. "C3011"
    official: str  # as printed in the standard: "C" or "3011"
    level: int  # 1 门类, 2 大类, 3 中类, 4 小类
    section: str
    name: str
    description: str


@functools.cache
def _codes() -> dict[str, IndustryCode]:
    out: dict[str, IndustryCode] = {}
    for r in industry_rows():
        level = int(r["level"])
        code = r["code"] if level == 1 else r["section"] + r["code"]
        out[code] = IndustryCode(code, r["code"], level, r["section"], r["name"], r["description"])
    return out


@functools.cache
def _code_table() -> tuple[dict[str, int], dict[str, str]]:
    """Level of each code (keyed as :func:`_codes` keys them) and the normalised code of
    each code's official digits below 门类: what a report needs to normalise a code and find
    its size group, without the 1,971 rows and records (issue 16). Kept in a small file
    keyed by the table and this code, checked before it is believed and written only
    where it reads back as built."""
    path = _code_table_path()
    if path is not None:
        try:
            kept = _decode_code_table(path.read_bytes().decode("utf-8"))
        except Exception:  # missing, damaged or foreign (or no home folder): build instead
            kept = None
        if kept is not None:
            return kept
    levels: dict[str, int] = {}
    for r in industry_rows():
        level = int(r["level"])
        levels[r["code"] if level == 1 else r["section"] + r["code"]] = level
    by_digits = {
        r["code"]: r["section"] + r["code"] for r in industry_rows() if int(r["level"]) > 1
    }
    built = levels, by_digits
    if path is not None:
        _write_code_table(path, built)
    return built


CODE_TABLE_OFF_ENV = TABLE_CACHE_OFF_ENV  # switched off with the table copies (data.py)
_CODE_TABLE_TAG = "policy-match industry codes 1"


def _code_table_path() -> Path | None:
    import os

    from matcher.reference import data

    if os.environ.get(CODE_TABLE_OFF_ENV):
        return None
    try:
        files = [Path(__file__), Path(data.__file__), reference_path("gbt4754_2017.csv")]
        key = model_cache.input_key(files, _CODE_TABLE_TAG)
        return model_cache.cache_dir() / f"industry-codes-{key[:32]}.txt"
    except (OSError, RuntimeError):  # RuntimeError: no home folder to find the cache in
        return None


def _decode_code_table(text: str) -> tuple[dict[str, int], dict[str, str]] | None:
    """tag NUL codes NUL officials NUL levels (codes and officials one a line, levels one
    digit each)."""
    parts = text.split("\0")
    if len(parts) != 4 or parts[0] != _CODE_TABLE_TAG:
        return None
    codes, officials, levels = parts[1].split("\n"), parts[2].split("\n"), parts[3]
    if not (len(codes) == len(officials) == len(levels) and levels.isascii() and levels.isdigit()):
        return None
    rows = list(zip(codes, officials, levels, strict=True))
    return (
        {code: int(level) for code, _, level in rows},
        {official: code for code, official, level in rows if level != "1"},
    )


def _write_code_table(path: Path, built: tuple[dict[str, int], dict[str, str]]) -> None:
    levels, by_digits = built
    officials = {code: official for official, code in by_digits.items()}
    if len(officials) != len(by_digits):
        return
    parts = [
        _CODE_TABLE_TAG,
        "\n".join(levels),
        "\n".join(officials.get(code, code) for code in levels),
        "".join(str(level) for level in levels.values()),
    ]
    text = "\0".join(parts)
    back = _decode_code_table(text)
    if back is None or back != built or [list(d) for d in back] != [list(d) for d in built]:
        return
    data = text.encode("utf-8")

    def write(f: Any) -> None:
        f.write(data)

    model_cache.write_atomic(path, write, binary=True, keep=3)


def _levels() -> dict[str, int]:
    return _code_table()[0]


def _by_digits() -> dict[str, str]:
    """Official digits of each code below 门类 → the normalised code (section letter first)."""
    return _code_table()[1]


def code_levels() -> dict[str, int]:
    """Every normalised code → its level (1 门类 … 4 小类), in the table's order (read-only)."""
    return _levels()


def industry_codes() -> dict[str, IndustryCode]:
    """All codes of the table, keyed by normalised code (read-only)."""
    return _codes()


def normalize_industry_code(raw: str) -> str | None:
    """``"3011"``, ``"C3011"``, ``"c30"``, ``"30"``, ``"C"``, ``"301"`` → normalised code.

    Returns ``None`` unless the code exists in GB/T 4754-2017 (a section letter that does not
    match the digits, e.g. ``"A30"``, is refused).
    """
    if raw is None:
        return None
    if type(raw) is str and 2 <= len(raw) <= 4 and raw.isascii() and raw.isdigit():
        # a bare 大类/中类/小类 code (the catalogue's 1,936): what the steps below give it
        return _by_digits().get(raw)
    if type(raw) is str and raw in _levels() and _is_normalised(raw):
        # a code as the table writes it (the rules' I65, I6550): what the steps below give
        # it, without compiling their patterns for a report (issue 16)
        return raw
    return _normalize_text(raw)


def _is_normalised(code: str) -> bool:
    """A section letter A–T, alone or followed by the 2–4 digits that name the code: the
    patterns below read it as itself."""
    if not (code.isascii() and "A" <= code[0] <= "T"):
        return False
    digits = code[1:]
    return not digits or (
        2 <= len(digits) <= 4 and digits.isdigit() and _by_digits().get(digits) == code
    )


def _normalize_text(raw: str) -> str | None:
    text = unicodedata.normalize("NFKC", str(raw)).strip()
    # a separator may follow the 大类 digits only (30.11, C 30-11): 1.5 is a number, not 15
    if not _SEPARATED_RE.match(text) or _DECIMAL_RE.match(text):
        return None
    text = re.sub(r"[\s.\-_]", "", text)
    m = _CODE_RE.match(text)
    if not m:
        return None
    if m.group(3):
        letter = m.group(3).upper()
        return letter if letter in _levels() else None
    letter, digits = m.group(1), m.group(2)
    code = _by_digits().get(digits)
    if code is None or (letter and code[0] != letter.upper()):
        return None
    return code


def industry_exists(code: str) -> bool:
    return normalize_industry_code(code) is not None


def industry_name(code: str) -> str | None:
    norm = normalize_industry_code(code)
    return None if norm is None else _codes()[norm].name


def industry_parent(code: str) -> str | None:
    """The next coarser code (``"C3011"`` → ``"C301"``, ``"C30"`` → ``"C"``), None for a 门类."""
    norm = normalize_industry_code(code)
    if norm is None or len(norm) == 1:
        return None
    return norm[:-1] if len(norm) > 3 else norm[0]


def _require(container: str) -> str:
    norm = normalize_industry_code(container)
    if norm is None:
        from matcher.suggest import did_you_mean  # local: keeps the reference layer standalone

        hint = did_you_mean(str(container), list(_codes()))
        raise ValueError(f"「{container}」不是 GB/T 4754-2017 行业代码{hint}")
    return norm


def industry_contains(container: str, code: str | None) -> bool | None:
    """Is ``code`` within ``container``?

    True when it is (``C30`` contains ``C3011``), False when they are disjoint, and None when
    ``code`` is coarser than ``container`` and overlaps it (container ``C3011``, code ``C30``)
    or when ``code`` is missing or not a known code. An unknown ``container`` raises ValueError.
    """
    box = _require(container)
    if code is None:
        return None
    norm = normalize_industry_code(code)
    if norm is None:
        return None
    if norm.startswith(box):
        return True
    if box.startswith(norm):
        return None
    return False


def industry_contains_expr(container: str, code: pl.Expr) -> pl.Expr:
    """Vectorised :func:`industry_contains` over a column of normalised codes.

    Values that are not normalised codes of the table give null, as in the row version.
    """
    box = _require(container)
    known = code.is_in(list(_codes()))
    return (
        pl.when(code.is_null() | ~known)
        .then(pl.lit(None, dtype=pl.Boolean))
        .when(code.str.starts_with(box))
        .then(pl.lit(True))
        .when(pl.lit(box).str.starts_with(code))
        .then(pl.lit(None, dtype=pl.Boolean))
        .otherwise(pl.lit(False))
    )


# --------------------------------------------------------------------------- resolution index


@record
class _Index:
    names: dict[str, str]  # normalised official name → finest code with that name
    aliases: dict[str, str]  # normalised alias → code
    keywords: dict[str, str]  # aliases, heads and official names (≥ 3 chars) → code
    key_lengths: tuple[int, ...]  # distinct keyword lengths, longest first
    heads: tuple[str, ...]  # keywords that name the activity when they follow another one
    cues: dict[str, tuple[str, ...]]  # production, wholesale, sale, retail, rental, repair
    consumer_goods: tuple[str, ...]  # code prefixes of consumer goods
    section_cues: tuple[tuple[str, str], ...]  # (cue, section)
    fillers: re.Pattern[str]
    desc: dict[str, str]  # keywords from the official 说明 → 大类 (fallback when nothing else hits)
    desc_lengths: tuple[int, ...]
    choices: tuple[str, ...]  # fuzzy choices (normalised names and aliases)
    choice_codes: tuple[str, ...]
    choice_section: tuple[int, ...]  # section index (0–19) of each choice


_SECTIONS = "ABCDEFGHIJKLMNOPQRST"
_GOODS_SECTIONS = frozenset("ABC")
_MADE = ("生产", "制造", "加工", "研制", "组装", "装配")  # unambiguous manufacturing verbs
_CUE_KINDS = ("production", "wholesale", "sale", "retail", "rental", "repair")


def _must_code(code: str, where: str) -> str:
    norm = normalize_industry_code(code)
    if norm is None:
        raise ValueError(f"industry_aliases.yaml {where}: {code!r} is not a GB/T 4754-2017 code")
    return norm


def _phrase_map(spec: dict[str, list[str]], where: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for code, phrases in spec.items():
        norm_code = _must_code(str(code), where)
        for p in phrases:
            key = normalize_text(str(p))
            if key in out and out[key] != norm_code:
                raise ValueError(
                    f"industry_aliases.yaml {where}: {p!r} maps to {out[key]} and {code}"
                )
            out[key] = norm_code
    return out


def _desc_rows() -> list[dict[str, str]]:
    with reference_path("industry_desc_keywords.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@functools.cache
def _index() -> _Index:
    codes = _codes()
    names: dict[str, str] = {}
    for c in codes.values():
        key = normalize_text(c.name)
        prev = names.get(key)
        # Same name on several levels (a 中类 with a single 小类): keep the finest.
        if prev is None or len(c.code) > len(prev):
            names[key] = c.code
    spec = load_yaml("industry_aliases.yaml")
    aliases = _phrase_map(spec["aliases"], "aliases")
    heads = _phrase_map(spec["heads"], "heads")
    keywords = {k: v for k, v in names.items() if len(k) >= 3}
    keywords.update(heads)
    keywords.update(aliases)  # an alias overrides a same-spelled name keyword
    cues = {k: tuple(normalize_text(str(w)) for w in spec["cues"][k]) for k in _CUE_KINDS}
    section_cues = tuple(
        (normalize_text(str(w)), s) for s, words in spec["section_cues"].items() for w in words
    )
    fillers = sorted((normalize_text(str(w)) for w in spec["fillers"]), key=len, reverse=True)
    choice_map: dict[str, str] = dict(names)
    for key, code in aliases.items():
        if len(key) >= 2:
            choice_map.setdefault(key, code)
    terms: dict[str, set[str]] = {}
    for r in _desc_rows():
        code = _must_code(r["division"], "industry_desc_keywords.csv")
        terms.setdefault(normalize_text(r["keyword"]), set()).add(code)
    # An item of one 大类 only, three characters or more, is a keyword (二字 items such as
    # 森林, 设施, 代理 are too often generic words).
    desc = {
        k: next(iter(v))
        for k, v in terms.items()
        if len(v) == 1 and len(k) >= 3 and k not in keywords
    }
    choices = tuple(choice_map)
    choice_codes = tuple(choice_map[k] for k in choices)
    return _Index(
        names=names,
        aliases=aliases,
        keywords=keywords,
        key_lengths=tuple(sorted({len(k) for k in keywords}, reverse=True)),
        heads=tuple(heads),
        cues=cues,
        consumer_goods=tuple(_must_code(str(c), "consumer_goods") for c in spec["consumer_goods"]),
        section_cues=section_cues,
        fillers=re.compile("|".join(re.escape(f) for f in fillers if f)),
        desc=desc,
        desc_lengths=tuple(sorted({len(k) for k in desc}, reverse=True)),
        choices=choices,
        choice_codes=choice_codes,
        # a tuple: building the index must not import numpy (a one-profile report)
        choice_section=tuple(_SECTIONS.index(c[0]) for c in choice_codes),
    )


def _name(code: str) -> str:
    return _codes()[code].name


_NAME_PARTS = lazy_pattern(r"[和及与、，,；;（）()]|以外|以及|其他|的")
# compiled on first use: the class of every Han character takes ~9 ms to compile (issue 16)
_HAN = lazy_pattern(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@functools.cache
def _trade_words() -> tuple[frozenset[str], frozenset[str]]:
    """The character pairs of the words that name a trade, drawn from the reference tables
    only: the parts of every GB/T 4754 name (split at 和, 及, 、…), the aliases, heads, cue and
    section-cue words, the keywords of the official 说明 and the parts of the scope catalogue's
    items, less every word the refusal lists read as something else (公司, 信用, 法人, 电话,
    地区…); and the one-character activity cues (厂, 店, 坊, 卖, 修…), which name an
    establishment or an activity on their own."""
    spec = load_yaml("industry_aliases.yaml")
    raw: list[str] = [p for c in _codes().values() for p in _NAME_PARTS.split(c.name)]
    raw += [str(w) for words in spec["aliases"].values() for w in words]
    raw += [str(w) for words in spec["heads"].values() for w in words]
    cues = [str(w) for kind in _CUE_KINDS for w in spec["cues"][kind]]
    raw += cues
    raw += [str(w) for words in spec["section_cues"].values() for w in words]
    raw += [r["keyword"] for r in _desc_rows()]
    with reference_path("scope_catalogue_2021.csv").open(encoding="utf-8", newline="") as fh:
        raw += [p for r in csv.DictReader(fh) for p in _NAME_PARTS.split(r["scope_statement"])]
    other = _not_trade()
    words = {
        w
        for w in map(normalize_text, raw)
        if len(w) >= 2 and _HAN.match(w) and _HAN.search(w[-1]) and w not in other
    }
    single = frozenset(c for c in map(normalize_text, cues) if len(c) == 1 and _HAN.match(c))
    # their character pairs: a description says 渔船 and 大棚 where the tables say 渔船捕鱼 and
    # 大棚种植 (a pair that is itself a listed non-trade word, 客户 or 公司, is no evidence)
    pairs = {w[i : i + 2] for w in words for i in range(len(w) - 1)}
    pairs = {p for p in pairs if _HAN.match(p[0]) and _HAN.match(p[1]) and p not in other}
    return frozenset(pairs), single


_NOT_TRADE_KINDS: frozenset[str] | None = frozenset(
    {"place", "record", "person", "placeholder", "generic"}
)


@functools.cache
def _not_trade() -> frozenset[str]:
    """Words the refusal lists read as something other than a trade (placeholders, places,
    records, people, other facts about a firm, generic and vague words), and the functions of
    a department that are no trade word of their own (财务, 信息, 人事; not 物流 or 培训)."""
    from matcher.reference.industry_refusal import department_functions, refusal_words

    idx = _index()
    spec = load_yaml("industry_aliases.yaml")
    cues = {normalize_text(str(w)) for kind in _CUE_KINDS for w in spec["cues"][kind]}
    trade_keys = set(idx.aliases) | set(idx.heads) | cues
    listed = refusal_words(_NOT_TRADE_KINDS)
    return listed | (department_functions() - trade_keys)


@functools.cache
def _not_trade_pattern() -> re.Pattern[str]:
    """The words of :func:`_not_trade` of two characters or more, longest first."""
    words = sorted((w for w in _not_trade() if len(w) >= 2), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, words)))


def trade_share(text: str) -> float:
    """The share of the Han characters of ``text`` (normalised) that lie inside a character
    pair of a trade word of the reference tables or are a one-character activity cue
    (:func:`_trade_words`); 0.0 for text without Han characters."""
    norm = normalize_text(text)
    han = [i for i, ch in enumerate(norm) if _HAN.match(ch)]
    if not han:
        return 0.0
    pairs, single = _trade_words()
    covered = [ch in single for ch in norm]
    for i in range(len(norm) - 1):
        if norm[i : i + 2] in pairs:
            covered[i] = covered[i + 1] = True
    return sum(covered[i] for i in han) / len(han)


def _names_trade(phrase: str) -> bool:
    """Does a normalised phrase hold a trade word (for :func:`industry_refusal.note`)?"""
    return trade_share(phrase) > 0.0


def _resolution(
    text: str, code: str, score: float, method: str, matched: str | None, cands: Sequence[str] = ()
) -> Resolution:
    seen: list[tuple[str, str, float]] = [(code, _name(code), score)]
    for c in cands:
        if all(c != s[0] for s in seen):
            seen.append((c, _name(c), score))
    return Resolution(
        input=text,
        code=code,
        name=_name(code),
        score=score,
        method=method,
        matched_text=matched,
        candidates=tuple(seen[:_MAX_CANDIDATES]),
        tried=_TRIED[: _TRIED.index(method) + 1] if method in _TRIED else _TRIED,
    )


_BAR = "|"  # phrase boundary in the keyword text; no keyword contains it
_CONJ = ("以及", "及", "与")  # list conjunctions: they separate businesses inside a phrase


#: boilerplate about the company, not its trade: removed before keywords are looked for.
#: (the licence clauses of a 经营范围 say 经营, which would read as a sale cue.)
_BOILERPLATE = lazy_pattern(
    "业务|高新技术企业|高新技术|专精特新|科技型企业|许可项目|一般项目|除依法须经批准的项目外|"
    "依法须经批准的项目|经相关部门批准后方可开展经营活动|凭营业执照依法自主开展经营活动|"
    "具体经营项目以相关部门批准文件或许可证件为准|具体经营项目以审批结果为准"
)
#: "设计与施工": one design-and-build business, so the 施工/安装 head applies to the design.
_DESIGN_BUILD = lazy_pattern("设计(?:与|及|和|加)(施工|安装)")


#: words with 修/铺 that are not repair or a shop (装修 is decoration, 铺设 is laying).
_NOT_CUES = lazy_pattern(
    "装修|修造|修路|修建|修缮|修复|修订|修改|修正|修剪|修整|修饰|进修|修炼|铺设|铺装|铺贴"
)


def _cue_text(text: str) -> str:
    """Text in which activity cues are looked for: 厂房 is a building, not a factory (厂);
    买卖 is trade in general, not the retail 卖."""
    text = text.replace("厂房", "房屋").replace("买卖", "销售").replace("铺货", "批发")
    return _NOT_CUES.sub("施工", text)


#: "卖给工厂", "批发给学校": what follows is the customer, not the trade; selling to another
#: business is wholesale (批发业 sells to shops, factories and institutions), to people retail.
_SOLD_TO = lazy_pattern("(?:卖|供货|供应|销售|批发|出售|供)给.*")
_PEOPLE = lazy_pattern("消费者|个人|居民|顾客|市民|老百姓|散客|村民|街坊|小区|家庭|住户")


def _sold_to(m: re.Match[str]) -> str:
    return "零售" if _PEOPLE.search(m.group()) else "批发"


#: "给工厂派遣劳务工": a factory as customer does not make the text about production.
_FOR_FACTORY = lazy_pattern("(?:给|为)(?:工厂|厂家|厂区)")
#: "给餐馆供应蔬菜", "给写字楼做保洁": the words between 给 and the verb name the customer.
_FOR_CUSTOMER = lazy_pattern(
    "(?:给(?!排水)|帮|为(?!主))[^|]{1,8}?(做|供应|供货|提供|送货|送|加工|代)"
)
_SUPPLY = ("供应", "供货", "送货", "送")


def _for_customer(m: re.Match[str]) -> str:
    # supplying goods to a business is wholesale (供货 is a wholesale cue), to homes retail
    if m.group(1) in _SUPPLY:
        return "零售" if _PEOPLE.search(m.group()) else "供货"
    return "为客户" + m.group(1)


#: "…，兼做水电安装": an item after 兼/也 is a sideline, not the business.
_SIDELINE = lazy_pattern("^(?:兼做|兼营|兼卖|兼|也做|也帮人|也)")


def _keyword_text(text: str) -> str:
    """Normalised phrases joined by ``|`` so that no keyword spans two listed items."""
    phrases = [
        _FOR_FACTORY.sub("为客户", _SOLD_TO.sub(_sold_to, _BOILERPLATE.sub("", p)))
        for p in split_phrases(text)
    ]
    main = [p for p in phrases if not _SIDELINE.match(p)]
    phrases = main if main else phrases
    phrases = [_FOR_CUSTOMER.sub(_for_customer, p) for p in phrases]
    return _BAR.join(_DESIGN_BUILD.sub(r"设计\1", p) for p in phrases if p)


def _keyword_hits(text: str, idx: _Index) -> list[tuple[int, int, str]]:
    """Every keyword occurrence, overlapping ones included: (start, end, keyword).

    A keyword followed by 级 is a grade (食品级包装, 医用级硅胶), not the product: skipped."""
    found: list[tuple[int, int, str]] = []
    n = len(text)
    for length in idx.key_lengths:
        if length > n:
            continue
        for i in range(n - length + 1):
            key = text[i : i + length]
            if key in idx.keywords and text[i + length : i + length + 1] != "级":
                found.append((i, i + length, key))
    return found


def _segment(text: str, pos: int) -> int:
    """Index of the listed item that position ``pos`` falls in (phrases and 及/与 lists)."""
    head = text[:pos]
    return head.count(_BAR) + sum(head.count(c) for c in _CONJ)


def _has_any(text: str, words: Iterable[str]) -> bool:
    return any(w and w in text for w in words)


def _first_cue(text: str, idx: _Index, kinds: Sequence[str]) -> str | None:
    best: tuple[int, str] | None = None
    for kind in kinds:
        for w in idx.cues[kind]:
            pos = text.find(w) if w else -1
            if pos >= 0 and (best is None or pos < best[0]):
                best = (pos, kind)
    return None if best is None else best[1]


def _is_good(code: str) -> bool:
    return code[0] in _GOODS_SECTIONS and not code.startswith("C43")


def _consistent(code: str, rest: str, idx: _Index) -> bool:
    """Do the words around a keyword point at the keyword's own 门类 (or trade for F)?"""
    if code.startswith("F52") and _has_any(rest, idx.cues["retail"]):
        return True
    if code.startswith("F51") and _has_any(rest, idx.cues["wholesale"]):
        return True
    return any(s == code[0] and cue in rest for cue, s in idx.section_cues)


def _cluster_reading(
    text: str, cluster: list[tuple[int, int, str]], idx: _Index
) -> tuple[int, int, str]:
    """The reading of overlapping keywords: the one that agrees with the words around it,
    else the one that ends last (the head of the compound), else the longest."""
    lo = cluster[0][0]
    span = text[lo : max(h[1] for h in cluster)]

    def inside(h: tuple[int, int, str]) -> bool:
        # part of a longer keyword of the same 门类 (宠物 in 宠物美容): that one says more
        return any(
            o != h
            and o[0] <= h[0]
            and h[1] <= o[1]
            and idx.keywords[o[2]][0] == idx.keywords[h[2]][0]
            for o in cluster
        )

    def rank(h: tuple[int, int, str]) -> tuple[int, int, int]:
        rest = span[: h[0] - lo] + span[h[1] - lo :]
        ok = len(cluster) > 1 and not inside(h) and _consistent(idx.keywords[h[2]], rest, idx)
        # a trailing 服务 is no head of its own: 教育咨询服务 is 教育咨询, not 咨询服务
        end = h[1] - 2 if h[2].endswith("服务") and len(h[2]) > 2 else h[1]
        return (int(ok), end, h[1] - h[0])

    return max(cluster, key=rank)


def _pick(text: str, hits: list[tuple[int, int, str]], idx: _Index) -> tuple[int, int, str]:
    """The keyword that names the business.

    Overlapping keywords form one compound. Its reading is the keyword that agrees with the
    words around it (烟酒店: 烟酒 + 店, not 酒店), else the one that ends last, since Chinese
    compounds put the head at the end (企业管理软件 is 软件). Among compounds the longest keyword
    wins; a tie goes to the first listed item, and within one item to the first keyword: there
    the modifier names the industry (保险经纪, 铁路货运, 宠物医院). Finally a head keyword later in
    the same item names the activity (食品检测 is 检测), and between goods the later one is the
    head (汽车电池 is 电池).
    """
    ordered = sorted(hits, key=lambda h: (h[0], -h[1]))
    clusters: list[list[tuple[int, int, str]]] = []
    end = -1
    for h in ordered:
        if clusters and h[0] < end:
            clusters[-1].append(h)
            end = max(end, h[1])
        else:
            clusters.append([h])
            end = h[1]
    winners = [_cluster_reading(text, cluster, idx) for cluster in clusters]
    best = max(winners, key=lambda h: (h[1] - h[0], -_segment(text, h[0]), -h[0]))
    seg = _segment(text, best[0])
    item = [h for h in winners if _segment(text, h[0]) == seg]
    head = best
    goods_head = False
    for h in item:
        if h[0] <= head[0]:
            continue
        code, head_code = idx.keywords[h[2]], idx.keywords[head[2]]
        if _is_good(head_code) and _is_good(code):
            if code[:3] != head_code[:3]:
                head, goods_head = h, True  # 汽车电机 is an 电机
            continue
        if code[0] == head_code[0]:
            continue  # same 门类: the earlier, modifying keyword is the more specific one
        if head is best and (head[2] in idx.heads or head_code[0] == "J"):
            continue  # 广告设计 stays 广告, 证券咨询 stays 证券: already an activity
        if any(w in h[2] for w in idx.heads):
            head, goods_head = h, False
    if head is best or goods_head:
        return head
    section = idx.keywords[head[2]][0]
    same = [h for h in item if idx.keywords[h[2]][0] == section and len(idx.keywords[h[2]]) > 1]
    return max(same, key=lambda h: (h[1] - h[0], -h[0])) if same else head


def _activity_override(text: str, code: str, keyword: str, idx: _Index) -> str | None:
    """Move a goods keyword to the activity the text names (rent, repair, trade), else None."""
    rest = _cue_text(text.replace(keyword, "", 1))
    if _has_any(keyword, idx.cues["production"]):
        return None  # the keyword itself says it is made or grown (食用菌种植及销售)
    if code[0] == "A" and keyword[0] in "养种":
        return None  # 养蜂, 种菜: the keyword is the farming itself; selling the crop is part of it
    if code[0] == "F":
        if "批发" in rest and not code.startswith("F51"):
            return "F51"
        if "零售" in rest and not code.startswith("F52"):
            return "F52"
        return None
    if not _is_good(code):
        return None
    if code.startswith("C42"):
        rest = rest.replace("回收", "")  # recovering waste is the input of 再生利用, not trade
    for cue in idx.cues["repair"]:  # 修理厂 is a workshop, not a factory
        if cue in rest and _has_any(cue, idx.cues["production"]):
            rest = rest.replace(cue, "维修")
    if _has_any(rest, idx.cues["production"]):
        return None
    kind = _first_cue(rest, idx, ("rental", "repair", "wholesale", "sale", "retail"))
    consumer = code.startswith(idx.consumer_goods)
    if kind == "rental":
        return "L71"
    if kind == "repair":
        return "O81" if consumer else "C43"
    if kind == "wholesale":
        return "F51"
    if kind == "retail":
        return "F52"
    if kind == "sale":
        # "销售" alone: the text may still say 零售/批发 later; else consumer goods go to 零售.
        later = _first_cue(rest, idx, ("wholesale", "retail"))
        if later is not None:
            return "F51" if later == "wholesale" else "F52"
        return "F52" if consumer else "F51"
    return None


_FARMED = ("A01", "A03", "A04")
_PROCESSING = ("加工", "压榨", "屠宰", "分割", "冷冻", "腌制", "烘干", "碾磨", "磨制")
_FARMING = ("种植", "养殖", "捕捞", "栽培", "繁育", "育苗")


def _processed_farm_product(text: str, code: str) -> str | None:
    """A crop, animal or catch that is processed, not grown: 农副食品加工业 (C13)."""
    if not code.startswith(_FARMED) or _has_any(text, _FARMING):
        return None
    return "C13" if _has_any(text, _PROCESSING) else None


_TECH_SERVICE = ("技术服务", "技术开发", "技术咨询", "技术推广")
_AUXILIARY = {"A": "A05", "B": "B11"}  # professional and auxiliary activities of the 门类
_SHOP = ("开店", "开网店", "卖", "销售", "零售")
_WORKS = lazy_pattern("工程(?:施工)?$")


def _context_override(text: str, code: str, key: str, hits: list[str]) -> str | None:
    """Facts of the classification that the keyword alone misses, else None.

    A shop on a platform is 互联网零售 (F52), not the platform; pet food of any kind is
    宠物饲料加工 (C13); technical services to farms or mines are their auxiliary activity
    (A05, B11); works (…工程) on water, power or the environment are civil engineering (E48).
    """
    if code.startswith("I64") and _has_any(text[text.find(key) + len(key) :], _SHOP):
        return "F52"
    if code.startswith("C14") and "宠物" in text:
        return "C13"
    if key in _TECH_SERVICE:
        for other in hits:
            if other[0] in _AUXILIARY and other[:3] != _AUXILIARY[other[0]]:
                return _AUXILIARY[other[0]]
    if code[0] in "DN":
        item = next((p for p in text.split(_BAR) if key in p), "")
        if _WORKS.search(item):
            return "E48"
    if code.startswith("K7010") and _has_any(text, _BUILD):
        return "E47"  # 承建商品房: building the houses, not developing them
    if code == "E":
        for words, division in _WORKS_OBJECT:
            if _has_any(text, words):
                return division
    if code.startswith("G54"):
        for words, division in _TRANSPORT_MODE:
            if _has_any(text, words):
                return division
    if code.startswith("I65") and "游" in key and _has_any(text, ("运营", "联运", "代理发行")):
        return "I64"  # running a game online is 互联网游戏服务 (6422), not its development
    if key in ("出租", "租赁") and _has_any(text, _PROPERTY):
        return "K7040"  # renting out premises is 房地产租赁经营, not 租赁业
    if "小区" in text and code[:3] in ("O82", "N78", "L72"):
        return "K7020"  # cleaning, greening and guarding a 小区 is property management
    return None


_PROPERTY = (
    "房屋",
    "房子",
    "住房",
    "教室",
    "场地",
    "门面",
    "店面",
    "商铺",
    "厂房",
    "公寓",
    "摊位",
    "柜台",
)
_BUILD = ("承建", "施工", "建设", "盖", "建造")
#: the object of bare 施工 names the 大类: buildings (E47) or civil works (E48).
_WORKS_OBJECT: tuple[tuple[tuple[str, ...], str], ...] = (
    (("道路", "公路", "桥", "隧道", "管道", "管网", "线路", "水利", "河道", "市政", "铁路"), "E48"),
    (("房屋", "住宅", "楼", "厂房", "房建"), "E47"),
)
#: a mode word moves generic transport (G54 道路运输) to its own 大类.
_TRANSPORT_MODE: tuple[tuple[tuple[str, ...], str], ...] = (
    (("海运", "船运", "水运", "内河", "航运", "远洋"), "G55"),
    (("空运", "航空"), "G56"),
    (("铁路", "火车"), "G53"),
)


def _single_section(text: str, idx: _Index) -> tuple[str, str] | None:
    """The one 门类 that cue words name (with the first cue), or None."""
    text = text.replace("厂房", "房屋")  # a building, not a factory
    found: dict[str, str] = {}
    for cue, s in idx.section_cues:
        if cue and cue in text:
            found.setdefault(s, cue)
    return next(iter(found.items())) if len(found) == 1 else None


def _resolve_fast(text: str) -> Resolution | None:
    """Code, exact name, alias and keyword stages; None when fuzzy matching is needed."""
    idx = _index()
    stripped = text.strip()
    code = normalize_industry_code(stripped)
    if code is not None:
        return _resolution(text, code, 100.0, "code", stripped)
    norm = normalize_text(text)
    if not norm:
        return _refused(text, "marks") if text.strip() else _refused(text, "empty")
    if letters_apart(text):  # N/A stays a placeholder
        known = lambda p: p in idx.aliases or p in idx.names  # noqa: E731
        return _refused(text, refusal(text, norm, known) or "latin")
    if norm in idx.names:
        return _resolution(text, idx.names[norm], 100.0, "exact", _name(idx.names[norm]))
    if norm in idx.aliases:
        code = idx.aliases[norm]
        moved = _activity_override(norm, code, norm, idx)
        return _resolution(text, moved or code, 100.0, "alias", norm, [code])
    kind = refusal(text, norm, lambda p: p in idx.aliases or p in idx.names, _names_trade)
    if kind is not None:
        return _refused(text, kind)
    ktext = _keyword_text(text)
    hits = _keyword_hits(ktext, idx)
    if not hits:
        if person_like(norm):
            return _refused(text, "person")
        return _resolve_desc(text, ktext, idx)
    if _has_any(_cue_text(ktext), idx.cues["production"]):
        goods = [h for h in hits if _is_good(idx.keywords[h[2]])]
        made = [c for c in _MADE if c in ktext]
        utilities = [h for h in hits if idx.keywords[h[2]][0] == "D"]
        if not goods and utilities and not any(m in ktext for m in _MADE if m != "生产"):
            goods = utilities  # 电力生产, 自来水生产: D 门类 produces too
        if not goods and made:
            # Something is made, but no keyword says what: only the 门类 is known, unless cue
            # words name another 门类 too (研发生产, 加工销售): then nothing is known for sure.
            if {s for cue, s in idx.section_cues if cue and cue in ktext} - {"C"}:
                return Resolution(text, None, None, SECTION_SCORE, "none", None, (), _TRIED)
            return _resolution(text, "C", SECTION_SCORE, "alias", made[0])
        hits = goods or hits
    _, _, key = _pick(ktext, hits, idx)
    code = idx.keywords[key]
    others = [idx.keywords[h[2]] for h in sorted(hits)]
    moved = (
        _activity_override(ktext, code, key, idx)
        or _processed_farm_product(ktext, code)
        or _context_override(ktext, code, key, others)
    )
    divisions = {c[:3] for c in others}
    score = KEYWORD_SCORE if len(divisions) == 1 else KEYWORD_SCORE - 5.0
    if moved is not None:
        return _resolution(text, moved, score, "alias", key, [code, *others])
    return _resolution(text, code, score, "alias", key, others)


def _refused(text: str, kind: str, tried: tuple[str, ...] = _TRIED) -> Resolution:
    """Unknown, because the text names no industry (see :mod:`industry_refusal`)."""
    return Resolution(
        text,
        None,
        None,
        0.0,
        "none",
        None,
        (),
        tried,
        refusal=(reason(kind, text), reason(kind, text, "en")),
    )


def refused(res: Resolution) -> bool:
    """Was the text refused as naming no industry at all (not merely left unresolved)?"""
    return res.refusal is not None


def _resolve_desc(text: str, ktext: str, idx: _Index) -> Resolution | None:
    """Fallback on keywords taken from the official 说明: the longest one found, if the 门类
    cue words of the text (when there are any) agree with it; else None (fuzzy stage)."""
    found: tuple[int, str] | None = None
    n = len(ktext)
    for length in idx.desc_lengths:
        if length > n:
            continue
        for i in range(n - length + 1):
            key = ktext[i : i + length]
            if key in idx.desc:
                found = (i, key)
                break
        if found is not None:
            break
    if found is None:
        return None
    key = found[1]
    code = idx.desc[key]
    sections = {s for cue, s in idx.section_cues if cue and cue in ktext}
    if sections and code[0] not in sections:
        return None
    moved = _activity_override(ktext, code, key, idx)
    return _resolution(text, moved or code, DESC_SCORE, "alias", key, [code])


def _fuzzy_query(text: str, idx: _Index) -> list[str]:
    phrases = split_phrases(text) or [normalize_text(text)]
    out = []
    for p in phrases:
        q = idx.fillers.sub("", p)
        if len(q) >= 2:
            out.append(q)
    return out


def _section_mask(text: str, idx: _Index) -> np.ndarray | None:
    norm = normalize_text(text).replace("厂房", "房屋")
    sections = {s for cue, s in idx.section_cues if cue and cue in norm}
    if not sections:
        return None
    mask = np.zeros(len(_SECTIONS), dtype=bool)
    for s in sections:
        mask[_SECTIONS.index(s)] = True
    return mask


def _resolve_fuzzy(texts: Sequence[str]) -> dict[str, Resolution]:
    """Fuzzy stage for many texts at once: one ``cdist`` over all their phrases."""
    from rapidfuzz import fuzz, process  # on first use (issue 16)

    idx = _index()
    queries: list[str] = []
    owner: list[int] = []
    for i, t in enumerate(texts):
        for q in _fuzzy_query(t, idx):
            queries.append(q)
            owner.append(i)
    best: list[list[tuple[float, int, str]]] = [[] for _ in texts]
    masks = [_section_mask(t, idx) for t in texts]
    sections = np.asarray(idx.choice_section, dtype=np.intp)
    for start in range(0, len(queries), _CHUNK):
        chunk = queries[start : start + _CHUNK]
        scores = process.cdist(chunk, idx.choices, scorer=fuzz.ratio, dtype=np.float32, workers=-1)
        for row, q in enumerate(chunk):
            i = owner[start + row]
            mask = masks[i]
            s = scores[row]
            if mask is not None:
                s = np.where(mask[sections], s, 0.0)
            top = np.argpartition(-s, min(_MAX_CANDIDATES, len(s) - 1))[:_MAX_CANDIDATES]
            best[i].extend((float(s[j]), int(j), q) for j in top)
    out: dict[str, Resolution] = {}
    for i, t in enumerate(texts):
        ranked = sorted(best[i], key=lambda x: (-x[0], len(idx.choices[x[1]])))
        cands: list[tuple[str, str, float]] = []
        for score, j, _q in ranked:
            c = idx.choice_codes[j]
            if all(c != k[0] for k in cands):
                cands.append((c, _name(c), round(score, 1)))
        if ranked and ranked[0][0] >= FUZZY_CUTOFF:
            score, j, _q = ranked[0]
            code = idx.choice_codes[j]
            out[t] = Resolution(
                t,
                code,
                _name(code),
                round(score, 1),
                "fuzzy",
                idx.choices[j],
                tuple(cands[:_MAX_CANDIDATES]),
                _TRIED,
            )
        elif (sec := _single_section(normalize_text(t), idx)) is not None:
            section, cue = sec
            out[t] = Resolution(
                t,
                section,
                _name(section),
                SECTION_SCORE,
                "alias",
                cue,
                ((section, _name(section), SECTION_SCORE), *cands[: _MAX_CANDIDATES - 1]),
                _TRIED,
            )
        else:
            out[t] = Resolution(
                t,
                None,
                None,
                cands[0][2] if cands else 0.0,
                "none",
                None,
                tuple(cands[:_MAX_CANDIDATES]),
                _TRIED,
            )
    return out


def _example_rows() -> list[dict[str, str]]:
    with reference_path("industry_examples.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@functools.cache
def _model(without: str | None = None) -> CharNaiveBayes:
    """The text model; the shipped one (``without`` None) from the disk cache when its inputs
    have not changed, so that it is trained once and not at every start."""
    if without is not None:
        return _train(without)  # held out for measurement only: not worth keeping
    key = _model_key()
    arrays = model_cache.load(_MODEL_CACHE, key, ("classes", "vocabulary", "log_p"))
    if (
        arrays is not None
        and arrays["classes"].dtype.kind == arrays["vocabulary"].dtype.kind == "U"
    ):
        try:
            return CharNaiveBayes.from_arrays(
                arrays["classes"].tolist(),
                arrays["vocabulary"].tolist(),
                arrays["log_p"],
                strip=_index().fillers,
            )
        except ValueError:
            pass  # shapes that do not fit: train afresh and replace the file
    model = _train(None)
    classes, vocabulary, log_p = model.arrays()
    model_cache.save(
        _MODEL_CACHE, key, classes=np.array(classes), vocabulary=np.array(vocabulary), log_p=log_p
    )
    return model


_MODEL_CACHE = "industry-model"
_EXAMPLES_CACHE = "industry-examples"  # the neighbour vote's examples, stripped of fillers
#: bump when the model's arrays change meaning without a change of the files hashed below
_MODEL_FORMAT = "1"


def _model_key() -> str:
    """Hash of everything the model is trained from: the tables and the code that reads them."""
    tables = [
        reference_path(n)
        for n in (
            "gbt4754_2017.csv",
            "industry_aliases.yaml",
            "industry_desc_keywords.csv",
            "industry_examples.csv",
        )
    ]
    code = [Path(__file__), Path(classifier.__file__), Path(resolution.__file__)]
    return model_cache.input_key([*tables, *code], _MODEL_FORMAT, np.__version__)


def _train(without: str | None) -> CharNaiveBayes:
    """The text model: official names (all levels), keywords, 说明 items and examples (but
    those of the source file ``without``, to score that file as unseen text)."""
    idx = _index()
    docs: list[tuple[str, str, float]] = []
    docs += [(c.name, c.code[:3], 1.0) for c in _codes().values() if len(c.code) >= 3]
    docs += [(k, c[:3], 1.0) for k, c in idx.keywords.items() if len(c) >= 3]
    # 说明 items are many and loose (one 大类 may list hundreds): half weight
    docs += [(k, c[:3], 0.5) for k, c in idx.desc.items() if len(c) >= 3]
    for r in _example_rows():
        if r["source"] == without:
            continue
        docs.append((r["text"], _must_code(r["division"], "industry_examples.csv")[:3], 1.0))
    return CharNaiveBayes(docs, strip=idx.fillers)


@functools.cache
def _examples(without: str | None = None) -> tuple[list[str], list[str], np.ndarray]:
    """The labelled examples for the neighbour vote: original texts, stripped texts, and the
    index of each one's 大类 in the text model's classes."""
    key = _model_key() if without is None else ""
    fields = ("texts", "stripped", "labels")
    saved = model_cache.load(_EXAMPLES_CACHE, key, fields) if key else None
    if saved is not None:
        texts, short, labels = (saved[f] for f in fields)
        kinds = (texts.dtype.kind, short.dtype.kind, labels.dtype.kind)
        if kinds == ("U", "U", "i") and len(texts) == len(short) == len(labels):
            return texts.tolist(), short.tolist(), labels.astype(np.intp)
    classes = {c: i for i, c in enumerate(_model(without).classes)}
    rows = [r for r in _example_rows() if r["source"] != without]
    fillers = _index().fillers
    out = (
        [r["text"] for r in rows],
        [stripped(r["text"], fillers) for r in rows],
        np.array([classes[r["division"][:3]] for r in rows], dtype=np.intp),
    )
    if key:
        model_cache.save(
            _EXAMPLES_CACHE, key, texts=np.array(out[0]), stripped=np.array(out[1]), labels=out[2]
        )
    return out


def _neighbour_votes(
    texts: Sequence[str], without: str | None, n_classes: int
) -> tuple[np.ndarray, np.ndarray]:
    """For each text, the class its nearest labelled examples vote for (-1: none similar)
    and the index of the closest example of that class: one ``cdist`` per chunk of texts."""
    from rapidfuzz import fuzz, process  # on first use (issue 16)

    _, examples, labels = _examples(without)
    fillers = _index().fillers
    queries = [stripped(t, fillers) for t in texts]
    vote = np.full(len(texts), -1, dtype=np.intp)
    witness = np.full(len(texts), -1, dtype=np.intp)
    for start in range(0, len(queries), _CHUNK):
        sim = process.cdist(
            queries[start : start + _CHUNK], examples, scorer=fuzz.ratio, dtype=np.uint8, workers=-1
        )
        best = sim.max(axis=1)
        floor = np.maximum(best.astype(np.int16) - NEIGHBOUR_BAND, 1)
        rows, cols = np.nonzero(sim >= floor[:, None])
        score = sim[rows, cols]
        votes = np.zeros((len(sim), n_classes))
        np.add.at(votes, (rows, labels[cols]), score)
        chosen = votes.argmax(axis=1)
        chosen[best == 0] = -1
        # the closest example of the chosen class: the last of its row when sorted by score
        keep = labels[cols] == chosen[rows]
        order = np.lexsort((score[keep], rows[keep]))
        krows, kcols = rows[keep][order], cols[keep][order]
        vote[start : start + len(sim)] = chosen
        if len(krows):  # none at all when no example shares a character with any text
            last = np.flatnonzero(np.r_[krows[1:] != krows[:-1], True])
            witness[start + krows[last]] = kcols[last]
    return vote, witness


def _evidenced(text: str, division: str, without: str | None) -> bool:
    """May a weak reading (the text model's answer, a fuzzy match) give ``division``?

    Only on positive evidence that the cell names a trade: EVIDENCE_SHARE of its Han
    characters in trade words of the reference tables (:func:`trade_share`), or a labelled
    description of that 大类 at least EVIDENCE_NEIGHBOUR similar to what is left of it without
    the words that name no trade (清吧, 私房菜: trades the tables do not spell). A cell with neither (客户自己, 满意度高) is refused, however sure
    the text model is: the model spreads all its probability over the 97 大类, so it is sure
    of something for any string of characters."""
    if trade_share(text) >= EVIDENCE_SHARE:
        return True
    idx = _index()
    if service_about(text, lambda p: p in idx.aliases or p in idx.names):
        return True  # 企业邮箱服务: the refusal lists read it as a service about a thing
    _, examples, labels = _examples(without)
    classes = _model(without).classes
    if division not in classes:
        return False
    mine = np.flatnonzero(labels == classes.index(division))
    # compared without the words that name no trade, so that 客户自己 is not near 房车出租，
    # 客户自己开去旅行: what is left must be like a description of that 大类
    rest = _not_trade_pattern().sub("", normalize_text(text))
    query = stripped(rest, _index().fillers) if rest else ""
    if len(query) < 2 or not len(mine):
        return False
    from rapidfuzz import fuzz, process  # on first use (issue 16)

    best = process.extractOne(
        query, [examples[i] for i in mine], scorer=fuzz.ratio, score_cutoff=EVIDENCE_NEIGHBOUR
    )
    return best is not None


_ASK_ALL = False  # tests set it to show that skipping the neighbours never changes an answer


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def _needs_opinion(first: dict[str, Resolution]) -> list[str]:
    """The texts whose rule reading gets a second opinion: neither a code nor an official name
    (:data:`_CERTAIN`), not a perfect match, not refused."""
    return [
        t
        for t, r in first.items()
        if r.method not in _CERTAIN and r.score < 100.0 and r.refusal is None
    ]


def _gibberish(todo: Sequence[str], model: CharNaiveBayes) -> dict[str, Resolution]:
    """Refusals of the texts that look like random characters to the text model: too few of a
    long text's character pairs, or none of a short one's, were ever seen in a description."""
    out: dict[str, Resolution] = {}
    for t in todo:
        known, pairs = model.known_bigrams(t)
        long_gibberish = pairs >= GIBBERISH_PAIRS and known < GIBBERISH_SHARE * pairs
        # a short text none of whose character pairs any description ever had (管没厂山识书)
        short_gibberish = pairs >= GIBBERISH_MIN_PAIRS and known == 0
        if long_gibberish or short_gibberish:
            out[t] = _refused(t, "no_evidence", (*_TRIED, "model"))
    return out


def _rule_logits(
    todo: Sequence[str], first: dict[str, Resolution], model: CharNaiveBayes
) -> tuple[np.ndarray, np.ndarray]:
    """The text model's log-likelihoods of each text, RULE_WEIGHT added to the 大类 the rules
    read; and that 大类's class index per text (-1: the rules read no 大类)."""
    position = {c: i for i, c in enumerate(model.classes)}
    logits = model.log_likelihoods(todo)
    rule = np.full(len(todo), -1, dtype=np.intp)
    for i, t in enumerate(todo):
        code = first[t].code
        if code is not None and len(code) >= 3 and code[:3] in position:
            rule[i] = position[code[:3]]
    ruled = np.flatnonzero(rule >= 0)
    logits[ruled, rule[ruled]] += RULE_WEIGHT
    return logits, rule


def _worth_asking(prob: np.ndarray, rule: np.ndarray) -> np.ndarray:
    """The rows where the neighbours' vote can change the answer (a cdist over all examples is
    the dearest step): not where even their vote could not lift the best class to CONFIDENCE,
    nor where the rules' reading is so sure that a vote elsewhere could not pull it below."""
    lift = np.exp(NEIGHBOUR_WEIGHT) - 1.0
    best = prob.max(axis=1)
    top = prob.argmax(axis=1)
    runner_up = np.partition(prob, -2, axis=1)[:, -2]  # 97 classes: there is always one
    hopeless = best * (lift + 1.0) / (1.0 + best * lift) < CONFIDENCE
    settled = (top == rule) & (best / (1.0 + runner_up * lift) >= CONFIDENCE)
    return np.arange(len(prob)) if _ASK_ALL else np.flatnonzero(~hopeless & ~settled)


def _add_votes(
    texts: Sequence[str],
    ask: np.ndarray,
    logits: np.ndarray,
    prob: np.ndarray,
    without: str | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Ask the nearest labelled examples about the rows ``ask``: NEIGHBOUR_WEIGHT is added to
    the class they vote for, in ``logits`` and ``prob`` (updated in place). Returns each row's
    voted class and its closest example (-1: not asked, or no example similar)."""
    vote = np.full(len(texts), -1, dtype=np.intp)
    nearest = np.full(len(texts), -1, dtype=np.intp)
    if len(ask):
        asked = [texts[i] for i in ask]
        vote[ask], nearest[ask] = _neighbour_votes(asked, without, prob.shape[1])
        voted = ask[vote[ask] >= 0]
        logits[voted, vote[voted]] += NEIGHBOUR_WEIGHT
        prob[voted] = _softmax(logits[voted])
    return vote, nearest


def _ranked(prob: np.ndarray) -> tuple[list[list[int]], list[list[float]]]:
    """Each row's _MAX_CANDIDATES most probable classes, best first, and their probabilities."""
    k = min(_MAX_CANDIDATES, prob.shape[1])
    top = np.argpartition(-prob, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(
        top, np.argsort(-np.take_along_axis(prob, top, axis=1), axis=1, kind="stable"), axis=1
    )
    return order.tolist(), np.take_along_axis(prob, order, axis=1).tolist()


def _verdict(
    t: str,
    r: Resolution,
    ranked: list[int],
    p: list[float],
    vote: int,
    nearest: int,
    model: CharNaiveBayes,
    without: str | None,
) -> Resolution | None:
    """What the weighed evidence makes of the rule reading ``r`` of ``t``: None keeps it, else
    its replacement: the model's 大类, a refusal, or no code with the candidates (and the
    neighbours' class when they contradict a sure model)."""
    classes, tried = model.classes, (*_TRIED, "model")
    best = classes[ranked[0]]
    sure = p[0] >= CONFIDENCE
    if sure and r.code is not None and r.code[:3] == best:
        if r.method == "fuzzy" and not _evidenced(t, best, without):
            return _refused(t, "no_evidence", tried)  # a near spelling, nothing more
        return None  # the rules' reading stands (with its finer code, if any)
    cands = tuple(
        (classes[j], _name(classes[j]), math.floor(q * 10_000.0) / 100.0)
        for j, q in zip(ranked, p, strict=True)
    )
    if sure and vote >= 0 and vote != ranked[0]:
        # overruling (or filling in for) the rules needs the neighbours' agreement
        if r.code is not None and len(r.code) == 1:
            return None
        near = classes[vote]
        conflict = (near, _name(near), _examples(without)[0][nearest])
        return Resolution(t, None, None, cands[0][2], "none", None, cands, tried, conflict)
    # sure only by elimination (not one bigram of the text points to that 大类), or of
    # characters only (no trade word of the tables, no close example): refused
    if sure and (model.evidence(t, ranked[0]) == 0 or not _evidenced(t, best, without)):
        return _refused(t, "no_evidence", tried)
    if sure:
        return Resolution(t, best, _name(best), cands[0][2], "model", None, cands, tried)
    if r.code is not None and len(r.code) == 1:
        return None  # only the 门类 was known: it still is
    return Resolution(t, None, None, cands[0][2], "none", None, cands, tried)


def _weigh(first: dict[str, Resolution], without: str | None = None) -> dict[str, Resolution]:
    """Combine each rule reading with the text model and the nearest labelled examples:
    keep it, replace it or withdraw it."""
    todo = _needs_opinion(first)
    if not todo:
        return first
    model = _model(without)
    out = dict(first)
    nonsense = _gibberish(todo, model)
    out.update(nonsense)
    todo = [t for t in todo if t not in nonsense]
    if not todo:
        return out
    logits, rule = _rule_logits(todo, first, model)
    prob = _softmax(logits)
    vote, nearest = _add_votes(todo, _worth_asking(prob, rule), logits, prob, without)
    order, top_p = _ranked(prob)
    for i, (t, ranked, p) in enumerate(zip(todo, order, top_p, strict=True)):
        verdict = _verdict(t, first[t], ranked, p, int(vote[i]), int(nearest[i]), model, without)
        if verdict is not None:
            out[t] = verdict
    return out


_cache = ResolutionCache()
_remember = _cache.remember

# --------------------------------------------------------------------------- resolutions kept on disk

# A one-profile report (matcher/single.py) reads the resolutions earlier runs made from the
# disk memo (matcher/reference/disk_memo.py: only the few small files its texts fall in),
# so that texts seen before (a firm reported again, common scope phrases) need neither
# numpy nor the text model. Keyed by every file resolution reads (the reference tables and
# this package's code) and the numeric libraries' versions, like the model.
_MEMO = "industry-resolutions"
_MEMO_KEEP = 20_000  # texts kept, newest last (per shard of the memo)


@functools.cache
def memo_key() -> str:
    """The key of what one-profile runs keep on disk (resolutions, scope readings)."""
    here = Path(__file__).parent
    tables = sorted(p for p in reference_path("gbt4754_2017.csv").parent.iterdir() if p.is_file())
    code = sorted(here.glob("*.py"))
    libraries = [model_cache.library_file("numpy"), model_cache.library_file("rapidfuzz")]
    key = model_cache.input_key([*tables, *code, *libraries], _MODEL_FORMAT)
    return key[:20]


def _memo_path() -> Path:
    """The memo's folder."""
    return model_cache.cache_dir() / f"{_MEMO}-{memo_key()}"


_memo = ShardedMemo(lambda: _memo_path(), _MEMO_KEEP)
_memo_on = False


def load_memo() -> None:
    """Look texts up in the disk memo from now on (each file read when a text needs it;
    nothing if it is missing or unreadable)."""
    global _memo_on
    _memo_on = True


def _from_memo(e: dict[str, Any]) -> Resolution:
    return Resolution(
        e["input"],
        e["code"],
        e["name"],
        e["score"],
        e["method"],
        e["matched_text"],
        tuple((c, n, s) for c, n, s in e["candidates"]),
        tuple(e["tried"]),
        None if e["conflict"] is None else tuple(e["conflict"]),
        None if e["refusal"] is None else tuple(e["refusal"]),
        e["head"],
    )


def _cached(text: str) -> Resolution | None:
    """The resolution made before, in this process or (:func:`load_memo`) an earlier run."""
    hit = _cache.get(text)
    if hit is None and _memo_on:
        entry = _memo.get(text)
        if entry is None:
            return None
        try:
            hit = _from_memo(entry)
        except (KeyError, TypeError, ValueError):  # a damaged entry: resolved afresh
            return None
        _cache.setdefault(text, hit)
    return hit


def save_memo() -> None:
    """Write the texts resolved in this process that the memo does not hold (atomically;
    silently not where the folder cannot be written)."""
    if not _memo_on:
        return
    for t, r in list(_cache.items()):
        if not _memo.known(t):
            _memo.put(t, dataclasses.asdict(r))
    _memo.save(_plain)


def _plain(value: Any) -> Any:
    """numpy scalars (a model's score) as the Python numbers they hold."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(type(value).__name__)


def resolve_industry(text: str) -> Resolution:
    """Resolve one free-text industry (code, official name, alias or description). Cached."""
    return resolve_industries([text])[text]


#: characters of a cell that are read; a longer cell is read on its first phrases up to this
#: length (a trade is named at the head of a description; the labelled ones have ≤ 60), so
#: the cost of a cell is bounded whatever its length
MAX_TEXT_CHARS = 200
_BREAKS = lazy_pattern(r"[,，、;；。.\s]")


def _head(text: str) -> str:
    """The part of an overlong text that is read: whole phrases up to MAX_TEXT_CHARS."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    cut = text[: MAX_TEXT_CHARS + 1]
    ends = [m.start() for m in _BREAKS.finditer(cut)]
    return cut[: ends[-1]] if ends and ends[-1] >= MAX_TEXT_CHARS // 2 else cut[:MAX_TEXT_CHARS]


def _bounded(
    texts: Iterable[str | None], resolve: Callable[[list[str]], dict[str, Resolution]]
) -> dict[str, Resolution]:
    """Resolve each distinct text by its :func:`_head`, without a label that names the field
    itself (行业：餐饮 is read as 餐饮); an overlong one says so."""
    read = {t: strip_label(t) for t in dict.fromkeys(t for t in texts if t is not None)}
    heads = {t: _head(r) for t, r in read.items()}
    out = resolve(list(dict.fromkeys(heads.values())))
    return {
        t: out[h]
        if h == t
        else replace(out[h], input=t, head=MAX_TEXT_CHARS if h != read[t] else None)
        for t, h in heads.items()
    }


def resolve_held_out(
    texts: Sequence[str], source: str | None, *, model: bool = True
) -> dict[str, Resolution]:
    """Resolve afresh (no cache) with the text model trained without the examples taken from
    ``source`` (a file name in industry_examples.csv), or with the keyword rules alone
    (``model=False``). For measuring accuracy on text the model has not seen."""
    return _bounded(
        texts,
        lambda heads: resolve_many(
            heads,
            cached=lambda _: None,
            direct=_resolve_fast,
            fuzzy=_resolve_fuzzy,
            remember=lambda r: r,
            finish=(lambda first: _weigh(first, source)) if model else None,
        ),
    )


def resolve_industries(texts: Iterable[str | None]) -> dict[str, Resolution]:
    """Resolve many texts; each distinct value once, the fuzzy stage in one vectorised pass.

    Missing values (None) are skipped. Results equal :func:`resolve_industry` text by text.
    """
    return _bounded(
        texts,
        lambda heads: resolve_many(
            heads,
            cached=_cached,
            direct=_resolve_fast,
            fuzzy=_resolve_fuzzy,
            remember=_remember,
            finish=_weigh,
        ),
    )
