"""The row-wise normaliser (matcher/normalize_rows.py) against the frame path: the same
frame and the same problems, in the same order, on generated hostile tables. This is the
gate for using it on small frames (a web request, a one-enterprise report)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_intake_values import cells as value_cells
from test_pipeline_properties import HEADERS

import matcher.normalize as nz
from matcher.fields import ROW
from matcher.intake.limits import Limits

AS_OF = dt.date(2022, 7, 1)

SCOPES = [
    "软件开发；信息技术咨询服务",
    "一般项目：技术服务、技术开发、技术咨询；许可项目：第二类增值电信业务",
    "主营：餐饮服务；食品销售",
    "主营业务：；汽车零部件及配件制造",
    "（依法须经批准的项目，经相关部门批准后方可开展经营活动）",
    "经营范围：机械设备销售。主营 金属切削加工",
    "；；、",
    "家用电器修理",
    "",
]
FLAG_TEXT = ["", "是", "否", "国家级", "市级", "也许", "高新技术企业", "√", "无"]
CREDIT = ["", "91110108MA01234567", "91350100M000100Y43", "123", "9111010", "N/A"]
OWNERSHIP = ["", "港资", " 台资 ", "外商独资", "中外合资", "国有控股", "民营", "外资控股", "?"]
APPROX = ["约80", "80左右", "80+", "80余人", "大约 1.2亿", "80左右\n", "１２０人", "3万", "1.5亿元"]
DATES = ["2019年3月", "2015.6", "2019", "201903", "２０１９年", "2019-02", "2022-06-28 00:00:00"]

hostile = st.one_of(value_cells, st.sampled_from(APPROX + DATES + OWNERSHIP))
EXTRA = {
    "经营范围": st.sampled_from(SCOPES),
    "统一社会信用代码": st.sampled_from(CREDIT),
    "企业性质": st.sampled_from(OWNERSHIP),
    "是否专精特新": st.sampled_from(FLAG_TEXT),
    "是否高新技术企业": st.sampled_from(FLAG_TEXT),
    "企业编号": st.sampled_from(["", "A1", "A1", " 7 ", "#N/A"]),
    "status": st.sampled_from(["", "x"]),  # a report column fed back in: renamed
    "备注": hostile,
    " 所属行业 ": st.sampled_from(["", "I65", "C30", "C"]),  # a stray space, a duplicate
}


@st.composite
def tables(draw: Any) -> pl.DataFrame:
    n = draw(st.integers(1, 10))
    pool = {**HEADERS, **EXTRA}
    chosen = draw(
        st.lists(st.sampled_from(sorted(pool)), min_size=1, max_size=len(pool), unique=True)
    )
    columns: dict[str, list[str | None]] = {}
    for h in chosen:
        strat = st.one_of(pool[h], hostile) if draw(st.booleans()) else pool[h]
        columns[h] = [draw(strat) for _ in range(n)]
        columns[h] = [c if c else None for c in columns[h]]
    return pl.DataFrame(
        {ROW: list(range(2, n + 2)), **columns},
        schema={ROW: pl.Int64, **dict.fromkeys(columns, pl.String)},
    )


def both(raw: pl.DataFrame, **options: Any) -> tuple[nz.Portfolio, nz.Portfolio]:
    saved = nz.SMALL_MAX_ROWS
    try:
        nz.SMALL_MAX_ROWS = 1_000_000
        small = nz.normalise(raw, today=AS_OF, **options)
        nz.SMALL_MAX_ROWS = -1
        large = nz.normalise(raw, today=AS_OF, **options)
    finally:
        nz.SMALL_MAX_ROWS = saved
    return small, large


def assert_same(small: nz.Portfolio, large: nz.Portfolio) -> None:
    assert small.frame.schema == large.frame.schema
    assert small.frame.to_dicts() == large.frame.to_dicts()
    assert small.errors.schema == large.errors.schema
    assert small.errors.to_dicts() == large.errors.to_dicts()  # same order too
    assert (small.read, small.rejected) == (large.read, large.rejected)
    assert small.passthrough == large.passthrough
    assert small.mapping == large.mapping
    assert {k: v.code for k, v in small.regions.items()} == {
        k: v.code for k, v in large.regions.items()
    }


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(raw=tables(), cut=st.sampled_from([None, 6]), fields=st.sampled_from([None, "few"]))
def test_rows_and_frames_normalise_alike(raw: pl.DataFrame, cut: int | None, fields: Any) -> None:
    limits = Limits(max_cell_chars=cut) if cut is not None else None
    only = {"id", "name", "region", "employees", "certifications"} if fields else None
    assert_same(*both(raw, limits=limits, fields=only))


@pytest.mark.parametrize(
    "cells",
    [
        {"企业名称": "甲", "成立日期": "2019年3月", "从业人员": "约80人", "企业性质": "港资"},
        {"企业名称": "合计", "营业收入（万元）": "1.2亿左右", "所在地区": "通州区"},
        {"企业名称": "乙", "经营范围": "主营：软件开发", "所属行业": ""},
        {"企业名称": "丙", "资质认定": "否；高企", "是否专精特新": "也许"},
        {"企业名称": "丁", "招用毕业年度高校毕业生人数": "2", "其中本地高校毕业生人数": "5"},
    ],
)
def test_named_cases(cells: dict[str, str]) -> None:
    raw = nz.profile_to_raw(cells)
    small, large = both(raw)
    assert_same(small, large)
    assert small.errors.height  # each case has something to report


def test_normalise_uses_the_row_path_for_small_frames(monkeypatch: Any) -> None:
    import matcher.normalize_rows as nr

    calls: list[int] = []
    real = nr.normalise_rows
    monkeypatch.setattr(
        nr, "normalise_rows", lambda rows, *a, **k: calls.append(len(rows)) or real(rows, *a, **k)
    )
    nz.normalise(nz.profile_to_raw({"企业名称": "甲"}), today=AS_OF)
    assert calls == [1]


scope_text = st.lists(
    st.one_of(
        st.sampled_from(["主营", "主营业务", "主营项目", "：", ":", "为", "是", " ", "\t", "\x1c"]),
        st.sampled_from(["；", ";", "。", "\n", "、", "，", "一般项目：", "经营范围:", "（", "）"]),
        st.sampled_from(SCOPES),
        st.text(max_size=4),
    ),
    max_size=8,
).map("".join)


def test_python_letters_are_polars_letters_on_every_code_point() -> None:
    """main_piece's letter class is \\p{L}\\p{N} of polars' regex on all of Unicode, also for
    letters newer than Python's own database (a scope of one Ext-H ideograph differed)."""
    import re

    from matcher.reference.scope import _NEWER_LETTERS

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    rust = pl.Series(chars).str.contains(r"^[\p{L}\p{N}]$").to_list()
    py = re.compile(rf"(?:[^\W_]|[{_NEWER_LETTERS}])")
    differ = [hex(ord(c)) for c, r in zip(chars, rust, strict=True) if r != bool(py.match(c))]
    assert differ == []


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(scope_text, min_size=1, max_size=20))
def test_main_piece_as_the_expression(texts: list[str]) -> None:
    from matcher.reference.scope import main_piece, main_piece_expr

    got = pl.DataFrame({"s": texts}).select(main_piece_expr(pl.col("s"))).to_series().to_list()
    assert [main_piece(t) for t in texts] == got


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=tables(), report=st.booleans())
def test_options_normalise_alike(raw: pl.DataFrame, report: bool) -> None:
    """--map overrides, the reader's problems (rows it dropped, header notes) and
    report_headers=False take the same course on both paths."""
    from matcher.intake.readers import RawProblem

    problems = [
        RawProblem(None, "duplicate_header", "企业名称"),
        RawProblem(99, "ragged_row", "第 99 行"),
        # one cell's problem names its column, and the field the column maps to
        *(RawProblem(2, "undecodable_cell", "\\xff", column=h) for h in raw.columns[1:]),
    ]
    overrides = {h: "" for h in raw.columns[1:2]}  # leave the first column unmapped
    small, large = both(raw, problems=problems, report_headers=report, overrides=overrides)
    assert_same(small, large)
    assert small.read == raw.height + 1  # the dropped row is counted as read


def test_an_over_long_cell_is_cut_in_its_own_row_when_numbers_repeat() -> None:
    """A caller may pass two rows with the same number: the over-long cell is blanked in the
    row that holds it, not in the first row so numbered."""
    import datetime as dt

    from matcher.fields import ROW
    from matcher.normalize_rows import normalise_rows

    cells = [
        {ROW: 1, "企业名称": "甲", "经营范围": "软件开发"},
        {ROW: 1, "企业名称": "乙", "经营范围": "软件开发；" * 10},
    ]
    result = normalise_rows(
        cells, ["企业名称", "经营范围"], today=dt.date(2022, 7, 1), limits=Limits(max_cell_chars=20)
    )
    by_name = {r["name"]: r for r in result.rows}
    assert by_name["甲"]["business_scope"] == "软件开发"
    assert by_name["乙"]["business_scope"] is None
    cut = [e for e in result.errors if e["code"] == "cell_too_long"]
    assert len(cut) == 1 and cut[0]["value"].startswith("「软件开发；")
