"""Business scopes (经营范围) in the official wording of 《经营范围规范表述目录》, read as industries.

A registered scope is a list of catalogue phrases (一般项目：软件开发；信息系统集成服务；…). Each
phrase is read by, in order:

1. the catalogue itself (``rules/reference/scope_catalogue_2021.csv``), exactly;
2. what official wording means, learnt from the catalogue: an action suffix (销售, 制造, 研发,
   回收, 租赁, 进出口…) decides the 大类 when the catalogue's items with that suffix nearly all
   share one (销售 → F51 批发业, 研发 → M75), else the object decides, read from the nearest
   catalogue item with the same suffix, or by the industry resolver when its reading lies in a
   门类 the suffix allows (制造 → C) and no catalogue items sharing a longer ending with the
   phrase than the resolver's words say otherwise;
3. the official GB/T 4754 names under the code found, to refine it (小学教育 → P832).

A phrase ending like class names of one 大类 (登记代理服务 as 土地登记代理服务) is read as that 大类
over a suffix rule or the resolver's modifier; a phrase cut inside its verb (…设备销) is read only
where the readings with each verb it can start agree; a suffix scope_meaning.yaml lists under
suffix_section says only its 门类 (the reader sure of the 门类, not of the 大类).
A phrase nothing reads with confidence stays unknown. The main activity is the first phrase,
unless the text names it (主营：…).
"""

from __future__ import annotations

import csv
import functools
import math
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, cast

from matcher.lazy import lazy_pattern
from matcher.records import record
from matcher.reference.classifier import char_ngrams
from matcher.reference.data import read_yaml, reference_path
from matcher.reference.disk_memo import ShardedMemo
from matcher.reference.industry import (
    IndustryCode,
    industry_codes,
    industry_name,
    normalize_industry_code,
    refused,
    resolve_industries,
)
from matcher.reference.resolution import normalize_text

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import polars as pl
else:
    from matcher.frame import pl


__all__ = [
    "CatalogueItem",
    "PhraseReading",
    "ScopeReader",
    "ScopeReading",
    "catalogue_items",
    "clean",
    "main_piece_expr",
    "read_main_pieces",
    "read_phrase",
    "read_scope",
    "read_scopes",
    "scope_reader",
    "split_scope",
]

CATALOGUE = "scope_catalogue_2021.csv"

# Action suffixes of official wording, longest first so 技术研发 wins over 研发.
ACTIONS: tuple[str, ...] = tuple(
    sorted(
        (
            "销售", "批发", "零售", "经销", "进出口", "进口", "出口", "制造", "生产", "加工",
            "制作", "研发", "技术研发", "技术服务", "技术开发", "技术咨询", "技术交流",
            "技术转让", "技术推广", "服务", "管理服务", "经营", "运营", "管理", "业务", "活动", "回收",
            "维修", "修理", "租赁", "出租", "代理", "种植", "养殖", "饲养", "开发", "咨询",
            "设计", "施工", "购销", "安装", "运输", "培训", "检测", "收购", "采集", "供应",
            "维护",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip

MEANING = "scope_meaning.yaml"  # what official wording means, as general rules (data)


@record
class MeaningRule:
    """An object pattern that, with one of the suffixes, gives a reading (scope_meaning.yaml)."""

    pattern: str
    suffixes: frozenset[str | None]  # None: a phrase with no known suffix; "*": any
    code: str
    why: str

    @functools.cached_property
    def object(self) -> re.Pattern[str]:
        """The pattern compiled when a phrase with one of the suffixes first asks (a profile
        asks a few of the 80 rules: issue 16); tests/test_reference_scope.py compiles all."""
        return re.compile(self.pattern)

    def fits(self, action: str | None, obj: str) -> re.Match[str] | None:
        if action in self.suffixes or "*" in self.suffixes:
            return self.object.search(obj)
        return None


@record
class Meaning:
    suffix_default: dict[str, str]  # what a suffix alone says, when too few items teach it
    suffix_section: dict[str, str]  # suffixes whose 大类 is open: the 门类 they say
    whole_phrase: dict[str, str]  # a phrase that is only an action (技术咨询)
    object_rules: tuple[MeaningRule, ...]  # the object decides, checked first
    fallback_rules: tuple[MeaningRule, ...]  # read only when nothing else reads the phrase


def _code(raw: object, where: str) -> str:
    code = normalize_industry_code(str(raw))
    if code is None:
        raise ValueError(f"{MEANING}: {where}: 「{raw}」不是 GB/T 4754-2017 行业代码")
    return code


def _section(raw: object, where: str) -> str:
    code = _code(raw, where)
    if len(code) != 1:
        raise ValueError(f"{MEANING}: {where}: 「{raw}」不是门类（一个字母）")
    return code


def _rules(spec: list[dict[str, object]], key: str) -> tuple[MeaningRule, ...]:
    out = []
    for k, r in enumerate(spec, 1):
        suffixes = r["suffixes"]
        assert isinstance(suffixes, list), f"{MEANING}: {key} {k}: suffixes is a list"
        out.append(
            MeaningRule(
                str(r["object"]),
                frozenset(None if a is None else str(a) for a in suffixes),
                _code(r["code"], f"{key} {k}"),
                str(r.get("why", "")),
            )
        )
    return tuple(out)


@functools.cache
def meaning() -> Meaning:
    """rules/reference/scope_meaning.yaml, checked: every code must exist."""
    spec = read_yaml(reference_path(MEANING))  # libyaml, then a JSON copy (issue 16)
    return Meaning(
        {str(a): _code(c, f"suffix_default {a}") for a, c in spec["suffix_default"].items()},
        {str(a): _section(c, f"suffix_section {a}") for a, c in spec["suffix_section"].items()},
        {str(p): _code(c, f"whole_phrase {p}") for p, c in spec["whole_phrase"].items()},
        _rules(spec["object_rules"], "object_rules"),
        _rules(spec["fallback_rules"], "fallback_rules"),
    )


# A service on a good is not making it: 中药饮片代煎服务 is no pharmaceutical maker.
SERVICES = frozenset({"服务", "技术服务", "管理服务", "活动"})
# Suffixes that trade what they name when it is a good: 兽药经营 is 批发, not 兽药制造.
TRADE_OF_GOODS = frozenset({"经营", "购销", "经销"})
# Suffixes that name a service run on the object: the object says which (文化场馆管理服务).
SERVICE_OF_OBJECT = frozenset({"管理服务", "运营"})

# Selling (销售) is 批发 by default, as most of the catalogue's items say; but goods the
# standard lists under 零售 rather than 批发 (润滑油, 木炭、薪柴, 眼镜) are sold at retail. The
# log-odds of 零售 over 批发 an object needs, summed over its characters and pairs under a
# naive Bayes of the standard's 51/52 names and 说明 and the catalogue's items coded 批发 only
# or 零售 only. Chosen by nested cross-validation on the catalogue (bench/scope_retail.py).
RETAIL_SUFFIXES = frozenset({"销售", "经营", "经销", "购销"})
RETAIL_EVIDENCE = 4.0
RETAIL_ALPHA = 0.5  # additive smoothing of the n-gram counts
# A fuzzy match of the resolver's names needs this rapidfuzz ratio to read a phrase: at the
# resolver's own cutoff (75 for one character in four differing) official wording is often a
# different good of the same shape (渔具/玩具). Measured: bench/eval_industry.py --official-only.
FUZZY_MIN = 76.0
# A phrase that is an official class name followed by 服务 names that class (基金会服务).
OFFICIAL_TAIL = "服务"
RESOLVER_FIRST = False
DOMINANT_SHARE = 0.8  # a suffix decides the 大类 when this share of its items agree
DOMINANT_MIN = 5  # … among at least this many items
NEIGHBOUR_CUTOFF = 80.0  # fuzz.ratio of objects for the nearest item with the same suffix
WHOLE_CUTOFF = 88.0  # fuzz.ratio of whole phrases when no suffix is recognised
REFINE_CUTOFF = 90.0  # partial_ratio of a phrase against official names under its code
# Catalogue items sharing a longer ending with a phrase than the resolver's words are more
# specific evidence (…监测及检测仪器仪表制造 vs 仪器仪表): they overrule it when they agree.
SHARED_OVER_MATCH = 3  # characters the shared ending must exceed the resolver's words by
SHARED_PAST_SUFFIX = 4  # … and the phrase's suffix by, so it names an object, not a verb

# Written for both Python's re and polars' (Rust) regex: the frame path finds each scope's
# main piece with the same patterns (main_piece_expr), so both widths of punctuation are listed.
_BOILERPLATE_RE = (
    r"[（(]?\s*(?:除(?:依法须经批准的项目|许可业务)外[，,]?)?凭营业执照依法自主开展经营活动\s*[)）]?"
    r"|[（(]?\s*依法须经批准的项目[，,]?经相关部门批准后(?:方可)?开展经营活动(?:[，,]具体经营项目以"
    r"(?:相关部门批准文件或许可证件|审批结果)为准)?\s*[)）]?"
    r"|[（(]?\s*具体经营项目以(?:相关部门批准文件或许可证件|审批结果)为准\s*[)）]?"
    r"|[（(]?\s*不得从事[^（）()]*?(?:经营活动|项目)[。.]?\s*[)）]?"
)
_HEADING_RE = r"(一般项目|许可项目|一般经营项目|许可经营项目|经营范围)\s*[:：]"
_MAIN_RE = r"主营(?:业务|项目)?[ \t]*[:：为是]?[ \t]*"
_SEPARATORS_RE = r"[；;。\n\r]+"
_BOILERPLATE = lazy_pattern(_BOILERPLATE_RE)
_HEADING = lazy_pattern(_HEADING_RE)
_MAIN = lazy_pattern(_MAIN_RE)
_SEPARATORS = lazy_pattern(_SEPARATORS_RE)
_NOTE = lazy_pattern(r"[（(][^（）()]*[)）]?$")


@record
class CatalogueItem:
    item_code: str
    statement: str
    codes: tuple[str, ...]  # normalised GB/T 4754 codes, in the catalogue's order


@record
class PhraseReading:
    """How one scope phrase was read: ``method`` is catalogue (exact item), official (a GB/T
    4754 class name), neighbour (nearest item with the same suffix), action (the suffix
    decides), resolver (industry resolver, checked against the suffix) or none."""

    phrase: str
    code: str | None
    method: str
    score: float
    basis: str | None = None  # the catalogue item or suffix the reading rests on
    heading: str | None = None  # 一般项目 / 许可项目 when the scope says so

    @property
    def name(self) -> str | None:
        return industry_name(self.code) if self.code else None

    def explain(self, lang: str = "zh") -> str:
        zh = lang != "en"
        if self.code is None:
            return f"「{self.phrase}」未能识别" if zh else f"'{self.phrase}' not resolved"
        how = {
            "catalogue": ("经营范围规范表述目录", "the official scope catalogue"),
            "neighbour": ("相近的规范表述", "the nearest official item"),
            "action": ("规范表述的读法", "what official wording means"),
            "resolver": ("行业识别", "the industry resolver"),
            "official": ("行业名称", "the official industry names"),
        }[self.method][0 if zh else 1]
        basis = f"「{self.basis}」" if self.basis and self.basis != self.phrase else ""
        if zh:
            return f"「{self.phrase}」→ {self.code} {self.name}（{how}{basis}）"
        return f"'{self.phrase}' → {self.code} {self.name} ({how}{' ' + basis if basis else ''})"


@record
class ScopeReading:
    """A whole scope: every phrase's reading, and which one is the main activity."""

    text: str
    phrases: tuple[PhraseReading, ...]
    main: int | None  # index into phrases

    @property
    def main_phrase(self) -> PhraseReading | None:
        return None if self.main is None else self.phrases[self.main]

    @property
    def code(self) -> str | None:
        """The industry of the main activity, None when it cannot be read."""
        main = self.main_phrase
        return None if main is None else main.code

    @property
    def codes(self) -> tuple[str, ...]:
        """Every phrase's code, in order, each once (for "any phrase in 制造业")."""
        return tuple(dict.fromkeys(p.code for p in self.phrases if p.code))

    def any_in(self, container: str) -> bool:
        return any(c.startswith(container) for c in self.codes)


_WIDE = str.maketrans({"(": "（", ")": "）", ",": "，", ":": "：", ";": "；"})


def _norm(text: str) -> str:
    """NFKC (full-width letters and digits → half-width), but Chinese punctuation kept wide."""
    return unicodedata.normalize("NFKC", text).translate(_WIDE)


@functools.lru_cache(maxsize=65536)
def clean(phrase: str) -> str:
    """A phrase as looked up: no spaces, wide punctuation, no trailing note in brackets."""
    text = re.sub(r"\s+", "", _norm(phrase))
    return _NOTE.sub("", text).strip("，,、:：") or text


def _division(code: str) -> str:
    return code[:3]


def _codes_of(raw: str) -> tuple[str, ...]:
    out = []
    for part in raw.split(";"):
        code = normalize_industry_code(part.strip()) if part.strip() else None
        if code is not None and len(code) >= 3:
            out.append(code)
    return tuple(dict.fromkeys(out))


@functools.cache
def catalogue_items() -> tuple[CatalogueItem, ...]:
    """The shipped part of the catalogue (items whose codes name no class are dropped)."""
    with reference_path(CATALOGUE).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    items = (
        CatalogueItem(r["item_code"], r["scope_statement"].strip(), _codes_of(r["gbt4754_codes"]))
        for r in rows
    )
    return tuple(i for i in items if i.codes)


def split_action(phrase: str) -> tuple[str | None, str]:
    """(suffix, object): 仪器仪表销售 → (销售, 仪器仪表); (None, phrase) when none is known."""
    for action in ACTIONS:
        if phrase.endswith(action) and len(phrase) > len(action):
            return action, phrase[: -len(action)].rstrip("及和与、")
    return None, phrase


class ScopeReader:
    """Reads phrases with what it learns from ``items`` (the catalogue, or a fold of it)."""

    def __init__(
        self, items: Sequence[CatalogueItem], retail_evidence: float = RETAIL_EVIDENCE
    ) -> None:
        self.items = tuple(items)
        self.retail_evidence = retail_evidence
        self.exact: dict[str, CatalogueItem] = {}
        by_action: dict[str | None, list[tuple[str, CatalogueItem]]] = defaultdict(list)
        for item in items:
            key = clean(item.statement)
            self.exact.setdefault(key, item)
            action, obj = split_action(key)
            by_action[action].append((obj, item))
        self.by_action = dict(by_action)
        # every ending of every item, to find the items sharing the longest ending with a phrase
        self.by_ending: dict[str, list[CatalogueItem]] = defaultdict(list)
        for key, item in self.exact.items():
            for k in range(len(key)):
                self.by_ending[key[k:]].append(item)
        self.dominant: dict[str, str] = {}
        self.sections: dict[str, frozenset[str]] = {}
        for action, pairs in by_action.items():
            if action is None:
                continue
            votes = Counter(d for _, i in pairs for d in {_division(c) for c in i.codes})
            self.sections[action] = frozenset(c[0] for _, i in pairs for c in i.codes)
            top = votes.most_common(1)
            if len(pairs) >= DOMINANT_MIN and top and top[0][1] >= DOMINANT_SHARE * len(pairs):
                self.dominant[action] = top[0][0]

    def read(self, phrase: str, heading: str | None = None) -> PhraseReading:
        key = clean(phrase)
        action, obj = split_action(key)
        item = self.exact.get(key)
        if item is not None:
            return PhraseReading(
                phrase,
                self._item_code(item, action, obj),
                "catalogue",
                100.0,
                item.statement,
                heading,
            )
        reading = self._read(phrase, key, action, obj, heading)
        completions = self._cut_verb(key) if action is None else ()
        if not completions:
            return reading
        # a phrase cut inside its verb (…设备销): read with each verb it can be the start of;
        # used only when every reading agrees on the 大类, the cut text's own included
        completed = [self.read(key + rest, heading) for rest in completions]
        found = [r for r in (*completed, reading) if r.code is not None]
        if len({r.code[:3] for r in found if r.code}) > 1:
            return PhraseReading(phrase, None, "none", 0.0, None, heading)
        best = next((r for r in found), reading)
        return PhraseReading(phrase, best.code, best.method, best.score, best.basis, heading)

    def _cut_verb(self, key: str) -> tuple[str, ...]:
        """The rests of the action suffixes a phrase is cut inside (…设备销: 售): its last
        character starts one, and the pair it ends with is seen in well-formed text (the
        standard's names and 说明, the inside of the catalogue's items) followed only by such
        rests (备销 only by 售; 磨制, 复制, 西服 are followed by other characters, and a pair
        never seen, 代销, is taken for a word)."""
        if len(key) < 3:
            return ()
        rests = _VERB_RESTS.get(key[-1], ())
        after = self._followers.get(key[-2:])
        if not rests or not after or not after <= {r[0] for r in rests}:
            return ()
        return tuple(r for r in rests if r[0] in after)

    @functools.cached_property
    def _followers(self) -> dict[str, frozenset[str | None]]:
        """Character pairs of well-formed text → what follows them (see _standard_followers),
        with this reader's items (their ends left out: some were cut in the PDF)."""
        out = dict(_standard_followers())
        extra: dict[str, set[str | None]] = defaultdict(set)
        for item in self.items:
            text = clean(item.statement)
            for i in range(len(text) - 2):
                if text[i + 1] in _VERB_RESTS:
                    extra[text[i : i + 2]].add(text[i + 2])
        for pair, nexts in extra.items():
            out[pair] = out.get(pair, frozenset()) | nexts
        return out

    def _read(
        self, phrase: str, key: str, action: str | None, obj: str, heading: str | None
    ) -> PhraseReading:
        whole = meaning().whole_phrase.get(key)
        if whole is not None:
            return PhraseReading(phrase, whole, "action", 100.0, key, heading)
        named = _official_name(key)
        if named is not None:
            return PhraseReading(phrase, named[0], "official", 100.0, named[1], heading)
        reading = self._by_object_rule(phrase, action, obj, heading)
        reading = reading or self._by_action(phrase, action, obj, heading, fixed_only=True)
        if action in TRADE_OF_GOODS and obj:
            reading = reading or self._traded(phrase, obj, heading)
        if action in SERVICE_OF_OBJECT:
            reading = reading or self._by_resolver(phrase, obj, None, heading)
        # the resolver's names and keywords before the nearest item: short objects are near
        # the wrong items (电机 ~ 电视机)
        reading = reading or self._by_resolver(phrase, key, action, heading)
        reading = reading or self._by_action(phrase, action, obj, heading)
        reading = reading or _by_rules(meaning().fallback_rules, phrase, action, obj, heading)
        if reading is None:
            return PhraseReading(phrase, None, "none", 0.0, None, heading)
        reading = _named_head(reading, key, action) or reading
        if self._sold_at_retail(reading, action, obj):
            basis = f"{action}：{obj}（零售类商品）"
            reading = PhraseReading(phrase, "F52", "action", reading.score, basis, heading)
        return _refined(reading, obj if action else key)

    def _item_code(self, item: CatalogueItem, action: str | None, obj: str) -> str:
        """An item's first code; or, of the codes it lists, the class the standard names with
        the phrase itself (文具制造: 2312 and 2411 文具制造), or its 零售 code when it lists both
        批发 and 零售 (眼镜销售: 5139 and 5236) and the goods are sold at retail."""
        first = item.codes[0]
        if len(item.codes) > 1 and (named := _official_name(clean(item.statement))):
            listed = [c for c in item.codes if c.startswith(named[0]) or named[0].startswith(c)]
            if listed:
                return listed[0]
        retail = [c for c in item.codes if c.startswith("F52")]
        sold = first.startswith("F51") and retail and action in RETAIL_SUFFIXES
        return retail[0] if sold and self.retail_odds(obj) > self.retail_evidence else first

    def _sold_at_retail(self, reading: PhraseReading, action: str | None, obj: str) -> bool:
        """A 批发 reading of selling a good the standard names under 零售 (润滑油销售)."""
        if action not in RETAIL_SUFFIXES or not (reading.code or "").startswith("F51"):
            return False
        return self.retail_odds(obj) > self.retail_evidence

    def retail_odds(self, obj: str) -> float:
        """Log-odds that ``obj`` is sold at retail (52) rather than wholesale (51)."""
        odds = self._retail_model
        return sum(odds.get(g, 0.0) for g in char_ngrams(obj))

    @functools.cached_property
    def _retail_model(self) -> dict[str, float]:
        """Per n-gram log P(·|零售) − log P(·|批发), learnt from the standard's 51/52 classes and
        this reader's items coded one of them only; built on first use (a few ms)."""
        counts: dict[str, Counter[str]] = {"F51": Counter(), "F52": Counter()}
        for c in industry_codes().values():
            if c.level >= 3 and c.code[:3] in counts:
                counts[c.code[:3]].update(char_ngrams(re.sub("(批发|零售)$", "", c.name)))
                counts[c.code[:3]].update(char_ngrams(c.description))
        for item in self.items:
            divisions = {_division(c) for c in item.codes}
            if len(divisions) == 1 and (only := divisions.pop()) in counts:
                counts[only].update(char_ngrams(split_action(clean(item.statement))[1]))
        grams = counts["F51"].keys() | counts["F52"].keys()
        total = {k: sum(v.values()) + RETAIL_ALPHA * len(grams) for k, v in counts.items()}
        return {
            g: math.log((counts["F52"][g] + RETAIL_ALPHA) / total["F52"])
            - math.log((counts["F51"][g] + RETAIL_ALPHA) / total["F51"])
            for g in grams
        }

    def _by_object_rule(
        self, phrase: str, action: str | None, obj: str, heading: str | None
    ) -> PhraseReading | None:
        return _by_rules(meaning().object_rules, phrase, action, obj, heading)

    def _traded(self, phrase: str, obj: str, heading: str | None) -> PhraseReading | None:
        """Trade in a good (兽药经营): wholesale, when the object alone reads as a good."""
        if split_action(obj)[0] is not None:
            return None  # …资源的开发经营 runs an activity, it trades no good
        res = resolve_industries([obj])[obj]
        if res.code is not None and res.method != "model" and res.code[0] in "ABC":
            basis = f"{obj}（{res.code}）…经营"  # a good traded
            return PhraseReading(phrase, "F51", "action", 100.0, basis, heading)
        return None

    def _nearest(self, action: str | None, obj: str) -> tuple[CatalogueItem, float] | None:
        from rapidfuzz import fuzz, process  # on first use (issue 16)

        pairs = self.by_action.get(action, [])
        if not pairs or not obj:
            return None
        cutoff = NEIGHBOUR_CUTOFF if action else WHOLE_CUTOFF
        hit = process.extractOne(obj, [o for o, _ in pairs], scorer=fuzz.ratio, score_cutoff=cutoff)
        # a Chinese compound's head is its end: 实验动物垫料 is bedding, not 实验动物; and its
        # first character starts the noun the head is of: 云计算设备 is not 计算器设备
        if hit is None or hit[0][-2:] != obj[-2:] or hit[0][0] != obj[0]:
            return None
        return pairs[hit[2]][1], hit[1]

    def _by_action(
        self,
        phrase: str,
        action: str | None,
        obj: str,
        heading: str | None,
        fixed_only: bool = False,
    ) -> PhraseReading | None:
        said = meaning()
        fixed = (
            said.suffix_section.get(action or "")
            or self.dominant.get(action or "")
            or said.suffix_default.get(action or "")
        )
        if fixed_only and fixed is None:
            return None
        near = self._nearest(action, obj)
        if fixed is not None:
            # the suffix decides the 大类; the nearest item may name its class
            inside = [c for c in near[0].codes if c.startswith(fixed)] if near else []
            if inside and near is not None:
                return PhraseReading(
                    phrase, inside[0], "neighbour", near[1], near[0].statement, heading
                )
            return PhraseReading(phrase, fixed, "action", 100.0, action, heading)
        if near is not None:
            item, score = near
            return PhraseReading(phrase, item.codes[0], "neighbour", score, item.statement, heading)
        return None

    def _by_resolver(
        self, phrase: str, key: str, action: str | None, heading: str | None
    ) -> PhraseReading | None:
        res = resolve_industries([key])[key]
        # the text model was trained on owners' words, not official wording: measured on the
        # catalogue a quarter of its readings were wrong, so only names and keywords count
        if res.code is None or refused(res) or len(res.code) < 3 or res.method == "model":
            return None
        if res.method == "fuzzy" and res.score < FUZZY_MIN:
            return None  # 渔具制造 is not 玩具制造, 计算器 not 计算机外围设备
        if _negated(key, res.matched_text):
            return None  # 非食用冰 is what 食用冰 is not
        allowed = self.sections.get(action or "")
        if action is not None and allowed is not None and res.code[0] not in allowed:
            return None  # e.g. a maker's code for a phrase that sells
        if action in SERVICES and res.code[0] == "C":
            return None
        if action in TRADE_OF_GOODS and res.code[0] in "ABC":
            return PhraseReading(phrase, "F51", "action", 100.0, action, heading)
        matched = clean(res.matched_text or key)
        ending, items = self._shared_ending(key)
        if len(ending) >= max(
            len(matched) + SHARED_OVER_MATCH, len(action or "") + SHARED_PAST_SUFFIX
        ):
            divisions = [{_division(c) for c in i.codes} for i in items]
            if _division(res.code) not in set.union(*divisions):
                agreed = sorted(set.intersection(*divisions))
                if not agreed:
                    return None  # the items disagree with the resolver and among themselves
                code = next(c for c in items[0].codes if c.startswith(agreed[0]))
                score = 100.0 * len(ending) / len(key)
                return PhraseReading(phrase, code, "neighbour", score, items[0].statement, heading)
        return PhraseReading(phrase, res.code, "resolver", res.score, res.matched_text, heading)

    def _shared_ending(self, key: str) -> tuple[str, list[CatalogueItem]]:
        """The longest ending ``key`` shares with catalogue items, and those items."""
        for k in range(len(key)):
            items = self.by_ending.get(key[k:])
            if items:
                return key[k:], items
        return "", []


# The rest of each action suffix by its first character (销 → 售; 制 → 造, 作).
_VERB_RESTS: dict[str, tuple[str, ...]] = {}
for _action in ACTIONS:
    if len(_action) > 1:
        _VERB_RESTS.setdefault(_action[0], ())
        _VERB_RESTS[_action[0]] += (_action[1:],)


@functools.cache
def _standard_followers() -> dict[str, frozenset[str | None]]:
    """Each character pair of the GB/T 4754 names and 说明 that ends in the first character of
    an action suffix → the characters that follow it (None: the text ends there)."""
    out: dict[str, set[str | None]] = defaultdict(set)
    for c in industry_codes().values():
        for raw in (c.name, c.description):
            text = clean(raw) if raw else ""
            for i in range(len(text) - 1):
                if text[i + 1] in _VERB_RESTS:
                    out[text[i : i + 2]].add(text[i + 2] if i + 2 < len(text) else None)
    return {k: frozenset(v) for k, v in out.items()}


def _by_rules(
    rules: Sequence[MeaningRule],
    phrase: str,
    action: str | None,
    obj: str,
    heading: str | None,
) -> PhraseReading | None:
    for rule in rules:
        found = rule.fits(action, obj)
        if found:
            basis = f"…{found.group(0)}…{action}"  # e.g. …市场…经营
            return PhraseReading(phrase, rule.code, "action", 100.0, basis, heading)
    return None


@functools.cache
def _official_names() -> dict[str, tuple[str, str]]:
    """Normalised GB/T 4754 names (大类 and finer) → (the finest code so named, the name)."""
    names: dict[str, tuple[str, str]] = {}
    for c in industry_codes().values():
        if len(c.code) < 3:
            continue  # a 门类 name (批发和零售业) names no activity precisely enough
        key = normalize_text(c.name)
        prev = names.get(key)
        if prev is None or len(c.code) > len(prev[0]):
            names[key] = (c.code, c.name)
    return names | _last_conjuncts(names)


# A conjunct that leans on its name for sense (其制品制造, 类似专用设备制造, 相关装置制造) or names a
# trade as a whole (其他建筑业) is no activity of its own.
_LEANING = lazy_pattern(r"^(其|类似|相关|有关)|业$")


def _last_conjuncts(names: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """The last conjunct of a name joined by 及/和/、 is a whole activity in the standard's words
    (计算器及货币专用设备制造 → 货币专用设备制造, 3475; 复印和胶印设备制造 → 胶印设备制造): kept when it
    is no name already, has four characters or more before its two-character verb (零配件制造,
    热处理加工 are too generic), and every name that ends with it is of one 大类 (配套设备制造 ends
    names in 37, 38 and 39)."""
    found: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for c in industry_codes().values():
        if len(c.code) < 3:
            continue
        part = re.split("[及和、]", c.name)[-1]
        if part != c.name and len(part) >= 6 and not _LEANING.search(part):
            found[normalize_text(part)].append((c.code, c.name))
    return {
        key: max(hits, key=lambda h: len(h[0]))
        for key, hits in found.items()
        if key not in names
        and len({_division(code) for code in _official_endings().get(clean(key), ())}) == 1
    }


def _official_name(key: str) -> tuple[str, str] | None:
    """The class a phrase names with the standard's own words (鞋和皮革修理 is 8192, not the
    maker's repair the 修理 suffix says; 基金会服务 is 9530 基金会), before any rule: the
    standard's names are what the suffixes and rules approximate."""
    names = _official_names()
    for text in (key, key[: -len(OFFICIAL_TAIL)] if key.endswith(OFFICIAL_TAIL) else ""):
        found = names.get(normalize_text(text)) if text else None
        if found is not None:
            return found
    return None


@functools.cache
def _official_endings() -> dict[str, tuple[str, ...]]:
    """Every ending of every GB/T 4754 name (大类 and finer) → the codes so named."""
    out: dict[str, list[str]] = defaultdict(list)
    for c in industry_codes().values():
        if len(c.code) >= 3:
            key = clean(c.name)
            for k in range(len(key)):
                out[key[k:]].append(c.code)
    return {e: tuple(codes) for e, codes in out.items()}


def _named_head(reading: PhraseReading, key: str, action: str | None) -> PhraseReading | None:
    """The standard's class names are its own words for an activity: a phrase that ends like
    class names of one 大类 only — the head of the compound and more than its verb
    (不动产|登记代理服务 as 土地登记代理服务, 人工智能双创|服务平台 as 互联网公共服务平台) —
    names that 大类, over a reading that rests on a rule of what a suffix or a kind of
    object means, or on words of the resolver that are a modifier before the head (人工智能)
    or shorter than the ending. The phrase must have words of its own before the ending:
    电子元器件制造 is wider than 电力电子元器件制造."""
    if reading.method not in ("action", "resolver") or reading.code is None:
        return None
    endings = _official_endings()
    ending = next((key[k:] for k in range(1, len(key)) if key[k:] in endings), "")
    if not ending or key in endings:
        return None
    if len(ending) < len(action or "") + SHARED_PAST_SUFFIX:
        return None
    words = clean(reading.basis or "") if reading.method == "resolver" else ""
    if words and key.endswith(words) and len(words) >= len(ending):
        return None  # the resolver read the head itself, with as many words
    codes = endings[ending]
    common = codes[0]
    for other in codes[1:]:
        while not other.startswith(common):
            common = common[:-1]
    if len(common) < 3 or common[:3] == reading.code[:3]:
        return None
    code = normalize_industry_code(common) or common[:3]
    name = industry_name(codes[0]) or ending
    return PhraseReading(reading.phrase, code, "official", 100.0, name, reading.heading)


def _negated(key: str, matched: str | None) -> bool:
    """The words a reading rests on follow 非 (非食用冰, 非医用口罩): the phrase names
    something else."""
    at = key.find(clean(matched)) if matched else -1
    return at > 0 and key[at - 1] == "非"


@functools.cache
def _below(code: str) -> tuple[IndustryCode, ...]:
    return tuple(c for c in industry_codes().values() if c.code.startswith(code) and c.code != code)


def _refined(reading: PhraseReading, text: str) -> PhraseReading:
    """A code refined by the official names under it that the text names (小学教育 → P832)."""
    code = reading.code
    if code is None or len(code) >= 5 or len(code) < 3 or len(text) < 3:
        return reading  # a 门类 only says the reader is unsure of the 大类: not refined
    below = _below(code)
    if not below:
        return reading
    from rapidfuzz import fuzz, process  # on first use (issue 16)

    hits = process.extract(
        text,
        [c.name for c in below],
        scorer=fuzz.partial_ratio,
        score_cutoff=REFINE_CUTOFF,
        limit=None,
    )
    if not hits:
        return reading
    best = max(h[1] for h in hits)
    tops = [below[h[2]].code for h in hits if h[1] == best]
    common = tops[0]
    for other in tops[1:]:
        while not other.startswith(common):
            common = common[:-1]
    if len(common) <= len(code) or normalize_industry_code(common) != common:
        return reading
    return PhraseReading(
        reading.phrase, common, reading.method, reading.score, reading.basis, reading.heading
    )


def split_scope(text: str) -> tuple[list[tuple[str, str | None]], int | None]:
    """A registered scope → its phrases (each with its heading, 一般项目/许可项目) and the index
    of the main activity (the first phrase, or the one named after 主营)."""
    phrases, main = _split_scope(text)
    return list(phrases), main


@functools.lru_cache(maxsize=16384)
def _split_scope(text: str) -> tuple[tuple[tuple[str, str | None], ...], int | None]:
    body = _BOILERPLATE.sub("；", _norm(text))
    phrases: list[tuple[str, str | None]] = []
    main: int | None = None
    heading: str | None = None
    parts = _HEADING.split(body)
    for k, part in enumerate(parts):
        if k % 2 == 1:
            heading = part if part != "经营范围" else heading
            continue
        for piece in _SEPARATORS.split(part):
            marked = _MAIN.search(piece)
            if marked:  # 主营 names the main activity: what follows it
                phrases += [(p, heading) for p in _pieces(piece[: marked.start()])]
                piece = piece[marked.end() :]
            found = _pieces(piece)
            if marked and found and main is None:
                main = len(phrases)
            phrases += [(p, heading) for p in found]
    if main is None and phrases:
        main = 0
    return tuple(phrases), main


def _pieces(piece: str) -> list[str]:
    """One separated piece → phrases: split on 、 and ， outside brackets, a list sharing one
    suffix (碳减排、碳封存技术研发) read with that suffix, unless the piece is one item."""
    piece = piece.strip(" ，,、:：.")
    if not piece:
        return []
    if clean(piece) in scope_reader().exact:
        return [piece]
    out: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(piece):
        depth += ch == "（"
        depth -= ch == "）" and depth > 0
        if ch in "、，," and depth == 0:
            out.append(piece[start:i])
            start = i + 1
    out.append(piece[start:])
    out = [p.strip() for p in out if p.strip()]
    last_action, _ = split_action(clean(out[-1])) if out else (None, "")
    if last_action and len(out) > 1:
        out = [p if split_action(clean(p))[0] else p + last_action for p in out[:-1]] + out[-1:]
    return out


@functools.cache
def scope_reader() -> ScopeReader:
    """The reader of the shipped catalogue."""
    return ScopeReader(catalogue_items())


@functools.lru_cache(maxsize=65536)
def read_phrase(phrase: str) -> PhraseReading:
    return scope_reader().read(phrase)


@functools.lru_cache(maxsize=16384)
def read_scope(text: str) -> ScopeReading:
    """Every phrase of a registered scope read; the main activity marked."""
    phrases, main = split_scope(text)
    readings = tuple(
        PhraseReading(p, r.code, r.method, r.score, r.basis, h)
        for p, h in phrases
        for r in [read_phrase(p)]
    )
    return ScopeReading(text, readings, main)


def main_piece_expr(scope: pl.Expr) -> pl.Expr:
    """The piece of a scope its main activity is read from, vectorised: the boilerplate and
    headings removed, the piece after 主营 if any, else the first piece with a letter or digit.
    Portfolios hold many distinct scopes but few distinct main pieces."""
    body = scope.str.replace_all(_BOILERPLATE_RE, "；").str.replace_all(_HEADING_RE, "；")
    piece = r"([^；;。\n\r]*[\p{L}\p{N}][^；;。\n\r]*)"
    unmarked = body.str.replace_all(_MAIN_RE, "；")  # a bare 主营 separates, as in split_scope
    return pl.coalesce(body.str.extract(_MAIN_RE + piece, 1), unmarked.str.extract(piece, 1))


# main_piece_expr's patterns for Python's re: Rust's `\\s` (no \\x1c-\\x1f) spelled out, and
# [^\\W_] (letters and digits) for \\p{L}\\p{N}; tests/test_normalize_rows.py checks them equal.
_RUST_SPACE = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


def _py(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern.replace(r"\s", f"[{_RUST_SPACE}]"))


# Letters and digits of Unicode 15-16 that polars' regex knows and Python 3.11's database
# (14.0) does not: [^\W_] misses them (a scope of one Ext-H ideograph, found by Hypothesis).
# tests/test_normalize_rows.py checks the union equals \p{L}\p{N} on every code point.
_NEWER_LETTERS = (
    "\u1c89-\u1c8a\ua7cb-\ua7cd\ua7da-\ua7dc\U000105c0-\U000105f3\U00010d40-\U00010d65"
    "\U00010d6f-\U00010d85\U00010ec2-\U00010ec4\U0001123f-\U00011240\U00011380-\U00011389"
    "\U0001138b\U0001138e\U00011390-\U000113b5\U000113b7\U000113d1\U000113d3"
    "\U000116d0-\U000116e3\U00011bc0-\U00011be0\U00011bf0-\U00011bf9\U00011f02"
    "\U00011f04-\U00011f10\U00011f12-\U00011f33\U00011f50-\U00011f59\U0001342f"
    "\U00013441-\U00013446\U00013460-\U000143fa\U00016100-\U0001611d\U00016130-\U00016139"
    "\U00016d40-\U00016d6c\U00016d70-\U00016d79\U00018cff\U0001b132\U0001b155"
    "\U0001ccf0-\U0001ccf9\U0001d2c0-\U0001d2d3\U0001df25-\U0001df2a\U0001e030-\U0001e06d"
    "\U0001e4d0-\U0001e4eb\U0001e4f0-\U0001e4f9\U0001e5d0-\U0001e5ed\U0001e5f0-\U0001e5fa"
    "\U0002b739\U0002ebf0-\U0002ee5d\U00031350-\U000323af"
)
_PIECE = rf"([^；;。\n\r]*(?:[^\W_]|[{_NEWER_LETTERS}])[^；;。\n\r]*)"


@functools.cache
def _main_patterns() -> tuple[re.Pattern[str], ...]:
    """Compiled when a scope first needs them (3 ms; a one-profile report may not)."""
    return (
        _py(_BOILERPLATE_RE),
        _py(_HEADING_RE),
        _py(_MAIN_RE),
        _py(_MAIN_RE + _PIECE),
        _py(_PIECE),
    )


def main_piece(scope: str) -> str | None:
    """:func:`main_piece_expr` for one scope (one web profile needs no polars query)."""
    boilerplate, heading, main, marked_piece, piece = _main_patterns()
    body = heading.sub("；", boilerplate.sub("；", scope))
    marked = marked_piece.search(body)
    if marked is not None:
        return marked.group(1)
    first = piece.search(main.sub("；", body))
    return None if first is None else first.group(1)


def read_main_pieces(pieces: Iterable[str]) -> dict[str, PhraseReading]:
    """The reading of each main piece's first phrase (see :func:`main_piece_expr`); pieces
    with no phrase are left out. The resolver sees all the phrases in one pass first."""
    distinct = list(dict.fromkeys(pieces))
    kept = _kept(_MAIN_KEY, distinct)
    todo = [p for p in distinct if p not in kept]
    if todo:
        firsts = {p: found[0] for p in todo if (found := _pieces(_norm(p)))}
        exact = scope_reader().exact
        keys = [k for f in firsts.values() if (k := clean(f)) not in exact]
        if keys:
            resolve_industries([*keys, *(split_action(k)[1] for k in keys)])
        read = {p: read_phrase(f) for p, f in firsts.items()}
        kept.update(_keep(_MAIN_KEY, todo, {p: r for p, r in read.items()}))
    return {p: cast(PhraseReading, r) for p in distinct if (r := kept[p]) is not None}


def read_scopes(texts: Iterable[str | None]) -> dict[str, ScopeReading]:
    """Each distinct scope read once; the industry resolver sees all their phrases in one
    vectorised pass first (it caches), not one call per phrase."""
    distinct = list(dict.fromkeys(t for t in texts if t))
    kept = _kept(_SCOPE_KEY, distinct)
    todo = [t for t in distinct if t not in kept]
    if todo:
        exact = scope_reader().exact
        keys: list[str] = []
        for text in todo:
            for phrase, _ in split_scope(text)[0]:
                key = clean(phrase)
                if key not in exact:
                    keys += [key, split_action(key)[1]]
        if keys:
            resolve_industries(keys)
        kept.update(_keep(_SCOPE_KEY, todo, {t: read_scope(t) for t in todo}))
    return {t: cast(ScopeReading, r) for t in distinct if (r := kept[t]) is not None}


# --------------------------------------------------------------------------- readings kept on disk

# A one-profile report (matcher/single.py) keeps what read_scopes and read_main_pieces read
# in a disk memo (matcher/reference/disk_memo.py), so that a scope seen before needs neither
# the catalogue reader nor the official names (~70 ms). Keyed as the industry resolutions:
# the reference tables (the catalogue among them), this package's code, the model's inputs.
_SCOPE_KEY, _MAIN_KEY = "scope\t", "main\t"
_disk: ShardedMemo | None = None


def use_disk_memo() -> None:
    """Read and write scope readings on disk from now on (one-profile runs only)."""
    global _disk
    if _disk is None:
        from matcher.reference import industry, model_cache

        _disk = ShardedMemo(
            lambda: model_cache.cache_dir() / f"scope-readings-{industry.memo_key()}", 20_000
        )


def save_memo() -> None:
    """Write the readings made in this process that the memo does not hold."""
    if _disk is not None:
        from matcher.reference.industry import _plain

        _disk.save(_plain)


def _phrase_json(r: PhraseReading) -> list[object]:
    return [r.phrase, r.code, r.method, r.score, r.basis, r.heading]


def _phrase_of(v: list[object]) -> PhraseReading:
    phrase, code, method, score, basis, heading = v
    if not (
        isinstance(phrase, str)
        and isinstance(method, str)
        and isinstance(score, float)
        and all(x is None or isinstance(x, str) for x in (code, basis, heading))
    ):
        raise TypeError("not a phrase reading")
    return PhraseReading(phrase, code, method, score, basis, heading)  # type: ignore[arg-type]


def _kept(kind: str, texts: list[str]) -> dict[str, object]:
    """The readings the disk memo holds for ``texts`` (None: a main piece with no phrase)."""
    out: dict[str, object] = {}
    if _disk is None:
        return out
    for t in texts:
        e = _disk.get(kind + t)
        if e is None:
            continue
        try:
            v = e["reading"]
            if v is None and kind == _MAIN_KEY:
                out[t] = None
            elif kind == _MAIN_KEY:
                out[t] = _phrase_of(v)
            else:
                main = v["main"]
                phrases = tuple(_phrase_of(x) for x in v["phrases"])
                if main is not None and not (type(main) is int and 0 <= main < len(phrases)):
                    raise TypeError("main")
                out[t] = ScopeReading(t, phrases, main)
        except (KeyError, TypeError, ValueError):  # a damaged entry: read afresh
            continue
    return out


def _keep(kind: str, texts: list[str], read: dict[str, object]) -> dict[str, object]:
    """``read`` for every text of ``texts`` (None where it has none), kept in the memo."""
    out = {t: read.get(t) for t in texts}
    if _disk is not None:
        for t, r in out.items():
            if isinstance(r, ScopeReading):
                v: object = {"main": r.main, "phrases": [_phrase_json(p) for p in r.phrases]}
            else:
                v = None if r is None else _phrase_json(r)  # type: ignore[arg-type]
            _disk.put(kind + t, {"input": kind + t, "reading": v})
    return out
