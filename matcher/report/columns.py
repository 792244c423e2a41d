"""Report column headers in Chinese (default) and English."""

from __future__ import annotations

import polars as pl

from matcher.evaluate.tree import STATUS_ZH

RESULT_HEADERS_ZH: dict[str, str] = {
    "enterprise_id": "企业编号",
    "enterprise_name": "企业名称",
    "rank": "排名",
    "rule_id": "政策编号",
    "rule_title": "政策名称",
    "status": "匹配结果",
    "amount_yuan": "预计金额（元）",
    "amount_note": "金额说明",
    "met": "已满足条件",
    "unmet": "未满足条件",
    "missing": "待补充信息",
    "assumptions": "假设条件",
    "valid_until": "有效期至",
    "kind": "支持类型",
    "audience": "受益对象",
    "source": "政策来源",
    "quote": "政策原文",
    "ask_first": "先问（最能决定结果的信息）",
    "rank_note": "排名说明",
}

ERROR_HEADERS_ZH: dict[str, str] = {
    "row": "行号",
    "id": "企业编号",
    "column": "列",
    "field": "字段",
    "value": "原值",
    "message": "问题",
    "rejected": "整行未处理",
}

SUMMARY_HEADERS_ZH: dict[str, str] = {
    "rule_id": "政策编号",
    "rule_title": "政策名称",
    "eligible": "符合",
    "unknown": "待补充信息",
    "ineligible": "不符合",
    "expired": "已过期",
    "not_yet_valid": "未生效",
    "total_amount_yuan": "预计金额合计（元）",
}


def localise_results(frame: pl.LazyFrame, lang: str) -> pl.LazyFrame:
    """Status values and headers in the user's language; passthrough columns untouched.
    Amounts become whole yuan (6000, not 6000.0) in every language."""
    from matcher.report.money import whole_yuan_columns

    frame = whole_yuan_columns(frame)
    if lang == "zh":
        frame = frame.with_columns(pl.col("status").replace_strict(STATUS_ZH))
        return frame.rename(RESULT_HEADERS_ZH, strict=False)
    return frame


def localise(frame: pl.DataFrame, headers: dict[str, str], lang: str) -> pl.DataFrame:
    from matcher.report.money import whole_yuan_columns

    frame = whole_yuan_columns(frame.lazy()).collect()
    if lang != "zh":
        return frame
    return frame.rename({k: v for k, v in headers.items() if k in frame.columns})


ERROR_REPORT_COLUMNS = ["row", "id", "column", "field", "value", "message", "rejected"]


def error_report(errors: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The errors file: one row per problem, with its message, in the user's language."""
    from matcher.normalize import error_messages

    rows = errors.with_columns(error_messages(errors, lang).alias("message")).select(
        ERROR_REPORT_COLUMNS
    )
    if lang == "zh":
        rows = rows.with_columns(
            pl.when(pl.col("rejected")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("rejected")
        )
    return localise(rows, ERROR_HEADERS_ZH, lang)
