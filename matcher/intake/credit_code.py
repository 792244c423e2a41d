"""统一社会信用代码 (unified social credit code), GB 32100-2015.

18 characters from the 31-character alphabet ``0-9 A-H J-N P-R T-U W-Y`` (no I,
O, Z, S, V). The last one is a check character: with the value of each character
being its position in the alphabet and the weights ``3^i mod 31`` (1, 3, 9, 27,
19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28), the check value is
``(31 - Σ value·weight mod 31) mod 31``.

Before checking, a code is normalised: NFKC (full-width → half-width), all
whitespace and hyphens removed, upper-cased. Empty cells and unknown markers are
not errors (the code is simply unknown).

:func:`check_credit_code` (one value) and :func:`credit_code_error_expr` (a polars
expression) give the same answer for every input; tests check it under Hypothesis.
"""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from matcher.intake.values import UNKNOWN_MARKERS, WS_CHARS, normalize_expr, normalize_text

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CHAR_VALUES: dict[str, int] = {c: i for i, c in enumerate(ALPHABET)}
LENGTH = 18
_CHARSET = "[0-9A-HJ-NP-RT-UW-Y]"
_STRIP = f"[{WS_CHARS}\\-\u2010-\u2015\u2212]"
_STRIP_RE = re.compile(_STRIP)
_VALID_CHARS_RE = re.compile(f"{_CHARSET}{{{LENGTH}}}")

__all__ = [
    "ALPHABET",
    "WEIGHTS",
    "check_char",
    "check_credit_code",
    "credit_code_error_expr",
    "normalize_credit_code",
    "normalize_credit_code_expr",
]


def normalize_credit_code(s: str) -> str:
    """NFKC, whitespace and hyphens removed, upper-cased."""
    return _STRIP_RE.sub("", unicodedata.normalize("NFKC", s)).upper()


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
    if not _VALID_CHARS_RE.fullmatch(code):
        return "bad_credit_code_chars"
    if check_char(code[:17]) != code[17]:
        return "bad_credit_code_check"
    return None


def credit_code_error_expr(col: str) -> pl.Expr:
    """Vectorised :func:`check_credit_code` for column ``col``: a String error code
    per row, null for valid and unknown codes. Named ``col``: alias it."""
    f = pl.field
    keys = list(CHAR_VALUES)
    values = list(CHAR_VALUES.values())

    def char_value(i: int) -> pl.Expr:
        return (
            f("code")
            .str.slice(i, 1)
            .replace_strict(keys, values, default=None, return_dtype=pl.Int64)
        )

    raw = pl.col(col).cast(pl.String)
    st = pl.struct(raw=raw).struct.with_fields(
        unknown=f("raw").is_null()
        | normalize_expr(f("raw")).str.to_lowercase().is_in(list(UNKNOWN_MARKERS)),
        code=normalize_credit_code_expr(f("raw")),
    )
    st = st.struct.with_fields(
        total=pl.sum_horizontal(char_value(i) * w for i, w in enumerate(WEIGHTS)),
        actual=char_value(17),
    )
    return (
        st.struct.with_fields(
            err=pl.when(f("unknown"))
            .then(None)
            .when(f("code").str.len_chars() != LENGTH)
            .then(pl.lit("bad_credit_code_length"))
            .when(~f("code").str.contains(f"^{_CHARSET}{{{LENGTH}}}$"))
            .then(pl.lit("bad_credit_code_chars"))
            .when((31 - f("total") % 31) % 31 != f("actual"))
            .then(pl.lit("bad_credit_code_check"))
            .otherwise(None)
            .cast(pl.String)
        )
        .struct.field("err")
        .alias(col)
    )
