"""Rule documentation: ``rules/README.md`` and ``policy-match rules show ID``.

Every rule is rendered under the same fixed headings — 适用对象, 支持内容, 申请条件, 有效期,
政策原文, 假设与说明 — so an advisor can tell who a rule is for, what it gives, until when,
and the exact sentence it comes from. Output is deterministic: the README is generated,
checked in, and compared in CI (``python -m matcher.authoring.ruledoc --check``).
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matcher.fields import FIELDS_BY_NAME, QUESTIONS_BY_FIELD, SIZE_ZH
from matcher.rule import (
    KIND_ZH,
    OP_ZH,
    AllNode,
    AnyNode,
    Audience,
    Condition,
    NotNode,
    Op,
    Rule,
    iter_conditions,
)

README_NAME = "README.md"

HEADINGS: dict[str, tuple[str, ...]] = {
    "zh": ("适用对象", "支持内容", "申请条件", "有效期", "政策原文", "假设与说明"),
    "en": (
        "Who it is for",
        "What it gives",
        "Conditions",
        "Validity",
        "Source text",
        "Assumptions and notes",
    ),
}

_AUDIENCE = {
    "zh": {
        Audience.ENTERPRISE: "企业本身",
        Audience.HIRES: "您的员工（由员工本人享受，不计入企业可得金额）",
        Audience.FOUNDER: "您本人（创办人个人享受，不计入企业可得金额）",
    },
    "en": {
        Audience.ENTERPRISE: "the enterprise itself",
        Audience.HIRES: "your hires (paid to them, not counted as the enterprise's money)",
        Audience.FOUNDER: "you, the founder (paid to you, not counted as the enterprise's money)",
    },
}

_KIND_EN = {
    "cash_subsidy": "cash subsidy",
    "social_insurance_subsidy": "social-insurance subsidy",
    "loan_guarantee": "loan or guarantee",
    "fee_waiver": "fee waiver",
    "space": "space",
    "tax": "tax",
    "programme_priority": "programme priority",
    "matchmaking_service": "matchmaking or service",
    "market_direction": "market direction",
    "compliance_restriction": "compliance restriction",
}

_T = {
    "zh": {
        "all": "全部满足：",
        "any": "满足其一：",
        "not": "不满足：",
        "assume": "【假设】",
        "quote": "原文：",
        "note": "说明：",
        "question": "问题（画像无此字段，须询问企业）：",
        "amount_per": "每人 {amount} 元 × {field}",
        "amount_fixed": "{amount} 元",
        "cap": "，上限 {cap} 元",
        "amount": "金额：",
        "unquantified": "原文未量化金额。",
        "not_counted": "该待遇由{who}享受，不计入企业可得金额。",
        "hires": "员工本人",
        "founder": "创办人本人",
        "how": "申请方式：",
        "no_how": "原文未写明申请方式。",
        "valid_range": "{start}至{end}",
        "from": "{start}起",
        "until": "至{end}",
        "unstated": "未注明有效期",
        "in_force": "（按发布后{months}个月内有效判定，此后结果为待补充信息，请核实是否仍在执行）",
        "source": "来源：{doc}第{n}篇：{title}{origin}",
        "origin": "（原载：{origin}）",
        "none": "无。",
        "meta": "种类：{kind} · 发布机构：{authority} · 发布日期：{published}",
        "target": "{audience}。条件：{conds}",
        "assumption_item": "【假设】{label}：{note}",
        "assumption_bare": "【假设】{label}（原文未写明）",
    },
    "en": {
        "all": "all of:",
        "any": "any of:",
        "not": "not:",
        "assume": "[assumption] ",
        "quote": "source: ",
        "note": "note: ",
        "question": "question (no registry field; ask the enterprise): ",
        "amount_per": "{amount} yuan per head × {field}",
        "amount_fixed": "{amount} yuan",
        "cap": ", capped at {cap} yuan",
        "amount": "Amount: ",
        "unquantified": "The text does not quantify it.",
        "not_counted": "Received by {who}; not counted as the enterprise's money.",
        "hires": "the hires themselves",
        "founder": "the founder personally",
        "how": "How to apply: ",
        "no_how": "The text does not say how to apply.",
        "valid_range": "{start} to {end}",
        "from": "from {start}",
        "until": "until {end}",
        "unstated": "no validity stated (未注明有效期)",
        "in_force": " (taken as in force for {months} months after publication; later the result is unknown until checked)",
        "source": "Source: {doc}, article {n}: {title}{origin}",
        "origin": " (first published by {origin})",
        "none": "None.",
        "meta": "Kind: {kind} · Authority: {authority} · Published: {published}",
        "target": "{audience}. Conditions: {conds}",
        "assumption_item": "[assumption] {label}: {note}",
        "assumption_bare": "[assumption] {label} (not stated in the text)",
    },
}


# ------------------------------------------------------------------------------- values


@functools.cache
def _adcode_names() -> dict[str, str]:
    try:
        from matcher.reference.data import adcode_rows

        return {r["adcode"]: r.get("full_name") or r["name"] for r in adcode_rows()}
    except (FileNotFoundError, KeyError, ImportError):  # pragma: no cover - data ships with us
        return {}


def _industry_label(code: str) -> str:
    try:
        from matcher.reference.industry import industry_name

        name = industry_name(code)
    except (ImportError, FileNotFoundError, KeyError):  # pragma: no cover
        name = None
    return f"{code} {name}" if name else code


def _one_value(cond: Condition, value: Any, lang: str) -> str:
    if cond.op is Op.IN_REGION:
        name = _adcode_names().get(str(value))
        return (
            f"{value}（{name}）"
            if name and lang == "zh"
            else (f"{value} ({name})" if name else str(value))
        )
    if cond.op in (Op.IN_INDUSTRY, Op.ANY_IN_INDUSTRY):
        return _industry_label(str(value))
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if cond.field in ("size", "size_effective", "size_derived") and lang == "zh":
        return SIZE_ZH.get(str(value), str(value))
    return str(value)


def _value_text(cond: Condition, lang: str) -> str:
    if cond.value is None:
        return ""
    values = cond.value if isinstance(cond.value, list) else [cond.value]
    sep = "、" if lang == "zh" else ", "
    return sep.join(_one_value(cond, v, lang) for v in values)


def _test_text(cond: Condition, lang: str) -> str:
    """The machine test, e.g. `region` 位于 110000（北京市）."""
    op = OP_ZH[cond.op.value] if lang == "zh" else cond.op.value
    value = _value_text(cond, lang)
    if cond.op is Op.WITHIN_YEARS:
        value = f"{value} 年" if lang == "zh" else f"{value} years"
    return f"`{cond.field}` {op} {value}".rstrip()


def _label(cond: Condition, lang: str) -> str:
    return cond.label if lang == "zh" else (cond.label_en or cond.label)


def _number(x: float) -> str:
    return f"{int(x):,}" if float(x).is_integer() else f"{x:,.2f}"


# ------------------------------------------------------------------------------ sections


def _criteria_lines(node: Any, lang: str, depth: int = 0) -> list[str]:
    t = _T[lang]
    pad = "  " * depth
    if isinstance(node, AllNode | AnyNode):
        children = node.all if isinstance(node, AllNode) else node.any
        head = t["all"] if isinstance(node, AllNode) else t["any"]
        if node.label:
            head = f"{node.label} — {head}" if lang == "zh" else f"{head} ({node.label})"
        lines = [f"{pad}- {head}"]
        for child in children:
            lines += _criteria_lines(child, lang, depth + 1)
        return lines
    if isinstance(node, NotNode):
        return [f"{pad}- {t['not']}", *_criteria_lines(node.not_, lang, depth + 1)]
    assert isinstance(node, Condition)
    mark = t["assume"] if node.assumption else ""
    lines = [f"{pad}- {mark}{_label(node, lang)} — {_test_text(node, lang)}"]
    question = QUESTIONS_BY_FIELD.get(node.field)
    if question is not None:
        lines.append(
            f"{pad}  - {t['question']}{question.text if lang == 'zh' else question.text_en}"
        )
    if node.quote:
        lines.append(f"{pad}  - {t['quote']}「{node.quote}」")
    if node.note:
        lines.append(f"{pad}  - {t['note']}{node.note}")
    return lines


def _validity_text(rule: Rule, lang: str, *, detail: bool = True) -> str:
    t = _T[lang]
    v = rule.validity
    if not v.stated:
        return t["unstated"] + (t["in_force"].format(months=v.in_force_months) if detail else "")
    start = v.from_.isoformat() if v.from_ else None
    end = v.until.isoformat() if v.until else None
    if start and end:
        return t["valid_range"].format(start=start, end=end)
    if start:
        return t["from"].format(start=start)
    if end:
        return t["until"].format(end=end)
    return t["unstated"]


def _formula_text(f: Any, lang: str) -> str:
    zh = lang == "zh"
    factor = (
        f"{_number(f.rate * 100)}%" if f.rate is not None else f"{_number(f.per_head_yuan)} 元/人"
    )
    text = f"{factor} × `{f.field}`"
    if f.round_down_to_yuan is not None:
        text += (
            f"，向下取整到 {_number(f.round_down_to_yuan)} 元"
            if zh
            else f", rounded down to {_number(f.round_down_to_yuan)}"
        )
    if f.min_yuan is not None:
        text += f"，不低于 {_number(f.min_yuan)} 元" if zh else f", at least {_number(f.min_yuan)}"
    if f.max_yuan is not None:
        text += f"，最高 {_number(f.max_yuan)} 元" if zh else f", at most {_number(f.max_yuan)}"
    return text


def _computed_lines(rule: Rule, lang: str) -> list[str]:
    """Tiers in order (the first that holds gives the amount), or the formula."""
    b, zh = rule.benefit, lang == "zh"
    if b.formula is not None:
        return [("金额：" if zh else "amount: ") + _formula_text(b.formula, lang)]
    lines = ["分档（依次判断，取第一个成立的一档）：" if zh else "tiers (the first that holds):"]
    for tier in b.tiers or []:
        when = "、".join(c.label for c in iter_conditions(tier.when))
        amount = (
            _formula_text(tier.formula, lang)
            if tier.formula is not None
            else f"{_number(tier.amount_yuan or 0)} 元"
        )
        lines.append(f"- {when}：{amount} —「{tier.quote}」")
    return lines


def _benefit_lines(rule: Rule, lang: str) -> list[str]:
    t = _T[lang]
    b = rule.benefit
    desc = b.description if lang == "zh" else (b.description_en or b.description)
    lines = [desc, ""]
    if b.type in ("tiered", "computed"):
        lines += _computed_lines(rule, lang)
    elif b.type == "unquantified" or b.amount_yuan is None:
        lines.append(t["unquantified"])
    else:
        if b.type == "per_head" and b.per_field:
            spec = FIELDS_BY_NAME.get(b.per_field)
            field = f"{spec.zh}（`{b.per_field}`）" if spec and lang == "zh" else f"`{b.per_field}`"
            amount = t["amount_per"].format(amount=_number(b.amount_yuan), field=field)
        else:
            amount = t["amount_fixed"].format(amount=_number(b.amount_yuan))
        if b.cap_yuan is not None:
            amount += t["cap"].format(cap=_number(b.cap_yuan))
        lines.append(t["amount"] + amount)
    if rule.audience is not Audience.ENTERPRISE:
        who = t["hires"] if rule.audience is Audience.HIRES else t["founder"]
        lines.append(t["not_counted"].format(who=who))
    if b.quote:
        lines.append(f"{t['quote']}「{b.quote}」")
    for e in rule.exclusive:
        lines.append(
            f"不可同时享受（组 `{e.group}`）：「{e.quote}」"
            if lang == "zh"
            else f"not stackable (group `{e.group}`): '{e.quote}'"
        )
    lines += ["", t["how"] + (rule.how_to_apply or t["no_how"])]
    return lines


def _summary(node: Any, lang: str, top: bool = False) -> str:
    """The criteria in one line: conditions by label, groups by label or 其一 lists."""
    t = _T[lang]
    if isinstance(node, Condition):
        return (t["assume"] if node.assumption else "") + _label(node, lang)
    if isinstance(node, NotNode):
        return t["not"] + _summary(node.not_, lang)
    if isinstance(node, AllNode):
        return ("；" if lang == "zh" else "; ").join(_summary(c, lang) for c in node.all)
    assert isinstance(node, AnyNode)
    if node.label and not top:
        return node.label
    parts = (" / ").join(_summary(c, lang) for c in node.any)
    if top:
        return f"{t['any']}{parts}" if lang == "zh" else f"{t['any']} {parts}"
    return f"（{t['any']}{parts}）" if lang == "zh" else f"({t['any']} {parts})"


def _target_text(rule: Rule, lang: str) -> str:
    t = _T[lang]
    conds = _summary(rule.criteria, lang, top=True)
    return t["target"].format(audience=_AUDIENCE[lang][rule.audience], conds=conds)


def _assumption_lines(rule: Rule, lang: str) -> list[str]:
    t = _T[lang]
    lines: list[str] = []
    for c in iter_conditions(rule.criteria):
        if isinstance(c, Condition) and c.assumption:
            if c.note:
                lines.append("- " + t["assumption_item"].format(label=_label(c, lang), note=c.note))
            else:
                lines.append("- " + t["assumption_bare"].format(label=_label(c, lang)))
    lines += [f"- {t['assume']}{a}" for a in rule.assumptions]
    lines += [f"- {n}" for n in rule.notes]
    return lines or [t["none"]]


def _quote_lines(rule: Rule, lang: str) -> list[str]:
    t = _T[lang]
    s = rule.source
    origin = t["origin"].format(origin=s.origin) if s.origin else ""
    quotes = list(dict.fromkeys(rule.all_quotes()))
    # A quote inside a longer one adds nothing here (conditions show their own quotes).
    kept = [q for q in quotes if not any(q != o and q in o for o in quotes)]
    lines = [f"> {q}" for q in kept]
    spaced: list[str] = []
    for line in lines:
        spaced += [line, ">"]
    spaced = spaced[:-1]
    return [
        *spaced,
        "",
        t["source"].format(doc=s.document, n=s.article, title=s.article_title, origin=origin),
    ]


def _sections(rule: Rule, lang: str, level: int) -> list[str]:
    h = "#" * level
    names = HEADINGS[lang]
    t = _T[lang]
    v = rule.validity
    validity = [_validity_text(rule, lang)]
    if v.quote:
        validity.append(f"{t['quote']}「{v.quote}」")
    if v.note:
        validity.append(f"{t['note']}{v.note}")
    return [
        f"{h} {names[0]}",
        "",
        _target_text(rule, lang),
        "",
        f"{h} {names[1]}",
        "",
        *_benefit_lines(rule, lang),
        "",
        f"{h} {names[2]}",
        "",
        *_criteria_lines(rule.criteria, lang),
        "",
        f"{h} {names[3]}",
        "",
        *[line for v_line in validity for line in (v_line, "")][:-1],
        "",
        f"{h} {names[4]}",
        "",
        *_quote_lines(rule, lang),
        "",
        f"{h} {names[5]}",
        "",
        *_assumption_lines(rule, lang),
    ]


def _meta(rule: Rule, lang: str) -> str:
    kind = KIND_ZH[rule.kind.value] if lang == "zh" else _KIND_EN[rule.kind.value]
    return _T[lang]["meta"].format(
        kind=kind, authority=rule.authority, published=rule.published.isoformat()
    )


# ----------------------------------------------------------------------------------- API


def render_rule(rule: Rule, lang: str = "zh") -> str:
    """One rule under the fixed headings, for ``policy-match rules show ID``."""
    lang = "en" if lang == "en" else "zh"
    title = rule.title if lang == "zh" else rule.title_en
    lines = [f"# {rule.id}：{title}" if lang == "zh" else f"# {rule.id}: {title}", ""]
    lines += [_meta(rule, lang), ""]
    lines += _sections(rule, lang, 2)
    return "\n".join(lines).rstrip() + "\n"


def _ordered(rules: Sequence[Rule]) -> list[Rule]:
    return sorted(rules, key=lambda r: (r.source.article, r.id))


def render_rules_readme(rules: Sequence[Rule]) -> str:
    """``rules/README.md``: an index table, then every rule grouped by article."""
    ordered = _ordered(rules)
    documents = sorted({r.source.document for r in ordered})
    lines = [
        "# 政策规则说明",
        "",
        "<!-- 本文件由 `python -m matcher.authoring.ruledoc --write` 从 rules/*.yaml 生成，请勿手工编辑；"
        "CI 用 `python -m matcher.authoring.ruledoc --check` 核对。 -->",
        "",
        f"共 {len(ordered)} 条规则，来源：{'、'.join(documents) or '—'}。"
        "每条规则按固定小标题说明：适用对象、支持内容、申请条件、有效期、政策原文、假设与说明。"
        "标注【假设】的条件原文未写明，是本规则为判断所作的假设。"
        "面向员工或创办人本人的待遇不计入企业可得金额。",
        "",
        "## 索引",
        "",
        "| 编号 | 标题 | 种类 | 文章 | 有效期 |",
        "|---|---|---|---|---|",
    ]
    for r in ordered:
        title = r.title.replace("|", "\\|")
        lines.append(
            f"| [{r.id}](#{r.id}) | {title} | {KIND_ZH[r.kind.value]} | "
            f"第{r.source.article}篇 | {_validity_text(r, 'zh', detail=False)} |"
        )
    lines += _questions_section(ordered)
    current: tuple[int, str] | None = None
    for r in ordered:
        article = (r.source.article, r.source.article_title)
        if article != current:
            current = article
            lines += ["", f"## 第{article[0]}篇 {article[1]}"]
        lines += [
            "",
            f'<a id="{r.id}"></a>',
            "",
            f"### {r.id}：{r.title}",
            "",
            _meta(r, "zh"),
            "",
            *_sections(r, "zh", 4),
        ]
    return "\n".join(lines).rstrip() + "\n"


def _questions_section(rules: Sequence[Rule]) -> list[str]:
    """The questions (rules/questions.yaml) with the rules that ask each, derived."""
    from matcher.evaluate.questions import rules_using_questions

    used = rules_using_questions(rules)
    lines = [
        "",
        "## 问题",
        "",
        "画像中没有、须询问企业的事实（rules/questions.yaml）。未回答时相关条件为未知，结果为待补充信息。"
        "表头即组合表的列名，也是 YAML 画像的键。",
        "",
        "| 表头 | 问题 | 回答 | 原文 | 使用该问题的规则 |",
        "|---|---|---|---|---|",
    ]
    for q in QUESTIONS_BY_FIELD.values():
        answer = "是/否" if q.type.value == "bool" else "数字"
        ids = "、".join(f"[{rid}](#{rid})" for rid in used.get(q.field, [])) or "—"
        lines.append(f"| {q.header}（`{q.field}`） | {q.text} | {answer} | 「{q.quote}」 | {ids} |")
    return lines


def _load(rules_dir: Path) -> list[Rule]:
    from matcher.loader import load_rules

    ruleset = load_rules([rules_dir], replace=True)
    if ruleset.errors:
        for err in ruleset.errors:
            print(err, file=sys.stderr)
        raise SystemExit(2)
    return ruleset.rules


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m matcher.authoring.ruledoc [--write | --check] [--rules DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m matcher.authoring.ruledoc",
        description="生成 rules/README.md（规则说明）。Generate rules/README.md.",
    )
    parser.add_argument(
        "--rules", type=Path, default=None, help="规则目录（默认：项目自带的 rules/）"
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="写入 rules/README.md")
    mode.add_argument("--check", action="store_true", help="核对 rules/README.md 是否为最新")
    args = parser.parse_args(argv)
    if args.rules is None:
        from matcher.loader import bundled_rules_dir

        args.rules = bundled_rules_dir()
    text = render_rules_readme(_load(args.rules))
    target = args.rules / README_NAME
    if args.write:
        target.write_text(text, encoding="utf-8")
        print(f"已写入 {target}")
        return 0
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            print(
                f"{target} 不是最新：请运行 python -m matcher.authoring.ruledoc --write 重新生成",
                file=sys.stderr,
            )
            return 1
        print(f"{target} 是最新的")
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
