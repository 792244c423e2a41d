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
- other facts about the enterprise: its legal form, size, status, certifications, a yes/no,
  a department, or a generic word alone (有限合伙, 小微企业, 存续, 专精特新, 财务部, 服务);
- a cell labelled as another field (电话：…, 法人：王五, 邮箱 a@b.cn) or as an example (例：软件),
  a cell that is only e-mail addresses, web addresses and such words, and a street, building,
  park or zone (中山路, 软件园二期, 世纪公园: ``place_suffixes``);
- a person's name or form of address (:func:`person_like`, :func:`person_titled`);
- a note to a colleague rather than an answer: speech and hearsay, promises to answer later,
  questions, statuses and remark labels (客户说回头告诉我, 2023年度已报税, 备注：客户不愿透露,
  工商注册地址变更中), unless a phrase without such a marker names a trade (:func:`note`).

A cell labelled as the industry itself (行业：餐饮) is read without its label
(:func:`strip_label`).

What is refused carries its kind; :data:`REASONS` words it for the problem list.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import yaml

from matcher.lazy import lazy_pattern
from matcher.reference import regions
from matcher.reference.data import adcode_rows, reference_path
from matcher.reference.resolution import normalize_text, split_phrases

__all__ = [
    "REASONS",
    "department_functions",
    "note",
    "person_like",
    "person_titled",
    "reason",
    "refusal",
    "refusal_words",
    "service_about",
    "strip_label",
]

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
    "other": (
        "「{text}」是企业类型、规模、资质、状态或部门等其他信息，不是行业描述",
        "'{text}' is another fact about the enterprise (legal form, size, certification, "
        "status, department…), not an industry",
    ),
    "note": (
        "「{text}」像是备注、状态或问话，不是行业描述",
        "'{text}' reads as a note, a status or a question, not an industry",
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

# compiled on first use: the class of every Han character takes ~9 ms to compile (issue 16)
_CJK = lazy_pattern(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LISTS = (
    "placeholders",
    "places",
    "record_words",
    "people",
    "other_words",
    "generic_words",
    "vague_words",
)
_NUMERALS = "0123456789零〇一二三四五六七八九十两百千万亿壹贰叁肆伍陆柒捌玖拾佰仟萬億"
_NUMBER = lazy_pattern(
    r"[0-9]+|[零〇一二三四五六七八九十两百千万亿]+|[零壹贰叁肆伍陆柒捌玖拾佰仟萬億]+"
)
#: a street address: anything, then a number with 号, 栋, 单元, 室… (中山路100号, 3栋2单元501)
_ADDRESS = lazy_pattern(
    r".{0,24}?\d+(?:号楼|号院|号|栋|幢|座|单元|室|层|楼)(?:\d+(?:号楼|号|栋|幢|座|单元|室|层|楼)?)*"
)
_DIGITS_AND_MARKS = lazy_pattern(r"[\d\W_]*\d[\d\W_]*")
# A street and its number anywhere in a cell (体育西路103号维多利广场B座): an address.
_STREET_NUMBER = lazy_pattern(r"(?:路|街|道|巷|弄|胡同|里)\d+(?:-\d+)?号")


def reason(kind: str, text: str, lang: str = "zh") -> str:
    """The explanation of a refusal, with the remedy."""
    zh, en = REASONS[kind]
    shown = text if len(text) <= 60 else text[:60] + "…"
    if lang == "en":
        return f"{en.format(text=shown)}: {_REMEDY[1]}"
    return f"{zh.format(text=shown)}，{_REMEDY[0]}"


@functools.cache
def _words() -> tuple[dict[str, str], tuple[int, ...]]:
    """Normalised word → kind (placeholder, place, record, person, other), and the word
    lengths, longest first."""
    spec = _yaml("industry_refusals.yaml")
    words: dict[str, str] = {}
    for key in regions.division_names():
        words[key] = "place"
    kinds = ("place", "record", "person", "other", "generic", "vague")
    for kind, field in zip(kinds, _LISTS[1:], strict=True):
        for w in spec[field]:
            words[normalize_text(str(w))] = kind
    for w in _departments():
        words.setdefault(w, "other")
    for ch in str(spec["function_chars"]):
        words.setdefault(ch, "placeholder")
    for w in spec["placeholders"]:  # a placeholder wins over a same-spelled word
        key = normalize_text(str(w))
        if key:
            words[key] = "placeholder"
    return words, tuple(sorted({len(k) for k in words}, reverse=True))


@functools.cache
def _departments() -> frozenset[str]:
    """财务部, 人事处, 税务局…: every listed function before every listed suffix, normalised."""
    spec = _yaml("industry_refusals.yaml")
    departments = {
        normalize_text(f"{f}{n}{s}")
        for f in spec["department_functions"]
        for n in ("", "一", "二", "三")  # 销售一部
        for s in spec["department_suffixes"]
    }
    bodies = {  # 税务局, 发改委: a government department
        normalize_text(f"{f}{s}")
        for f in spec["government_functions"]
        for s in spec["government_suffixes"]
    }
    return frozenset(departments | bodies)


@functools.cache
def _labels(field: str) -> frozenset[str]:
    return frozenset(normalize_text(str(w)) for w in _yaml("industry_refusals.yaml")[field])


# "label: value" (微信号：…, 联系人：李女士, 行业：餐饮)
_LABELLED = re.compile(r"^\s*([^:：]{1,12}?)\s*[:：]\s*")
# "label value" with a space only (邮箱 a@b.cn, 电话 010-1234): the label must be a field word
_SPACED = lazy_pattern(r"^\s*(\S{1,8}?)\s+(?=\S)")
# e-mail and web addresses, anywhere in a cell
_CONTACT = lazy_pattern(
    r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)\S+"
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|cn|net|org|gov|edu|io|cc|top|xyz|info|biz)\b(?:/\S*)?",
    re.IGNORECASE,
)
_LATIN_RUN = lazy_pattern(r"[a-z]+")
# "take it from X" (以系统为准, 按执照填写, 同营业执照一致): defers to another record
_DEFER = lazy_pattern(
    r"^(?:以|按|按照|依|依据|根据|参照|参考|同|与)\w{1,10}(?:为准|执行|填写|所示|所载|一致|相同|确定)$"
)
#: a place suffix is read as such only in a short cell (a long one describes something)
_PLACE_SUFFIX_MAX = 16


def strip_label(text: str) -> str:
    """``行业：餐饮`` → ``餐饮``: a cell labelled as the industry itself is read without the
    label (the label alone, ``行业：``, is left as it is)."""
    m = _LABELLED.match(text)
    if m and normalize_text(m.group(1)) in _labels("industry_labels"):
        rest = text[m.end() :].strip()
        if normalize_text(rest):
            return rest
    return text


def _label_kind(text: str) -> str | None:
    """The kind of a cell labelled as another field (电话：…, 法人：王五, 邮箱 a@b.cn) or
    as an example (例：软件); None if there is no such label."""
    for pattern in (_LABELLED, _SPACED):
        m = pattern.match(text)
        if not m:
            continue
        label = normalize_text(m.group(1))
        if pattern is _LABELLED and label in _labels("example_labels"):
            return "placeholder"
        kind = _words()[0].get(label)
        if kind in ("record", "person", "other"):
            return kind
        if pattern is _LABELLED and person_titled(normalize_text(text[m.end() :])):
            return "person"  # 财务：王会计
    return None


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
    words += [str(spec["function_chars"]), str(spec["surnames"]), *_departments()]
    words += [r["name"] for r in adcode_rows()]
    words += [str(name) for kind in ("former", "zones") for name in regional[kind]]
    return frozenset(normalize_text("".join(words)) + _NUMERALS)


def _cover(norm: str, known: Callable[[str], bool] = lambda _: False) -> set[str] | None:
    """The kinds of the words that together spell ``norm`` exactly (numbers count as
    records, a run of Latin letters that ``known`` does not know as "latin"), or None if no
    such reading exists. Dynamic programming over positions."""
    if not set(_LATIN_RUN.sub("", norm)) <= _letters():
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
        if (m := _LATIN_RUN.match(norm, i)) and not known(m.group()):
            steps.append((m.end(), "latin"))
        for length in lengths:
            if i + length <= n and (kind := words.get(norm[i : i + length])) is not None:
                steps.append((i + length, kind))
        for end, kind in steps:
            if kinds[end] is None:
                kinds[end] = have | {kind}
    return kinds[n]


def _place_suffixed(norm: str) -> bool:
    """A street, building, park or zone by its last word (中山路, 软件园二期, 世纪公园)."""
    if len(norm) > _PLACE_SUFFIX_MAX or norm.endswith(tuple(_labels("place_suffix_exceptions"))):
        return False
    return any(norm.endswith(s) and len(norm) >= len(s) + 2 for s in _labels("place_suffixes"))


#: which kind names a cell made of words of several kinds
_PRIORITY = ("record", "other", "person", "place", "placeholder", "latin")


# Single letters kept apart (A:I, A I, a/i, A.I): not to be joined into a known
# abbreviation (ai); a wrong code is worse than none, so A.I. goes too.
_LETTERS_APART = lazy_pattern(r"[\W_]*[A-Za-z](?:[\W_]+[A-Za-z])+[\W_]*")


def letters_apart(text: str) -> bool:
    return _LETTERS_APART.fullmatch(unicodedata.normalize("NFKC", text).strip()) is not None


def refusal(
    text: str,
    norm: str,
    known: Callable[[str], bool],
    trade: Callable[[str], bool] = lambda _: False,
) -> str | None:
    """The kind of non-industry text ``text`` is (``norm`` is its normalised form), or None.

    ``known`` says whether a normalised phrase is an official name or alias: Latin text is
    read only when every phrase of it is one. ``trade`` says whether a normalised phrase holds
    a word that names a trade (a note beside such a phrase is an aside, not the whole cell).
    """
    if norm in _placeholders():  # N/A, none, 详见营业执照
        return "placeholder"
    if _DIGITS_AND_MARKS.fullmatch(norm) or _DIGITS_AND_MARKS.fullmatch(text.strip()):
        return "number"
    if (kind := _label_kind(text)) is not None:
        return kind  # 微信号：wxid_…, 联系人：李女士, 注册资本：100万, 例：软件 — another field
    contactless = _CONTACT.sub(" ", text)
    if contactless != text:  # e-mail or web addresses, with nothing but field words around
        rest = normalize_text(contactless)
        if not rest or _cover(rest, known) is not None:
            return "record"
    if not _CJK.search(norm):
        phrases = split_phrases(text)
        return None if phrases and all(known(p) for p in phrases) else "latin"
    if len(norm) <= _REFERENCE_MAX and (norm.startswith(_references()) or _DEFER.match(norm)):
        return "placeholder"
    if note(text, trade):
        return "note"
    if _STREET_NUMBER.search(norm):
        return "place"
    if person_titled(norm) or _all_titled(text):
        return "person"  # 周律师, 赵工程师: asked before the keywords read 律师 as a trade
    kinds = _cover(norm, known)
    if kinds is None:
        if _ADDRESS.fullmatch(norm) or (len(split_phrases(text)) == 1 and _place_suffixed(norm)):
            return "place"
        return None
    if "generic" in kinds:
        if _service_about(kinds):
            return None  # 邮箱服务, 港口经营, 技术服务: a service about the thing named
        kinds = (kinds - {"generic"}) | {"other"}
    if "vague" in kinds:
        kinds = (kinds - {"vague"}) | {"other"}  # 科技, 科技有限公司
    for kind in ("placeholder", "place", "person", "other"):
        if kinds == {kind}:
            return kind
    if "place" in kinds and kinds <= {"place", "placeholder"}:
        return "place"
    return next((k for k in _PRIORITY if k in kinds), "placeholder")


@functools.cache
def _people() -> tuple[frozenset[str], frozenset[str], frozenset[str], frozenset[str]]:
    """(single-character surnames, two-character surnames, forms of address, professions)."""
    spec = _yaml("industry_refusals.yaml")
    return (
        frozenset(str(spec["surnames"])),
        frozenset(map(str, spec["compound_surnames"])),
        frozenset(normalize_text(str(t)) for t in spec["titles"]),
        frozenset(normalize_text(str(t)) for t in spec["profession_titles"]),
    )


@functools.cache
def _roles() -> tuple[tuple[str, ...], frozenset[str]]:
    """(person words that may stand around a name, longest first: 法人, 股东, 负责人…;
    titles that may follow a full name)."""
    spec = _yaml("industry_refusals.yaml")
    name_titles = frozenset(normalize_text(str(t)) for t in spec["name_titles"])
    roles = {normalize_text(str(w)) for w in spec["people"]} | {"已离职", "离职", "本人"}
    roles = {r for r in roles if len(r) >= 2 and _CJK.match(r)} - name_titles
    return tuple(sorted(roles, key=len, reverse=True)), name_titles


def person_like(norm: str) -> bool:
    """A surname with one or two more characters (张伟, 欧阳娜娜), or with a form of address
    (王先生, 张总). Only asked once no industry keyword was found in the text."""
    single, double, titles, _ = _people()
    for size, surnames in ((2, double), (1, single)):
        if norm[:size] in surnames:
            rest = norm[size:]
            if rest in titles or (1 <= len(rest) <= 2 and all(_CJK.fullmatch(c) for c in rest)):
                return True
    return False


def _all_titled(text: str) -> bool:
    """Several people in one cell (段经理 王秘书), each a surname and a title."""
    phrases = split_phrases(text)
    return len(phrases) > 1 and all(person_titled(p) for p in phrases)


def person_titled(norm: str) -> bool:
    """A surname and a title or profession, nothing else (王工程师, 周律师, 李总监, 张某), or
    a full name and a title (李晨律师, 钱晨秀女士), with a role before or after it (法人武律师,
    汤会计（股东）): the whole cell, so 律师事务所 and 王记面馆 are untouched."""
    roles, name_titles = _roles()
    for role in roles:  # 法人…, …股东 (the brackets are gone in the normalised text)
        if norm.startswith(role) and len(norm) > len(role):
            norm = norm[len(role) :]
            break
    for role in roles:
        if norm.endswith(role) and len(norm) > len(role):
            norm = norm[: -len(role)]
            break
    single, double, titles, professions = _people()
    if len(norm) == 2 and norm[0] in "小老阿" and norm[1] in single:
        return True  # 小程, 老王
    for size, surnames in ((2, double), (1, single)):
        if norm[:size] in surnames:
            rest = norm[size:]
            if rest in titles or rest in professions or rest in ("某", "某某"):
                return True
            for given in (1, 2):  # a given name of one or two characters, then a title
                tail = rest[given:]
                if tail in name_titles and all(_CJK.fullmatch(c) for c in rest[:given]):
                    return True
    return False


def _alternatives(words: Any) -> str:
    """A regex alternation of normalised words, longest first."""
    keys = sorted({normalize_text(str(w)) for w in words} - {""}, key=len, reverse=True)
    return "|".join(map(re.escape, keys))


@functools.cache
def _notes() -> tuple[tuple[str, ...], str, tuple[str, ...], frozenset[str], re.Pattern[str]]:
    """(note words, speech characters, words those characters do not speak in, remark labels,
    pattern of a status: 待<verb> opening a phrase, 已<verb> or 未<verb> in it, <verb>中 ending
    it; of a listed person and a verb of speech; of a plan or a need: 准备…, 有…需求)."""
    spec = _yaml("industry_refusals.yaml")
    verbs = _alternatives(spec["status_verbs"])
    people = [*spec["people"], *spec["titles"], *spec["profession_titles"], *spec["name_titles"]]
    # one character speaks only as a pronoun (他说), not as a title (总称 is a word)
    people = [p for p in map(str, people) if len(p) > 1 or p in "我你他她您"]
    # a teacher who 讲课 teaches (书法老师讲课): not speech
    verbs_of_speech = _alternatives(spec["note_speech_verbs"])
    speaker = rf"(?:{_alternatives(people)})(?:{verbs_of_speech})(?!课|座|解|授|堂|学)"
    return (
        tuple(normalize_text(str(w)) for w in spec["note_words"]),
        str(spec["note_speech"]),
        tuple(normalize_text(str(w)) for w in spec["note_speech_words"]),
        frozenset(normalize_text(str(w)) for w in spec["note_labels"]),
        re.compile(
            rf"^待(?:{verbs})|[已未](?:{verbs})|(?:{verbs})中$|{speaker}"
            rf"|^(?:{_alternatives(spec['note_openers'])})|^有\w{{1,8}}需求$"
        ),
    )


def _note_phrase(phrase: str) -> bool:
    """Does this normalised phrase carry a note marker (a word of speech, hearsay, deferral,
    question or status)?"""
    words, speech, speech_words, _, status = _notes()
    if any(w in phrase for w in words) or status.search(phrase):
        return True
    if any(ch in phrase for ch in speech):
        bare = phrase
        for w in speech_words:
            bare = bare.replace(w, "")
        return any(ch in bare for ch in speech)
    return False


def note(text: str, trade: Callable[[str], bool] = lambda _: False) -> bool:
    """Does the cell read as a note to a colleague rather than an answer?

    It does when a phrase carries a note marker (:func:`_note_phrase`), the cell opens with a
    remark label (备注：…, 说明：…) or asks a question (？), and no phrase without a marker
    names a trade (``trade``): 私募基金管理（已在中基协登记备案） keeps its trade, the aside is
    only an aside. A note that names a trade inside the marked phrase (客户说是做餐饮的) is
    refused too: hearsay is not an answer, and a wrong code is worse than none.
    """
    phrases = split_phrases(text)
    if not phrases:
        return False
    labels = _notes()[3]
    asked = "?" in unicodedata.normalize("NFKC", text)
    marked = [asked or _note_phrase(p) for p in phrases]
    if (phrases[0] in labels or phrases[0].endswith("记录")) and len(phrases) > 1:
        marked[0] = True  # the label itself; what follows is the remark
        if not any(marked[1:]) and not any(trade(p) for p in phrases[1:]):
            return True  # 说明：见附件 (a remark with nothing of a trade in it)
    if not any(marked):
        return False
    return not any(trade(p) for p, m in zip(phrases, marked, strict=True) if not m)


def refusal_words(kinds: frozenset[str] | None = None) -> frozenset[str]:
    """The listed words (placeholders, places, records, people, other facts, generic and vague
    words, departments, division names), or those of the given kinds."""
    words = _words()[0]
    return frozenset(w for w, k in words.items() if kinds is None or k in kinds)


@functools.cache
def department_functions() -> frozenset[str]:
    """The functions of a department (财务, 人事, 信息…), normalised."""
    return _labels("department_functions")


def _service_about(kinds: set[str]) -> bool:
    """Listed words of these kinds together: a generic word (服务, 经营) beside a record,
    place, person, Latin or vague word is a service about the thing named (邮箱服务)."""
    return "generic" in kinds and bool(kinds & {"record", "place", "person", "latin", "vague"})


def service_about(text: str, known: Callable[[str], bool]) -> bool:
    """Is ``text`` made of listed words only, and read as a service about the thing they
    name (企业邮箱服务, 港口经营, 科技服务)? Such a cell names a trade though no word of it does."""
    kinds = _cover(normalize_text(text), known)
    return kinds is not None and _service_about(kinds)
