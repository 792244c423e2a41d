"""The SME size standard: its data, golden cases from the text, and row vs polars agreement."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kept_pickles import assert_odd_files_ignored

from matcher.reference import size
from matcher.reference.industry import industry_codes
from matcher.reference.size import (
    derive_size,
    size_expr,
    size_group,
    size_group_expr,
    size_standard,
)

GROUP_NAMES = [
    "农、林、牧、渔业", "工业", "建筑业", "批发业", "零售业", "交通运输业", "仓储业", "邮政业",
    "住宿业", "餐饮业", "信息传输业", "软件和信息技术服务业", "房地产开发经营", "物业管理",
    "租赁和商务服务业", "其他未列明行业",
]  # fmt: skip


def test_structure() -> None:
    std = size_standard()
    assert std.document == "工信部联企业〔2011〕300号"
    assert std.issued == dt.date(2011, 6, 18)
    assert [g.zh for g in std.groups] == GROUP_NAMES
    for g in std.groups:
        assert g.quote.startswith(g.zh)
        for tier in (g.sme, g.medium, g.small, g.micro):
            for value in tier.bounds.values():
                assert f"{value:g}" in g.quote.replace(" ", ""), (g.id, value)


def test_every_division_covered_exactly_once() -> None:
    cover = size_standard().coverage()
    divisions = [c for c, v in industry_codes().items() if v.level == 2]
    assert len(divisions) == 97
    for div in divisions:
        # Listed at the 门类 level, at its own level, or split into listed parts.
        above = [c for c in cover if div.startswith(c)]
        below = [c for c in cover if c.startswith(div) and c != div]
        assert len(above) + (1 if below else 0) == 1, (div, above, below)
    leaves = [c for c, v in industry_codes().items() if v.level == 4]
    for leaf in leaves:
        assert sum(leaf.startswith(c) for c in cover) == 1, leaf


@pytest.mark.parametrize(
    ("code", "group"),
    [
        ("C3011", "industry"), ("B06", "industry"), ("D4411", "industry"), ("E47", "construction"),
        ("F51", "wholesale"), ("F5292", "retail"), ("G5431", "transport"), ("G591", "transport"),
        ("G592", "warehousing"), ("G59", None), ("G53", None), ("G6020", "postal"),
        ("H61", "accommodation"), ("H62", "catering"), ("I63", "information_transmission"),
        ("I64", "information_transmission"), ("I6513", "software_it"), ("I", None),
        ("K7010", "real_estate_development"), ("K7020", "property_management"),
        ("K7030", "other"), ("K7040", None), ("K70", None), ("K", None),
        ("L71", "leasing_business_services"), ("L", "leasing_business_services"),
        ("M73", "other"), ("Q85", "other"), ("Q84", None), ("J66", None), ("P83", None),
        ("R90", "other"), ("A0111", "agriculture"), ("6513", "software_it"), (None, None),
        ("bogus", None),
    ],
)  # fmt: skip
def test_size_group(code: str | None, group: str | None) -> None:
    assert size_group(code) == group


GOLDEN = [
    # 工业: 1000人/40000万元; 300 且 2000; 20 且 300
    ("C30", 300, 2000, None, "medium"),
    ("C30", 299, 2000, None, "small"),
    ("C30", 1000, 40000, None, "large"),
    ("C30", 999, 40000, None, "medium"),
    ("C30", 1000, 39999, None, "medium"),
    ("C30", 19, None, None, "micro"),
    ("C30", 20, 300, None, "small"),
    ("C30", 20, 299.99, None, "micro"),
    ("C30", 500, None, None, None),
    ("C30", None, 100, None, "micro"),
    ("C30", None, 50000, None, None),
    # 软件和信息技术服务业: 300/10000; 100 且 1000; 10 且 50
    ("I65", 9, 50, None, "micro"),
    ("I65", 10, 49.9, None, "micro"),
    ("I65", 10, 50, None, "small"),
    ("I65", 100, 1000, None, "medium"),
    ("I65", 300, 10000, None, "large"),
    # 房地产开发经营: 营业收入200000 或 资产总额10000
    ("K7010", None, 200000, 10000, "large"),
    ("K7010", None, 199999, 10000, "medium"),
    ("K7010", None, 1000, 5000, "medium"),
    ("K7010", None, 100, 2000, "small"),
    ("K7010", None, 99, None, "micro"),
    ("K7010", None, 200000, None, None),
    ("K70", None, 200000, 10000, None),
    # 其他未列明行业: employees only
    ("M73", 300, None, None, "large"),
    ("M73", 100, None, None, "medium"),
    ("M73", 10, None, None, "small"),
    ("M73", 9, None, None, "micro"),
    ("M73", None, 1, 1, None),
    # 农、林、牧、渔业: revenue only
    ("A01", 5000, 20000, None, "large"),
    ("A01", None, 49, None, "micro"),
    # 租赁和商务服务业: employees and total assets
    ("L72", 100, None, 8000, "medium"),
    ("L72", 5, None, None, "micro"),
    # 建筑业: revenue and total assets
    ("E48", None, 6000, 5000, "medium"),
    ("E48", None, 6000, 4999, "small"),
    # 批发业 / 零售业 / 邮政业 / 物业管理
    ("F51", 20, 5000, None, "medium"),
    ("F51", 4, 100000, None, "micro"),
    ("F52", 50, 500, None, "medium"),
    ("G60", 20, 100, None, "small"),
    ("K7020", 100, 500, None, "small"),
    # out of scope or unknown industry
    ("J66", 10, 10, 10, None),
    (None, 10, 10, 10, None),
    ("C30", float("nan"), 100, None, "micro"),
]


@pytest.mark.parametrize(("code", "emp", "rev", "assets", "expected"), GOLDEN)
def test_golden(
    code: str | None,
    emp: float | None,
    rev: float | None,
    assets: float | None,
    expected: str | None,
) -> None:
    employees = None if emp is None or emp != emp else int(emp)
    assert derive_size(code, employees, rev, assets) == expected


def _frame(rows: list[tuple[str | None, int | None, float | None, float | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={"code": pl.String, "emp": pl.Int64, "rev": pl.Float64, "assets": pl.Float64},
        orient="row",
    )


def _vector(df: pl.DataFrame) -> list[str | None]:
    expr = size_expr(pl.col("code"), pl.col("emp"), pl.col("rev"), pl.col("assets"))
    return df.lazy().select(expr.alias("size")).collect()["size"].to_list()


def test_golden_vectorised() -> None:
    rows = [(c, None if e is None or e != e else int(e), r, a) for c, e, r, a, _ in GOLDEN]
    assert _vector(_frame(rows)) == [x[4] for x in GOLDEN]


CODES = [
    "C3011", "C30", "C", "B06", "D44", "E47", "F51", "F5292", "G54", "G591", "G592", "G59",
    "G53", "G60", "H61", "H62", "I63", "I64", "I65", "K7010", "K7020", "K7030", "K7040", "K70",
    "K", "L71", "L", "M73", "Q85", "Q84", "J66", "A01", "R90", "bogus", None,
]  # fmt: skip
EDGES = [0, 4, 5, 9, 10, 19, 20, 49, 50, 99, 100, 199, 200, 299, 300, 999, 1000, 1999, 2000]
MONEY = [0, 49.99, 50, 99.9, 100, 199, 200, 299.5, 300, 499, 500, 999, 1000, 1999, 2000, 2999,
         3000, 4999, 5000, 5999, 6000, 7999, 8000, 9999, 10000, 19999, 20000, 29999, 30000,
         39999, 40000, 79999, 80000, 99999, 100000, 119999, 120000, 199999, 200000]  # fmt: skip

row = st.tuples(
    st.sampled_from(CODES),
    st.one_of(st.none(), st.sampled_from(EDGES), st.integers(0, 5000)),
    st.one_of(st.none(), st.sampled_from(MONEY), st.floats(0, 300000, allow_nan=False)),
    st.one_of(st.none(), st.sampled_from(MONEY), st.floats(0, 300000, allow_nan=False)),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(row, min_size=1, max_size=40))
def test_row_and_vector_agree(
    rows: list[tuple[str | None, int | None, float | None, float | None]],
) -> None:
    assert _vector(_frame(rows)) == [derive_size(*r) for r in rows]


def test_size_group_expr_agrees() -> None:
    codes = [*industry_codes(), None, "bogus"]
    df = pl.DataFrame({"code": codes}, schema={"code": pl.String})
    got = df.select(size_group_expr(pl.col("code")).alias("g"))["g"].to_list()
    assert got == [size_group(c) for c in codes]


def test_one_code_gives_the_group_of_the_table() -> None:
    # size_group of one code (a one-profile report) is made without the table of every code
    from matcher.reference import size

    table = size._group_by_code()
    for code in industry_codes():
        assert size._group_of(code) == table.get(code), code
    assert size._group_of("Z99") is None


def test_standard_kept_pickled_and_odd_files_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 16: a warm run restores the validated standard without validating it again;
    # a file that is not our own pickle of these models is never believed
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(size.STANDARD_CACHE_OFF_ENV, raising=False)
    size.size_standard.cache_clear()
    try:
        cold = size.size_standard()
        (path,) = tmp_path.glob("policy-match/size-standard-*.pickle")
        size.size_standard.cache_clear()
        calls: list[int] = []
        real = size.SizeStandard.model_validate

        def counting(*args: object, **kwargs: object) -> size.SizeStandard:
            calls.append(1)
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(size.SizeStandard, "model_validate", counting)
        warm = size.size_standard()
        assert warm == cold and warm is not cold and not calls
        assert_odd_files_ignored(
            path, size._read_standard, "size-standard-1", cold, cold.groups[0], monkeypatch
        )
    finally:
        size.size_standard.cache_clear()
