"""Every output names the rule set that produced it: hash, count, newest publication, version."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.loader import bundled_rules_dir, load_rules
from matcher.report.meta import identify, sidecar_path

ROOT = Path(__file__).resolve().parents[1]
DEMO = str(ROOT / "profiles" / "demo.csv")
SOFTWARE = str(ROOT / "profiles" / "examples" / "beijing_software.yaml")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_identity_follows_content_not_layout(tmp_path: Path) -> None:
    rules = load_rules().rules
    ident = identify(rules)
    assert ident.rules == len(rules) and len(ident.sha256) == 64
    assert ident.newest_published == max(r.published for r in rules)
    # Comments and key order do not change the hash; an amount does.
    copy = tmp_path / "rules"
    shutil.copytree(bundled_rules_dir(), copy)
    target = copy / "bj-grad-expansion-subsidy.yaml"
    target.write_text("# 注释\n" + target.read_text(encoding="utf-8"), encoding="utf-8")
    assert identify(load_rules([copy], replace=True).rules).sha256 == ident.sha256
    target.write_text(
        target.read_text(encoding="utf-8").replace("amount_yuan: 1500", "amount_yuan: 2000"),
        encoding="utf-8",
    )
    assert identify(load_rules([copy], replace=True).rules).sha256 != ident.sha256


def test_terminal_line_json_block_and_csv_sidecar(tmp_path: Path) -> None:
    ident = identify(load_rules().rules)
    code, text = run("report", SOFTWARE, "--as-of", "2022-07-01")
    assert code == 0 and f"规则集 {ident.short}：{ident.rules} 条规则" in text
    code, text = run("report", SOFTWARE, "--as-of", "2022-07-01", "--format", "json")
    assert code == 0
    doc = json.loads(text[text.index("{") : text.rindex("}") + 1])
    assert doc["metadata"]["rules_sha256"] == ident.sha256
    assert doc["metadata"]["as_of"] == "2022-07-01" and doc["results"]
    out = tmp_path / "report.csv"
    code, text = run("batch", DEMO, "--out", str(out), "--as-of", "2022-07-01")
    assert code in (0, 3), text
    side = json.loads(sidecar_path(out).read_text(encoding="utf-8"))
    assert side == {**ident.as_dict(), "as_of": "2022-07-01", "report": "report.csv"}
    out_json = tmp_path / "report.json"
    code, text = run("batch", DEMO, "--out", str(out_json), "--as-of", "2022-07-01")
    assert (
        json.loads(out_json.read_text(encoding="utf-8"))["metadata"]["rules_count"] == ident.rules
    )


def test_rows_for_the_xlsx_notes_sheet() -> None:
    rows = identify(load_rules().rules).rows("zh")
    assert [label for label, _ in rows] == [
        "规则集哈希（SHA-256）",
        "规则条数",
        "最新发布日期",
        "程序版本",
    ]


def test_the_version_reports_print_is_the_installed_distributions() -> None:
    # pyproject.toml reads the version from matcher/__init__.py (hatch), so an install's
    # metadata and what reports print cannot drift apart.
    from importlib.metadata import PackageNotFoundError, version

    import matcher

    try:
        installed = version("policy-match")
    except PackageNotFoundError:
        pytest.skip("policy-match is not installed (running from a bare source tree)")
    assert identify(load_rules().rules).project_version == matcher.__version__ == installed
