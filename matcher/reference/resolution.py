"""The result of resolving free text to a reference code, and the text normalisation it uses."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import replace

from matcher.lazy import lazy_pattern
from matcher.records import record

__all__ = ["METHODS", "Resolution", "normalize_text", "split_phrases"]

METHODS: tuple[str, ...] = ("code", "exact", "alias", "prefix", "fuzzy", "model", "none")

_SHOWN = 60  # characters of a long input quoted in an explanation

_METHOD_ZH = {
    "code": "代码",
    "exact": "名称完全一致",
    "alias": "别名",
    "prefix": "行政区划名称",
    "fuzzy": "模糊匹配",
    "model": "文本分类",
    "none": "未识别",
}
_METHOD_EN = {
    "code": "code",
    "exact": "exact name",
    "alias": "alias",
    "prefix": "division names",
    "fuzzy": "fuzzy match",
    "model": "text model",
    "none": "not resolved",
}
_STAGE_ZH = {
    "code": "代码",
    "exact": "官方名称",
    "alias": "别名和关键词",
    "prefix": "行政区划名称前缀",
    "fuzzy": "模糊匹配",
    "model": "文本分类",
}
_STAGE_EN = {
    "code": "codes",
    "exact": "official names",
    "alias": "aliases and keywords",
    "prefix": "division name prefixes",
    "fuzzy": "fuzzy matching",
    "model": "the text model",
}


@record
class Resolution:
    """How one input text was resolved to a code (or why it was not).

    ``score`` is a similarity from 0 to 100 (100 for codes, exact names and aliases); for the
    text model (method ``model``, or ``none`` once the model was tried) it is the model's
    probability in per cent.
    ``candidates`` lists the (code, name, score) considered, best first. ``tried`` names the
    stages that were attempted, in order, so that an unresolved input can say what was tried.
    """

    input: str
    code: str | None
    name: str | None
    score: float
    method: str
    matched_text: str | None
    candidates: tuple[tuple[str, str, float], ...] = ()
    tried: tuple[str, ...] = ()
    #: (code, name, example text) of the class the nearest labelled examples voted for, and
    #: its closest example, when that vote contradicted the text model, so nothing was given
    conflict: tuple[str, str, str] | None = None
    #: (zh, en) reason why the text was refused without trying to read it (it names no
    #: industry: a number, a placeholder, a place…); shown instead of what was tried
    refusal: tuple[str, str] | None = None
    #: set when the input was too long to read whole: only its first ``head`` characters were
    head: int | None = None

    @property
    def resolved(self) -> bool:
        return self.code is not None

    def explain(self, lang: str = "zh") -> str:
        """One line for people, e.g. 「做软件的」→ I65 软件和信息技术服务业（别名，相似度 100）."""
        line = self._explain(lang)
        if self.head is not None:
            line += (
                f"（原文 {len(self.input)} 字，超过 {self.head} 字，只按前 {self.head} 字识别）"
                if lang != "en"
                else f" (the text has {len(self.input)} characters; only the first {self.head} were read)"
            )
        return line

    def _explain(self, lang: str) -> str:
        if self.refusal is not None:
            return self.refusal[1] if lang == "en" else self.refusal[0]
        if len(self.input) > _SHOWN:
            return replace(self, input=self.input[: _SHOWN - 1] + "…", head=None)._explain(lang)
        zh = lang != "en"
        probability = "model" in self.tried
        measure = (
            ("置信度" if zh else "confidence") if probability else ("相似度" if zh else "score")
        )
        if self.code is not None:
            label = (_METHOD_ZH if zh else _METHOD_EN).get(self.method, self.method)
            shown = self.matched_text
            if shown and shown != self.input and self.method in {"alias", "fuzzy", "prefix"}:
                label = f"{label}「{shown}」" if zh else f"{label} '{shown}'"
            if zh:
                return f"「{self.input}」→ {self.code} {self.name}（{label}，{measure} {_shown(self.score, probability)}）"
            return f"'{self.input}' → {self.code} {self.name} ({label}, {measure} {_shown(self.score, probability)})"
        stages = _STAGE_ZH if zh else _STAGE_EN
        tried = [stages.get(t, t) for t in self.tried]
        best = self.candidates[0] if self.candidates else None
        tied = [c for c in self.candidates if best and c[2] == best[2] == 100.0]
        if len(tied) > 1:
            names = "、".join(f"{c[0]} {c[1]}" for c in tied)
            if zh:
                return f"「{self.input}」有多个同名区划或代码（{names}），无法确定是哪一个"
            return f"'{self.input}' is ambiguous ({names}); add the province or city"
        # with probabilities the runner-up shows what the evidence was split between
        near = [c for c in self.candidates[: 2 if probability else 1] if c[2] >= 1.0] or (
            [best] if best else []
        )
        if zh:
            msg = f"「{self.input}」未能识别"
            if tried:
                msg += "：已尝试" + "、".join(tried)
            if self.conflict and best:
                code, name, example = self.conflict
                return (
                    f"{msg}；文本分类读作 {best[0]} {best[1]}（置信度 {_shown(best[2], True)}），"
                    f"但相近的已标注描述多属于 {code} {name}（如「{example}」），未采用"
                )
            if near:
                shown = "、".join(
                    f"{c[0]} {c[1]}（{measure} {_shown(c[2], probability)}）" for c in near
                )
                msg += f"；最接近的是 {shown}，未达阈值"
            return msg
        msg = f"'{self.input}' not resolved"
        if tried:
            msg += ": tried " + ", ".join(tried)
        if self.conflict and best:
            code, name, example = self.conflict
            return (
                f"{msg}; the text model read {best[0]} {best[1]} (confidence {_shown(best[2], True)}), "
                f"but similar labelled descriptions are mostly {code} {name} (e.g. '{example}'): "
                "not used"
            )
        if near:
            shown = ", ".join(
                f"{c[0]} {c[1]} ({measure} {_shown(c[2], probability)})" for c in near
            )
            msg += f"; closest: {shown}, below the cutoff"
        return msg


def _shown(value: float, probability: bool) -> str:
    """A score as a whole number; a probability near certainty with its decimals (kept rounded
    down), so that 99.85 below a 99.9 cutoff never reads as 100."""
    if probability and 99.0 <= value < 100.0:
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{value:.0f}"


_DROP = re.compile(r"[\W_]+", re.UNICODE)
_SPLIT = lazy_pattern(r"[,，、;；。.:：/|\\\s()（）\[\]【】<>《》\"'“”‘’!?！？]+")


def normalize_text(text: str) -> str:
    """NFKC (full-width → half-width), lower case, punctuation and spaces removed."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text)).lower()


def split_phrases(text: str) -> list[str]:
    """Split a description on punctuation and spaces into normalised, non-empty phrases."""
    nfkc = unicodedata.normalize("NFKC", text)
    return [p for p in (normalize_text(s) for s in _SPLIT.split(nfkc)) if p]


def resolve_many(
    texts: Iterable[str | None],
    *,
    cached: Callable[[str], Resolution | None],
    direct: Callable[[str], Resolution | None],
    fuzzy: Callable[[list[str]], dict[str, Resolution]],
    remember: Callable[[Resolution], Resolution],
    finish: Callable[[dict[str, Resolution]], dict[str, Resolution]] | None = None,
) -> dict[str, Resolution]:
    """Resolve each distinct text once: cache, then the direct stages, and what is left in
    one vectorised fuzzy pass; ``finish`` may revise all new results in one pass before they
    are cached. Missing values (None) are skipped."""
    distinct = list(dict.fromkeys(t for t in texts if t is not None))
    out: dict[str, Resolution] = {}
    new: dict[str, Resolution] = {}
    pending: list[str] = []
    for t in distinct:
        hit = cached(t)
        if hit is not None:
            out[t] = hit
            continue
        hit = direct(t)
        if hit is None:
            pending.append(t)
        else:
            new[t] = hit
    if pending:
        new.update(fuzzy(pending))
    if finish is not None and new:
        new = finish(new)
    for t, res in new.items():
        out[t] = remember(res)
    return {t: out[t] for t in distinct}


class ResolutionCache(dict[str, Resolution]):
    """Resolutions by input text, cleared when full so memory stays bounded."""

    def __init__(self, limit: int = 200_000) -> None:
        super().__init__()
        self.limit = limit

    def remember(self, res: Resolution) -> Resolution:
        if len(self) >= self.limit:
            self.clear()
        self[res.input] = res
        return res
