"""The batch report as a workbook an advisor can send: 汇总, 明细 and 说明 sheets.

汇总 ranks the firms by the money open to them (certain: 符合; possible: 待补充信息)
with their counts by status; 明细 is the full report with a frozen header, filter,
widths, wrapped text, #,##0 money and status colours; 说明 says what the workbook
rests on and how to read it. Every sheet prints on landscape A4, fitted to the width,
with the header row repeated on each page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import polars as pl

from matcher.evaluate.tree import STATUS_ZH
from matcher.report.headers import RESULT_HEADERS_ZH
from matcher.rule import Rule

# Status colours (fill, font), the same meaning in either language.
STATUS_COLOURS = {
    "eligible": ("#C6EFCE", "#006100"),
    "unknown": ("#FFEB9C", "#9C5700"),
    "ineligible": ("#F2F2F2", "#595959"),
    "expired": ("#FFC7CE", "#9C0006"),
    "not_yet_valid": ("#DDEBF7", "#1F4E78"),
}

# Column widths in characters, by internal column name; others get DEFAULT_WIDTH.
WIDTHS = {
    "enterprise_id": 10,
    "enterprise_name": 24,
    "rank": 6,
    "rule_id": 22,
    "rule_title": 34,
    "status": 11,
    "amount_yuan": 13,
    "amount_note": 30,
    "met": 30,
    "unmet": 30,
    "missing": 20,
    "assumptions": 30,
    "valid_until": 12,
    "kind": 10,
    "audience": 9,
    "source": 30,
    "quote": 40,
}
DEFAULT_WIDTH = 14

HOW_TO_READ = [
    "汇总：每家企业一行，按「确定可得金额」（结果为符合的政策预计金额之和）排序，再按「可能可得金额」（待补充信息的政策预计金额之和）排序；其后为各结果的政策数。",
    "明细：每家企业 × 每项政策一行。排名为该企业内的先后：符合在前，其次待补充信息、未生效、不符合、已过期；同一结果内金额大者在前。",
    "匹配结果：符合 = 已核实全部条件；待补充信息 = 缺少「待补充信息」列所列的信息，补齐后才能判定；不符合 = 至少一项条件不满足；已过期 / 未生效 = 判定日期不在有效期内。",
    "预计金额（元）：只在政策原文写明标准时给出（如每人1500元 × 本地毕业生人数），整数元；空白表示原文未写明金额或面向所招人员、创办人本人，不是 0。",
    "假设条件：原文未写明、一般会有的申领条件，标注【假设】。",
    "政策来源、政策原文：每条判定所依据的文章和原句。",
    "本表由 policy-match 自动比对生成，仅供参考；是否享受与金额以主管部门受理审核为准。",
]


def _internal(frame: pl.DataFrame) -> pl.DataFrame:
    """Internal column names and English statuses, whatever the report's language."""
    back = {v: k for k, v in RESULT_HEADERS_ZH.items()}
    renamed = frame.rename({c: back[c] for c in frame.columns if c in back})
    if "status" in renamed.columns:
        from_zh = {v: k for k, v in STATUS_ZH.items()}
        renamed = renamed.with_columns(pl.col("status").replace(from_zh))
    return renamed


def firm_summary(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per firm: money certain and possible, then counts by status, ranked."""
    f = _internal(frame)
    money = pl.col("amount_yuan").cast(pl.Int64)
    return (
        f.group_by("enterprise_id", "enterprise_name", maintain_order=True)
        .agg(
            money.filter(pl.col("status") == "eligible").sum().alias("certain"),
            money.filter(pl.col("status") == "unknown").sum().alias("possible"),
            *[(pl.col("status") == s).sum().cast(pl.Int64).alias(s) for s in STATUS_COLOURS],
        )
        .sort(
            ["certain", "possible", "eligible", "enterprise_id"],
            descending=[True, True, True, False],
            maintain_order=True,
        )
        .with_columns((pl.int_range(pl.len()) + 1).alias("rank"))
    )


def write_advisor_xlsx(
    frame: pl.DataFrame,
    target: Path,
    *,
    as_of: dt.date,
    rules: Sequence[Rule],
    lang: str = "zh",
) -> None:
    """The localised batch report (as run_batch keeps it) as an advisor's workbook."""
    from matcher.report.files import check_xlsx_rows, neutralise, write_atomic

    check_xlsx_rows(frame.height, Path(target))
    inputs = [c for c in frame.columns if c not in _RULE_TEXT_HEADERS]
    safe = neutralise(frame, inputs).collect()

    def write(tmp: Path) -> None:
        import xlsxwriter
        from xlsxwriter.exceptions import FileCreateError

        # strings_to_formulas=False: a text cell is never a formula, whatever neutralise missed.
        wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False})
        fmt = _formats(wb)
        _summary_sheet(wb, fmt, firm_summary(frame), safe.columns, lang)
        _detail_sheet(wb, fmt, safe, lang)
        _notes_sheet(wb, fmt, as_of, rules, frame.height)
        try:
            wb.close()
        except FileCreateError as exc:  # xlsxwriter wraps the OSError (disk full, EROFS…)
            cause = exc.args[0] if exc.args else None
            raise (cause if isinstance(cause, OSError) else OSError(str(exc))) from None

    write_atomic(Path(target), write)


# Rule texts were made formula-safe once, at load; only input columns need neutralising.
_RULE_TEXT_HEADERS = {
    RESULT_HEADERS_ZH[c]
    for c in ("rule_id", "rule_title", "amount_note", "assumptions", "source", "quote")
} | {"rule_id", "rule_title", "amount_note", "assumptions", "source", "quote"}


def _formats(wb: Any) -> dict[str, Any]:
    base = {"font_name": "等线", "font_size": 10, "valign": "top"}
    fmt = {
        "header": wb.add_format(
            base | {"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True}
        ),
        "text": wb.add_format(base),
        "wrap": wb.add_format(base | {"text_wrap": True}),
        "money": wb.add_format(base | {"num_format": "#,##0"}),
        "int": wb.add_format(base | {"num_format": "0"}),
        "title": wb.add_format(base | {"bold": True, "font_size": 14}),
        "bold": wb.add_format(base | {"bold": True}),
    }
    for status, (fill, font) in STATUS_COLOURS.items():
        fmt[status] = wb.add_format({"bg_color": fill, "font_color": font})
    return fmt


def _print_setup(ws: Any, last_col: int) -> None:
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)  # one page wide, as many tall as needed
    ws.repeat_rows(0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.freeze_panes(1, 0)
    ws.set_footer("&C第 &P 页，共 &N 页")


def _status_colours(ws: Any, fmt: dict[str, Any], col: int, last_row: int, lang: str) -> None:
    for status in STATUS_COLOURS:
        label = STATUS_ZH[status] if lang == "zh" else status
        ws.conditional_format(
            1,
            col,
            max(last_row, 1),
            col,
            {"type": "cell", "criteria": "==", "value": f'"{label}"', "format": fmt[status]},
        )


SUMMARY_HEADS = {
    "zh": ["排名", "企业编号", "企业名称", "确定可得金额（元）", "可能可得金额（元）"],
    "en": ["rank", "enterprise_id", "enterprise_name", "certain_yuan", "possible_yuan"],
}


def _summary_sheet(
    wb: Any, fmt: dict[str, Any], summary: pl.DataFrame, _columns: list[str], lang: str
) -> None:
    ws = wb.add_worksheet("汇总")
    statuses = [STATUS_ZH[s] if lang == "zh" else s for s in STATUS_COLOURS]
    heads = SUMMARY_HEADS["zh" if lang == "zh" else "en"] + statuses
    ws.write_row(0, 0, heads, fmt["header"])
    from matcher.report.files import safe_text

    for i, r in enumerate(summary.iter_rows(named=True), 1):
        ws.write_number(i, 0, r["rank"], fmt["int"])
        ws.write_string(i, 1, safe_text(str(r["enterprise_id"] or "")), fmt["text"])
        ws.write_string(i, 2, safe_text(str(r["enterprise_name"] or "")), fmt["wrap"])
        for j, key in enumerate(("certain", "possible"), 3):
            ws.write_number(i, j, r[key] or 0, fmt["money"])
        for j, s in enumerate(STATUS_COLOURS, 5):
            ws.write_number(i, j, r[s], fmt["int"])
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 12)
    ws.set_column(2, 2, 30)
    ws.set_column(3, 4, 16)
    ws.set_column(5, 4 + len(statuses), 11)
    ws.autofilter(0, 0, max(summary.height, 1), len(heads) - 1)
    _print_setup(ws, len(heads) - 1)


def _detail_sheet(wb: Any, fmt: dict[str, Any], safe: pl.DataFrame, lang: str) -> None:
    ws = wb.add_worksheet("明细")
    internal = _internal(safe.head(0)).columns
    ws.write_row(0, 0, safe.columns, fmt["header"])
    kinds = []
    for j, name in enumerate(internal):
        width = WIDTHS.get(name, DEFAULT_WIDTH)
        kind = "money" if name == "amount_yuan" else "int" if name == "rank" else None
        kind = kind or ("wrap" if width >= 20 else "text")
        kinds.append(kind)
        ws.set_column(j, j, width, fmt[kind])
    for i, row in enumerate(safe.iter_rows(), 1):
        for j, value in enumerate(row):
            if value is None or value == "":
                continue
            if kinds[j] in ("money", "int") and isinstance(value, int | float):
                ws.write_number(i, j, value, fmt[kinds[j]])
            else:
                ws.write_string(i, j, str(value), fmt[kinds[j]])
    last_row, last_col = max(safe.height, 1), max(len(safe.columns) - 1, 0)
    ws.autofilter(0, 0, last_row, last_col)
    if "status" in internal:
        _status_colours(ws, fmt, internal.index("status"), last_row, lang)
    _print_setup(ws, last_col)


def _notes_sheet(
    wb: Any, fmt: dict[str, Any], as_of: dt.date, rules: Sequence[Rule], rows: int
) -> None:
    from matcher.report.meta import identify as ruleset_identity

    ws = wb.add_worksheet("说明")
    ws.set_column(0, 0, 14, fmt["bold"])
    ws.set_column(1, 1, 100, fmt["wrap"])
    ws.write_string(0, 0, "政策匹配结果说明", fmt["title"])
    facts = [
        ("判定日期", as_of.isoformat()),
        ("规则集", ruleset_identity(rules).text()),
        ("明细行数", f"{rows:,}"),
        ("生成时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
    ]
    for i, (k, v) in enumerate(facts, 2):
        ws.write_string(i, 0, k)
        ws.write_string(i, 1, v)
    start = len(facts) + 3
    ws.write_string(start, 0, "如何阅读")
    for i, line in enumerate(HOW_TO_READ):
        ws.write_string(start + i, 1, line)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
