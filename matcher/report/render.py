"""Terminal output: ranked tables, reasons and explanations, rendered from traces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from matcher.batch import (
    SEP,
    amount_note,
    assumptions_text,
    audience_text,
    source_text,
    status_label,
    valid_until_text,
)
from matcher.evaluate.row import Outcome, TraceStep
from matcher.evaluate.tree import STATUS_ZH, condition_text, field_label
from matcher.fields import SIZE_ZH
from matcher.report.terminal import styled
from matcher.rule import KIND_ZH, OP_ZH, Rule

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import polars as pl
else:
    from matcher.frame import pl


# Consoles here show strings literally (report.terminal.SafeConsole): styling is
# done with styled() spans, never with markup around user or rule text.

STATUS_STYLE = {
    "eligible": "bold green",
    "unknown": "yellow",
    "ineligible": "dim",
    "expired": "dim red",
    "not_yet_valid": "cyan",
}

T = {
    "rank": ("排名", "Rank"),
    "policy": ("政策", "Policy"),
    "status": ("结果", "Status"),
    "amount": ("预计金额（元）", "Amount (yuan)"),
    "until": ("有效期至", "Valid until"),
    "why": ("原因 / 待补充", "Why / missing"),
    "missing": ("待补充：", "missing: "),
    "unmet": ("不满足：", "not met: "),
    "met": ("满足：", "met: "),
    "others": ("另有 {n} 项：{detail}（--all 查看全部）", "{n} more: {detail} (--all shows them)"),
}


def t(key: str, lang: str) -> str:
    zh, en = T[key]
    return zh if lang == "zh" else en


def yuan(value: float | None) -> str:
    from matcher.report.money import yuan_text

    return yuan_text(value) or "—"


def reason(outcome: Outcome, lang: str) -> str:
    sep = SEP if lang == "zh" else "; "
    if outcome.status.value == "unknown":
        fields = ("、" if lang == "zh" else ", ").join(
            field_label(f, lang) for f in outcome.missing_fields
        )
        return t("missing", lang) + fields
    if outcome.status.value == "ineligible":
        return t("unmet", lang) + sep.join(condition_text(c, lang) for c in outcome.unmet)
    if outcome.status.value == "eligible":
        return t("met", lang) + sep.join(condition_text(c, lang) for c in outcome.met)
    return valid_until_text(outcome.rule, lang)


def scope_basis(row: dict[str, Any], lang: str) -> str:
    """Where an industry read from the business scope came from (blank: derived; coarse:
    refined), e.g. 由经营范围推断：软件开发 → I6511 基础软件开发."""
    from matcher.reference.industry import industry_name

    code = row.get("industry_code") or ""
    phrase = row.get("industry_scope_phrase")
    name = industry_name(code) or ""
    if lang == "zh":
        how = "由经营范围推断" if row.get("industry") is None else "按经营范围细化"
        return f"{how}：{phrase} → {code} {name}"
    how = "derived from" if row.get("industry") is None else "refined by"
    return f"{how} the business scope: {phrase} → {code} {name}"


def scope_phrase_lines(scope: str, lang: str) -> list[str]:
    """How each phrase of a business scope was read (for any_in_industry), one per line."""
    from matcher.reference.scope import read_scope

    head = "经营范围各项：" if lang == "zh" else "business scope phrases:"
    return [head, *("  " + p.explain(lang) for p in read_scope(scope).phrases)]


def profile_heading(row: dict[str, Any], lang: str) -> str:
    parts = [str(row.get("name"))]
    if row.get("region_code"):
        parts.append(f"{row.get('region') or ''}（{row['region_code']}）")
    if row.get("industry_code"):
        parts.append(
            f"行业 {row['industry_code']}" if lang == "zh" else f"industry {row['industry_code']}"
        )
        if row.get("industry_scope_phrase"):
            parts[-1] += f"（{scope_basis(row, lang)}）"
    size = row.get("size_effective")
    if size:
        parts.append(SIZE_ZH[size] if lang == "zh" else size)
    return f"[{row.get('id')}] " + " · ".join(parts)


def outcomes_table(outcomes: Sequence[Outcome], lang: str, show_all: bool) -> Table:
    table = Table(show_lines=False, expand=False)
    for key in ("rank", "policy", "status", "amount", "until", "why"):
        table.add_column(t(key, lang), overflow="fold")
    for i, o in enumerate(outcomes, 1):
        if not show_all and o.status.value not in ("eligible", "unknown"):
            continue
        # Text, not str: rich would turn a str cell into Text again on each of its
        # measuring and rendering passes
        table.add_row(
            styled(str(i)),
            styled(f"{o.rule.title if lang == 'zh' else o.rule.title_en}\n", (o.rule.id, "dim")),
            styled((status_label(o.status.value, lang), STATUS_STYLE[o.status.value])),
            styled(
                yuan(o.amount_yuan) if o.excluded_by is None else _excluded_text(o, outcomes, lang)
            ),
            styled(valid_until_text(o.rule, lang)),
            styled(reason(o, lang)),
        )
    return table


def others_line(outcomes: Sequence[Outcome], lang: str) -> str | None:
    rest = [o for o in outcomes if o.status.value not in ("eligible", "unknown")]
    if not rest:
        return None
    counts: dict[str, int] = {}
    for o in rest:
        counts[o.status.value] = counts.get(o.status.value, 0) + 1
    detail = "，".join(f"{status_label(s, lang)} {n}" for s, n in counts.items())
    return t("others", lang).format(n=len(rest), detail=detail)


def print_enterprise(
    console: Console, row: dict[str, Any], outcomes: Sequence[Outcome], lang: str, show_all: bool
) -> None:
    # One print of every part: rich's fixed cost per print is most of a short line's.
    parts: list[Text | str | Table] = [styled("\n", (profile_heading(row, lang), "bold"))]
    total = sum(o.amount_yuan or 0 for o in outcomes if o.status.value == "eligible")
    if total:
        parts.append(
            f"  符合政策预计金额合计：{yuan(total)} 元"
            if lang == "zh"
            else f"  estimated total of eligible policies: {yuan(total)} yuan"
        )
    parts.append(outcomes_table(outcomes, lang, show_all))
    line = others_line(outcomes, lang)
    if line and not show_all:
        parts.append(styled("  ", (line, "dim")))
    console.print(*parts, sep="\n")


def print_reasons(console: Console, outcomes: Sequence[Outcome], lang: str) -> None:
    """Per policy, why, how much, until when, and the source sentence."""
    lines: list[Text | str] = []  # printed at once, as print_enterprise
    for i, o in enumerate(outcomes, 1):
        if o.status.value not in ("eligible", "unknown"):
            continue
        r = o.rule
        lines.append(
            styled(
                "\n",
                (f"{i}. {r.title}", "bold"),
                f"（{r.id}）— {status_label(o.status.value, lang)}",
            )
        )
        heads = r.benefit.per_field and o.trace and _value_of(o, r.benefit.per_field)
        lines.append(f"  金额：{yuan(o.amount_yuan)}（{amount_note(r, heads or None, lang)}）")
        if o.excluded_by is not None:
            lines.append(f"  {_excluded_text(o, outcomes, lang)}")
        lines.append(f"  {reason(o, lang)}")
        if assumptions_text(r, lang):
            lines.append(f"  假设：{assumptions_text(r, lang)}")
        lines.append(f"  有效期至：{valid_until_text(r, lang)}；受益对象：{audience_text(r, lang)}")
        lines.append(f"  来源：{source_text(r, lang)}")
        lines.append(f"  原文：「{r.source.quotes[0]}」")
    if lines:
        console.print(*lines, sep="\n")


def _excluded_text(o: Outcome, outcomes: Sequence[Outcome], lang: str) -> str:
    from matcher.evaluate.exclusive import note

    rival = next(x.rule for x in outcomes if x.rule.id == o.excluded_by)
    text = note(rival.title if lang == "zh" else rival.title_en, lang)
    if o.excluded_amount:
        text += (
            f"（{yuan(o.excluded_amount)} 元）"
            if lang == "zh"
            else f" ({yuan(o.excluded_amount)} yuan)"
        )
    return text


def _value_of(outcome: Outcome, field: str) -> Any:
    return outcome.trace and next((s.actual for s in outcome.trace if s.column == field), None)


def explain_lines(
    outcome: Outcome,
    row: dict[str, Any],
    as_of: dt.date,
    lang: str,
    resolutions: dict[str, Any] | None = None,
) -> list[str]:
    """Condition by condition: the value found, the test, the result, the quote."""
    r = outcome.rule
    zh = lang == "zh"
    lines = [
        f"{r.title}（{r.id}）" if zh else f"{r.title_en} ({r.id})",
        (f"结论：{STATUS_ZH[outcome.status.value]}" if zh else f"result: {outcome.status.value}")
        + (
            ""
            if outcome.amount_yuan is None
            else f"；预计金额 {yuan(outcome.amount_yuan)} 元"
            if zh
            else f"; estimated {yuan(outcome.amount_yuan)} yuan"
        ),
        f"判定日期：{as_of.isoformat()}；有效期至：{valid_until_text(r, lang)}"
        if zh
        else f"as of {as_of.isoformat()}; valid until {valid_until_text(r, lang)}",
        "",
    ]
    for step in outcome.trace:
        lines.extend(_step_lines(step, row, lang, resolutions or {}))
    lines.append("")
    heads = _value_of(outcome, r.benefit.per_field) if r.benefit.per_field else None
    lines.append(("金额：" if zh else "amount: ") + amount_note(r, heads, lang))
    if r.benefit.quote:
        lines.append(("  原文：「" if zh else "  source: 「") + r.benefit.quote + "」")
    if r.assumptions:
        lines.append(("假设：" if zh else "assumptions: ") + SEP.join(r.assumptions))
    lines.append(("来源：" if zh else "source: ") + source_text(r, lang))
    lines.append(("类型：" if zh else "kind: ") + (KIND_ZH[r.kind.value] if zh else r.kind.value))
    return lines


def _step_lines(
    step: TraceStep, row: dict[str, Any], lang: str, resolutions: dict[str, Any]
) -> list[str]:
    c = step.leaf.condition
    zh = lang == "zh"
    mark = {True: "✓", False: "✗", None: "?"}[step.result]
    result = (
        {True: "满足", False: "不满足", None: "未知"}[step.result]
        if zh
        else {True: "met", False: "not met", None: "unknown"}[step.result]
    )
    actual = _show(step.actual, lang)
    if step.column != c.field and row.get(c.field) is not None:
        actual = f"{row.get(c.field)} → {actual}"
    value = "" if c.value is None else f" {_show(c.value, lang)}"
    test = f"{c.field} {OP_ZH[c.op.value] if zh else c.op.value}{value}"
    out = [
        f"{mark} {condition_text(c, lang)}",
        (
            f"    取值：{actual}；检验：{test}；结果：{result}"
            if zh
            else f"    value: {actual}; test: {test}; result: {result}"
        ),
    ]
    # How free text became a code: the matched name or alias and the score.
    resolution = (
        resolutions.get(c.field, {}).get(row.get(c.field)) if c.field in resolutions else None
    )
    if resolution is not None:
        out.append(("    识别：" if zh else "    resolved: ") + resolution.explain(lang))
    if c.field == "industry" and row.get("industry_scope_phrase"):
        out.append("    " + scope_basis(row, lang))
    if c.field == "scope_industries" and row.get("business_scope"):
        out.extend("    " + line for line in scope_phrase_lines(row["business_scope"], lang))
    if step.column == "size_effective" and step.actual is None:
        out.append(
            "    企业规模未填写，从业人员、营业收入、资产总额与行业也不足以按划型标准推算"
            if zh
            else "    size not given, and employees/revenue/assets/industry do not decide it"
        )
    elif step.column == "size_effective" and row.get("size") is None:
        out.append(
            "    规模按划型标准推算（工信部联企业〔2011〕300号）"
            if zh
            else "    size derived from the SME size standard"
        )
    if step.leaf.negated:
        out.append(
            "    （此条件取反：满足则不符合）" if zh else "    (negated: met means not eligible)"
        )
    if c.quote:
        out.append(f"    原文：「{c.quote}」" if zh else f"    source: 「{c.quote}」")
    elif c.assumption:
        out.append(
            "    原文未写明，此为假设" if zh else "    not stated in the source: an assumption"
        )
    return out


def _show(value: Any, lang: str) -> str:
    if value is None:
        return "（未填写）" if lang == "zh" else "(missing)"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else str(value).lower()
    if isinstance(value, list):
        unread = "未识别" if lang == "zh" else "not read"  # a scope phrase nothing read
        return (
            "、".join(unread if v is None else str(v) for v in value)
            if value
            else ("（无）" if lang == "zh" else "(none)")
        )
    if isinstance(value, str) and value in SIZE_ZH and lang == "zh":
        return SIZE_ZH[value]
    return str(value)


def rules_table(rules: Sequence[Rule], lang: str) -> Table:
    table = Table()
    for head in (
        ("编号", "id"),
        ("政策名称", "title"),
        ("类型", "kind"),
        ("篇", "article"),
        ("有效期至", "valid until"),
    ):
        table.add_column(head[0] if lang == "zh" else head[1], overflow="fold")
    for r in rules:
        table.add_row(
            r.id,
            r.title if lang == "zh" else r.title_en,
            KIND_ZH[r.kind.value] if lang == "zh" else r.kind.value,
            str(r.source.article),
            valid_until_text(r, lang),
        )
    return table


# Money columns (either language) are shown as "6,000" on the terminal.
MONEY_HEADERS = {"amount_yuan", "total_amount_yuan", "预计金额（元）", "预计金额合计（元）"}


def frame_table(frame: pl.DataFrame, max_rows: int = 200) -> Table:
    from matcher.report.money import yuan_text

    table = Table()
    money = [str(c) in MONEY_HEADERS for c in frame.columns]
    for col in frame.columns:
        table.add_column(
            str(col), overflow="fold", justify="right" if str(col) in MONEY_HEADERS else "left"
        )
    for row in frame.head(max_rows).rows():
        table.add_row(
            *[
                yuan_text(v) if is_money else ("" if v is None else str(v))
                for v, is_money in zip(row, money, strict=True)
            ]
        )
    return table
