"""Rule lint: every quote must occur in its source text; every name and code must exist.

Output follows ruff: ``rules/x.yaml:LINE:COL: CODE message`` with an optional help line.
The catalogue of codes is :data:`CODES`; each issue names the rule, what was found and
what was expected.

Source texts are looked up by SHA-256 (``rule.source.sha256``) in a folder of plain-text
files (``--sources``; CI uses ``../shared/seeds``). Before comparing, quote and source are
normalised the same way (:func:`normalise`): NFKC, the PDF page-break repeats collapsed
("疫情\\n\\n情防控" → "疫情防控"), and all whitespace removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from matcher.authoring.texts import find_sources, normalise, split_articles
from matcher.fields import FIELDS_BY_NAME, RULE_FIELDS, FieldType
from matcher.records import record
from matcher.rule import Audience, Condition, Op, Rule, iter_conditions

if TYPE_CHECKING:
    from matcher.loader import RuleFileError

Severity = Literal["error", "warning"]

# The catalogue: code → (default severity, what it checks). Stable codes; never reuse one.
CODES: dict[str, tuple[Severity, str]] = {
    "Q001": ("error", "引文在来源文本中找不到"),
    "Q002": ("warning", "未找到来源文件，无法核对引文（--sources 指定来源目录）"),
    "Q003": ("warning", "引文过短（少于6字），可能有歧义"),
    "Q004": ("warning", "引文不在规则所引的文章中"),
    "Q005": ("warning", "待遇金额未出现在金额引文中"),
    "R001": ("error", "规则编号重复"),
    "R002": ("error", "文件名与规则编号不一致"),
    "R003": ("error", "缺少 eligible / ineligible / unknown 测试用例（且 notes 未说明原因）"),
    "R004": ("error", "地区代码或地区组不存在"),
    "R005": ("error", "行业代码不存在于 GB/T 4754-2017"),
    "R006": ("error", "字段不存在或类型不符"),
    "R007": ("error", "条件既无原文引用也未标注 assumption: true"),
    "R008": ("error", "测试用例画像使用了未知字段名"),
    "R009": ("warning", "测试用例缺少期望金额或待补充字段"),
    "R010": ("warning", "未写申请方式：原文未写明时应写明“原文未写明”"),
    "R011": ("error", "规则文件无法加载：编码、YAML、结构或条件取值有误（加载器的报告）"),
    "R012": ("warning", "草稿规则（status: draft）：不参与匹配，列出待办"),
}

MIN_QUOTE_CHARS = 6
_STATUSES = ("eligible", "ineligible", "unknown")


@record
class LintIssue:
    path: str  # as shown: relative to the working directory when under it
    line: int | None
    column: int | None
    code: str
    severity: Severity
    rule_id: str | None
    message: str
    help: str | None = None

    @property
    def location(self) -> str:
        if self.line is None:
            return self.path
        return f"{self.path}:{self.line}:{self.column or 1}"

    def __str__(self) -> str:
        return f"{self.location}: {self.code} {self.message}"

    def render(self) -> str:
        """ruff-style: the issue line, then `  = help: …` when there is a remedy."""
        text = str(self)
        if self.help:
            text += f"\n  = help: {self.help}"
        return text


# -------------------------------------------------------------------------- the YAML text


@dataclass
class _RuleFile:
    shown: str
    text: str | None

    def find(self, needle: str) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the first occurrence of ``needle``, else none."""
        if not self.text or not needle:
            return None, None
        pos = self.text.find(needle)
        if pos < 0:
            return None, None
        line = self.text.count("\n", 0, pos) + 1
        column = pos - (self.text.rfind("\n", 0, pos) + 1) + 1
        return line, column

    def find_key(self, key: str, value: str | None = None) -> tuple[int | None, int | None]:
        """Location of ``key:`` (optionally the one whose line holds ``value``)."""
        if not self.text:
            return None, None
        pattern = rf"^[ \t-]*{re.escape(key)}:"
        if value is not None:
            pattern += rf".*{re.escape(value)}"
        m = re.search(pattern, self.text, re.MULTILINE)
        if m is None:
            return None, None
        line = self.text.count("\n", 0, m.start()) + 1
        column = m.group(0).find(key) + 1
        return line, column


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# ------------------------------------------------------------------------------ the checks


class _Linter:
    def __init__(self, sources: dict[str, Path], require_sources: bool) -> None:
        self.sources = sources
        self.require_sources = require_sources
        self._texts: dict[str, tuple[str, list[tuple[int, str]]]] = {}
        self.issues: list[LintIssue] = []

    def source(self, sha: str) -> tuple[str, list[tuple[int, str]]] | None:
        """Normalised source text and its articles (number, normalised text), if found."""
        if sha not in self._texts:
            path = self.sources.get(sha)
            if path is None:
                return None
            raw = path.read_text(encoding="utf-8")
            articles = [(a.number, normalise(a.text)) for a in split_articles(raw)]
            self._texts[sha] = (normalise(raw), articles)
        return self._texts[sha]

    def add(
        self,
        rf: _RuleFile,
        at: tuple[int | None, int | None],
        code: str,
        rule_id: str | None,
        message: str,
        help: str | None = None,
        severity: Severity | None = None,
    ) -> None:
        self.issues.append(
            LintIssue(
                rf.shown, at[0], at[1], code, severity or CODES[code][0], rule_id, message, help
            )
        )

    def lint(self, rule: Rule, rf: _RuleFile) -> None:
        self.quotes(rule, rf)
        self.benefit(rule, rf)
        self.conditions(rule, rf)
        if rule.status == "draft":  # quotes must verify; cases and wording come later
            todo = "；".join(rule.todo) or "无"
            self.add(rf, rf.find_key("status"), "R012", rule.id, f"草稿 {rule.id}，待办：{todo}")
            return
        self.cases(rule, rf)
        if not rule.how_to_apply:
            self.add(
                rf,
                rf.find_key("id"),
                "R010",
                rule.id,
                f"规则 {rule.id} 没有 how_to_apply",
                "原文写明申请方式时照录；未写明时写“原文未写明申请方式；…”",
            )

    def quotes(self, rule: Rule, rf: _RuleFile) -> None:
        found = self.source(rule.source.sha256)
        seen: set[str] = set()
        for quote in rule.all_quotes():
            if quote in seen:
                continue
            seen.add(quote)
            at = rf.find(quote)
            if found is None:
                self.add(
                    rf,
                    at,
                    "Q002",
                    rule.id,
                    f"未找到来源文件，无法核对引文「{_short(quote)}」"
                    f"（来源 SHA-256 {rule.source.sha256[:12]}…）",
                    "用 --sources 指定存放来源文本的目录",
                    "error" if self.require_sources else "warning",
                )
                continue
            text, articles = found
            needle = normalise(quote)
            count = text.count(needle) if needle else 0
            if count == 0:
                self.add(
                    rf,
                    at,
                    "Q001",
                    rule.id,
                    f"引文「{_short(quote)}」在来源文本中找不到",
                    _nearest_hint(needle, text),
                )
                continue
            if len(needle) < MIN_QUOTE_CHARS:
                times = f"，在来源中出现 {count} 次" if count > 1 else ""
                self.add(
                    rf,
                    at,
                    "Q003",
                    rule.id,
                    f"引文「{quote}」只有 {len(needle)} 字{times}，可能有歧义",
                    f"引用至少 {MIN_QUOTE_CHARS} 字、能唯一定位的一个分句",
                )
            in_articles = [n for n, a in articles if needle in a]
            if articles and rule.source.article not in in_articles:
                where = "、".join(f"第{n}篇" for n in in_articles) or "文章之外"
                self.add(
                    rf,
                    at,
                    "Q004",
                    rule.id,
                    f"引文「{_short(quote)}」不在第{rule.source.article}篇中，而在{where}",
                    "规则只引用其 source.article 所指文章的原文",
                )

    def benefit(self, rule: Rule, rf: _RuleFile) -> None:
        b = rule.benefit
        if b.per_field is not None:
            spec = FIELDS_BY_NAME.get(b.per_field)
            if spec is None or spec.type is not FieldType.INT:
                self.add(
                    rf,
                    rf.find_key("per_field"),
                    "R006",
                    rule.id,
                    f"per_field「{b.per_field}」不是人数字段",
                    "可用："
                    + "、".join(
                        sorted(f.name for f in FIELDS_BY_NAME.values() if f.type is FieldType.INT)
                    ),
                )
        if b.amount_yuan is not None and b.quote:
            digits = {_number(b.amount_yuan), _number(b.amount_yuan / 10000)}
            if not any(d in normalise(b.quote) for d in digits):
                self.add(
                    rf,
                    rf.find(b.quote),
                    "Q005",
                    rule.id,
                    f"金额 {_number(b.amount_yuan)} 元未出现在引文「{_short(b.quote)}」中",
                    "金额引文应包含原文写明的数额",
                )

    def conditions(self, rule: Rule, rf: _RuleFile) -> None:
        for cond in iter_conditions(rule.criteria):
            assert isinstance(cond, Condition)
            at = rf.find(cond.label)
            if cond.field not in RULE_FIELDS:
                self.add(rf, at, "R006", rule.id, f"字段「{cond.field}」不存在")
            if not cond.quote and not cond.assumption:
                self.add(
                    rf,
                    at,
                    "R007",
                    rule.id,
                    f"条件「{cond.label}」没有原文引用",
                    "原文写明的条件加 quote；未写明的标注 assumption: true",
                )
            if cond.op is Op.IN_REGION:
                for value in _as_list(cond.value):
                    problem = _region_problem(str(value))
                    if problem:
                        self.add(
                            rf,
                            rf.find(str(value)) if at[0] is None else at,
                            "R004",
                            rule.id,
                            problem,
                        )
            if cond.op in (Op.IN_INDUSTRY, Op.ANY_IN_INDUSTRY):
                for value in _as_list(cond.value):
                    problem = _industry_problem(str(value))
                    if problem:
                        self.add(rf, at, "R005", rule.id, problem)

    def cases(self, rule: Rule, rf: _RuleFile) -> None:
        have = {c.expect_status for c in rule.cases}
        notes = " ".join(rule.notes)
        for status in _STATUSES:
            if status not in have and status not in notes:
                self.add(
                    rf,
                    rf.find_key("cases") if rule.cases else rf.find_key("id"),
                    "R003",
                    rule.id,
                    f"规则 {rule.id} 没有 expect: {status} 的测试用例",
                    f"补一个 {status} 用例；结构上不可能时在 notes 中写明原因（含“{status}”）",
                )
        profile_fields = set(FIELDS_BY_NAME)
        # Benefits for hires or the founder are not the enterprise's money: no amount expected.
        quantified = rule.benefit.type != "unquantified" and rule.audience is Audience.ENTERPRISE
        for case in rule.cases:
            at = rf.find_key("name", case.name)
            for key in case.profile:
                if key not in profile_fields:
                    from matcher.suggest import did_you_mean

                    self.add(
                        rf,
                        at,
                        "R008",
                        rule.id,
                        f"用例「{case.name}」的画像字段「{key}」不是规范字段名"
                        f"{did_you_mean(key, sorted(profile_fields))}",
                    )
            for name in case.expect_missing or []:
                if name not in RULE_FIELDS and name != "in_force":  # tree.IN_FORCE
                    self.add(
                        rf,
                        at,
                        "R008",
                        rule.id,
                        f"用例「{case.name}」的 expect_missing 字段「{name}」不存在",
                    )
            if case.expect_status == "eligible" and quantified and case.expect_amount_yuan is None:
                self.add(
                    rf,
                    at,
                    "R009",
                    rule.id,
                    f"用例「{case.name}」符合且待遇可量化，但缺少 expect_amount_yuan",
                )
            if case.expect_status == "unknown" and not case.expect_missing:
                self.add(
                    rf,
                    at,
                    "R009",
                    rule.id,
                    f"用例「{case.name}」为 unknown，但缺少 expect_missing",
                )


def _as_list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else [value]


def _region_problem(value: str) -> str | None:
    try:
        from matcher.reference.regions import region_exists, region_groups
    except ImportError:  # pragma: no cover - the reference module ships with the package
        return None
    if value in region_groups() or region_exists(value):
        return None
    from matcher.suggest import did_you_mean

    hint = did_you_mean(value, sorted(region_groups()))
    return f"地区「{value}」既不是行政区划代码也不是地区组{hint}"


def _industry_problem(value: str) -> str | None:
    try:
        from matcher.reference.industry import normalize_industry_code
    except ImportError:  # pragma: no cover
        return None
    if normalize_industry_code(value) is None:
        return f"行业代码「{value}」不存在于 GB/T 4754-2017"
    return None


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _short(quote: str, limit: int = 40) -> str:
    return quote if len(quote) <= limit else quote[: limit - 1] + "…"


def _nearest_hint(needle: str, text: str) -> str:
    """The longest prefix of the quote that does occur, to show where it goes wrong."""
    lo, hi = 0, len(needle)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if needle[:mid] in text:
            lo = mid
        else:
            hi = mid - 1
    if lo >= 4:
        return f"原文只对得上开头「{needle[:lo]}」，其后不一致；请逐字照录原文"
    return "请逐字照录原文（空白与全角半角差异会被忽略）"


# ---------------------------------------------------------------------------------- API


def _lint(
    entries: Sequence[tuple[Rule, Path | None]], sources_dir: Path | None, require_sources: bool
) -> list[LintIssue]:
    linter = _Linter(find_sources(sources_dir), require_sources)
    seen: dict[str, str] = {}
    for rule, path in entries:
        text = path.read_text(encoding="utf-8") if path is not None and path.is_file() else None
        rf = _RuleFile(_shown(path) if path is not None else f"rules/{rule.id}.yaml", text)
        if rule.id in seen:
            linter.add(
                rf,
                rf.find_key("id"),
                "R001",
                rule.id,
                f"规则编号 {rule.id} 重复（另见 {seen[rule.id]}）",
            )
        seen.setdefault(rule.id, rf.shown)
        if path is not None and path.stem != rule.id:
            linter.add(
                rf, rf.find_key("id"), "R002", rule.id, f"文件名「{path.name}」应为 {rule.id}.yaml"
            )
        linter.lint(rule, rf)
    return sorted(linter.issues, key=lambda i: (i.path, i.line or 0, i.column or 0, i.code))


def lint_rules(
    rules: Sequence[Rule],
    sources_dir: Path | None,
    *,
    files: dict[str, Path] | None = None,
    require_sources: bool = False,
) -> list[LintIssue]:
    """Lint loaded rules. ``files`` maps rule id → its YAML file (for file:line:col).

    Without a source file a quote cannot be checked: Q002, an error only when
    ``require_sources`` (CI), else a warning.
    """
    files = files or {}
    return _lint(
        [(r, files.get(r.id) or _bundled_file(r.id)) for r in rules], sources_dir, require_sources
    )


def _bundled_file(rule_id: str) -> Path | None:
    """The bundled file of a rule when the caller did not say where it came from.

    Only a file that really declares this id is used, so no location is invented.
    """
    from matcher.loader import bundled_rules_dir

    path = bundled_rules_dir() / f"{rule_id}.yaml"
    if path.is_file() and re.search(
        rf"^id:\s*['\"]?{re.escape(rule_id)}['\"]?\s*$", path.read_text(encoding="utf-8"), re.M
    ):
        return path
    return None


def rule_files(directory: Path) -> list[Path]:
    """The rule files of a folder: ``*.yaml`` except omissions.yaml and ``_*`` files."""
    return sorted(
        f
        for f in directory.glob("*.yaml")
        if f.is_file()
        and f.name not in ("omissions.yaml", "questions.yaml")
        and not f.name.startswith("_")
    )


def lint_paths(
    paths: Iterable[Path], sources_dir: Path | None, *, require_sources: bool = False
) -> tuple[list[LintIssue], int]:
    """Load every rule file under ``paths`` (files or folders) and lint them, duplicates included.

    A file that does not load gives one R011 per loader error (its file:line:col, rule id,
    field and message) and is not linted further. Returns the issues and the number of
    rules linted.
    """
    from matcher.loader import load_rule_file

    entries: list[tuple[Rule, Path | None]] = []
    refused: list[LintIssue] = []
    for p in paths:
        for f in rule_files(p) if p.is_dir() else [p]:
            rule, errors = load_rule_file(f)
            if rule is None:
                refused += [_load_issue(f, e) for e in errors]
            else:
                entries.append((rule, f))
    issues = refused + _lint(entries, sources_dir, require_sources)
    return sorted(issues, key=lambda i: (i.path, i.line or 0, i.column or 0, i.code)), len(entries)


def _load_issue(path: Path, error: RuleFileError) -> LintIssue:
    where = f"字段 {error.field}：" if error.field else ""
    return LintIssue(
        _shown(path),
        error.location.line,
        error.location.column,
        "R011",
        "error",
        error.rule_id,
        where + error.message,
    )


def format_issues(issues: Sequence[LintIssue], *, show_help: bool = True) -> str:
    """All issues, ruff-style, and a closing summary line."""
    lines = [i.render() if show_help else str(i) for i in issues]
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = len(issues) - errors
    if issues:
        lines.append(f"发现 {errors} 个错误，{warnings} 个警告。")
    else:
        lines.append("全部通过。")
    return "\n".join(lines)
