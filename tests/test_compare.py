"""batch --compare: adding one rule lists exactly the firms that newly qualify under it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from matcher.api import demo_portfolio_path, load_portfolio
from matcher.batch import evaluate_frame
from matcher.cli import app
from matcher.loader import bundled_rules_dir, load_rules
from matcher.report.compare import compare, normalise_report

PATTERNS = Path(__file__).parent / "data" / "patterns"
AS_OF = dt.date(2022, 7, 1)


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_adding_a_rule_lists_exactly_the_newly_eligible(tmp_path: Path) -> None:
    demo = str(demo_portfolio_path())
    before, after, changes = (
        tmp_path / "before.csv",
        tmp_path / "after.csv",
        tmp_path / "changes.csv",
    )
    code, text = run("batch", demo, "--out", str(before), "--as-of", "2022-07-01")
    assert code in (0, 3), text
    new_rules = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), new_rules)
    shutil.copy(PATTERNS / "pat-scope-keyword.yaml", new_rules)
    code, text = run(
        "batch", demo, "--out", str(after), "--as-of", "2022-07-01",
        "--rules", str(new_rules), "--only-rules",
        "--compare", str(before), "--compare-out", str(changes),
    )  # fmt: skip
    assert code in (0, 3), text
    got = pl.read_csv(changes, infer_schema=False)
    # By hand: the firms the new rule finds eligible, and nothing else changed.
    portfolio = load_portfolio(demo_portfolio_path(), today=AS_OF)
    rule = load_rules([PATTERNS], replace=True).by_id("pat-scope-keyword")
    assert rule is not None
    expected = (
        evaluate_frame(portfolio.frame, [rule], AS_OF)
        .filter(pl.col("status") == "eligible")
        .collect()["enterprise_id"]
        .to_list()
    )
    assert expected, "the demo should hold firms whose business scope names 人工智能 or 大数据"
    assert set(got["变化"]) == {"新符合"}
    assert set(got["政策编号"]) == {"pat-scope-keyword"}
    assert sorted(got["企业编号"].to_list()) == sorted(expected)
    assert f"新符合 pat-scope-keyword：{len(expected)} 家" in text


def test_lost_and_changed_amounts() -> None:
    def frame(rows: list[tuple[str, str, str, str]]) -> pl.LazyFrame:
        cols = ["企业编号", "政策编号", "匹配结果", "预计金额（元）"]
        return normalise_report(pl.LazyFrame(rows, schema=cols, orient="row"), "t")

    prev = frame(
        [("e1", "r1", "符合", "1500"), ("e2", "r1", "符合", "1500"), ("e3", "r1", "符合", "")]
    )
    now = frame(
        [("e1", "r1", "不符合", ""), ("e2", "r1", "符合", "2000"), ("e3", "r1", "符合", "")]
    )
    got = compare(prev, now).collect().sort("enterprise_id")
    assert got.select("enterprise_id", "change").rows() == [
        ("e1", "no_longer_eligible"),
        ("e2", "amount_changed"),
    ]


def test_nothing_matched_now_means_everyone_eligible_is_lost(tmp_path: Path) -> None:
    from matcher.report.compare import report_changes

    prev = tmp_path / "prev.csv"
    prev.write_text(
        "企业编号,政策编号,匹配结果,预计金额（元）\ne1,r1,符合,1500\ne2,r1,不符合,\n",
        encoding="utf-8",
    )
    out = tmp_path / "changes.csv"
    lines = report_changes(prev, pl.DataFrame(), out, "zh")
    assert lines[0] == "不再符合 r1：1 家"
    assert pl.read_csv(out, infer_schema=False)["企业编号"].to_list() == ["e1"]
