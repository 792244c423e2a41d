"""Report column headers in Chinese: plain data, importable from any layer (intake renames
a pass-through column that would collide with one of them)."""

from __future__ import annotations

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
