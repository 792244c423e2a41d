"""Whole-pipeline properties on generated portfolios: raw text in, both evaluators agree,
and every input row is accounted for."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.batch import evaluate_frame, match_row
from matcher.fields import ROW
from matcher.loader import load_rules
from matcher.normalize import normalise

RULES = load_rules().rules
AS_OF = dt.date(2022, 7, 1)

# Free text as advisors type it, with duplicates, unknown codes and junk.
REGION_TEXT = [
    "北京市海淀区中关村大街27号",
    "北京",
    "110105",
    "海淀区",
    "上海市浦东新区",
    "重庆市渝北区",
    "四川省成都市",
    "沈阳",
    "999999",
    "火星基地",
    "",
    "北京市朝阳区",
]
INDUSTRY_TEXT = [
    "6513",
    "C3011",
    "I65",
    "软件开发",
    "餐饮业",
    "汽车零部件及配件制造",
    "9999",
    "Z99",
    "做软件的",
    "",
    "2521",
    "炼钢",
]
NUMBER_TEXT = ["", "0", "1", "4", "12", "300", "1000", "2,000", "1.2亿", "约50人", "-3", "12.5"]
BOOL_TEXT = ["", "是", "否", "√", "1", "0", "也许"]
CERT_TEXT = [
    "",
    "无",
    "高新技术企业",
    "专精特新；小巨人",
    '专精特新"小巨人"企业',
    "创新型中小企业、高企",
]
DATE_TEXT = ["", "2015-03-12", "2021年8月3日", "2022/6/30", "2019-02-30", "2030-01-01"]
SIZE_TEXT = ["", "小型", "中型", "大型", "微", "巨型"]

HEADERS = {
    "企业名称": st.sampled_from(["甲公司", "乙公司", "", "丙公司"]),
    "所在地区": st.sampled_from(REGION_TEXT),
    "所属行业": st.sampled_from(INDUSTRY_TEXT),
    "从业人员": st.sampled_from(NUMBER_TEXT),
    "营业收入（万元）": st.sampled_from(NUMBER_TEXT),
    "资产总额（万元）": st.sampled_from(NUMBER_TEXT),
    "企业规模": st.sampled_from(SIZE_TEXT),
    "是否外商投资企业": st.sampled_from(BOOL_TEXT),
    "是否国有企业": st.sampled_from(BOOL_TEXT),
    "成立日期": st.sampled_from(DATE_TEXT),
    "资质认定": st.sampled_from(CERT_TEXT),
    "招用毕业年度高校毕业生人数": st.sampled_from(NUMBER_TEXT),
    "其中本地高校毕业生人数": st.sampled_from(NUMBER_TEXT),
    "就业见习岗位数": st.sampled_from(NUMBER_TEXT),
    "创办人为高校毕业生": st.sampled_from(BOOL_TEXT),
}


@st.composite
def portfolios(draw: Any) -> pl.DataFrame:
    n = draw(st.integers(1, 12))
    columns = {h: [draw(s) or None for _ in range(n)] for h, s in HEADERS.items()}
    return pl.DataFrame(
        {ROW: list(range(2, n + 2)), **columns},
        schema={ROW: pl.Int64, **dict.fromkeys(HEADERS, pl.String)},
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=portfolios())
def test_row_and_vector_agree_on_raw_portfolios(raw: pl.DataFrame) -> None:
    portfolio = normalise(raw, today=AS_OF)
    assert portfolio.read == portfolio.matched + portfolio.rejected == raw.height
    vec = evaluate_frame(portfolio.frame, RULES, AS_OF, "en").collect()
    for row in portfolio.frame.iter_rows(named=True):
        expected = [
            (o.rule.id, o.status.value, o.amount_yuan) for o in match_row(row, RULES, AS_OF)
        ]
        got = (
            vec.filter(pl.col(ROW) == row[ROW])
            .sort("rank")
            .select("rule_id", "status", "amount_yuan")
            .rows()
        )
        assert got == expected


@settings(max_examples=60, deadline=None)
@given(raw=portfolios())
def test_every_row_is_matched_or_rejected(raw: pl.DataFrame) -> None:
    portfolio = normalise(raw, today=AS_OF)
    kept = set(portfolio.frame.get_column(ROW).to_list())
    rejected = set(portfolio.errors.filter(pl.col("rejected")).get_column("row").to_list())
    assert kept | rejected == set(raw.get_column(ROW).to_list())
    assert not kept & rejected
    # A cell that failed to parse never leaves a value behind.
    for error in portfolio.errors.filter(~pl.col("rejected")).iter_rows(named=True):
        if error["field"] and error["code"] != "size_mismatch" and error["row"] in kept:
            # Free text stays as written; its resolved code is what rules read.
            column = {"region": "region_code", "industry": "industry_code"}.get(
                error["field"], error["field"]
            )
            value = portfolio.frame.filter(pl.col(ROW) == error["row"]).get_column(column)[0]
            assert value is None, error
