"""《鼓励外商投资产业目录》: dated editions, business-scope matching, and the importer.

Editions live in ``rules/reference/catalogue/*.yaml`` (one file per edition, partial lists) and
in folders an advisor fills with ``policy-match catalogue import`` (full lists). An imported
edition with the same key replaces the bundled one. :func:`edition_in_force` picks the edition
whose dates in force contain the as-of date.

Matching (:func:`match_scope`) splits a business scope (经营范围) into clauses, drops boilerplate
(技术服务、技术开发…), pure trading clauses (…销售/批发/进出口 with nothing made) and exclusions in
brackets (不含…/须…), and scores every clause against the phrases of every applicable entry (the
entry text, its comma segments and its 、 items). Activity words at the ends (研发/生产/制造/服务/
经营…) are set aside so that the objects are compared. A clause scores the best of three
rapidfuzz measures, each 0–100:

* the clause's object inside an entry phrase (``partial_ratio``), extended over any modifier
  the entry puts in front of or after it — 「汽车零部件」 inside 「新能源汽车关键零部件」 is not
  a match, 「保健食品」 inside 「老年食品及保健食品」 is;
* the two objects as wholes (``ratio``);
* an entry phrase inside the clause, words the company inserted allowed (LCS coverage of the
  phrase times the square root of its compactness in the clause): 「集成电路设计」 in
  「集成电路芯片设计及服务」 scores 87.

An object shorter than four characters counts only when it appears whole (水产品 is not
产品), and an entry whose whole text is short (露营服务) is also compared as written.
Below :data:`MATCH_CUTOFF` nothing is returned. The cut-off and the scorer were chosen on
``tests/data/eval_catalogue.csv``; the batch path prefilters with ``process.cdist`` over
``LCSseq`` (bit-parallel, all cores), which bounds every one of the three scores from above,
and scores only the surviving pairs exactly.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import yaml

from matcher.errors import PolicyMatchError, pydantic_message
from matcher.lazy import lazy_pattern
from matcher.records import record
from matcher.reference.data import read_yaml, reference_path
from matcher.reference.resolution import normalize_text, split_phrases

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from matcher.reference.catalogue_models import EditionModel, Scope
else:
    from matcher.lazy import lazy_module

    np = lazy_module("numpy")
    from matcher.frame import pl


__all__ = [
    "MATCH_CUTOFF",
    "CatalogueEntry",
    "CatalogueError",
    "CatalogueMatch",
    "Edition",
    "catalogue_verdicts",
    "check_numbering",
    "edition_in_force",
    "editions",
    "match_scope",
    "match_scopes",
    "parse_official_text",
    "province_code",
    "scope_clauses",
    "with_known_details",
    "write_edition",
]

#: score (0–100) a clause needs before an entry is returned.
MATCH_CUTOFF = 80.0
_MIN_OBJECT = 3  # characters an object needs to be compared at all
_MIN_FUZZY = 4  # characters an object needs before a near miss (not only equality) counts
_MIN_PHRASE_IN_CLAUSE = 4  # characters an entry phrase needs to be looked for inside a clause
_CHUNK = 1024  # clauses per cdist call
_BUNDLED_DIR = "catalogue"


class CatalogueError(PolicyMatchError):
    """A catalogue file, an import or an argument is wrong; the message says which and why."""


# --------------------------------------------------------------------------- data classes


@record
class CatalogueEntry:
    edition: str
    number: str  # "85" (national) or "四川省 12" (regional), as in the official text
    text: str
    section: str  # 门类 heading, e.g. 制造业; the regional part's name for regional entries
    scope: Scope
    province: str | None  # adcode of the province (regional entries only)
    number_official: bool = True  # False: provisional number (暂N) of a partial bundled list
    subsection: str | None = None  # e.g. 汽车制造业

    def label(self, lang: str = "zh") -> str:
        """「第 85 条」, 「四川省第 12 条」, or the provisional number with a warning."""
        zh = lang != "en"
        if not self.number_official:
            return f"暂编号 {self.number}" if zh else f"provisional no. {self.number}"
        if self.scope == "regional" and " " in self.number:
            place, n = self.number.rsplit(" ", 1)
            return f"{place}第 {n} 条" if zh else f"{place} no. {n}"
        return f"第 {self.number} 条" if zh else f"no. {self.number}"


@record
class Edition:
    key: str
    title: str
    valid_from: dt.date
    valid_until: dt.date | None
    official_national: int | None
    official_regional: int | None
    entries: tuple[CatalogueEntry, ...]
    partial: bool  # fewer entries than the official totals
    authority: str = ""
    order: str | None = None
    regional_part: str = ""
    source: str = ""
    path: Path | None = field(default=None, compare=False)

    @property
    def national_count(self) -> int:
        return sum(e.scope == "national" for e in self.entries)

    @property
    def regional_count(self) -> int:
        return sum(e.scope == "regional" for e in self.entries)

    def in_force(self, as_of: dt.date) -> bool:
        return self.valid_from <= as_of and (self.valid_until is None or as_of <= self.valid_until)


@record
class CatalogueMatch:
    entry: CatalogueEntry
    score: float
    clause: str  # the clause of the business scope that matched, as written

    def explain(self, lang: str = "zh") -> str:
        """经营范围「…」匹配目录第 N 条「…」(相似度 87)."""
        text = _shorten(self.entry.text)
        if lang == "en":
            note = "" if self.entry.number_official else "; number not yet checked"
            return (
                f"business scope '{self.clause}' matches catalogue {self.entry.label('en')} "
                f"'{text}' (score {self.score:.0f}{note})"
            )
        if self.entry.number_official:
            return (
                f"经营范围「{self.clause}」匹配目录{self.entry.label()}「{text}」"
                f"(相似度 {self.score:.0f})"
            )
        return (
            f"经营范围「{self.clause}」匹配目录条目「{text}」"
            f"({self.entry.label()}，官方编号待核；相似度 {self.score:.0f})"
        )


def _shorten(text: str, limit: int = 60) -> str:
    flat = re.sub(r"\s+", "", text)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --------------------------------------------------------------------------- provinces


@functools.cache
def _provinces() -> dict[str, str]:
    """Province adcode → official name (34 rows of the 2024 table)."""
    from matcher.reference.regions import province_names  # its table, read once (issue 16)

    return province_names()


_PROVINCE_SUFFIX = lazy_pattern(r"(壮族自治区|回族自治区|维吾尔自治区|自治区|特别行政区|省|市)$")


@functools.cache
def _province_names() -> dict[str, str]:
    """Official and short province names → adcode (山西省 / 山西, 新疆维吾尔自治区 / 新疆)."""
    out: dict[str, str] = {}
    for code, name in _provinces().items():
        out[name] = code
        out[_PROVINCE_SUFFIX.sub("", name)] = code
    return out


def province_code(adcode: str | None) -> str | None:
    """The province of any adcode (first two digits + ``0000``); None for None.

    Raises :class:`CatalogueError` when the code is not a known 6-digit adcode's province.
    """
    if adcode is None:
        return None
    code = re.sub(r"\s", "", unicodedata.normalize("NFKC", str(adcode)))
    if not re.fullmatch(r"\d{6}", code) or code[:2] + "0000" not in _provinces():
        raise CatalogueError(
            f"「{adcode}」不是行政区划代码", "请写 6 位代码，如 510107（成都市武侯区）或 510000"
        )
    return code[:2] + "0000"


# --------------------------------------------------------------------------- loading


def _build_edition(m: EditionModel, path: Path | None, where: str) -> Edition:
    if m.valid_until is not None and m.valid_until < m.valid_from:
        raise CatalogueError(
            f"{where}：valid_until {m.valid_until} 早于 valid_from {m.valid_from}",
            "施行截止日应不早于施行起始日",
        )
    provinces = _provinces()
    entries: list[CatalogueEntry] = []
    seen: set[tuple[str, str | None, str]] = set()
    for i, e in enumerate(m.entries):
        at = f"{where}：entries[{i}]（{e.number}）"
        official = m.number_official if e.number_official is None else e.number_official
        if e.scope == "national" and e.province is not None:
            raise CatalogueError(
                f"{at} 是全国条目却写了 province", "删去 province，或改为 regional"
            )
        if e.scope == "regional":
            if e.province is None or e.province not in provinces:
                raise CatalogueError(
                    f"{at} 的 province「{e.province}」不是省级行政区划代码",
                    "地区条目要写省级代码，如 510000（四川省）",
                )
            name = provinces[e.province]
            if not e.number.startswith(name + " "):
                raise CatalogueError(
                    f"{at} 的编号应以「{name} 」开头", f"写成「{name} 12」这样的形式"
                )
        provisional = "暂" in e.number
        if official == provisional:
            raise CatalogueError(
                f"{at}：编号「{e.number}」与 number_official: {str(official).lower()} 不符",
                "暂编号写成“暂N”并设 number_official: false；官方编号不带“暂”",
            )
        ident = (e.scope, e.province, e.number)
        if ident in seen:
            raise CatalogueError(f"{at}：编号「{e.number}」重复", "同一部分内编号必须唯一")
        seen.add(ident)
        if not normalize_text(e.text):
            raise CatalogueError(f"{at}：条目文字为空")
        entries.append(
            CatalogueEntry(
                edition=m.key,
                number=e.number,
                text=" ".join(e.text.split()) if _mostly_ascii(e.text) else "".join(e.text.split()),
                section=e.section,
                scope=e.scope,
                province=e.province,
                number_official=official,
                subsection=e.subsection,
            )
        )
    return _edition(
        key=m.key,
        title=m.title,
        valid_from=m.valid_from,
        valid_until=m.valid_until,
        official_national=m.official_totals.national,
        official_regional=m.official_totals.regional,
        entries=tuple(entries),
        authority=m.authority,
        order=m.order,
        regional_part=m.regional_part,
        source=m.source,
        path=path,
    )


def _mostly_ascii(text: str) -> bool:
    return sum(c.isascii() for c in text) > len(text) / 2


def _edition(
    *,
    key: str,
    title: str,
    valid_from: dt.date,
    valid_until: dt.date | None,
    official_national: int | None,
    official_regional: int | None,
    entries: tuple[CatalogueEntry, ...],
    authority: str = "",
    order: str | None = None,
    regional_part: str = "",
    source: str = "",
    path: Path | None = None,
) -> Edition:
    n_nat = sum(e.scope == "national" for e in entries)
    n_reg = len(entries) - n_nat
    partial = (official_national is not None and n_nat < official_national) or (
        official_regional is not None and n_reg < official_regional
    )
    return Edition(
        key=key,
        title=title,
        valid_from=valid_from,
        valid_until=valid_until,
        official_national=official_national,
        official_regional=official_regional,
        entries=entries,
        partial=partial,
        authority=authority,
        order=order,
        regional_part=regional_part,
        source=source,
        path=path,
    )


def _load_file(path: Path) -> Edition:
    try:
        raw = read_yaml(path)  # a JSON copy once read (issue 16)
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(
            f"{path}：无法读取（{exc}）", "请确认文件存在且为 UTF-8 编码"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise CatalogueError(f"{where}：YAML 格式错误", "请检查缩进和引号") from None
    except ValueError as exc:  # PyYAML builds dates itself: 2022-02-30 raises here
        raise CatalogueError(f"{path}：有无法读取的值（{exc}）", "请检查其中的日期") from None
    if not isinstance(raw, dict):
        raise CatalogueError(f"{path}：不是目录版本文件（应为映射，含 key、title、entries）")
    # the models only on this path: a report restores validated editions (_edition_cache)
    from pydantic import ValidationError

    from matcher.reference.catalogue_models import EditionModel

    try:
        model = EditionModel.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"])
        loc = loc.replace(".[", "[")
        raise CatalogueError(
            f"{path}：{loc} {pydantic_message(err)}", "对照 rules/reference/catalogue/ 中的文件修改"
        ) from None
    return _build_edition(model, path, str(path))


@functools.cache
def _load_cached(path: Path, mtime_ns: int, bundled: bool = False) -> Edition:
    return _load_bundled(path) if bundled else _load_file(path)


def _load(path: Path, *, bundled: bool = False) -> Edition:
    # absolute, not resolve(): following links costs a stat per path component, per call
    return _load_cached(path.absolute(), path.stat().st_mtime_ns, bundled)


# A report validated the bundled editions at every start and built the three models'
# validators to do it (issue 16). A bundled edition once validated is kept pickled, keyed
# by the bytes of its file and of what validating it reads (the code, the province table);
# a warm run restores it without validation (the models are defer_build). Only a file of
# this user's own is read, and it may name no class but the edition records and dates
# (model_cache.read_own_pickle); anything else reads the YAML. Imported editions (user
# files) are always read and validated.
EDITION_CACHE_OFF_ENV = "POLICY_MATCH_NO_EDITION_CACHE"
_EDITION_FORMAT = "catalogue-edition-1"


def _edition_pickle(path: Path) -> Path | None:
    import os

    import pydantic

    from matcher.reference import data, model_cache, regions, resolution

    if os.environ.get(EDITION_CACHE_OFF_ENV):
        return None
    try:
        files = [
            path,
            Path(__file__),
            Path(data.__file__),
            Path(resolution.__file__),
            Path(regions.__file__),
            data.reference_path("adcodes_2024.csv"),
        ]
        extra = (_EDITION_FORMAT, pydantic.VERSION, yaml.__version__)
        key = model_cache.input_key(files, *extra)
        return model_cache.cache_dir() / f"catalogue-edition-{key[:32]}.pickle"
    except (OSError, RuntimeError):  # RuntimeError: no home folder to find the cache in
        return None


def _edition_unpickler() -> type[Any]:
    from matcher.reference.model_cache import unpickler_for

    return unpickler_for((Edition, CatalogueEntry), "a catalogue edition class")


def _read_edition(pickled: Path) -> Edition | None:
    from matcher.reference.model_cache import read_kept

    edition = read_kept(pickled, _EDITION_FORMAT, _edition_unpickler())
    if type(edition) is not Edition:
        return None
    if type(edition.entries) is not tuple or not all(
        type(e) is CatalogueEntry for e in edition.entries
    ):
        return None
    return edition


def _write_edition(pickled: Path, edition: Edition) -> None:
    """Atomically (without its path), and only if it restores equal."""
    import dataclasses
    import io
    import pickle

    from matcher.reference.model_cache import write_atomic

    bare = dataclasses.replace(edition, path=None)
    blob = pickle.dumps((_EDITION_FORMAT, pickled.stem, bare), protocol=5)
    try:
        again = _edition_unpickler()(io.BytesIO(blob)).load()[2]
    except Exception:
        return
    if again != bare or vars(again) != vars(bare):
        return

    def write(f: IO[Any]) -> None:
        f.write(blob)

    write_atomic(pickled, write, binary=True, keep=9)


def _load_bundled(path: Path) -> Edition:
    """A bundled edition, from its pickle when an earlier run validated these very bytes."""
    import dataclasses

    pickled = _edition_pickle(path)
    if pickled is not None:
        kept = _read_edition(pickled)
        if kept is not None:
            return dataclasses.replace(kept, path=path)
    edition = _load_file(path)
    if pickled is not None:
        _write_edition(pickled, edition)
    return edition


def _yaml_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix in {".yaml", ".yml"} and p.is_file())


def editions(extra_dirs: Sequence[Path] = ()) -> list[Edition]:
    """Bundled editions plus those in ``extra_dirs``, ordered by date in force.

    An edition from ``extra_dirs`` replaces a bundled one with the same key (later folders
    win over earlier ones).
    """
    by_key: dict[str, Edition] = {}
    for path in _yaml_files(reference_path(_BUNDLED_DIR)):
        ed = _load(path, bundled=True)
        by_key[ed.key] = ed
    for folder in extra_dirs:
        folder = Path(folder)
        if not folder.is_dir():
            raise CatalogueError(
                f"目录文件夹「{folder}」不存在",
                "先用 policy-match catalogue import 导入，或检查 --catalogue 路径",
            )
        for path in _yaml_files(folder):
            ed = _load(path)
            by_key[ed.key] = ed
    return sorted(by_key.values(), key=lambda e: (e.valid_from, e.key))


CATALOGUE_ENV = "POLICY_MATCH_CATALOGUE"


def catalogue_dirs() -> tuple[Path, ...]:
    """Folders of imported editions used when rules are evaluated: the environment
    variable POLICY_MATCH_CATALOGUE (paths joined by os.pathsep), set by `--catalogue`."""
    import os

    value = os.environ.get(CATALOGUE_ENV, "")
    return tuple(Path(p) for p in value.split(os.pathsep) if p)


# (date, folders) → edition in force, once pin_editions() is called; None: files read each time.
_pinned: dict[tuple[dt.date, tuple[Path, ...]], Edition | None] | None = None


def pin_editions() -> None:
    """For a process whose catalogue files do not change while it runs (the web service,
    which also remembers outcomes): each date's edition is looked up once, instead of the
    folders being listed and each file's time checked for every scope evaluated."""
    global _pinned
    if _pinned is None:
        _pinned = {}


def edition_in_force(as_of: dt.date, extra_dirs: Sequence[Path] = ()) -> Edition | None:
    """The edition in force on ``as_of`` (the latest to start, if dates overlap), else None."""
    key = (as_of, tuple(extra_dirs))
    if _pinned is not None and key in _pinned:
        return _pinned[key]
    current = [e for e in editions(extra_dirs) if e.in_force(as_of)]
    found = max(current, key=lambda e: e.valid_from) if current else None
    if _pinned is not None:
        if len(_pinned) >= 4096:  # dates come from requests
            _pinned.clear()
        _pinned[key] = found
    return found


# --------------------------------------------------------------------------- text handling

# Words that name an activity rather than what it is done to; set aside at the ends.
_ACT_TAIL = lazy_pattern(
    r"(的研发|研发|研制|的开发|开发|的生产|生产|制造|加工|种植|养殖|开采|服务|经营|运营|建设|应用|"
    r"及其|以及|的|与|和|及|等)$"
)
_ACT_HEAD = lazy_pattern(r"^(从事|提供|开展|承接|各类|相关|其他|以及|及|和|的)")
_SYNONYMS = (("研究开发", "研发"), ("锂电池", "锂离子电池"))
# Inside an entry phrase, these end a modifier: 「老年食品及保健食品」 — 保健食品 has none.
_MODIFIER_BREAK = lazy_pattern(r"[及和与或等的]")

# Shared with the polars clause extraction (scope_clauses), so spelled for both regex engines.
# Whitespace as Python's \s and str.strip() see it (str.isspace); Rust's \s lacks \x1c-\x1f.
_SPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_EXCLUSION_WORDS = "不含|不包括|除|须|需|依法|限|仅限|涉及|不涉及|不得|凭|经|具体|以|无"
_LIST_MARKS = "、,，;；"  # a bracket listing things keeps them as clauses
_SEPARATORS = rf"；;，,、。：:{_SPACE}"
_EXCLUSION = lazy_pattern(rf"^({_EXCLUSION_WORDS})")
_BRACKET = re.compile(r"[(（]([^()（）]*)[)）]")
_LIST_MARK = lazy_pattern(rf"[{_LIST_MARKS}]")
_CLAUSE_SPLIT = re.compile(rf"[{_SEPARATORS}]+")
_BOILERPLATE = re.compile(
    r"依法|批准|营业执照|许可证件|审批结果|经营项目以|自主开展|许可项目|一般项目|经营范围|"
    r"除许可业务外|可自主依法"
)
_TRADE = re.compile(r"销售|批发|零售|进出口|贸易|收购|经销|代销|代理|采购")
_MAKE = lazy_pattern(r"生产|制造|加工|研发|研制|开发|设计|种植|养殖|繁育|建设|运营|培训|服务")
_STOP_CLAUSES = frozenset(
    normalize_text(s)
    for s in [
        "技术服务",
        "技术开发",
        "技术咨询",
        "技术交流",
        "技术转让",
        "技术推广",
        "技术进出口",
        "货物进出口",
        "进出口代理",
        "生产",
        "销售",
        "研发",
        "制造",
        "加工",
        "设计",
        "服务",
        "咨询",
        "信息咨询服务",
        "咨询服务",
        "企业管理咨询",
        "企业管理",
        "会议及展览服务",
        "市场营销策划",
        "社会经济咨询服务",
        "信息技术咨询服务",
    ]
)


# Entry items too general to stand for the entry on their own (高新技术、新产品开发与企业孵化中心).
_GENERIC_PHRASES = frozenset(
    normalize_text(s)
    for s in [
        "高新技术",
        "新技术",
        "高技术",
        "关键零部件",
        "关键部件",
        "零部件",
        "新产品",
        "产品",
        "技术",
        "设备",
        "绿色",
        "相关产品",
    ]
)


def _canon(norm: str) -> str:
    for a, b in _SYNONYMS:
        norm = norm.replace(a, b)
    return norm


def _object(norm: str) -> str:
    """The thing an activity is about: 「集成电路芯片设计及服务」 → 「集成电路芯片设计」."""
    prev = None
    while prev != norm:
        prev = norm
        norm = _ACT_HEAD.sub("", _ACT_TAIL.sub("", norm))
    return norm


def _clauses(scope: str) -> list[tuple[str, str]]:
    """(clause as written, normalised clause) for the clauses worth matching, in order."""
    text = unicodedata.normalize("NFKC", scope)

    def bracket(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        # An exclusion or a short qualifier (预包装) goes; a list inside brackets is kept as
        # clauses of its own: 汽车电子产品制造（车载导航、车身电子控制系统）.
        if _EXCLUSION.match(inner) or not _LIST_MARK.search(inner):
            return ""
        return "；" + inner + "；"

    prev = None
    while prev != text:
        prev, text = text, _BRACKET.sub(bracket, text)
    out: list[tuple[str, str]] = []
    for raw in _CLAUSE_SPLIT.split(text):
        raw = raw.strip()
        norm = _clause_norm(raw)
        if norm is not None:
            out.append((raw, norm))
    return out


def _clause_norm(raw: str) -> str | None:
    """The normalised clause, or None for one not worth matching."""
    norm = _canon(normalize_text(raw))
    if len(norm) < _MIN_OBJECT or norm in _STOP_CLAUSES or _BOILERPLATE.search(norm):
        return None
    if _TRADE.search(norm) and not _MAKE.search(norm):
        return None  # selling or importing something is not making it
    return norm


def _entry_phrases(text: str) -> list[str]:
    """Normalised phrases of an entry: the whole text, its segments and its 、 items."""
    nfkc = unicodedata.normalize("NFKC", text)
    phrases = {normalize_text(nfkc)}
    for seg in re.split(r"[，,；;：:。]+|\.{2,}|…+", nfkc):
        phrases.add(normalize_text(seg))
        # Bracketed words qualify the noun before them (电子控制系统的输入（传感器…）): they
        # stay in the segment but are not items of their own, unless they list members of
        # it (蔬菜（含食用菌、西甜瓜）).
        members = [m.group(2) for m in re.finditer(r"[(（](含|包括)([^()（）]*)[)）]", seg)]
        prev = None
        while prev != seg:
            prev, seg = seg, _BRACKET.sub("", seg)
        for part in (seg, *members):
            phrases.update(split_phrases(part))
    return [_canon(p) for p in phrases if p and p not in _GENERIC_PHRASES]


# --------------------------------------------------------------------------- scoring


def _compact_containment(needle: str, hay: str) -> float:
    """How fully ``needle`` appears in ``hay`` in order, gaps in ``hay`` allowed (0–100)."""
    from rapidfuzz.distance import LCSseq  # on first use (issue 16)

    blocks = [op for op in LCSseq.opcodes(needle, hay) if op.tag == "equal"]
    if not blocks:
        return 0.0
    common = sum(op.src_end - op.src_start for op in blocks)
    span = blocks[-1].dest_end - blocks[0].dest_start
    return 100.0 * common / len(needle) * math.sqrt(common / span)


def _inside_entry(obj: str, pobj: str) -> float:
    """The clause's object inside an entry phrase, counting any modifier around it there."""
    from rapidfuzz import fuzz  # on first use (issue 16)

    al = fuzz.partial_ratio_alignment(obj, pobj)
    if al is None or al.score == 0:
        return 0.0
    if len(obj) < _MIN_FUZZY and (al.score < 100 or al.dest_end - al.dest_start < len(obj)):
        return 0.0  # a short object must appear whole: 水产品 is not 产品
    start, end = al.dest_start, al.dest_end
    breaks = [m.end() for m in _MODIFIER_BREAK.finditer(pobj, 0, start)]
    lo = breaks[-1] if breaks else 0
    after = _MODIFIER_BREAK.search(pobj, end)
    hi = after.start() if after else len(pobj)
    whole = al.src_start == 0 and al.src_end == len(obj)
    if whole and lo == start and hi == end:
        return float(al.score)
    window = fuzz.ratio(obj, pobj[lo:hi])
    return min(float(al.score), window) if whole else window


def _pair_score(clause: str, obj: str, pobj: str) -> float:
    from rapidfuzz import fuzz  # on first use (issue 16)

    best = 0.0
    if len(obj) >= _MIN_OBJECT:
        if obj == pobj:
            return 100.0
        if len(obj) >= _MIN_FUZZY:
            best = fuzz.ratio(obj, pobj)
        if len(obj) <= len(pobj):
            best = max(best, _inside_entry(obj, pobj))
    if _MIN_PHRASE_IN_CLAUSE <= len(pobj) <= len(clause):
        best = max(best, _compact_containment(pobj, clause))
    return best


class _Index:
    """An edition's entry phrases, made on first use: a report whose clauses were all scored
    before (the disk memo) needs none of them (issue 16)."""

    __slots__ = ("_tables", "edition")

    def __init__(self, edition: Edition) -> None:
        self.edition = edition
        self._tables: tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]] | None = None

    def _made(self) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
        if self._tables is None:
            self._tables = _phrase_tables(self.edition)
        return self._tables

    @property
    def phrases(self) -> tuple[str, ...]:
        """Phrase objects, deduplicated per entry."""
        return self._made()[0]

    # tuples: building the index must not import numpy (a one-profile report)
    @property
    def owner(self) -> tuple[int, ...]:
        """Entry index of each phrase."""
        return self._made()[1]

    @property
    def lengths(self) -> tuple[int, ...]:
        """len of each phrase object."""
        return self._made()[2]


def _build_index(edition: Edition) -> _Index:
    return _Index(edition)


def _phrase_tables(edition: Edition) -> tuple[tuple[str, ...], tuple[int, ...], tuple[int, ...]]:
    phrases: list[str] = []
    owner: list[int] = []
    for i, entry in enumerate(edition.entries):
        objs = {_object(p) for p in _entry_phrases(entry.text)}
        whole = _canon(normalize_text(entry.text))
        if 2 <= len(_object(whole)) < _MIN_OBJECT:
            objs.add(whole)  # a short entry (露营服务) is compared as written
        for o in sorted(objs):
            if len(o) >= _MIN_OBJECT:
                phrases.append(o)
                owner.append(i)
    return tuple(phrases), tuple(owner), tuple(len(p) for p in phrases)


_INDEXES: dict[int, _Index] = {}
_CLAUSE_CACHE: dict[tuple[int, str], tuple[tuple[int, float], ...]] = {}
_CACHE_MAX = 500_000


def _index(edition: Edition) -> _Index:
    idx = _INDEXES.get(id(edition))
    if idx is None or idx.edition is not edition:
        if len(_INDEXES) > 64:
            _INDEXES.clear()
            _CLAUSE_CACHE.clear()
        idx = _build_index(edition)
        _INDEXES[id(edition)] = idx
    return idx


def _score_clauses(idx: _Index, clauses: Sequence[str]) -> dict[str, tuple[tuple[int, float], ...]]:
    """Entry scores (entry index, score ≥ cutoff) of each clause; cached per clause."""
    key = id(idx.edition)
    if _MEMO_ON and key not in _memo:
        _load_memo(idx.edition)
    out: dict[str, tuple[tuple[int, float], ...]] = {}
    pending = []
    for c in dict.fromkeys(clauses):
        hit = _CLAUSE_CACHE.get((key, c))
        if hit is None:
            pending.append(c)
        else:
            out[c] = hit
    if pending and idx.phrases:
        from rapidfuzz import process  # on first use: clauses seen before need none (issue 16)
        from rapidfuzz.distance import LCSseq

        cut = MATCH_CUTOFF / 100.0
        loose = cut / (2.0 - cut)  # partial_ratio may align a shorter window at the ends
        for start in range(0, len(pending), _CHUNK):
            chunk = pending[start : start + _CHUNK]
            objs = [_object(c) for c in chunk]
            # threads pay off for many clauses; one web request's few cost 4x more with them
            workers = -1 if len(chunk) >= 64 else 1
            lcs_obj = process.cdist(objs, idx.phrases, scorer=LCSseq.similarity, workers=workers)
            lcs_cl = process.cdist(chunk, idx.phrases, scorer=LCSseq.similarity, workers=workers)
            olen = np.asarray([len(o) for o in objs])[:, None]
            clen = np.asarray([len(c) for c in chunk])[:, None]
            plen = np.asarray(idx.lengths, dtype=np.int64)[None, :]
            maybe = (olen >= _MIN_OBJECT) & (lcs_obj >= loose * np.minimum(olen, plen))
            maybe |= (plen >= _MIN_PHRASE_IN_CLAUSE) & (plen <= clen) & (lcs_cl >= cut * plen)
            rows, cols = np.nonzero(maybe)
            best: list[dict[int, float]] = [{} for _ in chunk]
            for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
                s = _pair_score(chunk[row], objs[row], idx.phrases[col])
                if s >= MATCH_CUTOFF:
                    e = int(idx.owner[col])
                    if s > best[row].get(e, 0.0):
                        best[row][e] = s
            for c, b in zip(chunk, best, strict=True):
                res = tuple(sorted(b.items(), key=lambda kv: (-kv[1], kv[0])))
                if len(_CLAUSE_CACHE) >= _CACHE_MAX:
                    _CLAUSE_CACHE.clear()
                _CLAUSE_CACHE[(key, c)] = res
                out[c] = res
    for c in pending:
        out.setdefault(c, ())
    if _MEMO_ON and pending:
        _save_memo(idx.edition, {c: out[c] for c in pending})
    return out


# A one-profile report (matcher/single.py) keeps the clause scores in a JSON file per
# edition, so that a scope seen before needs neither numpy nor cdist. Keyed by the
# edition's entries, the code that scores them and rapidfuzz's version.
_MEMO_ON = False
_MEMO_KEEP = 20_000  # clauses kept per edition, newest last
_memo: dict[int, dict[str, tuple[tuple[int, float], ...]]] = {}


def use_disk_memo() -> None:
    """Read and write clause scores on disk from now on (one-profile runs only)."""
    global _MEMO_ON
    _MEMO_ON = True


def _memo_path(edition: Edition) -> Path:
    from matcher.reference import model_cache, resolution

    texts = "\n".join(f"{e.number}\t{e.province}\t{e.text}" for e in edition.entries)
    key = model_cache.input_key(
        [Path(__file__), Path(resolution.__file__), model_cache.library_file("rapidfuzz")],
        edition.key,
        texts,
    )
    return model_cache.cache_dir() / f"catalogue-clauses-{key[:20]}.json"


def _load_memo(edition: Edition) -> None:
    import json

    known = _memo.setdefault(id(edition), {})
    try:
        data = json.loads(_memo_path(edition).read_text(encoding="utf-8"))
        for clause, pairs in data.items():
            known[clause] = tuple((int(e), float(s)) for e, s in pairs)
    except (OSError, RuntimeError, ValueError, TypeError, AttributeError):
        return  # RuntimeError: no home folder to find the cache in
    for clause, res in known.items():
        _CLAUSE_CACHE.setdefault((id(edition), clause), res)


def _save_memo(edition: Edition, new: dict[str, tuple[tuple[int, float], ...]]) -> None:
    import json

    from matcher.reference.model_cache import KEEP, write_atomic

    known = _memo.setdefault(id(edition), {})
    known.update(new)
    kept = dict(list(known.items())[-_MEMO_KEEP:])
    try:
        target = _memo_path(edition)
    except (OSError, RuntimeError):  # RuntimeError: no home folder to find the cache in
        return
    write_atomic(target, lambda f: json.dump(kept, f, ensure_ascii=False), keep=KEEP)


def _rank(
    idx: _Index,
    clauses: list[tuple[str, str]],
    scores: dict[str, tuple[tuple[int, float], ...]],
    province: str | None,
    k: int,
) -> list[CatalogueMatch]:
    best: dict[int, tuple[float, int, str]] = {}
    entries = idx.edition.entries
    for pos, (raw, norm) in enumerate(clauses):
        for e, s in scores.get(norm, ()):
            entry = entries[e]
            if entry.scope == "regional" and entry.province != province:
                continue
            prev = best.get(e)
            if prev is None or s > prev[0]:
                best[e] = (s, pos, raw)
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[1][1], kv[0]))
    return [
        CatalogueMatch(entries[e], round(s, 1), raw) for e, (s, _pos, raw) in ranked[: max(k, 0)]
    ]


def match_scope(
    scope: str, province: str | None, edition: Edition, k: int = 3
) -> list[CatalogueMatch]:
    """The top ``k`` entries of ``edition`` that a business scope falls under, best first.

    National entries always apply; regional entries only for the province of ``province`` (any
    adcode: its first two digits + ``0000``). An empty list means no clause reached
    :data:`MATCH_CUTOFF` — with a partial edition that is not evidence of "not encouraged".
    """
    prov = province_code(province)
    idx = _index(edition)
    clauses = _clauses(scope or "")
    scores = _score_clauses(idx, [n for _, n in clauses])
    return _rank(idx, clauses, scores, prov, k)


def match_scopes(
    pairs: Iterable[tuple[str, str | None]], edition: Edition, k: int = 3
) -> dict[tuple[str, str | None], list[CatalogueMatch]]:
    """:func:`match_scope` for many (scope, province adcode) pairs; each distinct pair once,
    each distinct clause scored once over all of them (``cdist`` prefilter on all cores)."""
    distinct = list(dict.fromkeys((s or "", p) for s, p in pairs))
    idx = _index(edition)
    split = {s: _clauses(s) for s in dict.fromkeys(s for s, _ in distinct)}
    provs = {p: province_code(p) for p in dict.fromkeys(p for _, p in distinct)}
    scores = _score_clauses(idx, [n for cl in split.values() for _, n in cl])
    return {(s, p): _rank(idx, split[s], scores, provs[p], k) for s, p in distinct}


# --------------------------------------------------------------------------- batch verdicts

# _clauses as polars regexes: innermost brackets, then the three things that become of them.
_PL_INNERMOST = r"[(（][^()（）]*[)）]"
# One pass first marks the innermost brackets with two private-use characters, then decides
# each marked one; deciding on brackets directly would let a bracket removed early in the pass
# expose its outer bracket to a later replacement of the same pass, as Python never does.
_OPEN, _CLOSE = "\ue000", "\ue001"
_PL_MARKED = rf"{_OPEN}([^{_OPEN}{_CLOSE}]*){_CLOSE}"
_PL_NO_LIST = rf"{_OPEN}[^{_OPEN}{_CLOSE}{_LIST_MARKS}]*{_CLOSE}"
_PL_EXCLUDED = rf"{_OPEN}[{_SPACE}]*(?:{_EXCLUSION_WORDS})[^{_OPEN}{_CLOSE}]*{_CLOSE}"
_PL_PIECE = rf"[^{_SEPARATORS}]+"
_NATIONAL = "*"  # where a national entry applies (province codes are digits)
_NORMS: dict[str, str | None] = {}  # raw clause → _clause_norm, across calls


@functools.cache
def _unassigned() -> str:
    """A regex class of the characters this Python's Unicode tables leave unassigned.

    polars may know newer Unicode (NFKC maps some of them); such scopes go through _clauses.
    """
    ranges: list[tuple[int, int]] = []
    for c in range(0x110000):
        if unicodedata.category(chr(c)) == "Cn":
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1] = (ranges[-1][0], c)
            else:
                ranges.append((c, c))
    return "[" + "".join(rf"\x{{{a:x}}}-\x{{{b:x}}}" for a, b in ranges) + "]"


def _clause_norms(raws: list[str]) -> list[str | None]:
    """:func:`_clause_norm` of each distinct raw clause, remembered across calls."""
    if len(_NORMS) + len(raws) > _CACHE_MAX:
        _NORMS.clear()
    out = []
    for raw in raws:
        if raw not in _NORMS:
            _NORMS[raw] = _clause_norm(raw)
        out.append(_NORMS[raw])
    return out


def _clause_frame(scopes: pl.Series) -> pl.DataFrame:
    """(``i``, ``clause``): the normalised clauses of ``scopes[i]``, as
    ``[n for _, n in _clauses(scope)]``; in order within a scope, scopes in no set order."""
    text = pl.col("text")
    frame = pl.DataFrame({"text": scopes.cast(pl.String)}).with_row_index("i")
    frame = frame.filter(text.is_not_null())
    # text the marks could be confused with goes the Python way too
    newer = frame.get_column("text").str.contains(f"{_unassigned()}|[{_OPEN}{_CLOSE}]")
    fallback = frame.filter(newer)
    frame = frame.filter(~newer).with_columns(text.str.normalize("NFKC"))
    # Python replaces the innermost brackets until nothing changes; one bracket's fate
    # depends only on its text once its inner brackets are gone, so the order of passes
    # is free. Only rows that still hold one are rewritten.
    done = []
    while True:
        nested = text.str.contains(_PL_INNERMOST)
        done.append(frame.filter(~nested))
        frame = frame.filter(nested)
        if frame.is_empty():
            break
        frame = frame.with_columns(
            text.str.replace_all(_BRACKET.pattern, f"{_OPEN}${{1}}{_CLOSE}")
            .str.replace_all(_PL_NO_LIST, "")
            .str.replace_all(_PL_EXCLUDED, "")
            .str.replace_all(_PL_MARKED, "；${1}；")
        )
    pieces = (
        pl.concat(done)
        .select("i", text.str.extract_all(_PL_PIECE).alias("raw"))
        .explode("raw")
        .drop_nulls("raw")
    )
    raws = pieces.get_column("raw").unique()
    norms = pl.DataFrame(
        {"raw": raws, "clause": _clause_norms(raws.to_list())},
        schema={"raw": pl.String, "clause": pl.String},
    )
    out = (
        pieces.join(norms, on="raw", how="left", maintain_order="left")
        .drop_nulls("clause")
        .select("i", "clause")
    )
    if not fallback.is_empty():
        rows = [(i, norm) for i, scope in fallback.iter_rows() for _, norm in _clauses(scope)]
        extra = pl.DataFrame(rows, schema=out.schema, orient="row")
        out = pl.concat([out, extra])
    return out


def scope_clauses(scopes: pl.Series) -> pl.Series:
    """The normalised clauses of each business scope, ``[n for _, n in _clauses(s)]``,
    worked out in polars and once per distinct clause; null for a null scope."""
    clauses = _clause_frame(scopes).group_by("i", maintain_order=True).agg("clause")
    index = pl.DataFrame({"i": pl.arange(0, len(scopes), dtype=pl.UInt32, eager=True)})
    joined = index.join(clauses, on="i", how="left", maintain_order="left")
    lists = joined.get_column("clause").fill_null(pl.lit([], dtype=pl.List(pl.String)))
    return (
        pl.select(pl.when(scopes.is_null()).then(None).otherwise(lists))
        .to_series()
        .alias(scopes.name)
    )


def catalogue_verdicts(scopes: pl.Series, provinces: pl.Series, edition: Edition) -> pl.Series:
    """The ``in_catalogue`` verdict of each (business scope, province adcode) pair.

    True when some clause reaches :data:`MATCH_CUTOFF` against a national entry or a
    regional entry of the province — the pairs for which :func:`match_scopes` finds
    anything; else False against a complete edition and None (unknown) against a partial
    one. Clauses are split and scored once per distinct clause, not per scope.
    """
    idx = _index(edition)
    miss = None if edition.partial else False
    pairs = pl.DataFrame(
        {"scope": scopes.cast(pl.String).fill_null(""), "region": provinces.cast(pl.String)}
    )
    regions = pairs.get_column("region").unique()
    # province_code also refuses a code that is not an adcode, as match_scopes does.
    province = pl.DataFrame(
        {"region": regions, "province": [province_code(r) for r in regions.to_list()]},
        schema={"region": pl.String, "province": pl.String},
    )
    distinct = pairs.get_column("scope").unique()
    clauses = _clause_frame(distinct)
    norms = clauses.get_column("clause").unique().to_list()
    scores = _score_clauses(idx, norms)
    entries = edition.entries
    hits = [
        (norm, _NATIONAL if entries[e].scope == "national" else entries[e].province)
        for norm in norms
        for e, _ in scores.get(norm, ())
    ]
    where = pl.DataFrame(hits, schema={"clause": pl.String, "where": pl.String}, orient="row")
    # Distinct (scope, where a hit applies); "where" is _NATIONAL or a province.
    found = (
        clauses.join(where.unique(), on="clause")
        .select("i", "where")
        .unique()
        .join(pl.DataFrame({"scope": distinct}).with_row_index("i"), on="i")
    )
    national = found.filter(pl.col("where") == _NATIONAL).select("scope", national=True)
    regional = found.filter(pl.col("where") != _NATIONAL).select(
        "scope", province="where", regional=True
    )
    out = (
        pairs.join(province, on="region", how="left", nulls_equal=True, maintain_order="left")
        .join(national, on="scope", how="left", maintain_order="left")
        .join(regional, on=["scope", "province"], how="left", maintain_order="left")
        .select(
            pl.when(pl.col("national") | pl.col("regional"))
            .then(True)
            .otherwise(pl.lit(miss, dtype=pl.Boolean))
            .alias("verdict")
        )
    )
    return out.get_column("verdict")


# --------------------------------------------------------------------------- importer

_CN_NUM = "一二三四五六七八九十"
_PART_NATIONAL = lazy_pattern(r"全国鼓励外商投资产业目录")
_PART_REGIONAL = lazy_pattern(r"外商投资优势产业目录")
_SECTION = lazy_pattern(rf"^[{_CN_NUM}]+\s*[、.．]\s*(\S.*)$")
_SUBSECTION = lazy_pattern(rf"^[(（]\s*[{_CN_NUM}]+\s*[)）]\s*(\S.*)$")
_ENTRY = lazy_pattern(r"^(\d{1,4})\s*(?:[.．、](?!\d)|\s)\s*(.*)$")
# Full-width digits, letters and spaces become ASCII; Chinese punctuation stays as printed.
_LIGHT = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF5B) if chr(c - 0xFEE0).isalnum()}
_LIGHT[0x3000] = 0x20
_JUNK = (
    lazy_pattern(r"^[-—–~_－\s]*\d{1,4}[-—–~_－\s]*$"),  # page number: 12, - 12 -, — 12 —
    lazy_pattern(r"^第\s*\d+\s*页(\s*[/,，]?\s*共\s*\d+\s*页)?$"),  # 第 3 页 共 40 页
    lazy_pattern(r"^\d+\s*/\s*\d+$"),  # 3/40
    lazy_pattern(r"^[-—–_=·.．－\s]{3,}$"),  # rules
)
_NOTE = lazy_pattern(r"^(注|说明|备注)\s*[:：]")
_MAX_GAP = 3  # an entry number may skip this many lost entries; beyond, it is text


def _is_junk(line: str) -> bool:
    if any(p.match(line) for p in _JUNK):
        return True
    # A repeated page header: the title, without being a part heading.
    return "鼓励外商投资产业目录" in line and len(line) <= 40 and not _PART_NATIONAL.search(line)


def _province_heading(line: str) -> str | None:
    name = re.sub(r"\s+", "", line)
    name = re.sub(r"[(（][^()（）]*[)）]$", "", name)  # 新疆维吾尔自治区（含新疆生产建设兵团）
    name = unicodedata.normalize("NFKC", name)
    return _province_names().get(name)


def _join(a: str, b: str) -> str:
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return a + " " + b
    return a + b


def parse_official_text(
    text: str, key: str, title: str, valid_from: dt.date, valid_until: dt.date | None
) -> Edition:
    """Read the official numbered text of an edition, as pasted from the PDF.

    Recognises the two parts (全国鼓励外商投资产业目录 / 中西部地区外商投资优势产业目录), the
    门类 headings (三、制造业) and sub-headings ((二十一)汽车制造业), province headings in the
    regional part (山西省, 新疆维吾尔自治区（含新疆生产建设兵团）) and numbered entries
    (「85．…」「85.…」「85、…」). Page numbers, repeated page headers and rules are dropped; a
    line that starts no entry continues the previous one. A number is taken as a new entry only
    when it follows the previous one (up to three lost entries may be skipped), so 「0.11微米…」 at
    the start of a wrapped line stays text. Everything before the first heading (the order that
    publishes the catalogue) is ignored. Official totals are left unknown.
    """
    if valid_until is not None and valid_until < valid_from:
        raise CatalogueError(f"施行截止日 {valid_until} 早于起始日 {valid_from}")
    reading = _Reading()
    for raw in text.splitlines():
        line = raw.translate(_LIGHT).strip()
        if not line or _is_junk(line) or _read_heading(reading, line):
            continue
        _read_entry(reading, line)
    entries = _imported_entries(reading.rows, key)
    if not entries:
        raise CatalogueError(
            "没有读到任何编号条目",
            "请粘贴目录正文（含「一、农、林、牧、渔业」等标题和「1．…」编号条目）",
        )
    return _edition(
        key=key,
        title=title,
        valid_from=valid_from,
        valid_until=valid_until,
        official_national=None,
        official_regional=None,
        entries=tuple(entries),
        regional_part=reading.regional_name if any(e.scope == "regional" for e in entries) else "",
        source="从官方文本导入（policy-match catalogue import）",
    )


@dataclass
class _Reading:
    """Where :func:`parse_official_text` is in the text, and the entries read so far."""

    part: str | None = None  # "national", "regional", or None before the first heading
    regional_name: str = "中西部地区外商投资优势产业目录"
    section: str = ""
    subsection: str | None = None
    province: str | None = None  # the adcode of the province heading in the regional part
    last: dict[str | None, int] = field(default_factory=dict)  # province → last entry number
    rows: list[dict[str, Any]] = field(default_factory=list)
    current: dict[str, Any] | None = None  # the entry a continuation line is added to


def _read_heading(r: _Reading, line: str) -> bool:
    """Whether ``line`` is a heading — a part, a province (outside the national part), a
    门类 (outside the regional part), a sub-heading (in the national part) — or a note; if so,
    ``r`` moves there and no entry is open any more."""
    if _PART_NATIONAL.search(line) and len(line) <= 40:
        r.part, r.province, r.current = "national", None, None
    elif _PART_REGIONAL.search(line) and len(line) <= 40:
        r.part, r.province, r.current = "regional", None, None
        r.regional_name = re.sub(rf"^[{_CN_NUM}]+\s*[、.．]\s*", "", line)
    elif r.part != "national" and (code := _province_heading(line)) is not None:
        r.part, r.province, r.current = "regional", code, None
    elif r.part != "regional" and (m := _SECTION.match(line)):
        r.part, r.section, r.subsection, r.current = "national", m.group(1).strip(), None, None
    elif r.part == "national" and (m := _SUBSECTION.match(line)):
        r.subsection, r.current = m.group(1).strip(), None
    elif _NOTE.match(line):
        r.current = None
    else:
        return False
    return True


def _read_entry(r: _Reading, line: str) -> None:
    """A numbered line starts a new entry when a part (and in the regional part a province)
    is open and its number follows the last one, skipping at most :data:`_MAX_GAP`; any other
    line continues the open entry, if there is one."""
    m = _ENTRY.match(line)
    scope_key = r.province if r.part == "regional" else None
    if m and r.part is not None and (r.part == "national" or r.province is not None):
        n = int(m.group(1))
        prev = r.last.get(scope_key, 0)
        if prev < n <= prev + 1 + _MAX_GAP:
            r.last[scope_key] = n
            national = r.part == "national"
            r.current = {
                "n": n,
                "text": m.group(2).strip(),
                "scope": r.part,
                "province": r.province,
                "section": r.section if national else r.regional_name,
                "subsection": r.subsection if national else None,
            }
            r.rows.append(r.current)
            return
    if r.current is not None:
        r.current["text"] = _join(r.current["text"], line)


def _imported_entries(rows: Sequence[dict[str, Any]], key: str) -> list[CatalogueEntry]:
    """The entries read, numbered as printed (a regional one after its province's name);
    an entry left without text is dropped."""
    provinces = _provinces()
    entries = []
    for r in rows:
        body = r["text"].strip()
        if not body:
            continue
        number = str(r["n"]) if r["scope"] == "national" else f"{provinces[r['province']]} {r['n']}"
        entries.append(
            CatalogueEntry(
                edition=key,
                number=number,
                text=body,
                section=r["section"],
                scope=r["scope"],
                province=r["province"],
                number_official=True,
                subsection=r["subsection"],
            )
        )
    return entries


def with_known_details(imported: Edition, known: Edition, source: str = "") -> Edition:
    """An imported edition completed with what a bundled file knows about the same edition:
    the official totals, issuing authority, order number and the regional part's name."""
    return _edition(
        key=imported.key,
        title=imported.title,
        valid_from=imported.valid_from,
        valid_until=imported.valid_until,
        official_national=known.official_national,
        official_regional=known.official_regional,
        entries=imported.entries,
        authority=known.authority,
        order=known.order,
        regional_part=imported.regional_part or known.regional_part,
        source=source or imported.source,
    )


def check_numbering(edition: Edition) -> list[str]:
    """Gaps in the numbering (national 1…N, each province 1…n): entries the import lost."""
    problems = []
    groups: dict[str | None, list[int]] = {}
    for e in edition.entries:
        if not e.number_official:
            continue
        n = e.number.rsplit(" ", 1)[-1]
        if n.isdigit():
            groups.setdefault(e.province, []).append(int(n))
    for prov, nums in groups.items():
        missing = sorted(set(range(1, max(nums) + 1)) - set(nums))
        if missing:
            where = "全国目录" if prov is None else _provinces().get(prov, prov)
            shown = "、".join(str(n) for n in missing[:10]) + ("…" if len(missing) > 10 else "")
            problems.append(f"{where}缺少第 {shown} 条")
    return problems


def write_edition(edition: Edition, path: Path) -> Path:
    """Write an edition as a YAML file that :func:`editions` reads back unchanged."""
    n_nat, n_reg = edition.national_count, edition.regional_count

    def of(n: int, total: int | None) -> str:
        return f"{n} / {total}" if total is not None else f"{n}（官方总数未填）"

    header = [
        f"# {edition.title}",
        f"#   收录：全国鼓励外商投资产业目录 {of(n_nat, edition.official_national)} 条；"
        f"地区目录 {of(n_reg, edition.official_regional)} 条",
        "# 由 policy-match catalogue import 从官方文本导入；编号为官方编号。",
    ]
    totals: dict[str, int | None] = {
        "national": edition.official_national,
        "regional": edition.official_regional,
    }
    doc: dict[str, Any] = {
        "key": edition.key,
        "title": edition.title,
        "authority": edition.authority,
        "order": edition.order,
        "valid_from": edition.valid_from,
        "valid_until": edition.valid_until,
        "regional_part": edition.regional_part,
        "official_totals": totals,
        "source": edition.source,
        "number_official": all(e.number_official for e in edition.entries),
        "entries": [],
    }
    for e in edition.entries:
        row: dict[str, Any] = {"number": e.number, "section": e.section}
        if e.subsection:
            row["subsection"] = e.subsection
        row["scope"] = e.scope
        if e.province:
            row["province"] = e.province
        if e.number_official != doc["number_official"]:
            row["number_official"] = e.number_official
        row["text"] = e.text
        doc["entries"].append(row)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=100)
    path.write_text("\n".join(header) + "\n" + body, encoding="utf-8")
    return path
