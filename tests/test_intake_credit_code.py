"""统一社会信用代码 (GB 32100-2015): golden cases and scalar ≡ vectorised under Hypothesis."""

from __future__ import annotations

import unicodedata

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.intake.credit_code import (
    ALPHABET,
    WEIGHTS,
    check_char,
    check_credit_code,
    credit_code_errors,
    normalize_credit_code,
)
from matcher.intake.errors import ERROR_MESSAGES

VALID = "91350100M000100Y43"  # a real code


def vector(cells: list[str | None]) -> list[str | None]:
    df = pl.DataFrame({"c": cells}, schema={"c": pl.String})
    return credit_code_errors(df.get_column("c")).to_list()


GOLDEN: list[tuple[str | None, str | None]] = [
    (VALID, None),
    ("91350100m000100y43", None),  # lower case is accepted
    (" 9135 0100 M000 100Y 43 ", None),  # spaces are ignored
    ("91350100-M000100Y43", None),
    ("９１３５０１００Ｍ０００１００Ｙ４３", None),  # full-width
    ("91350100M000100Y42", "bad_credit_code_check"),
    ("91350100M000100Y34", "bad_credit_code_check"),  # transposition
    ("91350100M000010Y43", "bad_credit_code_check"),
    ("91350100MOOO100Y43", "bad_credit_code_chars"),  # letter O for zero
    ("91350100M000100I43", "bad_credit_code_chars"),
    ("91350100M0001.0Y43", "bad_credit_code_chars"),
    ("9135010M000100Y43", "bad_credit_code_length"),
    ("110108000000016", "bad_credit_code_length"),  # old 15-digit registration number
    ("913501000M000100Y43", "bad_credit_code_length"),
    ("x", "bad_credit_code_length"),
    (None, None),
    ("", None),
    ("  ", None),
    ("-", None),
    ("N/A", None),
    ("无数据", None),
]


@pytest.mark.parametrize(("code", "expected"), GOLDEN)
def test_golden(code: str | None, expected: str | None) -> None:
    assert check_credit_code(code) == expected
    assert vector([code]) == [expected]
    if expected is not None:
        assert expected in ERROR_MESSAGES


def test_alphabet_and_weights() -> None:
    assert len(ALPHABET) == 31
    assert not set("IOZSV") & set(ALPHABET)
    assert [pow(3, i, 31) for i in range(17)] == list(WEIGHTS)
    assert check_char(VALID[:17]) == VALID[17]


def test_normalize() -> None:
    assert normalize_credit_code(" ９１３５-0100\tm ") == "91350100M"


def test_golden_batch_matches_scalar() -> None:
    cells = [c for c, _ in GOLDEN]
    assert vector(cells) == [e for _, e in GOLDEN]


valid_codes = st.text(alphabet=ALPHABET, min_size=17, max_size=17).map(lambda s: s + check_char(s))


@st.composite
def mutated(draw: st.DrawFn) -> str:
    code = list(draw(valid_codes))
    kind = draw(st.sampled_from(["char", "swap", "drop", "add", "case", "junk"]))
    i = draw(st.integers(0, 17))
    if kind == "char":
        code[i] = draw(st.sampled_from(ALPHABET + "IOZSV"))
    elif kind == "swap" and i < 17:
        code[i], code[i + 1] = code[i + 1], code[i]
    elif kind == "drop":
        del code[i]
    elif kind == "add":
        code.insert(i, draw(st.sampled_from(ALPHABET)))
    elif kind == "case":
        code = [c.lower() for c in code]
    else:
        code[i] = draw(st.sampled_from([" ", "-", "—", "·", "é", "０", "\u3000"]))
    return "".join(code)


cells = st.one_of(
    valid_codes,
    mutated(),
    st.text(alphabet=ALPHABET + "iozsv -", max_size=20),
    st.text(
        alphabet=st.characters(codec="utf-8").filter(
            lambda c: unicodedata.category(c) not in ("Cn", "Co")
        ),
        max_size=20,
    ),
    st.none(),
)


@settings(max_examples=200, deadline=None)
@given(code=valid_codes)
def test_generated_valid_codes_pass(code: str) -> None:
    assert check_credit_code(code) is None
    assert vector([code]) == [None]


@settings(max_examples=200, deadline=None)
@given(batch=st.lists(cells, min_size=1, max_size=40))
def test_scalar_and_vector_agree(batch: list[str | None]) -> None:
    assert vector(batch) == [check_credit_code(c) for c in batch]


@settings(max_examples=200, deadline=None)
@given(code=valid_codes, i=st.integers(0, 17), data=st.data())
def test_single_substitution_is_caught(code: str, i: int, data: st.DataObject) -> None:
    # mod 31 with weights coprime to 31: any single-character change is detected
    other = data.draw(st.sampled_from([c for c in ALPHABET if c != code[i]]))
    bad = code[:i] + other + code[i + 1 :]
    assert check_credit_code(bad) == "bad_credit_code_check"
