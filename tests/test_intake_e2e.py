"""Issue 5's acceptance: an Excel-saved GB18030 CSV with other headers, and the same as .xlsx."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from matcher.cli import app

HEADERS = [
    "企业名称",
    "员工人数",
    "营业收入(万元)",
    "注册地址",
    "是否外资",
    "其中本地高校毕业生人数",
]
ROWS = [
    ["重庆两江智能装备有限公司", "260", "1.8亿", "重庆市渝北区金开大道", "是", ""],
    ["北京智码软件科技有限公司", "85人", "6,000", "北京市海淀区中关村大街27号", "否", "4"],
    ["沈阳北方精密机床配件有限公司", "210", "12000万元", "辽宁省沈阳市浑南区", "√", "0"],
]

runner = CliRunner()


def _gb18030_csv(path: Path) -> Path:
    with path.open("w", encoding="gb18030", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        w.writerows(ROWS)
    return path


def _xlsx(path: Path) -> Path:
    pl.DataFrame(ROWS, schema=HEADERS, orient="row").write_excel(path)
    return path


def _batch(src: Path, out: Path) -> list[dict[str, str]]:
    result = runner.invoke(
        app, ["batch", str(src), "--out", str(out), "--as-of", "2022-07-01", "--lang", "en"]
    )
    assert result.exit_code == 0, result.stderr
    with out.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def test_gb18030_csv_is_matched_without_manual_mapping(tmp_path: Path) -> None:
    src = _gb18030_csv(tmp_path / "clients.csv")
    check = runner.invoke(app, ["profile", "check", str(src), "--lang", "en", "--format", "csv"])
    assert check.exit_code == 0, check.stderr
    rows = list(csv.DictReader(check.stdout.splitlines()))
    assert [r["name"] for r in rows] == [r[0] for r in ROWS]
    assert [r["employees"] for r in rows] == ["260", "85", "210"]
    assert [r["revenue"] for r in rows] == ["18000.0", "6000.0", "12000.0"]
    assert [r["foreign_invested"] for r in rows] == ["true", "false", "true"]
    assert [r["region_code"][:2] for r in rows] == ["50", "11", "21"]

    table = runner.invoke(app, ["profile", "check", str(src)], env={"COLUMNS": "200"})
    for header in HEADERS:
        assert header in table.stdout  # the mapping it used is shown

    report = _batch(src, tmp_path / "r.csv")
    fdi = {
        r["enterprise_name"]: r["status"]
        for r in report
        if r["rule_id"] == "fdi-encouraged-catalogue"
    }
    assert fdi["北京智码软件科技有限公司"] == "ineligible"
    expansion = [r for r in report if r["rule_id"] == "bj-grad-expansion-subsidy"]
    assert [r["amount_yuan"] for r in expansion if r["status"] == "eligible"] == ["6000"]


def test_xlsx_gives_the_same_report(tmp_path: Path) -> None:
    from_csv = _batch(_gb18030_csv(tmp_path / "clients.csv"), tmp_path / "a.csv")
    from_xlsx = _batch(_xlsx(tmp_path / "clients.xlsx"), tmp_path / "b.csv")
    assert from_csv == from_xlsx


def test_ragged_rows_are_rejected_and_counted(tmp_path: Path) -> None:
    src = tmp_path / "ragged.csv"
    src.write_text(
        "企业名称,所在地区\n甲公司,北京\n乙公司,北京,多余,字段\n丙公司,上海\n", encoding="utf-8"
    )
    errors = tmp_path / "errors.csv"
    result = runner.invoke(
        app, ["batch", str(src), "--out", str(tmp_path / "r.csv"), "--errors", str(errors)]
    )
    assert result.exit_code == 3
    assert "读取 3 行，匹配 2 家企业，拒绝 1 行" in result.stderr
    text = errors.read_text(encoding="utf-8-sig")
    assert "3," in text and "是" in text


def test_totals_row_is_skipped_not_matched_nor_rejected(tmp_path: Path) -> None:
    """A sheet's 合计 row carries sums, not an enterprise: skipped and counted, exit 0."""
    src = tmp_path / "with_total.csv"
    src.write_text(
        "企业名称,所在地区,从业人员\n"
        "甲公司,北京市海淀区,12\n"
        "合计科技有限公司,北京市朝阳区,30\n"  # a real name that starts with 合计
        "合 计：,,42\n",
        encoding="utf-8",
    )
    errors = tmp_path / "errors.csv"
    out = tmp_path / "r.csv"
    result = runner.invoke(app, ["batch", str(src), "--out", str(out), "--errors", str(errors)])
    assert result.exit_code == 0
    assert "读取 3 行，匹配 2 家企业，拒绝 0 行" in result.stderr
    assert "跳过非企业行 1 行" in result.stderr
    assert "跳过 1 行非企业数据：合计行 1（第4行）" in result.stderr
    report = pl.read_csv(out, infer_schema=False)
    assert set(report["企业名称"]) == {"甲公司", "合计科技有限公司"}
    rows = list(csv.DictReader(errors.open(encoding="utf-8-sig")))
    assert [(r["行号"], r["问题"], r["整行未处理"]) for r in rows] == [
        ("4", "合计行，不是企业，已跳过", "否")
    ]


def test_headers_polars_would_read_as_patterns_are_plain_columns(tmp_path: Path) -> None:
    """A header "*" or "^…$" is a column like any other (pl.col would expand it)."""
    src = tmp_path / "odd.csv"
    src.write_text("企业名称,*,^备注$,从业人员\n甲公司,x,y,12\n", encoding="utf-8")
    out = tmp_path / "r.csv"
    result = runner.invoke(
        app, ["batch", str(src), "--out", str(out), "--as-of", "2022-07-01", "--brief"]
    )
    assert result.exit_code == 0, result.stderr
    report = pl.read_csv(out, infer_schema=False)
    assert report.columns[-2:] == ["*", "^备注$"]
    assert set(report["*"]) == {"x"} and set(report["^备注$"]) == {"y"}
    found = runner.invoke(
        app, ["find", "bj-grad-expansion-subsidy", str(src), "--status", "不符合,待补充信息"]
    )
    assert found.exit_code == 0, found.stderr
