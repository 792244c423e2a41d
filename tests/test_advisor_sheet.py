"""Issue 12: an advisor's own spreadsheet, understood with no --map.

The workbook (tests/data/advisor, written by make_advisor_workbook.py) has a title
row, the centre's own headers with a two-row 招聘计划 block, 万/亿 units, yes/no
certification columns, bare district names, full-width digits, 2019年3月 dates, a
firm entered twice, a 合计 row and a 填表人 footnote.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from matcher.cli import app
from matcher.evaluate.row import eval_condition
from matcher.evaluate.vector import condition_expr
from matcher.intake.headers import map_headers
from matcher.intake.readers import read_table
from matcher.intake.values import parse_date_range
from matcher.rule import Condition, Op

DATA = Path(__file__).parent / "data" / "advisor"
MESSY = [DATA / "advisor_messy.xlsx", DATA / "advisor_messy_gb18030.csv"]
CLEAN = DATA / "advisor_clean.csv"
AS_OF = "2022-07-01"
runner = CliRunner()


def batch(src: Path, out: Path, *extra: str) -> tuple[int, str, dict[tuple[str, str], Any]]:
    args = ["batch", str(src), "--as-of", AS_OF, "--out", str(out), *extra]
    result = runner.invoke(app, args)
    rows = list(csv.DictReader(out.open(encoding="utf-8-sig"))) if out.exists() else []
    got = {(r["企业名称"], r["政策编号"]): (r["匹配结果"], r["预计金额（元）"]) for r in rows}
    return result.exit_code, result.stderr, got


@pytest.mark.parametrize("messy", MESSY, ids=lambda p: p.suffix)
def test_messy_sheet_and_clean_twin_give_the_same_results(tmp_path: Path, messy: Path) -> None:
    ctx = ("--region-context", "北京市")
    code, err, got = batch(messy, tmp_path / "messy.csv", *ctx)
    clean_code, _, want = batch(CLEAN, tmp_path / "clean.csv", *ctx)
    assert code == clean_code == 0, err
    assert len({name for name, _ in want}) == 15
    assert got == want
    assert "跳过 2 行非企业数据：合计行 1（第20行）；表尾注释 1（第21行）" in err
    assert "重复企业：统一社会信用代码" in err and "在第8行和第13行" in err
    assert (
        "读取 18 行，匹配 15 家企业，拒绝 0 行，重复企业 1 行（只算一次），跳过非企业行 2 行" in err
    )
    assert sum(1 for (_, _), (s, _) in got.items() if s == "符合") > 0
    amounts = [int(a) for (s, a) in got.values() if s == "符合" and a]
    assert sum(amounts) > 0  # the sheet gave 0 yuan for the whole portfolio


def test_batch_names_every_unused_column_before_results(tmp_path: Path) -> None:
    src = MESSY[0]
    headers = read_table(src).headers
    unused = map_headers(headers).unmapped
    assert set(unused) >= {"企业类型", "序号", "联系人"}
    code, err, _ = batch(src, tmp_path / "r.csv")
    assert code == 0
    for header in unused:
        assert f"未使用 「{header}」" in err, header
    assert err.index("列对照") < err.index("已写入")


def test_summary_counts_a_duplicated_firm_once(tmp_path: Path) -> None:
    out = tmp_path / "s.csv"
    result = runner.invoke(
        app,
        [
            "batch",
            str(MESSY[0]),
            "--as-of",
            AS_OF,
            "--region-context",
            "北京市",
            "--summary-out",
            str(out),
            "--out",
            str(tmp_path / "r.csv"),
        ],
    )
    assert result.exit_code == 0, result.stderr
    summary = pl.read_csv(out, infer_schema=False)
    counts = summary.select(pl.exclude("政策编号", "政策名称", "预计金额合计（元）"))
    per_rule = [sum(int(v) for v in row if v) for row in counts.rows()]
    assert set(per_rule) == {15}


def test_region_context_is_suggested_never_applied(tmp_path: Path) -> None:
    code, err, got = batch(MESSY[0], tmp_path / "r.csv")
    assert code == 0
    hint = next(line for line in err.splitlines() if "--region-context" in line)
    assert "位于北京市；加 --region-context 北京市 可确定 2 个有歧义的地区名" in hint
    assert "通州区" in hint and "朝阳区" in hint and "未加该选项时不会自动采用" in hint
    # 通州区 stays open: the Beijing expansion subsidy cannot be decided for that firm
    status, _ = got[("北京绿源环保工程有限公司", "bj-grad-expansion-subsidy")]
    assert status == "待补充信息"


def test_report_on_a_duplicated_id_refuses_and_lists_the_rows() -> None:
    result = runner.invoke(app, ["report", str(MESSY[0]), "--id", "13", "--as-of", AS_OF])
    assert result.exit_code == 1
    assert "第8行、第13行" in result.stderr


def test_report_and_explain_read_a_sheet_with_map_and_region_context() -> None:
    args = ["--id", "7", "--as-of", AS_OF, "--region-context", "北京市", "--map", "联系人=-"]
    result = runner.invoke(
        app, ["explain", str(MESSY[0]), "bj-grad-expansion-subsidy", "--sheet", "服务企业", *args]
    )
    assert result.exit_code == 0, result.stderr
    assert "列对照" in result.stderr
    assert "北京市通州区" in result.stdout


def test_strict_headers_refuses_a_guess(tmp_path: Path) -> None:
    src = tmp_path / "c.csv"
    # A typo in a long header is a guess (fuzzy); short ones are not guessed at all.
    src.write_text("企业名称,统一社会信用代玛,所在地区\n甲公司,,北京市海淀区\n", encoding="utf-8")
    loose = runner.invoke(app, ["batch", str(src), "--out", str(tmp_path / "a.csv")])
    assert loose.exit_code == 0
    strict = runner.invoke(
        app, ["batch", str(src), "--strict-headers", "--out", str(tmp_path / "b.csv")]
    )
    assert strict.exit_code == 1
    assert "统一社会信用代玛" in strict.stderr and "--map" in strict.stderr
    assert not (tmp_path / "b.csv").exists()


def test_errors_file_and_json_carry_the_accounting(tmp_path: Path) -> None:
    errors, out = tmp_path / "e.csv", tmp_path / "r.json"
    result = runner.invoke(
        app,
        ["batch", str(MESSY[0]), "--as-of", AS_OF, "--errors", str(errors), "--out", str(out)],
    )
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(errors.open(encoding="utf-8-sig")))
    text = [r["问题"] for r in rows]
    assert any("未使用 「企业类型」" in t for t in text)
    assert any(t.startswith("重复企业") for t in text)
    assert any("合计行" in t for t in text) and any("表尾注释" in t for t in text)
    assert all(r["整行未处理"] == "否" for r in rows)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["columns"]["counts"]["unused"] == 3
    assert data["duplicates"][0]["rows"] == [8, 13]
    assert data["skipped"] == {"totals": [20], "notes": [21]}
    assert len({r["企业编号"] for r in data["results"]}) == 15


def test_profile_check_shows_every_field_understood() -> None:
    wide = {"COLUMNS": "400"}
    result = runner.invoke(app, ["profile", "check", str(MESSY[0])], env=wide)
    assert result.exit_code == 0, result.stderr
    for header in ("资质认定", "成立日期", "招用毕业年度高校毕业生人数", "其中本地高校毕业生人数"):
        assert header in result.stdout
    only = runner.invoke(
        app, ["profile", "check", str(MESSY[0]), "--fields", "name,成立日期"], env=wide
    )
    assert only.exit_code == 0 and "从业人员" not in only.stdout


# ---- dates written to the month or the year ------------------------------------

SPANS = {
    "2019年3月": (dt.date(2019, 3, 1), dt.date(2019, 3, 31)),
    "2015.6": (dt.date(2015, 6, 1), dt.date(2015, 6, 30)),
    "2019": (dt.date(2019, 1, 1), dt.date(2019, 12, 31)),
    "2020年2月": (dt.date(2020, 2, 1), dt.date(2020, 2, 29)),
    "2019-03-12": (dt.date(2019, 3, 12), dt.date(2019, 3, 12)),
}


@pytest.mark.parametrize(("text", "span"), SPANS.items())
def test_partial_dates_keep_their_precision(text: str, span: tuple[dt.date, dt.date]) -> None:
    assert parse_date_range(text) == span


DATE_OPS = [Op.LT, Op.LE, Op.GT, Op.GE, Op.WITHIN_YEARS]
days = st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31))


@st.composite
def spans(draw: Any) -> tuple[dt.date, dt.date]:
    day = draw(days)
    kind = draw(st.sampled_from(["day", "month", "year"]))
    if kind == "day":
        return day, day
    if kind == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def _condition(op: Op, value: Any) -> Condition:
    return Condition.model_validate(
        {"field": "founded", "op": op.value, "value": value, "label": "x", "quote": "q"}
    )


@settings(max_examples=200, deadline=None)
@given(
    span=spans(),
    op=st.sampled_from(DATE_OPS),
    target=days,
    years=st.integers(1, 10),
    as_of=days,
    inside=st.data(),
)
def test_a_date_condition_is_decided_only_where_the_precision_decides_it(
    span: tuple[dt.date, dt.date],
    op: Op,
    target: dt.date,
    years: int,
    as_of: dt.date,
    inside: Any,
) -> None:
    lo, hi = span
    cond = _condition(op, years if op is Op.WITHIN_YEARS else target.isoformat())
    row = {"founded": lo, "founded_hi": hi}
    verdict = eval_condition(cond, row, as_of)
    frame = pl.DataFrame([row], schema={"founded": pl.Date, "founded_hi": pl.Date})
    assert frame.select(condition_expr(cond, as_of)).item() == verdict  # both evaluators
    # Sound: a decided verdict holds for every day of the span (checked at its ends and
    # one day drawn inside); a span whose days disagree is unknown.
    offset = inside.draw(st.integers(0, (hi - lo).days))
    exact = [eval_condition(cond, {"founded": d}, as_of) for d in (lo, hi)]
    mid = eval_condition(cond, {"founded": lo + dt.timedelta(days=offset)}, as_of)
    if verdict is not None:
        assert exact == [verdict, verdict] and mid == verdict
    if exact[0] != exact[1]:
        assert verdict is None


def test_a_firm_repeated_across_streamed_chunks_is_counted_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher import api

    monkeypatch.setattr(api, "READ_CHUNK_ROWS", 2)
    src = tmp_path / "c.csv"
    rows = [
        "甲公司,北京市海淀区,3",
        "乙公司,北京市海淀区,4",
        "丙公司,北京市海淀区,5",
        "甲 公司,北京市海淀区,6",
    ]
    src.write_text("企业名称,所在地区,从业人员\n" + "\n".join(rows) + "\n", encoding="utf-8")
    rules = api.load_ruleset().rules
    run = api.run_batch(src, rules, dt.date(2022, 7, 1), keep_frames=True)
    assert (run.read, run.matched, run.rejected) == (4, 3, 0)
    [dup] = run.duplicates
    assert (dup.first_row, dup.row, dup.by, dup.differs) == (2, 5, "name", None)
    assert pl.concat(run.frames).get_column("企业名称").n_unique() == 3
    assert all(
        sum(r[s] for s in ("eligible", "unknown", "ineligible", "expired", "not_yet_valid")) == 3
        for r in run.summary.to_dicts()
    )


def test_two_row_header_is_joined_and_a_data_row_never_taken_for_one(tmp_path: Path) -> None:
    two = tmp_path / "two.csv"
    two.write_text(
        "企业名称,招聘计划,,所在地区\n,应届生,其中北京高校,\n甲公司,3,2,北京市海淀区\n注：单位为人,,,\n",
        encoding="utf-8",
    )
    table = read_table(two)
    assert table.headers == ["企业名称", "招聘计划应届生", "招聘计划其中北京高校", "所在地区"]
    assert table.frame.get_column("__row").to_list() == [3, 4]
    blank = tmp_path / "blank.csv"
    blank.write_text("企业名称,,从业人员\n甲有限公司,x,\n乙公司,y,3\n", encoding="utf-8")
    assert read_table(blank).frame.height == 2  # the first row is a firm, not a sub-header
    result = runner.invoke(app, ["batch", str(two), "--out", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.stderr
    assert "表尾注释 1（第4行）" in result.stderr
