"""Shared by test_sql.py and test_spark.py: portfolios with hostile values, the polars
batch's result to compare with, and a compiled query run on DuckDB."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from matcher import api
from matcher.batch import Evaluator
from matcher.evaluate.questions_frame import with_ask_first
from matcher.evaluate.sql import compile_sql
from matcher.rule import Condition, Op, Rule

ROOT = Path(__file__).resolve().parent.parent
PATTERNS = ROOT / "tests" / "data" / "patterns"
ORDINARY = ROOT / "bench" / "rules_ordinary"
COMPARED = ["__row", "rank", "rule_id", "status", "amount_yuan", "met", "unmet", "missing"]

# Cells a spreadsheet can hold that the text, date and certification tests must survive.
HOSTILE = [
    {"企业名称": "甲'乙\\丙科技有限公司", "经营范围": "ＡＩ芯片；ＢＩＧ ＤＡＴＡ 分析；软件　开发"},
    {"企业名称": "Ｅ公司", "经营范围": "人工智能（AI）应用；大数据", "成立日期": "2019年3月"},
    {"企业名称": "㈱测试", "经营范围": "软件开发%_!*服务", "成立日期": "2015"},
    {"企业名称": "空格", "经营范围": "   ", "资质认定": "高企？；其余未知"},
    {"企业名称": "组合字符", "经营范围": "cafe\u0301 ai", "资质认定": "专精特新；否:高新技术企业"},
    {"企业名称": "超大", "营业收入（万元）": "1e30", "从业人员": "99999999", "成立日期": "2022.6"},
    {"企业名称": "负数", "营业收入（万元）": "-5", "从业人员": "-3", "所在地区": "北京"},
    {"企业名称": "换行", "经营范围": "第一行\n第二行 大数据", "所在地区": "110000"},
]


def load_generator():
    path = ROOT / "bench" / "generate.py"
    spec = importlib.util.spec_from_file_location("bench_generate_sql", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def generated_portfolio(n: int, out: Path, seed: int = 11) -> Path:
    """``n`` generated rows and the hostile ones, as a CSV the local reader reads."""
    frame = load_generator().generate(n, seed=seed)
    hostile = pl.DataFrame(HOSTILE).cast(pl.String)
    pl.concat([frame, hostile], how="diagonal_relaxed").write_csv(out, include_bom=True)
    return out


def text_rule(base: Rule) -> Rule:
    """The text operators, with Latin, full-width and SQL-special keywords."""
    conds = [
        Condition(
            field="business_scope",
            op=Op.CONTAINS_ALL,
            value=["ai", ["大数据", "big data"]],
            label="含ai与大数据",
            assumption=True,
        ),
        Condition(
            field="business_scope",
            op=Op.MATCHES,
            value="软件*开发",
            label="软件…开发",
            assumption=True,
        ),
        Condition(
            field="business_scope",
            op=Op.MATCHES,
            value="%_!*服务",
            label="式样含通配符",
            assumption=True,
        ),
        Condition(
            field="business_scope",
            op=Op.CONTAINS_ANY,
            value=["e", "'", "é"],
            label="含e",
            assumption=True,
        ),
    ]
    from matcher.rule import AnyNode

    return base.model_copy(update={"id": "test-text-ops", "criteria": AnyNode(any=conds)})


def all_rules() -> list[Rule]:
    rules = api.load_ruleset([PATTERNS, ORDINARY]).rules
    scope = next(r for r in rules if r.id == "pat-scope-keyword")
    return [*rules, text_rule(scope)]


def prepared(path: Path, rules: Sequence[Rule], as_of: dt.date) -> pl.DataFrame:
    """The normalised table with the columns the polars batch derives: the SQL reads
    only the catalogue verdict of them (it cannot compute it), see sql_table."""
    portfolio = api.load_portfolio(path, rules=rules)
    return Evaluator(rules, as_of).prepare(portfolio.frame)


def sql_table(table: pl.DataFrame) -> pl.DataFrame:
    """What the SQL is given: the normalised columns and the catalogue verdict."""
    return table.drop("__region_prefix")


def polars_result(table: pl.DataFrame, rules: Sequence[Rule], as_of: dt.date) -> pl.DataFrame:
    ev = Evaluator(rules, as_of)
    coded = ev.long(ev.wide(table), codes=True).collect()
    return normalised(with_ask_first(coded, rules))


def normalised(frame: pl.DataFrame) -> pl.DataFrame:
    return (
        frame.select(COMPARED)
        .with_columns(
            pl.col("rule_id").cast(pl.String),
            pl.col("rank").cast(pl.Int64),
            pl.col("__row").cast(pl.Int64),
        )
        .sort("__row", "rank")
    )


def duckdb_result(table: pl.DataFrame, rules: Sequence[Rule], as_of: dt.date) -> pl.DataFrame:
    import duckdb

    query = compile_sql(rules, as_of, dialect="duckdb", table="profiles")
    con = duckdb.connect()
    con.register("profiles", sql_table(table).to_arrow())
    got = pl.from_arrow(con.sql(query).to_arrow_table())
    assert isinstance(got, pl.DataFrame)
    return normalised(got)


def first_difference(expected: pl.DataFrame, got: pl.DataFrame) -> str:
    """'' when equal, else the first differing rows, for the assertion message."""
    if expected.shape != got.shape:
        return f"shape {expected.shape} != {got.shape}"
    for name in expected.columns:
        a = expected.get_column(name).cast(pl.String).fill_null("<null>")
        b = got.get_column(name).cast(pl.String).fill_null("<null>")
        diff = a != b
        if diff.any():
            i = diff.arg_true()[0]
            return f"{name} differs at {expected.row(i)}: {got.row(i)}"
    return ""
