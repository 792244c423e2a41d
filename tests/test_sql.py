"""policy-match sql: the compiled query on DuckDB gives the polars batch's results (status,
amount, reasons, rank), for every bundled and pattern rule; a rule it cannot compile is
refused by name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed (pip install '.[spark]')")

from sqlcheck import (  # noqa: E402
    all_rules,
    duckdb_result,
    first_difference,
    generated_portfolio,
    polars_result,
    prepared,
    sql_table,
)

from matcher import api  # noqa: E402
from matcher.cli import run  # noqa: E402
from matcher.evaluate import sql as sqlmod  # noqa: E402
from matcher.evaluate.sql import SqlCompileError, compile_sql  # noqa: E402
from matcher.rule import Op  # noqa: E402

# The newsletter's date; before every rule's validity; past every assumed period.
DATES = [dt.date(2022, 7, 1), dt.date(2020, 1, 1), dt.date(2024, 3, 1)]


@pytest.fixture(scope="module")
def rules():
    return all_rules()


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generated_portfolio(1500, tmp_path_factory.mktemp("sql") / "generated.csv")


@pytest.mark.parametrize("as_of", DATES, ids=str)
def test_duckdb_equals_polars_on_generated_and_hostile_rows(rules, portfolio, as_of) -> None:
    table = prepared(portfolio, rules, as_of)
    expected = polars_result(table, rules, as_of)
    got = duckdb_result(table, rules, as_of)
    # Not a vacuous comparison: every status occurs, money and open questions too.
    statuses = set(expected.get_column("status").unique())
    assert {"eligible", "unknown", "ineligible"} <= statuses | {"expired", "not_yet_valid"}
    assert expected.get_column("amount_yuan").drop_nulls().len() > 0
    assert first_difference(expected, got) == ""


def test_duckdb_equals_polars_on_the_demo(rules) -> None:
    as_of = dt.date(2022, 7, 1)
    table = prepared(api.demo_portfolio_path(), rules, as_of)
    expected = polars_result(table, rules, as_of)
    assert first_difference(expected, duckdb_result(table, rules, as_of)) == ""


def test_the_text_rule_decides_on_folded_text(rules, portfolio) -> None:
    """Full-width and upper-case keywords match as the row evaluator folds them."""
    as_of = dt.date(2022, 7, 1)
    table = prepared(portfolio, rules, as_of)
    got = duckdb_result(table, rules, as_of)
    names = dict(zip(table.get_column("__row"), table.get_column("name"), strict=True))
    text = got.filter(got.get_column("rule_id") == "test-text-ops")
    met = {
        names[r]: m for r, m in zip(text.get_column("__row"), text.get_column("met"), strict=True)
    }
    assert "含ai与大数据" in met["甲'乙\\丙科技有限公司"]  # ＡＩ and ＢＩＧ ＤＡＴＡ
    assert "软件…开发" in met["甲'乙\\丙科技有限公司"]  # an ideographic space between
    assert "含ai与大数据" in met["Ｅ公司"]  # （AI） and 大数据
    assert "式样含通配符" in met["㈱测试"]  # % _ ! taken literally
    assert "含e" in met["组合字符"]  # e + U+0301 composes to é, a keyword
    assert met["空格"] == ""


@pytest.mark.parametrize("dialect", ["spark", "duckdb"])
def test_every_bundled_rule_compiles(dialect) -> None:
    as_of = dt.date(2022, 7, 1)
    for rule in api.load_ruleset().rules:
        query = compile_sql([rule], as_of, dialect=dialect)
        assert rule.id in query


def test_an_operator_the_compiler_lacks_is_refused_by_rule_and_operator(monkeypatch, rules):
    monkeypatch.setattr(sqlmod, "COMPILED_OPS", frozenset(Op) - {Op.CONTAINS_ANY})
    scope = next(r for r in rules if r.id == "pat-scope-keyword")
    with pytest.raises(SqlCompileError) as info:
        compile_sql([scope], dt.date(2022, 7, 1))
    assert "pat-scope-keyword" in info.value.message
    assert "contains_any" in info.value.message


def test_sql_command_prints_a_query_duckdb_runs(capsys) -> None:
    code = run(["sql", "--dialect", "duckdb", "--as-of", "2022-07-01", "--table", "p"])
    assert code == 0
    query = capsys.readouterr().out
    assert query.lstrip().startswith("--") and "ROW_NUMBER()" in query
    # Parsed and planned against an empty table of the right columns.
    table = prepared(api.demo_portfolio_path(), api.load_ruleset().rules, dt.date(2022, 7, 1))
    con = duckdb.connect()
    con.register("p", sql_table(table).head(0).to_arrow())
    assert con.sql(query).fetchall() == []


def test_sql_command_refuses_an_unknown_dialect(capsys) -> None:
    assert run(["sql", "--dialect", "oracle"]) != 0
