"""Reports to hand over: money formatting, HTML and Markdown pages, the advisor's xlsx."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
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
    rows = json.loads(text)["results"]
    assert rows[0]["预计金额（元）"] == 6000 and isinstance(rows[0]["预计金额（元）"], int)


def test_terminal_summary_shows_thousands_separators() -> None:
    code, text, _ = run("batch", str(DEMO), "--as-of", "2022-07-01", "--summary")
    assert code == 0
    assert "72,000" in text and "72000.0" not in text


def golden(name: str, text: str) -> None:
    import os

    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"differs from {path}"


def test_html_report_golden(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    code, _, err = run(
        "report", str(EXAMPLE), "--as-of", "2022-07-01", "--format", "html", "--out", str(out)
    )
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    golden("report_beijing_software.html", text)
    # Self-contained: nothing fetched from elsewhere.
    assert "<link" not in text and "<script" not in text and "http" not in text
    assert "@page { size: A4" in text and "Noto Sans CJK SC" in text


def test_markdown_report_golden() -> None:
    code, text, err = run("report", str(EXAMPLE), "--as-of", "2022-07-01", "--format", "md")
    assert code == 0, err
    golden("report_beijing_software.md", text)
    assert "| 1 | 北京市一次性扩岗补助（招用毕业年度本市高校毕业生） | 符合 | 6,000 |" in text


def test_a_firm_named_script_is_text(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        '企业名称: "<script>alert(1)</script>|公司"\n所在地区: 北京市海淀区\n'
        "其中本地高校毕业生人数: 2\n",
        encoding="utf-8",
    )
    code, html, _ = run("report", str(profile), "--as-of", "2022-07-01", "--format", "html")
    assert code == 0
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;|公司" in html
    code, md, _ = run("report", str(profile), "--as-of", "2022-07-01", "--format", "md")
    assert "# 政策匹配报告：<script>alert(1)</script>|公司" in md


def test_batch_html_pages_and_index_ranked_by_money(tmp_path: Path) -> None:
    out = tmp_path / "html"
    code, _, err = run(
        "batch",
        str(DEMO),
        "--as-of",
        "2022-07-01",
        "--out",
        str(tmp_path / "r.csv"),
        "--html",
        str(out),
    )
    assert code == 0, err
    pages = sorted(p.name for p in out.iterdir())
    assert "index.html" in pages and len(pages) == 27
    assert "0001-BJ001.html" in pages
    index = (out / "index.html").read_text(encoding="utf-8")
    import re

    certain = [
        int(v.replace(",", "") or 0)
        for v in re.findall(r'<td class="num">([\d,]*)</td><td class="num">[\d,]*</td><td', index)
    ]
    assert certain == sorted(certain, reverse=True) and certain[0] > 0
    page = (out / "0001-BJ001.html").read_text(encoding="utf-8")
    assert "北京智码软件科技有限公司" in page and "6,000" in page


def test_page_names_never_leave_the_folder() -> None:
    from matcher.report.html import page_name

    assert page_name(3, "../../etc/passwd") == "0003-etc_passwd.html"
    assert page_name(1, "中文") == "0001.html"
    assert "/" not in page_name(2, "a/b\\c")


def test_batch_xlsx_is_a_workbook_an_advisor_can_send(tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "r.xlsx"
    code, _, err = run("batch", str(DEMO), "--as-of", "2022-07-01", "--out", str(out))
    assert code == 0, err
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["汇总", "明细", "说明"]

    summary = wb["汇总"]
    heads = [c.value for c in summary[1]]
    assert heads[:5] == ["排名", "企业编号", "企业名称", "确定可得金额（元）", "可能可得金额（元）"]
    rows = [[c.value for c in r] for r in summary.iter_rows(min_row=2)]
    assert len(rows) == 26
    money = [(r[3], r[4]) for r in rows]
    assert money == sorted(money, reverse=True)
    bj001 = next(r for r in rows if r[1] == "BJ001")
    assert bj001[3] == 6000 and isinstance(bj001[3], int)
    assert all(sum(r[5:10]) == 49 for r in rows)  # every rule counted once per firm

    detail = wb["明细"]
    assert detail.freeze_panes == "A2"
    last = openpyxl.utils.get_column_letter(detail.max_column)
    assert detail.auto_filter.ref == f"A1:{last}{1274 + 1}"
    assert detail.page_setup.orientation == "landscape"
    assert detail.page_setup.paperSize == 9  # A4
    assert detail.sheet_properties.pageSetUpPr.fitToPage
    assert detail.page_setup.fitToHeight == 0
    assert detail.print_title_rows == "$1:$1"
    heads = [c.value for c in detail[1]]
    amount = heads.index("预计金额（元）") + 1
    first = [c.value for c in detail[2]]
    assert first[heads.index("匹配结果")] == "符合"
    assert first[amount - 1] == 6000
    assert detail.cell(2, amount).number_format == "#,##0"
    quote = heads.index("政策原文") + 1
    assert detail.cell(2, quote).alignment.wrap_text
    assert detail.column_dimensions[detail.cell(1, quote).column_letter].width >= 30
    # Amounts a rule does not state are empty cells, never 0.
    empty = [r[amount - 1].value for r in detail.iter_rows(min_row=2) if r[5].value == "符合"]
    assert None in empty and 0 not in empty
    colours = {r.formula[0] for cf in detail.conditional_formatting for r in cf.rules}
    assert {'"符合"', '"待补充信息"', '"不符合"', '"已过期"', '"未生效"'} <= colours

    notes = [r[1] for r in wb["说明"].iter_rows(values_only=True) if r[0]]
    assert "2022-07-01" in notes and any("49 条规则" in str(n) for n in notes)


def test_xlsx_cells_never_become_formulas(tmp_path: Path) -> None:
    import openpyxl

    src = tmp_path / "p.csv"
    src.write_text('企业名称,所在地区\n=HYPERLINK("x"),北京市海淀区\n', encoding="utf-8")
    out = tmp_path / "r.xlsx"
    code, _, err = run("batch", str(src), "--as-of", "2022-07-01", "--out", str(out))
    assert code == 0, err
    wb = openpyxl.load_workbook(out)
    names = {r[2] for r in wb["汇总"].iter_rows(min_row=2, values_only=True)}
    assert names == {'\'=HYPERLINK("x")'}
    assert wb["明细"]["B2"].value == '\'=HYPERLINK("x")'


def test_html_in_english_is_refused_not_silently_chinese() -> None:
    code, _, err = run(
        "report", str(EXAMPLE), "--as-of", "2022-07-01", "--format", "html", "--lang", "en"
    )
    assert code == 1 and "Chinese only" in err


@settings(max_examples=200)
@given(st.floats(min_value=0, max_value=1e12, allow_nan=False))
def test_yuan_text_is_the_whole_yuan_with_separators(value: float) -> None:
    text = yuan_text(value)
    assert "." not in text
    assert int(text.replace(",", "")) == int(value + 0.5)
    assert all(len(group) == 3 for group in text.split(",")[1:])


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=30).filter(lambda s: s.strip()))
def test_any_enterprise_name_is_text_in_the_html(name: str) -> None:
    import datetime as dt
    import html as htmllib

    from matcher.report.html import render_html, report_context

    row = {"id": "1", "name": name, "region": None}
    context = report_context(row, [], dt.date(2022, 7, 1), [])
    page = render_html(context)
    assert f"<h1>政策匹配报告：{htmllib.escape(name, quote=True)}</h1>" in page.replace(
        "&#34;", "&quot;"
    ).replace("&#39;", "&#x27;")
