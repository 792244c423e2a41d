"""What to ask first, and what would make a rule eligible.

Both read the row evaluator's outcomes for one enterprise; questions_frame.py gives the
same ordering for a whole portfolio from the batch results, so the batch columns and
`report` agree (a test checks it).

Order of the open fields and questions: the money at stake in the undecided rules that
wait on them (a per-head amount with an unknown head count counts one head: at least that
much), then how many rules the answer alone settles, then how many rules it touches.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from matcher.evaluate.row import Outcome, evaluate
from matcher.evaluate.tree import IN_FORCE, STATUS_ORDER, field_label, in_force_note
from matcher.fields import FIELDS_BY_NAME, QUESTIONS_BY_FIELD, FieldType
from matcher.rule import Audience, Condition, Op, Rule


class Ask(NamedTuple):
    """One open field or question of one enterprise, and what answering it decides."""

    field: str
    label: str
    text: str  # the question to put to the enterprise
    rules: tuple[str, ...]  # undecided rules that wait on it
    settles: tuple[str, ...]  # of which the answer alone decides
    money_yuan: float  # at stake in those rules (at least)

    def summary(self, lang: str = "zh") -> str:
        n, k = len(self.rules), len(self.settles)
        if lang == "zh":
            money = (
                f"涉及至少 {self.money_yuan:,.0f} 元" if self.money_yuan else "不涉及可估算的金额"
            )
            return f"{self.label}（{n} 条政策待定，其中 {k} 条可由此判定，{money}）"
        money = f"at least {self.money_yuan:,.0f} yuan" if self.money_yuan else "no estimable money"
        return f"{self.label} ({n} rules waiting, {k} settled by it, {money})"


def question_text(field: str, lang: str = "zh") -> str:
    q = QUESTIONS_BY_FIELD.get(field)
    if q is not None:
        return q.text if lang == "zh" else q.text_en
    spec = FIELDS_BY_NAME.get(field)
    if spec is None:
        return field
    if lang == "zh":
        return f"请填写「{spec.zh}」（{spec.zh_desc}）"
    return f"Please give '{spec.name}' ({spec.en_desc})"


def potential_amount(rule: Rule, amount: float | None) -> float:
    """The enterprise's own money a rule may bring: its estimate, or one head's worth."""
    if amount is not None:
        return amount
    b = rule.benefit
    if rule.audience is not Audience.ENTERPRISE or b.amount_yuan is None:
        return 0.0
    total = float(b.amount_yuan)
    return min(total, b.cap_yuan) if b.cap_yuan is not None else total


def ask_first(outcomes: Sequence[Outcome], lang: str = "zh") -> list[Ask]:
    """The open fields and questions of one enterprise, the most decisive first."""
    rules: dict[str, list[str]] = {}
    settles: dict[str, list[str]] = {}
    money: dict[str, float] = {}
    for o in outcomes:
        if o.status.value != "unknown":
            continue
        fields = [f for f in o.missing_fields if f != IN_FORCE]
        for f in fields:
            rules.setdefault(f, []).append(o.rule.id)
            money[f] = money.get(f, 0.0) + potential_amount(o.rule, o.amount_yuan)
            if len(o.missing_fields) == 1:
                settles.setdefault(f, []).append(o.rule.id)
    # Ties broken by the label, as ask_first_frame does.
    ranked = sorted(
        rules,
        key=lambda f: (-money[f], -len(settles.get(f, [])), -len(rules[f]), field_label(f, lang)),
    )
    return [
        Ask(
            f,
            field_label(f, lang),
            question_text(f, lang),
            tuple(rules[f]),
            tuple(settles.get(f, [])),
            money[f],
        )
        for f in ranked
    ]


def validity_checks(outcomes: Sequence[Outcome], lang: str = "zh") -> list[str]:
    """Rules waiting only on whether they are still in force: for the advisor, not the client."""
    return [f"{o.rule.id}：{in_force_note(o.rule, lang)}" for o in outcomes if o.in_force_open]


def rank_reason(outcome: Outcome, lang: str = "zh") -> str:
    """Why an undecided rule ranks where it does: open items and the money at stake."""
    if outcome.status.value != "unknown":
        return ""
    least = potential_amount(outcome.rule, None)
    return rank_words(len(outcome.missing_fields), outcome.amount_yuan, least, lang)


def rerank(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Within 待补充信息: more money at stake first, then fewer open questions; the rest
    keeps its order (a stable sort of an already ranked list). with_ask_first does the same."""

    def key(item: tuple[int, Outcome]) -> tuple[int, float, int, int]:
        i, o = item
        if o.status.value != "unknown":
            return (STATUS_ORDER[o.status.value], 0.0, 0, i)
        money = potential_amount(o.rule, o.amount_yuan)
        return (STATUS_ORDER["unknown"], -money, len(o.missing_fields), i)

    return [o for _, o in sorted(enumerate(outcomes), key=key)]


def rank_words(n: int, amount: float | None, least: float, lang: str) -> str:
    if lang == "zh":
        head = f"{n} 个问题待答"
        if amount is not None:
            return f"{head}，最多 {amount:,.0f} 元"
        return f"{head}，至少 {least:,.0f} 元" if least else f"{head}，金额未量化"
    head = f"{n} open question{'s' if n != 1 else ''}"
    if amount is not None:
        return f"{head}, up to {amount:,.0f} yuan"
    return f"{head}, at least {least:,.0f} yuan" if least else f"{head}, amount not quantified"


def rules_using_questions(rules: Sequence[Rule]) -> dict[str, list[str]]:
    """Question field → the ids of the rules that ask it (derived, never maintained)."""
    used: dict[str, list[str]] = {f: [] for f in QUESTIONS_BY_FIELD}
    for r in rules:
        for f in dict.fromkeys(c.field for c in r.leaves()):
            if f in used:
                used[f].append(r.id)
    return used


# ------------------------------------------------------------------ what would make it eligible


class Change(NamedTuple):
    """The smallest change of actionable fields that makes a rule eligible."""

    rule_id: str
    field: str
    value: Any  # the value the field would need
    text: str  # e.g. 再招用1名本市高校毕业生 → 符合，1,500 元
    amount_yuan: float | None


_VERBS = {
    "grad_hires": ("招用{n}名毕业年度高校毕业生", "hire {n} graduate(s) of this year"),
    "grad_hires_local": ("招用{n}名本地高校毕业生", "hire {n} local graduate(s)"),
    "youth_hires": ("招用{n}名35岁以下失业青年", "hire {n} unemployed young person(s)"),
    "trainee_posts": ("设立{n}个就业见习岗位", "offer {n} traineeship post(s)"),
}


def _targets(cond: Condition) -> list[Any]:
    """Values of an actionable field that satisfy a condition (for counts, the least)."""
    spec = FIELDS_BY_NAME.get(cond.field)
    if spec is None or not spec.actionable:
        return []
    if spec.type is FieldType.INT and cond.op in (Op.GE, Op.GT, Op.EQ):
        return [int(cond.value) + (1 if cond.op is Op.GT else 0)]
    if spec.type is FieldType.LIST and cond.op is Op.CONTAINS_ANY:
        return [[v] for v in cond.value]
    return []


def _change_text(field: str, current: Any, value: Any, lang: str) -> str:
    if field == "certifications":
        cert = value[-1]
        return f"取得「{cert}」认定" if lang == "zh" else f"obtain the '{cert}' certification"
    zh, en = _VERBS.get(field, ("{n}", "{n}"))
    more = int(value) - int(current or 0)
    text = zh if lang == "zh" else en
    if current:
        text = ("再" + text) if lang == "zh" else text.replace("hire", "hire another", 1)
    return text.format(n=more)


def eligible_if(
    outcome: Outcome, row: Mapping[str, Any], as_of: dt.date, lang: str = "zh"
) -> Change | None:
    """For a rule not eligible, the one actionable change (least first) that makes it so.

    Only fields the contract marks actionable are ever changed: region, industry or a
    founding date are facts, never advice.
    """
    if outcome.status.value not in ("ineligible", "unknown"):
        return None
    options: list[tuple[int, str, Any]] = []
    for cond in outcome.rule.leaves():
        current = row.get(cond.field)
        for target in _targets(cond):
            if isinstance(target, list):
                value = sorted({*(current or []), *target})
                if value == sorted(current or []):
                    continue
                options.append((1, cond.field, [*(current or []), *target]))
            elif current is None or int(current) < target:
                options.append((target - int(current or 0), cond.field, target))
    for _, field, value in sorted(options, key=lambda o: (o[0], o[1])):
        changed = evaluate(outcome.rule, {**row, field: value}, as_of)
        if changed.status.value == "eligible":
            text = _change_text(field, row.get(field), value, lang)
            tail = "符合" if lang == "zh" else "eligible"
            if changed.amount_yuan is not None:
                tail += (
                    f"，{changed.amount_yuan:,.0f} 元"
                    if lang == "zh"
                    else (f", {changed.amount_yuan:,.0f} yuan")
                )
            return Change(outcome.rule.id, field, value, f"{text} → {tail}", changed.amount_yuan)
    return None


# --------------------------------------------------------------------------- report text


def ask_lines(
    outcomes: Sequence[Outcome], row: Mapping[str, Any], as_of: dt.date, lang: str = "zh"
) -> list[str]:
    """The advisor's next steps for one enterprise: what to ask first, what would make a
    rule eligible, and which measures need their validity checked."""
    zh = lang == "zh"
    lines: list[str] = []
    asks = ask_first(outcomes, lang)
    if asks:
        lines.append("先问这些（按能决定的金额、再按能判定的政策数排序）：" if zh else "Ask first:")
        for i, a in enumerate(asks, 1):
            lines.append(f"  {i}. {a.text}")
            lines.append(f"     {a.summary(lang)}")
    changes = [c for o in outcomes if (c := eligible_if(o, row, as_of, lang)) is not None]
    if changes:
        lines.append("怎样才能符合：" if zh else "What would make it eligible:")
        lines += [f"  {c.rule_id}：{c.text}" if zh else f"  {c.rule_id}: {c.text}" for c in changes]
    unknown = [o for o in outcomes if o.status.value == "unknown"]
    if unknown:
        lines.append("待补充信息的排序：" if zh else "Undecided, in rank order:")
        lines += [f"  {o.rule.id}：{rank_reason(o, lang)}" for o in unknown]
    checks = validity_checks(outcomes, lang)
    if checks:
        lines.append("请顾问核实有效期：" if zh else "Check validity:")
        lines += [f"  {c}" for c in checks]
    return lines


def explain_extra(
    outcome: Outcome, row: Mapping[str, Any], as_of: dt.date, lang: str = "zh"
) -> list[str]:
    """For `explain`: the rank reason, the questions that would decide it, the change that
    would make it eligible, and an open validity."""
    zh = lang == "zh"
    lines: list[str] = []
    if outcome.status.value == "unknown":
        lines.append(("排名说明：" if zh else "rank: ") + rank_reason(outcome, lang))
        for a in ask_first([outcome], lang):
            lines.append(("待问：" if zh else "ask: ") + a.text)
    if outcome.in_force_open:
        lines.append(("有效期：" if zh else "validity: ") + in_force_note(outcome.rule, lang))
    change = eligible_if(outcome, row, as_of, lang)
    if change is not None:
        lines.append(("怎样才能符合：" if zh else "to become eligible: ") + change.text)
    return lines
