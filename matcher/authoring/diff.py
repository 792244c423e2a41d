"""`rules diff OLD NEW`: what changed between two rule sets, field by field, in Chinese.

OLD and NEW are folders of rule files, or git revisions (``HEAD~3``, ``v1:rules``): a
revision alone means its ``rules/`` folder. Rules are compared as validated data, so a
comment or a reordered key is no change.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matcher.errors import PolicyMatchError
from matcher.rule import Condition, Rule


@dataclass
class RuleChange:
    rule_id: str
    title: str
    kind: str  # added / removed / changed
    lines: list[str] = field(default_factory=list)


@contextmanager
def rules_folder(spec: str, repo: Path | None = None) -> Iterator[Path]:
    """A folder of rule files for a folder path or a git revision."""
    path = Path(spec)
    if path.is_dir():
        yield path
        return
    rev, _, sub = spec.partition(":")
    sub = sub or "rules"
    cwd = repo or Path.cwd()
    names = _git(cwd, "ls-tree", "--name-only", f"{rev}:{sub}", spec=spec).split()
    with tempfile.TemporaryDirectory(prefix="rules-") as tmp:
        for name in names:
            if name.endswith(".yaml"):
                text = _git(cwd, "show", f"{rev}:{sub}/{name}", spec=spec)
                (Path(tmp) / name).write_text(text, encoding="utf-8")
        yield Path(tmp)


def _git(cwd: Path, *args: str, spec: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PolicyMatchError(
            f"无法运行 git：{exc}", "请安装 git，或直接给出两个规则目录"
        ) from exc
    if done.returncode != 0:
        raise PolicyMatchError(
            f"「{spec}」既不是规则目录，也不是可读的 git 版本（{done.stderr.strip()[:120]}）",
            "给出目录，或 git 版本如 HEAD~1、v1.0:rules",
        )
    return done.stdout


def load_folder(folder: Path) -> dict[str, Rule]:
    from matcher.loader import load_rules

    ruleset = load_rules([folder], replace=True)
    if ruleset.errors:
        first = ruleset.errors[0]
        raise PolicyMatchError(
            f"{first}（共 {len(ruleset.errors)} 处错误）", "先用 policy-match rules lint 修正规则"
        )
    return {r.id: r for r in ruleset.rules}


def diff_rules(old: dict[str, Rule], new: dict[str, Rule]) -> list[RuleChange]:
    changes: list[RuleChange] = []
    for rid in sorted(old.keys() | new.keys()):
        a, b = old.get(rid), new.get(rid)
        if a is None and b is not None:
            changes.append(RuleChange(rid, b.title, "added", [_benefit_text(b)]))
        elif b is None and a is not None:
            changes.append(RuleChange(rid, a.title, "removed"))
        elif a is not None and b is not None and a != b:
            changes.append(RuleChange(rid, b.title, "changed", rule_lines(a, b)))
    return changes


# ------------------------------------------------------------------------- field by field

_AMOUNT_KEYS = {
    "amount_yuan": "金额",
    "cap_yuan": "上限",
    "type": "计算方式",
    "per_field": "按人数字段",
    "description": "待遇说明",
}
_TOP_LABELS = {
    "title": "标题",
    "title_en": "英文标题",
    "authority": "发文机关",
    "kind": "类别",
    "audience": "受益对象",
    "published": "发布日期",
    "how_to_apply": "申请方式",
    "assumptions": "假设",
    "notes": "备注",
    "exclusive": "不可同时享受",
}


def rule_lines(a: Rule, b: Rule) -> list[str]:
    lines: list[str] = []
    da, db = a.model_dump(mode="json", by_alias=True), b.model_dump(mode="json", by_alias=True)
    for key, label in _TOP_LABELS.items():
        if da.get(key) != db.get(key):
            lines.append(f"{label}：{_show(da.get(key))} → {_show(db.get(key))}")
    for key in sorted(set(da["benefit"]) | set(db["benefit"])):
        va, vb = da["benefit"].get(key), db["benefit"].get(key)
        if va != vb and key != "quote":
            label = _AMOUNT_KEYS.get(key, f"待遇.{key}")
            unit = " 元" if key.endswith("_yuan") else ""
            lines.append(f"{label} {_show(va)} → {_show(vb)}{unit}")
    if da["validity"] != db["validity"]:
        lines.append(f"有效期：{_validity(a)} → {_validity(b)}")
    lines += _condition_lines(a.leaves(), b.leaves())
    if da["source"] != db["source"]:
        lines.append("来源或引文有变化")
    if da["cases"] != db["cases"]:
        lines.append(f"测试用例：{len(a.cases)} 个 → {len(b.cases)} 个")
    return lines or ["仅有不影响判定的改动"]


def _condition_lines(old: list[Condition], new: list[Condition]) -> list[str]:
    def key(c: Condition) -> tuple[str, str, str]:
        return (c.field, c.op.value, _show(c.value))

    gone = [c for c in old if key(c) not in {key(x) for x in new}]
    came = [c for c in new if key(c) not in {key(x) for x in old}]
    lines: list[str] = []
    # The same field and operator on both sides with a new value: one line, old → new.
    for c in list(gone):
        twin = [x for x in came if (x.field, x.op) == (c.field, c.op)]
        if len(twin) == 1:
            lines.append(f"条件修改：{c.label}：{_cond(c)} → {_cond(twin[0])}")
            gone.remove(c)
            came.remove(twin[0])
    lines += [f"条件删除：{c.label}（{_cond(c)}）" for c in gone]
    lines += [f"条件新增：{c.label}（{_cond(c)}）" for c in came]
    return lines


def _cond(c: Condition) -> str:
    from matcher.rule import OP_ZH

    value = "" if c.value is None else f" {_show(c.value)}"
    return f"{c.field} {OP_ZH.get(c.op.value, c.op.value)}{value}"


def _validity(r: Rule) -> str:
    v = r.validity
    if not v.stated:
        return f"未注明（按发布后 {v.in_force_months} 个月计）"
    start = v.from_.isoformat() if v.from_ else "…"
    end = v.until.isoformat() if v.until else "长期"
    return f"{start} 至 {end}"


def _benefit_text(r: Rule) -> str:
    b = r.benefit
    if b.type == "fixed":
        return f"金额 {_show(b.amount_yuan)} 元"
    if b.type == "per_head":
        return f"金额 每人 {_show(b.amount_yuan)} 元 × {b.per_field}"
    return f"待遇：{b.description}"


def _show(v: Any) -> str:
    if v is None:
        return "（无）"
    if isinstance(v, float) and v.is_integer():
        return f"{int(v):,}".replace(",", "")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, list):
        return "、".join(_show(x) for x in v) or "（空）"
    if isinstance(v, dict):
        return "，".join(f"{k}={_show(x)}" for k, x in v.items())
    return str(v)


def render(changes: list[RuleChange], lang: str = "zh") -> str:
    head = {"added": "新增", "removed": "删除", "changed": "修改"}
    if not changes:
        return "两套规则没有差异" if lang == "zh" else "no differences"
    out: list[str] = []
    for c in changes:
        out.append(f"{head[c.kind]} {c.rule_id}（{c.title}）")
        out += [f"  {line}" for line in c.lines]
    counts = {k: sum(1 for c in changes if c.kind == k) for k in head}
    out.append("；".join(f"{head[k]} {n} 条" for k, n in counts.items()))
    return "\n".join(out)
