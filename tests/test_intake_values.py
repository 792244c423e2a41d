"""Value parsers: golden tables, and scalar ≡ vectorised (case by case and under Hypothesis)."""

from __future__ import annotations

import unicodedata
from datetime import date
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.fields import FieldType
from matcher.intake.errors import ERROR_MESSAGES
from matcher.intake.values import (
    AMOUNT_UNITS,
    BOOL_WORDS,
    SIZE_WORDS,
    UNKNOWN_MARKERS,
    ValueParseError,
    cell_to_str,
    normalize_expr,
    normalize_text,
    parse_amount_wan,
    parse_bool,
    parse_date,
    parse_expr,
    parse_int,
    parse_list,
    parse_size,
    parse_value,
)

BAD = object()  # marker in golden tables: "expect this error code"


def scalar(ftype: FieldType, s: str | None, unit: str | None = None) -> tuple[Any, str | None]:
    try:
        return parse_value(ftype, s, unit=unit), None
    except ValueParseError as exc:
        assert exc.code in ERROR_MESSAGES, exc.code
        assert exc.value in exc.message("zh") and exc.value in exc.message("en")
        return None, exc.code


def vector(
    ftype: FieldType, cells: list[str | None], unit: str | None = None
) -> list[tuple[Any, str | None]]:
    df = pl.DataFrame({"c": cells}, schema={"c": pl.String})
    value, error = parse_expr(ftype, "c", unit=unit)
    out = df.lazy().select(value.alias("v"), error.alias("e")).collect()
    return list(zip(out["v"].to_list(), out["e"].to_list(), strict=True))


def check_table(ftype: FieldType, table: list[tuple[str | None, Any, str | None]]) -> None:
    cells = [c for c, _, _ in table]
    got_vec = vector(ftype, cells)
    for (cell, value, code), vec in zip(table, got_vec, strict=True):
        expected = (value, code)
        assert scalar(ftype, cell) == expected, f"scalar {cell!r}"
        assert vec == expected, f"vector {cell!r}"


# ---------------------------------------------------------------------------------
# normalize_text
# ---------------------------------------------------------------------------------

NORMALIZE = [
    ("  abc  ", "abc"),
    ("１２３", "123"),
    ("ＡＢＣ", "ABC"),
    ("营业收入（万元）", "营业收入(万元)"),
    ("a\u3000\u3000b", "a b"),
    ("a \t\n b", "a b"),
    ("\ufeff企业\u200b", "企业"),
    ("，；：", ",;:"),
    ("", ""),
    ("   ", ""),
]


@pytest.mark.parametrize(("raw", "expected"), NORMALIZE)
def test_normalize_text(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected
    out = pl.DataFrame({"s": [raw]}).select(normalize_expr(pl.col("s")))
    assert out.item() == expected


# ---------------------------------------------------------------------------------
# Golden tables (each row checked against both implementations)
# ---------------------------------------------------------------------------------

UNKNOWN_CELLS = [None, "", "   ", "-", "—", "/", "无数据", "N/A", "n/a", "null", "NULL", "——", "－"]

INT_TABLE = [
    ("12", 12, None),
    ("12人", 12, None),
    ("12 人", 12, None),
    ("1,200", 1200, None),
    ("１２", 12, None),
    ("１，２００人", 1200, None),
    ("12.0", 12, None),
    ("12.00", 12, None),
    ("0012", 12, None),
    ("+5", 5, None),
    ("0", 0, None),
    ("-0", 0, None),
    ("3个岗位", 3, None),
    ("3个", 3, None),
    ("3名", 3, None),
    ("无", 0, None),
    ("没有", 0, None),
    ("12.5", None, "fraction_persons"),
    ("0.5人", None, "fraction_persons"),
    ("-3", None, "negative"),
    ("－3", None, "negative"),
    ("-0.5", None, "negative"),
    ("abc", None, "not_integer"),
    ("12万", None, "not_integer"),
    ("约12人", 12, None),  # approximate: used, and reported by normalise
    ("1,2", None, "not_integer"),
    ("12.", None, "not_integer"),
    ("1e3", None, "not_integer"),
    ("99999999999999999999", None, "too_large"),
    ("10000001", None, "too_large"),
    ("10000000", 10_000_000, None),
    *[(c, None, None) for c in UNKNOWN_CELLS],
]

AMOUNT_TABLE = [
    ("3000", 3000.0, None),
    ("3,000", 3000.0, None),
    ("3,000万元", 3000.0, None),
    ("3000 万元", 3000.0, None),
    ("1.2亿", 12000.0, None),
    ("1.2亿元", 12000.0, None),
    ("500000元", 50.0, None),
    ("500,000 元", 50.0, None),
    ("50万", 50.0, None),
    ("￥50万", 50.0, None),
    ("¥50万元", 50.0, None),
    ("RMB 50万", 50.0, None),
    ("人民币50万元", 50.0, None),
    ("50万元人民币", 50.0, None),
    ("5千万", 5000.0, None),
    ("5千万元", 5000.0, None),
    ("3百万", 300.0, None),
    ("80千元", 8.0, None),
    ("1万亿", 100_000_000.0, None),
    ("50w", 50.0, None),
    ("50W", 50.0, None),
    ("0", 0.0, None),
    ("-0", 0.0, None),
    (".5", 0.5, None),
    ("1e3", 1000.0, None),
    ("１２３４．５", 1234.5, None),
    ("-5", None, "negative"),
    ("-5万元", None, "negative"),
    ("¥-5", None, "negative"),
    ("abc", None, "not_amount"),
    ("万元", None, "not_amount"),
    ("12.5.3", None, "not_amount"),
    ("50美元", None, "unknown_unit"),
    ("50 USD", None, "unknown_unit"),
    ("50%", None, "unknown_unit"),
    ("约3000万", 3000.0, None),
    ("1" + "0" * 400, None, "too_large"),
    ("2000亿亿", None, "unknown_unit"),
    ("20000000万亿", None, "too_large"),
    ("无", None, None),
    *[(c, None, None) for c in UNKNOWN_CELLS],
]

BOOL_TABLE = [
    *[(w, v, None) for w, v in BOOL_WORDS.items()],
    ("YES", True, None),
    ("Yes", True, None),
    ("TRUE", True, None),
    ("False", False, None),
    ("N", False, None),
    (" 是 ", True, None),
    ("１", True, None),
    ("maybe", None, "not_bool"),
    ("是否", None, "not_bool"),
    ("2", None, "not_bool"),
    *[(c, None, None) for c in UNKNOWN_CELLS],
]

DATE_TABLE = [
    ("2022-06-28", date(2022, 6, 28), None),
    ("2022/6/28", date(2022, 6, 28), None),
    ("2022.6.28", date(2022, 6, 28), None),
    ("2022年6月28日", date(2022, 6, 28), None),
    ("2022年06月28日", date(2022, 6, 28), None),
    ("2022 年 6 月 28 日", date(2022, 6, 28), None),
    ("2022年6月28", date(2022, 6, 28), None),
    ("20220628", date(2022, 6, 28), None),
    ("2022-06-28 00:00:00", date(2022, 6, 28), None),
    ("2022-06-28 10:30", date(2022, 6, 28), None),
    ("2022-06-28T10:30:00Z", date(2022, 6, 28), None),
    ("２０２２－０６－２８", date(2022, 6, 28), None),
    ("44740", date(2022, 6, 28), None),
    ("44740.5", date(2022, 6, 28), None),
    ("10000", date(1927, 5, 18), None),
    ("73050", date(2099, 12, 31), None),
    ("2024-02-29", date(2024, 2, 29), None),
    ("2022-02-30", None, "not_date"),
    ("2023-02-29", None, "not_date"),
    ("2022-13-01", None, "not_date"),
    ("2022-00-10", None, "not_date"),
    ("20221301", None, "not_date"),
    ("1799-01-01", None, "not_date"),
    ("2101-01-01", None, "not_date"),
    ("9999", None, "not_date"),
    ("99999", None, "not_date"),
    ("73051", None, "not_date"),
    ("6/28/2022", None, "not_date"),
    ("2022-06-28 25:00", None, "not_date"),
    ("yesterday", None, "not_date"),
    # A month or a year is kept as written: its first day here, its last in date_hi_expr.
    ("2022", date(2022, 1, 1), None),
    ("2022年", date(2022, 1, 1), None),
    ("2022年度", date(2022, 1, 1), None),
    ("2022年6月", date(2022, 6, 1), None),
    ("2022-06", date(2022, 6, 1), None),
    ("2022.6", date(2022, 6, 1), None),
    ("202206", date(2022, 6, 1), None),
    ("无", None, None),
    *[(c, None, None) for c in UNKNOWN_CELLS],
]

LIST_TABLE = [
    ("高新技术企业", ["高新技术企业"], None),
    ("a；b;c、d,e，f/g\nh", ["a", "b", "c", "d", "e", "f", "g", "h"], None),
    ("a\r\nb", ["a", "b"], None),
    (" a ;; b ;", ["a", "b"], None),
    ("专精特新“小巨人”企业、高新技术企业", ["专精特新“小巨人”企业", "高新技术企业"], None),
    ("ＩＳＯ　９００１；  科技型中小企业", ["ISO 9001", "科技型中小企业"], None),
    ("a|b", ["a", "b"], None),
    (";;", [], None),
    ("无", [], None),
    ("没有", [], None),
    *[(c, None, None) for c in UNKNOWN_CELLS],
]

SIZE_TABLE = [
    ("大型", "large", None),
    ("中型", "medium", None),
    ("小型", "small", None),
    ("微型", "micro", None),
    ("大", "large", None),
    ("中", "medium", None),
    ("小", "small", None),
    ("微", "micro", None),
    ("小型企业", "small", None),
    ("Large", "large", None),
    ("MEDIUM", "medium", None),
    ("small", "small", None),
    ("micro", "micro", None),
    ("小微", None, "not_size"),
    ("巨型", None, "not_size"),
    ("s", None, "not_size"),
    ("无", None, None),
    *[(c, None, None) for c in UNKNOWN_CELLS],
]

# Names and scopes stay as written, but for the surrounding white space.
NAME_TABLE = [
    ("  北京市　海淀区 ", "北京市　海淀区", None),
    ("ＡＢＣ（北京）有限公司", "ＡＢＣ（北京）有限公司", None),
    ("110108", "110108", None),
    ("无", None, None),
    *[(c, None, None) for c in UNKNOWN_CELLS],
]

TEXT_TABLE = [
    ("  北京市　海淀区 ", "北京市 海淀区", None),
    ("ＡＢＣ有限公司", "ABC有限公司", None),
    ("110108", "110108", None),
    ("无", None, None),
    *[(c, None, None) for c in UNKNOWN_CELLS],
]


@pytest.mark.parametrize(
    ("ftype", "table"),
    [
        (FieldType.INT, INT_TABLE),
        (FieldType.AMOUNT, AMOUNT_TABLE),
        (FieldType.BOOL, BOOL_TABLE),
        (FieldType.DATE, DATE_TABLE),
        (FieldType.LIST, LIST_TABLE),
        (FieldType.SIZE, SIZE_TABLE),
        (FieldType.TEXT, NAME_TABLE),
        (FieldType.REGION, TEXT_TABLE),
        (FieldType.INDUSTRY, TEXT_TABLE),
    ],
    ids=lambda x: x.value if isinstance(x, FieldType) else "",
)
def test_golden(ftype: FieldType, table: list[tuple[str | None, Any, str | None]]) -> None:
    check_table(ftype, table)


def test_named_scalar_parsers() -> None:
    assert parse_int("12人") == 12
    assert parse_amount_wan("1.2亿") == 12000.0
    assert parse_bool("√") is True
    assert parse_date("2022年6月28日") == date(2022, 6, 28)
    assert parse_list("a、b") == ["a", "b"]
    assert parse_size("微型") == "micro"
    for fn in (parse_int, parse_amount_wan, parse_bool, parse_date, parse_list, parse_size):
        assert fn(None) is None
        assert fn(" - ") is None
    with pytest.raises(ValueParseError) as info:
        parse_int("12.5")
    assert info.value.code == "fraction_persons"
    assert info.value.value == "12.5"
    assert isinstance(info.value, ValueError)


def test_amount_header_unit() -> None:
    cells = ["5000000", "50万", "3,000", None]
    expected = [(500.0, None), (50.0, None), (0.3, None), (None, None)]
    assert [scalar(FieldType.AMOUNT, c, unit="元") for c in cells] == expected
    assert vector(FieldType.AMOUNT, cells, unit="元") == expected
    assert parse_amount_wan("2", unit="亿元") == 20000.0
    with pytest.raises(ValueError):
        parse_amount_wan("2", unit="美元")


def test_parse_expr_dtypes() -> None:
    df = pl.DataFrame({"c": ["1"]})
    expected = {
        FieldType.INT: pl.Int64,
        FieldType.AMOUNT: pl.Float64,
        FieldType.BOOL: pl.Boolean,
        FieldType.DATE: pl.Date,
        FieldType.LIST: pl.List(pl.String),
        FieldType.SIZE: pl.String,
        FieldType.TEXT: pl.String,
        FieldType.REGION: pl.String,
        FieldType.INDUSTRY: pl.String,
    }
    for ftype, dtype in expected.items():
        value, error = parse_expr(ftype, "c")
        schema = df.lazy().select(value.alias("v"), error.alias("e")).collect_schema()
        assert schema["v"] == dtype, ftype
        assert schema["e"] == pl.String, ftype


def test_parse_expr_accepts_non_string_columns() -> None:
    df = pl.DataFrame({"n": [12, None]})
    value, error = parse_expr(FieldType.INT, "n")
    out = df.select(value.alias("v"), error.alias("e"))
    assert out.rows() == [(12, None), (None, None)]


def test_cell_to_str_matches_readers() -> None:
    assert cell_to_str(12) == "12"
    assert cell_to_str(12.0) == "12"
    assert cell_to_str(0.5) == "0.5"
    assert cell_to_str(True) == "true"
    assert cell_to_str(date(2022, 6, 28)) == "2022-06-28"
    assert cell_to_str(["a", "b"]) == "a;b"
    assert cell_to_str([]) == "无"
    assert cell_to_str(float("nan")) == "NaN"  # reported as not_finite, never a blank
    assert cell_to_str(float("-inf")) == "-inf"
    assert parse_value(FieldType.LIST, []) == []
    assert parse_value(FieldType.INT, 12.0) == 12
    assert parse_value(FieldType.BOOL, False) is False
    assert parse_value(FieldType.DATE, date(2022, 6, 28)) == date(2022, 6, 28)


def test_unit_tables_are_consistent() -> None:
    for unit, (mul, div) in AMOUNT_UNITS.items():
        assert unit == unit.lower().replace(" ", "")
        assert mul == 1.0 or div == 1.0
    assert all(m == m.lower() for m in UNKNOWN_MARKERS)
    assert all(w == w.lower() for w in BOOL_WORDS)
    assert all(w == w.lower() for w in SIZE_WORDS)


# ---------------------------------------------------------------------------------
# Hypothesis: scalar and vectorised parsers agree on realistic and garbage cells
# ---------------------------------------------------------------------------------


def _assigned(c: str) -> bool:
    # Unassigned code points (in this Python's Unicode database) may have been
    # assigned later, with a different normalisation in polars' newer tables.
    return unicodedata.category(c) not in ("Cn", "Cs", "Co")


_FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def _fullwidth(s: str) -> str:
    return "".join(_FULLWIDTH.get(c, c) for c in s)


digits = st.text(alphabet="0123456789", min_size=1, max_size=12)
numbers = st.one_of(
    digits,
    st.builds(lambda a, b: f"{a}.{b}", digits, digits),
    st.builds(lambda a: f"{int(a):,}", digits),
    st.builds(lambda a, b: f"{int(a):,}.{b}", digits, digits),
    st.builds(lambda a, e: f"{a}e{e}", digits, st.integers(-5, 400)),
    st.sampled_from(["1,2", "12.", ".5", "1,2000", "0", "-0", "0.0"]),
)
units = st.sampled_from(
    [
        "",
        "人",
        "名",
        "个",
        "个岗位",
        "万",
        "万元",
        "元",
        "亿",
        "亿元",
        "千万",
        "千元",
        "百万元",
        "万元人民币",
        "w",
        "K",
        "美元",
        "%",
        "万人",
        "年",
        "日",
    ]
)
spaces = st.sampled_from(["", " ", "  ", "\u3000", "\t", "\n", "\xa0"])
signs = st.sampled_from(["", "", "-", "+", "－", "−"])
currency = st.sampled_from(["", "", "¥", "￥", "RMB", "人民币"])


@st.composite
def numeric_cells(draw: st.DrawFn) -> str:
    parts = [
        draw(spaces),
        draw(signs),
        draw(currency),
        draw(spaces),
        draw(numbers),
        draw(spaces),
        draw(units),
        draw(spaces),
    ]
    s = "".join(parts)
    return _fullwidth(s) if draw(st.booleans()) else s


@st.composite
def date_cells(draw: st.DrawFn) -> str:
    y = draw(st.integers(1700, 2200))
    m = draw(st.integers(0, 14))
    d = draw(st.integers(0, 33))
    fmt = draw(
        st.sampled_from(
            [
                f"{y}-{m:02d}-{d:02d}",
                f"{y}/{m}/{d}",
                f"{y}.{m}.{d}",
                f"{y}年{m}月{d}日",
                f"{y} 年 {m} 月 {d} 号",
                f"{y:04d}{m:02d}{d:02d}",
                f"{y}-{m:02d}-{d:02d} 00:00:00",
                f"{y}-{m:02d}-{d:02d}T{d % 30}:{m % 70:02d}",
                f"{y}",
                f"{y}年",
                f"{y}年{m}月",
                f"{y}-{m}",
                f"{y}{m:02d}",
                str(draw(st.integers(0, 200_000))),
                f"{draw(st.integers(0, 99_999))}.{d}",
                f"{m}/{d}/{y}",
            ]
        )
    )
    return _fullwidth(fmt) if draw(st.booleans()) else fmt


words = st.sampled_from(
    sorted(BOOL_WORDS)
    + sorted(SIZE_WORDS)
    + sorted(UNKNOWN_MARKERS)
    + ["无", "没有", "YES", "No", "True", "N/A", "Null", "大型企业", "小微", "是否", "不是"]
)
list_cells = st.lists(
    st.one_of(st.sampled_from(["高新技术企业", "专精特新", "ISO 9001", " a ", ""]), words),
    max_size=5,
).flatmap(
    lambda items: st.sampled_from([";", "；", "、", ",", "，", "/", "\n", "\r\n", " ; "]).map(
        lambda sep: sep.join(items)
    )
)
garbage = st.text(
    alphabet=st.characters(codec="utf-8").filter(_assigned),
    max_size=12,
)
cells = st.one_of(
    numeric_cells(),
    date_cells(),
    words,
    list_cells,
    garbage,
    st.none(),
    st.builds(lambda a, b: a + b, words, spaces),
)


@pytest.mark.parametrize("ftype", list(FieldType), ids=lambda f: f.value)
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(cells, min_size=1, max_size=40))
def test_scalar_and_vector_agree(ftype: FieldType, batch: list[str | None]) -> None:
    got = vector(ftype, batch)
    for cell, vec in zip(batch, got, strict=True):
        assert scalar(ftype, cell) == vec, f"{ftype.value}: {cell!r}"
        value, code = vec
        assert value is None or code is None


def test_plain_characters_normalise_one_to_one() -> None:
    """What plain_text_expr relies on: every plain character becomes one non-space
    character under NFKC and lower case, and none can join a neighbour (no canonical
    composition has one as its second character)."""
    import sys

    from matcher.intake.values import plain_chars

    seconds = set()
    for code in range(sys.maxunicode + 1):
        parts = unicodedata.decomposition(chr(code)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    chars = plain_chars()
    assert len(chars) > 20_000
    for ch in chars:
        folded = unicodedata.normalize("NFKC", ch)
        assert len(folded) == 1 and len(folded.lower()) == 1 and not folded.isspace(), ch
        assert unicodedata.combining(folded) == 0 and folded not in seconds, ch
        assert ch not in seconds, ch


PLAIN_TEXT = st.text(
    alphabet=st.sampled_from(
        list("甲乙公司有限未知不详无没有暂空待补充数据")
        + list("abcNAnulLnoe0123#!/?-—_\\（）()，,；;ＡＮａ１ \u3000\t\u0301")
    ),
    max_size=16,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cells=st.lists(PLAIN_TEXT | st.sampled_from(sorted(UNKNOWN_MARKERS)) | st.none(), max_size=30)
)
def test_a_plain_text_cell_parses_as_itself(cells: list[str | None]) -> None:
    """Where plain_text_expr says so, the TEXT parser keeps the cell as written, with no
    error; it says so of no unknown marker."""
    from matcher.intake.values import plain_text_expr

    frame = pl.DataFrame({"c": cells}, schema={"c": pl.String})
    value, error = parse_expr(FieldType.TEXT, "c")
    got = frame.select(plain_text_expr("c").alias("plain"), value.alias("v"), error.alias("e"))
    for cell, plain, v, e in zip(cells, *got.get_columns(), strict=True):
        if plain:
            assert (v, e) == (cell, None), cell
        if cell is None or normalize_text(cell).lower() in UNKNOWN_MARKERS:
            assert not plain, cell
