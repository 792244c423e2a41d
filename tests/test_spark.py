"""batch --engine spark: Spark local mode writes the report the local batch writes, and the
compiled SQL gives on Spark what it gives on DuckDB. One session for the module."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install '.[spark]')")
pytest.importorskip("duckdb", reason="duckdb is not installed (pip install '.[spark]')")
if shutil.which("java") is None:
    pytest.skip(
        "no Java runtime: Spark local mode needs one (.ci/run installs it)", allow_module_level=True
    )

from sqlcheck import (
    HOSTILE,
    all_rules,
    duckdb_result,
    first_difference,
    load_generator,
    normalised,
    prepared,
    sql_table,
)

from matcher import api
from matcher.cli import run
from matcher.evaluate.sql import compile_sql
from matcher.pipeline.spark import run_spark_batch, spark_session

pytestmark = pytest.mark.spark
AS_OF = dt.date(2022, 7, 1)


@pytest.fixture(scope="module")
def spark():
    session = spark_session("local[2]", "policy-match-tests")
    # Two input partitions at least, so rows are numbered across partitions.
    session.conf.set("spark.sql.files.maxPartitionBytes", 64 * 1024)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def rules():
    return all_rules()


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated rows and the hostile ones as Parquet (text cells with line breaks too),
    and the first firms entered again at the end, in another partition."""
    frame = load_generator().generate(1500, seed=5)
    hostile = pl.DataFrame(HOSTILE).cast(pl.String)
    again = frame.head(5)
    path = tmp_path_factory.mktemp("spark") / "portfolio.parquet"
    whole = pl.concat([frame, hostile, again], how="diagonal_relaxed")
    whole.write_parquet(path, row_group_size=400)
    return path


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.cast(pl.String).fill_null("")
    return frame.sort(frame.columns)


def test_spark_report_equals_the_local_batch(spark, rules, portfolio, tmp_path) -> None:
    local = tmp_path / "local.csv"
    local_run = api.run_batch(portfolio, rules, AS_OF, out=local)
    assert len(local_run.duplicates) >= 5  # the firms entered again, dropped locally
    out = tmp_path / "spark.csv"
    result = run_spark_batch(str(portfolio), str(out), rules, AS_OF, out_format="csv", spark=spark)
    assert result.partitions >= 2
    expected = pl.read_csv(local, infer_schema=False)
    got = pl.read_csv(str(out / "*.csv"), infer_schema=False)
    assert got.columns == expected.columns
    assert result.written == expected.height
    assert first_difference(_sorted(expected), _sorted(got)) == ""


def test_batch_command_on_spark_brief_and_only(spark, tmp_path) -> None:
    """The command, on a CSV read by Spark, with --brief and --only, in Parquet."""
    demo = api.demo_portfolio_path()
    local = tmp_path / "local.csv"
    bundled = api.load_ruleset().rules
    only = ["eligible", "unknown"]
    api.run_batch(demo, bundled, AS_OF, out=local, brief=True, statuses=only)
    out = tmp_path / "report"
    args = ["batch", str(demo), "--engine", "spark", "--out", str(out), "--as-of", "2022-07-01"]
    assert run([*args, "--brief", "--only", "符合,待补充信息"]) == 0
    expected = pl.read_csv(local, infer_schema=False)
    got = pl.read_parquet(str(out / "*.parquet"))
    assert set(got.get_column("匹配结果").unique()) <= {"符合", "待补充信息"}
    assert first_difference(_sorted(expected), _sorted(got.select(expected.columns))) == ""


def test_batch_command_on_spark_refuses_what_it_cannot_do(capsys, tmp_path) -> None:
    demo = str(api.demo_portfolio_path())
    code = run(["batch", demo, "--engine", "spark", "--out", str(tmp_path / "r"), "--summary"])
    assert code == 1
    assert "--summary" in capsys.readouterr().err


def test_sql_on_spark_equals_duckdb(spark, rules, portfolio) -> None:
    table = prepared(portfolio, rules, AS_OF)
    spark.createDataFrame(sql_table(table).to_arrow()).createOrReplaceTempView("profiles")
    got = pl.from_arrow(spark.sql(compile_sql(rules, AS_OF, dialect="spark")).toArrow())
    assert isinstance(got, pl.DataFrame)
    expected = duckdb_result(table, rules, AS_OF)
    assert expected.height > 0
    assert first_difference(expected, normalised(got)) == ""
