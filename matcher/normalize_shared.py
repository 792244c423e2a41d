"""What the two normalisers share (matcher/normalize.py on frames, matcher/normalize_rows.py
row by row): the problem codes and their messages, and the handling of headers and cells."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import TYPE_CHECKING, Any

from matcher.fields import DERIVED_FIELDS, FIELDS_BY_NAME, ROW
from matcher.intake.errors import ERROR_MESSAGES
from matcher.intake.headers import HeaderMapping
from matcher.intake.raw import RENAMED_PREFIX, RawProblem, make_headers

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matcher.rule import Rule

# Checks made after parsing, in the same (zh, en) template form as intake's.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing_name": ("缺少企业名称，该行未处理", "no enterprise name; row rejected"),
    "total_row": (
        "「{value}」是合计行，不是企业，该行未处理",
        "'{value}' is a totals row, not an enterprise; row rejected",
    ),
    "local_exceeds_total": (
        "本地高校毕业生人数「{value}」超过招用高校毕业生总数，两项均按未知处理",
        "local graduate hires '{value}' exceed total graduate hires; both treated as unknown",
    ),
    "founded_in_future": (
        "成立日期「{value}」晚于今天，按未知处理",
        "founding date '{value}' is in the future; treated as unknown",
    ),
    "unknown_region": (
        "无法识别地区「{value}」，按未知处理",
        "region '{value}' not recognised; treated as unknown",
    ),
    "ambiguous_region": (
        "地区有歧义（{value}），按未知处理；请写完整名称（含省市），或用 --region-context 指定所在省市",
        "ambiguous region ({value}); treated as unknown; write the full name with its province "
        "or city, or give --region-context",
    ),
    "uncertain_certification": (
        "资质「{value}」中有无法确定的认定名称，涉及的认定条件按未知处理；请写规范名称，如 专精特新中小企业",
        "certifications '{value}' include a name that cannot be settled; conditions on the "
        "certifications it could be are unknown; write the standard name, e.g. 专精特新中小企业",
    ),
    "unknown_certification": (
        "资质「{value}」中有不在认定名称表中的名称，按原文保留",
        "certifications '{value}' include a name not in the certification table; kept as written",
    ),
    "bad_certification_flag": (
        "是/否资质列「{value}」无法识别，该认定按未知处理；请写 是、否 或 市级、省级、国家级",
        "yes/no certification column '{value}' not understood; that certification is unknown; "
        "write 是, 否 or a level (市级, 省级, 国家级)",
    ),
    "unknown_industry": (
        "无法识别行业「{value}」，按未知处理",
        "industry '{value}' not recognised; treated as unknown",
    ),
    "not_an_industry": (
        "「{value}」不是行业代码，也不像行业描述，按未知处理；请填写行业代码（如 I65）或主营业务（如 软件开发）",
        "'{value}' is neither an industry code nor an industry description; treated as unknown:"
        " give a code (e.g. I65) or the main business",
    ),
    "cell_too_long": (
        "单元格过长：{value}；按未知处理。如确需更长，可设置环境变量 POLICY_MATCH_MAX_CELL_CHARS 提高上限",
        "cell too long: {value}; treated as unknown. To raise the limit, set the environment "
        "variable POLICY_MATCH_MAX_CELL_CHARS",
    ),
    "industry_from_scope": (
        "行业未填写，由经营范围推断：{value}；如不准确请填写行业",
        "industry not given; derived from the business scope: {value}; give the industry if wrong",
    ),
    "industry_refined_by_scope": (
        "行业按经营范围细化：{value}",
        "industry refined by the business scope: {value}",
    ),
    "industry_scope_conflict": (
        "所属行业与经营范围不一致：{value}；按填写的行业匹配",
        "industry disagrees with the business scope: {value}; the given industry is used",
    ),
    "size_mismatch": (
        "企业规模填写与按划型标准推算不一致：{value}；按填写值匹配",
        "given size disagrees with the size standard: {value}; the given size is used",
    ),
}


def all_messages() -> dict[str, tuple[str, str]]:
    return {**ERROR_MESSAGES, **MESSAGES}


# Checks that reject the whole row (the row reached the frame but is not an enterprise).
REJECTING_CODES = ("missing_name", "total_row")
# Problems reported with the value kept: it was read, only as written (issue 12).
NOTE_CODES = ("approximate_number", "hmt_as_foreign")
# What a totals row writes where the name goes (spaces and colons removed, lower case).
TOTAL_ROW_NAMES = ["合计", "总计", "小计", "总合计", "共计", "汇总", "total", "sum", "subtotal"]

# Reader problems that mean the row never reached the frame.
EXCLUDED_ROW_CODES = ("ragged_row", "bad_json_line", "json_not_object", "json_too_deep")

ERROR_COLUMNS = ["row", "id", "column", "field", "value", "code", "rejected"]

# What the scope did to the industry: a derived or refined code names the phrase it rests on.
SCOPE_PHRASE = "industry_scope_phrase"


def clean_header_names(names: list[str]) -> tuple[list[str], list[RawProblem]]:
    """:func:`_clean_headers` on the names alone."""
    if all(c == c.strip().replace("\ufeff", "") and c.strip() for c in names):
        return names, []
    return make_headers(names, [str(j + 1) for j in range(len(names))], None)


@cache
def _reserved_names() -> frozenset[str]:
    """Names a pass-through column may not keep: report columns (both languages),
    profile and derived fields. Internal columns all start with ``__``."""
    from matcher.report.headers import RESULT_HEADERS_ZH

    return frozenset(
        {*RESULT_HEADERS_ZH, *RESULT_HEADERS_ZH.values(), *FIELDS_BY_NAME, *DERIVED_FIELDS}
    )


def passthrough_names(
    headers: list[str], mapping: HeaderMapping, taken: set[str]
) -> tuple[dict[str, str], list[str], list[RawProblem]]:
    """:func:`_protect_passthrough` on the names alone: (renames, pass-through columns,
    problems); ``taken`` holds every column name of the table."""
    reserved = _reserved_names()
    taken = set(taken)
    renames: dict[str, str] = {}
    problems: list[RawProblem] = []
    for h in headers:
        if h in mapping.columns:
            continue
        if h == RENAMED_PREFIX + ROW:  # renamed by the reader
            problems.append(RawProblem(None, "renamed_column", f"{ROW} → {h}"))
        elif h.startswith("__") or h in reserved:
            new, k = RENAMED_PREFIX + h, 2
            while new in taken:
                new, k = f"{RENAMED_PREFIX}{h}.{k}", k + 1
            taken.add(new)
            renames[h] = new
            problems.append(RawProblem(None, "renamed_column", f"{h} → {new}"))
    passthrough = [renames.get(h, h) for h in headers if h not in mapping.columns]
    return renames, passthrough, problems


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "；".join(str(v) for v in value) if value else "无"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# What each rule-visible column is computed from.
_DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "region_code": ("region",),
    # a blank or coarse industry is read from the scope (matcher/reference/scope.py)
    "industry_code": ("industry", "business_scope"),
    "size_derived": ("industry", "business_scope", "employees", "revenue", "total_assets"),
    "size_effective": (
        "size",
        "industry",
        "business_scope",
        "employees",
        "revenue",
        "total_assets",
    ),
    "size": ("size", "industry", "business_scope", "employees", "revenue", "total_assets"),
    # read only when a rule tests it: every phrase of every distinct scope is read
    "scope_industries": ("business_scope", "scope_industries"),
    # The check that local hires do not exceed total hires makes both unknown.
    "grad_hires": ("grad_hires", "grad_hires_local"),
    "grad_hires_local": ("grad_hires", "grad_hires_local"),
}


def input_fields(rules: Sequence[Rule]) -> frozenset[str]:
    """The profile fields that can change these rules' results (and id, name)."""
    from matcher.rule import Op

    needed = {"id", "name"}
    for rule in rules:
        used = [c.field for c in rule.leaves()] + rule.benefit.amount_fields()
        if any(c.op is Op.IN_CATALOGUE for c in rule.leaves()):
            used += ["business_scope", "region"]  # regional entries count in their province
        for name in used:
            needed.update(_DERIVED_FROM.get(name, (name,)))
    return frozenset(needed)
