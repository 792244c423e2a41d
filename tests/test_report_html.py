"""Reports to hand over: money formatting, HTML and Markdown pages, the advisor's xlsx."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from matcher.cli import app
from matcher.report.money import yuan_text

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
DEMO = ROOT / "profiles" / "demo.csv"
EXAMPLE = ROOT / "profiles" / "examples" / "beijing_software.yaml"
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


def test_yuan_text_is_whole_yuan_with_separators() -> None:
    assert yuan_text(6000.0) == "6,000"
    assert yuan_text(4500) == "4,500"
    assert yuan_text(1234567.4) == "1,234,567"
    assert yuan_text(None) == ""


def test_money_is_whole_yuan_in_csv_json_and_summary(tmp_path: Path) -> None:
    out, summary = tmp_path / "r.csv", tmp_path / "s.csv"
    code, _, err = run(
        "batch",
        str(DEMO),
        "--as-of",
        "2022-07-01",
        "--out",
        str(out),
        "--summary-out",
        str(summary),
    )
    assert code == 0, err
    amounts = {r["预计金额（元）"] for r in csv.DictReader(out.open(encoding="utf-8-sig"))}
    assert "6000" in amounts and not any("." in a for a in amounts)
    totals = {
        r["政策编号"]: r["预计金额合计（元）"]
        for r in csv.DictReader(summary.open(encoding="utf-8-sig"))
    }
    assert totals["bj-grad-expansion-subsidy"] == "72000"
    # A rule that states no amount has an empty total, not 0.0.
    assert totals["bj-grad-job-search-subsidy"] == ""

    code, text, _ = run("report", str(EXAMPLE), "--as-of", "2022-07-01", "--format", "json")
    rows = json.loads(text)
    assert rows[0]["预计金额（元）"] == 6000 and isinstance(rows[0]["预计金额（元）"], int)


def test_terminal_summary_shows_thousands_separators() -> None:
    code, text, _ = run("batch", str(DEMO), "--as-of", "2022-07-01", "--summary")
    assert code == 0
    assert "72,000" in text and "72000.0" not in text
