"""Run each rule's own test cases, through both evaluators (like gorules/zen)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from matcher.batch import evaluate_frame
from matcher.evaluate.row import evaluate
from matcher.normalize import normalise, profile_to_raw
from matcher.rule import Case, Rule


@dataclass
class CaseResult:
    rule_id: str
    case: str
    passed: bool
    problems: list[str] = field(default_factory=list)


def case_as_of(rule: Rule, case: Case) -> dt.date:
    """A case is judged at its own date, else inside the rule's validity, else at publication."""
    if case.as_of is not None:
        return case.as_of
    v = rule.validity
    if v.from_ is not None:
        return max(v.from_, rule.published)
    return rule.published


def run_case(rule: Rule, case: Case) -> CaseResult:
    as_of = case_as_of(rule, case)
    portfolio = normalise(profile_to_raw(case.profile), today=as_of)
    problems: list[str] = []
    if portfolio.frame.height != 1:
        return CaseResult(rule.id, case.name, False, ["画像被拒绝：缺少企业名称？"])
    row = portfolio.frame.row(0, named=True)
    row_out = evaluate(rule, row, as_of)
    vec = evaluate_frame(portfolio.frame, [rule], as_of, lang="en").collect().row(0, named=True)
    if row_out.status.value != case.expect_status:
        problems.append(f"状态应为 {case.expect_status}，逐行评估得到 {row_out.status.value}")
    if vec["status"] != row_out.status.value:
        problems.append(f"向量化评估得到 {vec['status']}，与逐行评估 {row_out.status.value} 不一致")
    if case.expect_amount_yuan is not None and row_out.amount_yuan != case.expect_amount_yuan:
        problems.append(f"金额应为 {case.expect_amount_yuan}，得到 {row_out.amount_yuan}")
    if vec["amount_yuan"] != row_out.amount_yuan:
        problems.append(f"金额两种评估不一致：{vec['amount_yuan']} ≠ {row_out.amount_yuan}")
    if case.expect_missing is not None and row_out.missing_fields != case.expect_missing:
        problems.append(f"待补充字段应为 {case.expect_missing}，得到 {row_out.missing_fields}")
    vec_missing = [m for m in (vec["missing"] or "").split("；") if m]
    if vec_missing != row_out.missing_fields:
        problems.append(f"待补充字段两种评估不一致：{vec_missing} ≠ {row_out.missing_fields}")
    return CaseResult(rule.id, case.name, not problems, problems)


def run_cases(rules: Sequence[Rule]) -> list[CaseResult]:
    return [run_case(rule, case) for rule in rules for case in rule.cases]
