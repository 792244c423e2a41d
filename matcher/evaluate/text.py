"""Keyword and pattern tests on text fields (business_scope, name), one semantics for both
evaluators.

Text and keywords are compared folded: NFKC (full-width letters and digits become
half-width) and lower case. `contains_any` / `contains_all` take a list whose items are a
keyword or a list of synonyms (an item is found when any of its synonyms is). `matches`
takes a pattern where `*` stands for any run of characters (possibly none) and every
other character is literal; it may match anywhere in the text. No regular expressions
are written by rule authors, so none can backtrack: the row path scans the text once per
literal piece, and the polars path compiles the pieces to a regex for polars' Rust
engine, which runs in linear time.
"""

from __future__ import annotations

import string
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import polars as pl
else:
    from matcher.frame import pl


MAX_KEYWORDS = 200
MAX_KEYWORD_CHARS = 100


def fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def fold_expr(col: pl.Expr) -> pl.Expr:
    return col.str.normalize("NFKC").str.to_lowercase()


def keyword_groups(value: Sequence[Any]) -> list[tuple[str, ...]]:
    """Each item as its folded synonyms."""
    return [tuple(fold(k) for k in (v if isinstance(v, list) else [v])) for v in value]


def pattern_pieces(pattern: str) -> list[str]:
    """The literal pieces between the `*` of a pattern, folded, empty ones dropped."""
    return [fold(p) for p in pattern.split("*") if p]


# -------------------------------------------------------------------------- validation


def _keyword_problem(k: Any) -> str | None:
    if not isinstance(k, str):
        return "关键词应为文本"
    if not k.strip():
        return "关键词不应为空白"
    if len(k) > MAX_KEYWORD_CHARS:
        return f"关键词不应超过 {MAX_KEYWORD_CHARS} 字"
    return None


def keywords_problem(op: str, v: Any) -> str | None:
    """What is wrong with a contains_any/contains_all value: a non-empty list of keywords,
    each a text or a non-empty list of synonyms."""
    if not isinstance(v, list) or not v:
        return f"运算「{op}」的 value 应为非空的关键词列表（同义词写成子列表），实际为「{v!r}」"
    count = 0
    for i, item in enumerate(v, 1):
        synonyms = item if isinstance(item, list) else [item]
        if not synonyms:
            return f"第 {i} 项的同义词列表不应为空"
        for k in synonyms:
            problem = _keyword_problem(k)
            if problem:
                return f"{problem}，第 {i} 项「{k!r}」"
            count += 1
    if count > MAX_KEYWORDS:
        return f"关键词最多 {MAX_KEYWORDS} 个，这里有 {count} 个"
    return None


def pattern_problem(v: Any) -> str | None:
    if not isinstance(v, str):
        return f"matches 的 value 应为文本式样（* 代表任意字符），实际为「{v!r}」"
    if not pattern_pieces(v) or not "".join(pattern_pieces(v)).strip():
        return "matches 的式样除 * 外应至少有一个字"
    if len(v) > MAX_KEYWORD_CHARS:
        return f"matches 的式样不应超过 {MAX_KEYWORD_CHARS} 字"
    return None


# ---------------------------------------------------------------------------- row path


def contains_text(text: str | None, value: Sequence[Any], every: bool) -> bool | None:
    """Kleene: unknown when the text is; else whether any (every) item occurs."""
    if text is None:
        return None
    folded = fold(text)
    found = [any(k in folded for k in group) for group in keyword_groups(value)]
    return all(found) if every else any(found)


def matches_text(text: str | None, pattern: str) -> bool | None:
    if text is None:
        return None
    folded, start = fold(text), 0
    # Leftmost occurrence of each piece in turn is exact for `*`-only patterns.
    for piece in pattern_pieces(pattern):
        at = folded.find(piece, start)
        if at < 0:
            return False
        start = at + len(piece)
    return True


# -------------------------------------------------------------------------- polars path


def contains_text_expr(col: pl.Expr, value: Sequence[Any], every: bool) -> pl.Expr:
    folded = fold_expr(col)
    found = [
        pl.any_horizontal([folded.str.contains(k, literal=True) for k in group])
        for group in keyword_groups(value)
    ]
    combined = pl.all_horizontal(found) if every else pl.any_horizontal(found)
    return pl.when(col.is_null()).then(pl.lit(None, dtype=pl.Boolean)).otherwise(combined)


_PUNCT = set(string.punctuation)


def _escape(piece: str) -> str:
    # The Rust regex crate accepts an escape before any ASCII punctuation.
    return "".join("\\" + c if c in _PUNCT else c for c in piece)


def matches_expr(col: pl.Expr, pattern: str) -> pl.Expr:
    regex = "(?s)" + ".*".join(_escape(p) for p in pattern_pieces(pattern))
    return fold_expr(col).str.contains(regex)
