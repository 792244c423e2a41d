"""Coverage: which sentences of a source look enterprise-facing, and which rule quotes each.

The source is split into the articles its table of contents (本期要目) lists, each article
into sentences (。；！？ and line breaks, after the PDF page breaks are rejoined). A sentence
is *flagged* when it names an amount or a word of support, priority or restriction. For each
article the report gives the rules citing it, and every flagged sentence as either quoted by
a rule, listed in ``rules/omissions.yaml`` with a reason, or unaccounted for.

Coverage is complete when every article has a rule and no flagged sentence is unaccounted for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field

from matcher.authoring.texts import (
    _KEY_DROP,
    _key,
    collapse_page_breaks,
    find_sources,
    normalise,
    sha256_text,
    split_articles,
)
from matcher.rule import Rule

# --------------------------------------------------------------------------- sentences

_ENDS_SENTENCE = tuple("。；！？：;!?:")
_INNER_PUNCT = ("，", ",", "。", ".")
_SENTENCE_SPLIT = re.compile(r"(?<=[。；！？;!?])|\n")


def join_page_breaks(text: str) -> str:
    """Rejoin paragraphs the PDF cut mid-sentence at a page break.

    A blank-line break is a page break when the line before it holds a sentence (a comma or
    full stop inside) but does not end one; the repeated character is collapsed first.
    """
    text = collapse_page_breaks(text)
    out: list[str] = []
    pending_break = False
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            pending_break = bool(out)
            continue
        if (
            pending_break
            and out
            and not out[-1].endswith(_ENDS_SENTENCE)
            and any(p in out[-1] for p in _INNER_PUNCT)
        ):
            out[-1] += stripped
        else:
            out.append(stripped)
        pending_break = False
    return "\n".join(out)


def split_sentences(text: str) -> list[str]:
    """Sentences of an article: split on 。；！？ (and ASCII forms) and on line breaks."""
    parts = _SENTENCE_SPLIT.split(join_page_breaks(text))
    return [p.strip() for p in parts if p and _KEY_DROP.sub("", p)]


# ---------------------------------------------------------------------------- flagging

_AMOUNT = re.compile(r"\d[\d.,]*\s*(?:万亿元|亿元|万元|元|亿美元|美元|%)")
# Words that mark a measure an enterprise may act on: money, relief, support, priority, bans.
FLAG_WORDS: tuple[str, ...] = (
    "补贴",
    "补助",
    "奖励",
    "贷款",
    "贴息",
    "担保",
    "减免",
    "免收",
    "免费",
    "免申",
    "支持",
    "鼓励",
    "扶持",
    "优先",
    "严禁",
    "禁止",
    "不得",
    "严控",
    "推动",
    "引导",
    "给予",
    "提供",
    "对接",
    "带动",
    "试点",
    "示范",
    "目录",
    "举措",
    "允许",
    "可申请",
    "可实施",
    "补偿",
    "代偿",
    "淘汰",
    "改造",
    "整顿",
    "大力发展",
)


def flag_reasons(sentence: str) -> list[str]:
    """Why a sentence looks enterprise-facing: the amounts and words it contains."""
    reasons = [m.group(0).replace(" ", "") for m in _AMOUNT.finditer(sentence)]
    reasons += [w for w in FLAG_WORDS if w in sentence]
    return reasons


# --------------------------------------------------------------------------- omissions


class Omission(BaseModel):
    """A flagged sentence deliberately left without a rule, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    article: int = Field(ge=1)
    quote: str = Field(min_length=1)
    reason: str = Field(min_length=2)
    # A named measure left without a rule (one of several in a sentence), listed by coverage.
    measure: str | None = None


class OmissionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    omissions: list[Omission] = Field(default_factory=list)


def load_omissions(path: Path) -> OmissionsFile:
    """Read ``rules/omissions.yaml`` (pydantic-validated)."""
    return OmissionsFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


# ---------------------------------------------------------------------------- coverage


@dataclass
class Sentence:
    article: int
    index: int  # 1-based within the article
    text: str
    flags: list[str]
    quoted_by: list[str] = field(default_factory=list)  # rule ids
    omission: str | None = None  # the reason, when deliberately omitted

    @property
    def accounted(self) -> bool:
        return bool(self.quoted_by) or self.omission is not None


@dataclass
class ArticleCoverage:
    number: int
    title: str
    rules: list[str]  # ids of the rules citing this article
    sentences: list[Sentence]
    titles: list[str] = field(default_factory=list)  # the rules' titles, same order
    measures: list[Omission] = field(default_factory=list)  # named measures omitted

    @property
    def settled(self) -> bool:
        """Has a rule, or every flagged sentence is omitted with a reason (a statistics piece)."""
        return bool(self.rules) or (bool(self.flagged) and not self.quoted and not self.unaccounted)

    @property
    def flagged(self) -> list[Sentence]:
        return [s for s in self.sentences if s.flags]

    @property
    def quoted(self) -> list[Sentence]:
        return [s for s in self.flagged if s.quoted_by]

    @property
    def omitted(self) -> list[Sentence]:
        return [s for s in self.flagged if not s.quoted_by and s.omission is not None]

    @property
    def unaccounted(self) -> list[Sentence]:
        return [s for s in self.flagged if not s.accounted]


@dataclass
class Coverage:
    sha256: str
    articles: list[ArticleCoverage]
    stale_omissions: list[Omission]  # quotes that match no sentence of their article
    stray_rules: list[str]  # rules citing an article the source does not have

    @property
    def complete(self) -> bool:
        return (
            bool(self.articles)
            and all(a.settled for a in self.articles)
            and not any(a.unaccounted for a in self.articles)
            and not self.stale_omissions
            and not self.stray_rules
        )


def coverage_report(
    rules: Sequence[Rule],
    source_text: str,
    omissions: Sequence[Omission] | OmissionsFile | None = None,
) -> Coverage:
    """Match the rules (those whose source is this text) and omissions against its sentences."""
    sha = sha256_text(source_text)
    if isinstance(omissions, OmissionsFile):
        omissions = omissions.omissions if omissions.source_sha256 == sha else []
    omissions = list(omissions or [])
    mine = [r for r in rules if r.source.sha256 == sha]
    quotes = [(r.id, normalise(q)) for r in mine for q in dict.fromkeys(r.all_quotes())]
    articles: list[ArticleCoverage] = []
    used: set[int] = set()
    for art in split_articles(source_text):
        sentences: list[Sentence] = []
        for i, text in enumerate(split_sentences(art.text), start=1):
            norm = normalise(text)
            # The article's own heading is a title, not a measure.
            flags = [] if _key(text) == _key(art.title) else flag_reasons(text)
            s = Sentence(art.number, i, text, flags)
            s.quoted_by = sorted({rid for rid, q in quotes if q and (q in norm or norm in q)})
            for k, om in enumerate(omissions):
                if om.article == art.number and normalise(om.quote) in norm:
                    used.add(k)
                    if s.omission is None:
                        s.omission = om.reason
            sentences.append(s)
        citing = sorted((r.id, r.title) for r in mine if r.source.article == art.number)
        named = [om for om in omissions if om.article == art.number and om.measure]
        articles.append(
            ArticleCoverage(
                art.number,
                art.title,
                [rid for rid, _ in citing],
                sentences,
                [title for _, title in citing],
                named,
            )
        )
    numbers = {a.number for a in articles}
    return Coverage(
        sha256=sha,
        articles=articles,
        stale_omissions=[om for k, om in enumerate(omissions) if k not in used],
        stray_rules=sorted(r.id for r in mine if r.source.article not in numbers),
    )


# ----------------------------------------------------------------------------- render

_TEXT = {
    "zh": {
        "head": "覆盖情况（来源 SHA-256 {sha}…）",
        "article": "第{n}篇 {title}",
        "rules": "  规则（{k}）：{ids}",
        "none": "无",
        "counts": "  标记句 {f}：已引用 {q}，有意省略 {o}，未处理 {u}",
        "unaccounted": "  未处理（既无规则引用，也未在 omissions.yaml 说明）：",
        "omitted": "  有意省略：",
        "stale": "omissions.yaml 中对不上任何句子的条目：",
        "stray": "引用了来源中不存在的文章的规则：",
        "done": "覆盖完整：每篇文章都有规则（或整篇说明省略），每个标记句都已引用或说明省略原因。",
        "not_done": "覆盖未完成。",
        "sentence": "    [{a}.{i}] {text}",
        "reason": "      理由：{reason}",
        "measures": "  省略的措施（{k}）：",
        "measure": "    - {name}：{reason}",
    },
    "en": {
        "head": "Coverage (source SHA-256 {sha}…)",
        "article": "Article {n}: {title}",
        "rules": "  rules ({k}): {ids}",
        "none": "none",
        "counts": "  flagged {f}: quoted {q}, omitted {o}, unaccounted {u}",
        "unaccounted": "  unaccounted (quoted by no rule, not listed in omissions.yaml):",
        "omitted": "  deliberately omitted:",
        "stale": "omissions.yaml entries that match no sentence:",
        "stray": "rules citing an article the source does not have:",
        "done": "Coverage complete: every article has rules (or is omitted as a whole); every flagged sentence is quoted "
        "or omitted with a reason.",
        "not_done": "Coverage incomplete.",
        "sentence": "    [{a}.{i}] {text}",
        "reason": "      reason: {reason}",
        "measures": "  measures omitted ({k}):",
        "measure": "    - {name}: {reason}",
    },
}


def render_coverage(cov: Coverage, lang: str = "zh", *, show_omitted: bool = False) -> str:
    t = _TEXT["en" if lang == "en" else "zh"]
    out = [t["head"].format(sha=cov.sha256[:12]), ""]
    for a in cov.articles:
        out.append(t["article"].format(n=a.number, title=a.title))
        out.append(t["rules"].format(k=len(a.rules), ids="、".join(a.rules) or t["none"]))
        out.append(
            t["counts"].format(
                f=len(a.flagged), q=len(a.quoted), o=len(a.omitted), u=len(a.unaccounted)
            )
        )
        if a.measures:
            out.append(t["measures"].format(k=len(a.measures)))
            out += [t["measure"].format(name=m.measure, reason=m.reason) for m in a.measures]
        if a.unaccounted:
            out.append(t["unaccounted"])
            out += [
                t["sentence"].format(a=s.article, i=s.index, text=s.text) for s in a.unaccounted
            ]
        if show_omitted and a.omitted:
            out.append(t["omitted"])
            for s in a.omitted:
                out.append(t["sentence"].format(a=s.article, i=s.index, text=s.text))
                out.append(t["reason"].format(reason=s.omission))
        out.append("")
    if cov.stale_omissions:
        out.append(t["stale"])
        out += [f"  [{om.article}] {om.quote}" for om in cov.stale_omissions]
        out.append("")
    if cov.stray_rules:
        out.append(t["stray"] + " " + ", ".join(cov.stray_rules))
        out.append("")
    out.append(t["done"] if cov.complete else t["not_done"])
    return "\n".join(out)


# -------------------------------------------------------------------------------- CLI


class _Printer(Protocol):
    def print(self, *objects: Any, **kwargs: Any) -> Any: ...


def default_omissions_path() -> Path:
    from matcher.loader import bundled_rules_dir

    return bundled_rules_dir() / "omissions.yaml"


def coverage_cli(
    rules: Sequence[Rule],
    sources_dir: Path,
    lang: str,
    out: _Printer,
    *,
    omissions_paths: Sequence[Path] | None = None,
    show_omitted: bool = False,
) -> bool:
    """Print the coverage of every source document the rules cite; True when all complete."""
    paths = list(omissions_paths) if omissions_paths is not None else [default_omissions_path()]
    files = [load_omissions(p) for p in paths if p.is_file()]
    sources = find_sources(sources_dir)
    ok = True
    for sha in sorted({r.source.sha256 for r in rules}):
        path = sources.get(sha)
        if path is None:
            msg = (
                f"未找到来源文件（SHA-256 {sha[:12]}…），请用 --sources 指定来源目录"
                if lang != "en"
                else f"source file not found (SHA-256 {sha[:12]}…); point --sources at it"
            )
            out.print(msg, highlight=False, markup=False)
            ok = False
            continue
        omissions = [om for f in files if f.source_sha256 == sha for om in f.omissions]
        cov = coverage_report(rules, path.read_text(encoding="utf-8"), omissions)
        out.print(
            render_coverage(cov, lang, show_omitted=show_omitted), highlight=False, markup=False
        )
        ok = ok and cov.complete
    return ok
