"""Text that names no industry: recognised before any stage can read a code into it.

A wrong code is worse than none, and the text model, which spreads all its probability over
the 97 大类, is sure of something even for ``9999`` or ``asdf``. So a cell is refused when
its form says it is not a trade (:func:`refusal`):

- digits and punctuation only, but not a GB/T 4754-2017 code (``9999``, ``1.5``, dates);
- no Chinese character, and not every phrase a known English name or abbreviation (``asdf``);
- nothing but placeholders, places, records (dates, amounts, contacts) and numbers
  (详见营业执照, 中华人民共和国, 注册资本100万, 不方便透露): words and function characters listed
  in ``industry_refusals.yaml`` and the division names of the region table, which must cover
  the whole cell;
- a person's name or form of address (:func:`person_like`), once no industry keyword was found.

What is refused carries its kind; :data:`REASONS` words it for the problem list.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import yaml

from matcher.reference import regions
from matcher.reference.data import adcode_rows, reference_path
from matcher.reference.resolution import normalize_text, split_phrases

__all__ = ["REASONS", "person_like", "reason", "refusal"]

#: kind → (zh, en) wording; {text} is the cell as written.
REASONS: dict[str, tuple[str, str]] = {
    "empty": ("行业为空白", "the industry is blank"),
    "marks": (
        "「{text}」只有标点符号，不是行业描述",
        "'{text}' is only punctuation, not an industry",
    ),
    "number": (
        "「{text}」不是行业代码，也不像行业描述",
        "'{text}' is not an industry code and does not describe an industry",
    ),
    "latin": (
        "「{text}」不是行业代码，也不是已知的行业英文名称或缩写",
        "'{text}' is neither an industry code nor a known English industry name or abbreviation",
    ),
    "placeholder": (
        "「{text}」是占位内容，不是行业描述",
        "'{text}' is a placeholder, not an industry",
    ),
    "place": ("「{text}」是地名，不是行业描述", "'{text}' is a place, not an industry"),
    "record": (
        "「{text}」是日期、金额或联系方式等登记信息，不是行业描述",
        "'{text}' is a date, amount or contact detail, not an industry",
    ),
    "person": (
        "「{text}」像是人名或称呼，不是行业描述",
        "'{text}' looks like a person, not an industry",
    ),
    "no_evidence": (
        "「{text}」不像行业描述：没有可作为行业依据的词语",
        "'{text}' does not read as an industry: no word in it points to one",
    ),
}
_REMEDY = (
    "请填写行业代码（如 I65）或主营业务（如 软件开发）",
    "give a code (e.g. I65) or the main business",
)

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LISTS = ("placeholders", "places", "record_words", "people")
_NUMERALS = "0123456789零〇一二三四五六七八九十两百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬億"
_NUMBER = re.compile(
    r"[0-9]+|[零〇一二三四五六七八九十两百千万亿]+|[零壹贰叁肆伍陆柒捌玖拾佰仟萬億]+"
)
#: a street address: anything, then a number with 号, 栋, 单元, 室… (中山路100号, 3栋2单元501)
_ADDRESS = re.compile(
    r".{0,24}?\d+(?:号楼|号院|号|栋|幢|座|单元|室|层|楼)(?:\d+(?:号楼|号|栋|幢|座|单元|室|层|楼)?)*"
)
_DIGITS_AND_MARKS = re.compile(r"[\d\W_]*\d[\d\W_]*")


def reason(kind: str, text: str, lang: str = "zh") -> str:
    """The explanation of a refusal, with the remedy."""
    zh, en = REASONS[kind]
    shown = text if len(text) <= 60 else text[:60] + "…"
    if lang == "en":
        return f"{en.format(text=shown)}: {_REMEDY[1]}"
    return f"{zh.format(text=shown)}，{_REMEDY[0]}"


@functools.cache
def _words() -> tuple[dict[str, str], tuple[int, ...]]:
    """Normalised word → kind (placeholder, place, record), and the word lengths, longest first."""
    spec = _yaml("industry_refusals.yaml")
    words: dict[str, str] = {}
    for key in regions.division_names():
        words[key] = "place"
    for kind, field in zip(("place", "record", "person"), _LISTS[1:], strict=True):
        for w in spec[field]:
            words[normalize_text(str(w))] = kind
    for ch in str(spec["function_chars"]):
        words.setdefault(ch, "placeholder")
    for w in spec["placeholders"]:  # a placeholder wins over a same-spelled word
        key = normalize_text(str(w))
        if key:
            words[key] = "placeholder"
    return words, tuple(sorted({len(k) for k in words}, reverse=True))


# "label: value", the label a record or person word (微信号：…, 联系人：…)
_LABELLED = re.compile(r"^\s*([^:：]{1,8}?)\s*[:：]")

_REFERENCE_MAX = 12  # 见说明书 refers elsewhere; a long text opening with 见 may still name a trade


@functools.cache
def _references() -> tuple[str, ...]:
    return tuple(normalize_text(str(w)) for w in _yaml("industry_refusals.yaml")["references"])


@functools.cache
def _yaml(name: str) -> Any:
    """A reference YAML file read with libyaml where it is installed (ten times faster than the
    pure-Python parser, and these are read at the first industry text)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with reference_path(name).open(encoding="utf-8") as f:
        return yaml.load(f, Loader=loader)


@functools.cache
def _placeholders() -> frozenset[str]:
    spec = _yaml("industry_refusals.yaml")
    return frozenset(normalize_text(str(w)) for w in spec["placeholders"]) - {""}


@functools.cache
def _letters() -> frozenset[str]:
    """Every character of a listed word, a division name or a number. Taken from the tables,
    not from :func:`_words`, so that most texts are passed without building the region index."""
    spec = _yaml("industry_refusals.yaml")
    regional = _yaml("region_aliases.yaml")
    words = [str(w) for field in _LISTS for w in spec[field]]
    words += [str(spec["function_chars"]), str(spec["surnames"])]
    words += [r["name"] for r in adcode_rows()]
    words += [str(name) for kind in ("former", "zones") for name in regional[kind]]
    return frozenset(normalize_text("".join(words)) + _NUMERALS)


def _cover(norm: str) -> set[str] | None:
    """The kinds of the words that together spell ``norm`` exactly (numbers count as
    records), or None if no such reading exists. Dynamic programming over positions."""
    if not set(norm) <= _letters():
        return None  # a character no listed word has: quick answer for most descriptions
    words, lengths = _words()
    n = len(norm)
    kinds: list[set[str] | None] = [None] * (n + 1)
    kinds[0] = set()
    for i in range(n):
        have = kinds[i]
        if have is None:
            continue
        steps: list[tuple[int, str]] = []
        if m := _NUMBER.match(norm, i):
            steps.append((m.end(), "record"))
        for length in lengths:
            if i + length <= n and (kind := words.get(norm[i : i + length])) is not None:
                steps.append((i + length, kind))
        for end, kind in steps:
            if kinds[end] is None:
                kinds[end] = have | {kind}
    return kinds[n]


def refusal(text: str, norm: str, known: Callable[[str], bool]) -> str | None:
    """The kind of non-industry text ``text`` is (``norm`` is its normalised form), or None.

    ``known`` says whether a normalised phrase is an official name or alias: Latin text is
    read only when every phrase of it is one.
    """
    if norm in _placeholders():  # N/A, none, 详见营业执照
        return "placeholder"
    if _DIGITS_AND_MARKS.fullmatch(norm) or _DIGITS_AND_MARKS.fullmatch(text.strip()):
        return "number"
    label = _LABELLED.match(text)
    if label and (kind := _words()[0].get(normalize_text(label.group(1)))) in ("record", "person"):
        return kind  # 微信号：wxid_…, 联系人：李女士, 注册资本：100万 — a field of the record, labelled
    if not _CJK.search(norm):
        phrases = split_phrases(text)
        return None if phrases and all(known(p) for p in phrases) else "latin"
    if len(norm) <= _REFERENCE_MAX and norm.startswith(_references()):
        return "placeholder"
    kinds = _cover(norm)
    if kinds is None:
        return "place" if _ADDRESS.fullmatch(norm) else None
    for kind in ("placeholder", "place", "person"):
        if kinds == {kind}:
            return kind
    if "place" in kinds and kinds <= {"place", "placeholder"}:
        return "place"
    return "record" if "record" in kinds else next(iter(sorted(kinds)), "placeholder")


@functools.cache
def _people() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(single-character surnames, two-character surnames, forms of address)."""
    spec = _yaml("industry_refusals.yaml")
    return (
        frozenset(str(spec["surnames"])),
        frozenset(map(str, spec["compound_surnames"])),
        frozenset(normalize_text(str(t)) for t in spec["titles"]),
    )


def person_like(norm: str) -> bool:
    """A surname with one or two more characters (张伟, 欧阳娜娜), or with a form of address
    (王先生, 张总). Only asked once no industry keyword was found in the text."""
    single, double, titles = _people()
    for size, surnames in ((2, double), (1, single)):
        if norm[:size] in surnames:
            rest = norm[size:]
            if rest in titles or (1 <= len(rest) <= 2 and all(_CJK.fullmatch(c) for c in rest)):
                return True
    return False
