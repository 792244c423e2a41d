"""`policy-match interview`: ask the most decisive open question, record the answer in the
profile, re-rank, and stop when no open answer can change a result.

The loop takes its input and output as functions, so a web form or a test drives it the
same way a terminal does. Answers are written into the profile YAML under the field's
Chinese header (a line replaced or appended; comments and the rest are kept), and the
profile is read back from the file after every answer, so what the file says is what is
evaluated.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import yaml

from matcher.errors import PolicyMatchError
from matcher.evaluate.questions import Ask, ask_first
from matcher.evaluate.row import Outcome
from matcher.evaluate.tree import STATUS_ZH
from matcher.fields import FIELDS_BY_NAME, FieldType
from matcher.intake.values import ValueParseError, parse_value
from matcher.rule import Rule

SKIP_WORDS = frozenset({"", "不知道", "不清楚", "不确定", "跳过", "skip", "?", "？", "unknown"})
QUIT_WORDS = frozenset({"q", "quit", "退出", "结束"})


def evaluate_profile(path: Path, rules: Sequence[Rule], as_of: dt.date) -> list[Outcome]:
    from matcher import api

    portfolio = api.load_portfolio(path, today=as_of)
    return api.match_one(api.select_row(portfolio, None), rules, as_of)


def questions_json(outcomes: Sequence[Outcome], as_of: dt.date, lang: str = "zh") -> str:
    """The open questions, most decisive first: what a web form or script asks."""
    items = [
        {
            "field": a.field,
            "header": FIELDS_BY_NAME[a.field].zh if a.field in FIELDS_BY_NAME else a.field,
            "question": a.text,
            "type": _answer_type(a.field),
            "rules": list(a.rules),
            "settles": list(a.settles),
            "money_yuan": a.money_yuan,
        }
        for a in ask_first(outcomes, lang)
    ]
    return json.dumps(
        {"as_of": as_of.isoformat(), "questions": items}, ensure_ascii=False, indent=2
    )


def _answer_type(field: str) -> str:
    spec = FIELDS_BY_NAME.get(field)
    return "text" if spec is None else spec.type.value


def parse_answer(field: str, text: str) -> Any:
    """The answer as the value to store; None to skip. Raises ValueParseError when unreadable."""
    if text.strip().lower() in SKIP_WORDS:
        return None
    spec = FIELDS_BY_NAME[field]
    value = parse_value(spec.type, text.strip())
    if spec.type is FieldType.BOOL:
        return "是" if value else "否"
    if spec.type in (FieldType.INT, FieldType.AMOUNT):
        return value
    return text.strip()  # region, industry, dates…: kept as written, resolved on reading


def record_answer(path: Path, field: str, value: Any) -> None:
    """Write `value` under the field's Chinese header, replacing an existing entry."""
    spec = FIELDS_BY_NAME[field]
    keys = {spec.zh, spec.name}
    line = yaml.safe_dump({spec.zh: value}, allow_unicode=True, width=1000).strip()
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, old in enumerate(lines):
        key = old.split(":", 1)[0].strip().strip("\"'")
        if ":" in old and not old.startswith((" ", "#", "-")) and key in keys:
            lines[i] = line
            break
    else:
        lines.append(line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _changes(before: Sequence[Outcome], after: Sequence[Outcome], lang: str) -> list[str]:
    old = {o.rule.id: o for o in before}
    lines = []
    for o in after:
        prev = old.get(o.rule.id)
        if prev is None or (prev.status, prev.amount_yuan) == (o.status, o.amount_yuan):
            continue
        status = STATUS_ZH[o.status.value] if lang == "zh" else o.status.value
        was = STATUS_ZH[prev.status.value] if lang == "zh" else prev.status.value
        money = "" if o.amount_yuan is None else f"，{o.amount_yuan:,.0f} 元"
        lines.append(f"  {o.rule.id}：{was} → {status}{money}")
    return lines


def _prompt(ask: Ask, n: int, lang: str) -> str:
    hint = {"bool": "是/否", "int": "数字"}.get(_answer_type(ask.field), "文字")
    if lang == "zh":
        return f"问题 {n}：{ask.text}\n（{ask.summary(lang)}；回答{hint}，直接回车表示不知道）"
    return f"Question {n}: {ask.text}\n({ask.summary(lang)}; Enter to skip)"


def interview(
    path: Path,
    rules: Sequence[Rule],
    as_of: dt.date,
    ask: Callable[[str], str],
    say: Callable[[str], None],
    lang: str = "zh",
) -> list[Outcome]:
    """Ask, record, re-rank, until no open answer can change a result. Returns the outcomes."""
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise PolicyMatchError(
            f"问答只能写入 YAML 画像，「{path.name}」不是", "先另存为 .yaml 文件"
        )
    outcomes = evaluate_profile(path, rules, as_of)
    skipped: set[str] = set()
    n = 0
    while True:
        open_asks = [a for a in ask_first(outcomes, lang) if a.field not in skipped]
        if not open_asks:
            say(
                "没有能改变结果的待答问题了。"
                if lang == "zh"
                else "No open answer can change a result."
            )
            return outcomes
        top = open_asks[0]
        n += 1
        say(_prompt(top, n, lang))
        text = ask("> ")
        if text.strip().lower() in QUIT_WORDS:
            say(
                "已结束；已回答的内容都已写入画像。"
                if lang == "zh"
                else "Stopped; answers are saved."
            )
            return outcomes
        try:
            value = parse_answer(top.field, text)
        except ValueParseError as exc:
            say(
                f"  {exc.message(lang)}，请重新回答。" if lang == "zh" else f"  {exc.message(lang)}"
            )
            n -= 1
            continue
        if value is None:
            skipped.add(top.field)
            say("  已跳过。" if lang == "zh" else "  skipped.")
            continue
        record_answer(path, top.field, value)
        after = evaluate_profile(path, rules, as_of)
        changed = _changes(outcomes, after, lang)
        say(
            "  已记录。" + ("结果变化：" if changed else "结果未变。")
            if lang == "zh"
            else "  recorded."
        )
        for line in changed:
            say(line)
        outcomes = after
