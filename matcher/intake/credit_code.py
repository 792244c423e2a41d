"""统一社会信用代码 (unified social credit code), GB 32100-2015.

18 characters from the 31-character alphabet ``0-9 A-H J-N P-R T-U W-Y`` (no I,
O, Z, S, V). The last one is a check character: with the value of each character
being its position in the alphabet and the weights ``3^i mod 31`` (1, 3, 9, 27,
19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28), the check value is
``(31 - Σ value·weight mod 31) mod 31``.

Before checking, a code is normalised: NFKC (full-width → half-width), all
whitespace and hyphens removed, upper-cased. Empty cells and unknown markers are
not errors (the code is simply unknown).

:func:`check_credit_code` (one value) and :func:`credit_code_errors` (a polars
series) give the same answer for every input; tests check it under Hypothesis.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import TYPE_CHECKING

from matcher.intake.values import UNKNOWN_MARKERS, WS_CHARS, normalize_expr, normalize_text
from matcher.lazy import lazy_pattern

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import numpy as np
    import polars as pl
else:
    from matcher.lazy import lazy_module

    np = lazy_module("numpy")
    from matcher.frame import pl


ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CHAR_VALUES: dict[str, int] = {c: i for i, c in enumerate(ALPHABET)}
LENGTH = 18
_CHARSET = "[0-9A-HJ-NP-RT-UW-Y]"
_STRIP = f"[{WS_CHARS}\\-\u2010-\u2015\u2212]"
# On first use: a code written as plain letters and digits needs neither (see below).
_STRIP_RE = lazy_pattern(_STRIP)
_VALID_CHARS_RE = lazy_pattern(f"{_CHARSET}{{{LENGTH}}}")
_ALPHABET_SET = frozenset(ALPHABET)  # what _CHARSET matches

__all__ = [
    "ALPHABET",
    "WEIGHTS",
    "check_char",
    "check_credit_code",
    "credit_code_errors",
    "normalize_credit_code",
    "normalize_credit_code_expr",
]


def normalize_credit_code(s: str) -> str:
    """NFKC, whitespace and hyphens removed, upper-cased."""
    t = unicodedata.normalize("NFKC", s)
    if t.isascii() and t.isalnum():  # no space nor hyphen to remove
        return t.upper()
    return _STRIP_RE.sub("", t).upper()


def normalize_credit_code_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`normalize_credit_code`."""
    return expr.str.normalize("NFKC").str.replace_all(_STRIP, "").str.to_uppercase()


def check_char(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    total = sum(CHAR_VALUES[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def _is_unknown(s: str) -> bool:
    return normalize_text(s).lower() in UNKNOWN_MARKERS


def check_credit_code(s: str | None) -> str | None:
    """Error code for a credit code, or None when it is valid (or unknown/empty).

    Codes, checked in this order: ``bad_credit_code_length`` (not 18 characters
    after normalisation; e.g. an old 15-digit registration number),
    ``bad_credit_code_chars``, ``bad_credit_code_check``.
    """
    if s is None or _is_unknown(s):
        return None
    code = normalize_credit_code(s)
    if len(code) != LENGTH:
        return "bad_credit_code_length"
    if not _ALPHABET_SET.issuperset(code):  # _VALID_CHARS_RE.fullmatch, 18 characters
        return "bad_credit_code_chars"
    if check_char(code[:17]) != code[17]:
        return "bad_credit_code_check"
    return None


def credit_code_errors(cells: pl.Series) -> pl.Series:
    """Vectorised :func:`check_credit_code`: a String error code per cell, null for
    valid and unknown codes.

    The check character is computed with numpy over the codes that have 18 valid
    characters, laid side by side as one byte array: ten times cheaper than
    eighteen per-character lookups in polars.
    """
    raw = cells.cast(pl.String)
    # A cell written as a well-formed code (nearly all) is its own normal form and no
    # unknown marker: only the other cells go through the normalisation.
    plain = raw.str.contains(f"^{_CHARSET}{{{LENGTH}}}$").fill_null(False)
    if _marker_is_code():
        plain = pl.repeat(False, raw.len(), eager=True)
    others = (~plain).arg_true()
    slow = pl.DataFrame({"raw": raw.gather(others)}).with_columns(
        unknown=pl.col("raw").is_null()
        | normalize_expr(pl.col("raw")).str.to_lowercase().is_in(list(UNKNOWN_MARKERS)),
        code=normalize_credit_code_expr(pl.col("raw")),
    )
    slow = slow.with_columns(
        length_ok=pl.col("code").str.len_chars() == LENGTH,
        chars_ok=pl.col("code").str.contains(f"^{_CHARSET}{{{LENGTH}}}$"),
    )
    frame = pl.DataFrame({"raw": raw}).with_columns(
        unknown=pl.repeat(False, raw.len(), eager=True),
        code=raw,
        length_ok=pl.repeat(True, raw.len(), eager=True),
        chars_ok=pl.repeat(True, raw.len(), eager=True),
    )
    if others.len():
        frame = frame.with_columns(
            frame.get_column(name).scatter(others, slow.get_column(name))
            for name in ("unknown", "code", "length_ok", "chars_ok")
        )
    candidates = frame.select((~pl.col("unknown") & pl.col("chars_ok")).arg_true()).to_series()
    wrong = np.zeros(frame.height, dtype=bool)
    if candidates.len():
        joined = frame.get_column("code").gather(candidates).str.join("").item()
        chars = np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, LENGTH)
        values = _value_of_byte()[chars]
        total = values[:, : LENGTH - 1] @ np.asarray(WEIGHTS, dtype=np.int64)
        wrong[candidates.to_numpy()] = (31 - total % 31) % 31 != values[:, LENGTH - 1]
    return frame.select(
        pl.when(pl.col("unknown"))
        .then(None)
        .when(~pl.col("length_ok"))
        .then(pl.lit("bad_credit_code_length"))
        .when(~pl.col("chars_ok"))
        .then(pl.lit("bad_credit_code_chars"))
        .when(pl.Series(wrong))
        .then(pl.lit("bad_credit_code_check"))
        .otherwise(None)
        .cast(pl.String)
        .alias(cells.name)
    ).to_series()


@functools.cache
def _marker_is_code() -> bool:
    """Whether an unknown marker could be written as a well-formed code (none is)."""
    return any(_VALID_CHARS_RE.fullmatch(m.upper()) for m in UNKNOWN_MARKERS)


@functools.cache
def _value_of_byte() -> np.ndarray:
    """Each alphabet character's value, indexed by its ASCII byte (others never reach it);
    built on first use, as numpy is imported then."""
    table = np.zeros(256, dtype=np.int64)
    for c, v in CHAR_VALUES.items():
        table[ord(c)] = v
    return table
