"""An imported, complete catalogue makes the FDI rule's verdict definite."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matcher.cli import app
from matcher.reference.catalogue import CATALOGUE_ENV, edition_in_force, write_edition

runner = CliRunner()


def _portfolio(path: Path) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(["企业名称", "所在地区", "所属行业", "是否外商投资企业", "经营范围"])
        w.writerow(["丁酒店（上海）有限公司", "上海市黄浦区", "H6110", "是", "住宿服务；餐饮服务"])
        w.writerow(
            ["庚集成电路设计（上海）有限公司", "上海市浦东新区", "", "是", "集成电路设计；技术咨询"]
        )
    return path


def _statuses(out: Path) -> dict[str, str]:
    with out.open(encoding="utf-8-sig") as f:
        return {
            r["enterprise_name"]: r["status"]
            for r in csv.DictReader(f)
            if r["rule_id"] == "fdi-encouraged-catalogue"
        }


def test_complete_import_turns_unknown_into_ineligible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The --catalogue option sets this variable for the process; monkeypatch restores it.
    monkeypatch.setenv(CATALOGUE_ENV, "")
    src = _portfolio(tmp_path / "p.csv")
    args = ["batch", str(src), "--as-of", "2023-06-01", "--lang", "en"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.stderr
    bundled = _statuses(tmp_path / "a.csv")
    assert bundled == {
        "丁酒店（上海）有限公司": "unknown",  # the bundled list is partial: no match is not a no
        "庚集成电路设计（上海）有限公司": "eligible",
    }

    # An "imported" edition whose entries are the whole official list.
    partial = edition_in_force(dt.date(2023, 6, 1))
    assert partial is not None and partial.partial
    complete = dataclasses.replace(
        partial,
        official_national=partial.national_count,
        official_regional=partial.regional_count,
        partial=False,
    )
    folder = tmp_path / "catalogue"
    folder.mkdir()
    write_edition(complete, folder / "fdi_encouraged_2022.yaml")
    result = runner.invoke(
        app, ["--catalogue", str(folder), *args, "--out", str(tmp_path / "b.csv")]
    )
    assert result.exit_code == 0, result.stderr
    # Issue 13: no catalogue match is no longer a no while the enterprise has not answered
    # whether its project is under a catalogue entry (q_fdi_catalogue_entry); see the rule.
    assert _statuses(tmp_path / "b.csv") == {
        "丁酒店（上海）有限公司": "unknown",
        "庚集成电路设计（上海）有限公司": "eligible",
    }
