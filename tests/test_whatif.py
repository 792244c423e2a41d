"""What-if: the demo under bj-grad-expansion-subsidy at 2,000 yuan a head, against a hand count."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from matcher.api import demo_portfolio_path, load_portfolio
from matcher.cli import app
from matcher.errors import PolicyMatchError
from matcher.loader import load_rules
from matcher.whatif import apply_sets, whatif

AS_OF = dt.date(2022, 7, 1)
# By hand from profiles/demo.csv: firms in Beijing (BJ006's address 海淀区上地信息路 included)
# with 其中本地高校毕业生人数 ≥ 1, and that number: 4+9+15+1+2+6+3+2+6 = 48 heads.
HAND = {
    "BJ001": 4,
    "BJ003": 9,
    "BJ004": 15,
    "BJ005": 1,
    "BJ006": 2,
    "BJ008": 6,
    "BJ010": 3,
    "BJ012": 2,
    "BJ013": 6,
}


def test_amount_2000_against_the_hand_count() -> None:
    rules = load_rules().rules
    alt = apply_sets(rules, ["bj-grad-expansion-subsidy.benefit.amount_yuan=2000"])
    portfolio = load_portfolio(demo_portfolio_path(), today=AS_OF)
    result = whatif(portfolio.frame, rules, alt, AS_OF)
    assert result.cost_change == sum(HAND.values()) * 500 == 24_000
    assert (result.winners, result.losers) == (len(HAND), 0)
    changed = result.enterprises.filter(pl.col("change") != 0)
    assert dict(zip(changed["enterprise_id"], changed["change"], strict=True)) == {
        k: v * 500.0 for k, v in HAND.items()
    }
    region = result.breakdowns["region"].filter(pl.col("region") == "110000")
    assert region["change"].item() == 24_000 and region["winners"].item() == len(HAND)
    assert result.breakdowns["size"]["change"].sum() == 24_000
    assert result.breakdowns["section"]["change"].sum() == 24_000


def test_cli_and_bad_sets(tmp_path: Path) -> None:
    out = tmp_path / "w.csv"
    result = CliRunner().invoke(
        app,
        ["whatif", str(demo_portfolio_path()), "--as-of", "2022-07-01", "--out", str(out),
         "--set", "bj-grad-expansion-subsidy.benefit.amount_yuan=2000"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "总成本变化 +24,000 元；增加 9 家，减少 0 家" in result.output
    assert pl.read_csv(out)["变化（元）"].sum() == 24_000
    rules = load_rules().rules
    with pytest.raises(PolicyMatchError, match="没有编号为「bj-nope」的政策"):
        apply_sets(rules, ["bj-nope.benefit.amount_yuan=1"])
    with pytest.raises(PolicyMatchError, match="改动后规则 bj-grad-expansion-subsidy 无效"):
        apply_sets(rules, ["bj-grad-expansion-subsidy.benefit.amount_yuan=-5"])


def test_alt_rules_folder_equal_to_current_changes_nothing() -> None:
    from matcher.loader import bundled_rules_dir

    result = CliRunner().invoke(
        app,
        [
            "whatif",
            str(demo_portfolio_path()),
            "--as-of",
            "2022-07-01",
            "--alt-rules",
            str(bundled_rules_dir()),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "总成本变化 +0 元；增加 0 家，减少 0 家" in result.output
