"""The ``rules`` group: list, show, lint, test and cover the rules (diff and draft are
registered by matcher/authoring/cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from matcher.commands.common import Lang, LangOpt, RulesOpt, _rules
from matcher.errors import PolicyMatchError
from matcher.report.terminal import SafeConsole, friendly, out, visible, write_stdout

if TYPE_CHECKING:
    from matcher import api
else:
    from matcher.lazy import lazy_module

    api = lazy_module("matcher.api")  # imported on first use (matcher/lazy.py)

rules_app = typer.Typer(
    help="查看、检查与测试政策规则。Example: policy-match rules lint --sources ../shared/seeds",
    no_args_is_help=True,
)


@friendly
def rules_list(lang: LangOpt = Lang.zh, rules: RulesOpt = None) -> None:
    """列出全部政策规则。Example: policy-match rules list"""
    from matcher.report.render import rules_table

    out.print(rules_table(_rules(rules), lang.value))


@friendly
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="政策编号")],
    lang: LangOpt = Lang.zh,
    rules: RulesOpt = None,
) -> None:
    """按固定标题显示一条规则：适用对象、支持内容、申请条件、有效期、政策原文、假设与说明。

    Example: policy-match rules show bj-grad-expansion-subsidy
    """
    from matcher.authoring.ruledoc import render_rule
    from matcher.suggest import did_you_mean

    ruleset = api.load_ruleset(rules or [])
    rule = ruleset.by_id(rule_id)
    if rule is None:
        raise PolicyMatchError(
            f"没有编号为「{rule_id}」的政策{did_you_mean(rule_id, [r.id for r in ruleset.rules])}"
        )
    # A document for people, also when redirected: control characters always shown escaped.
    write_stdout(visible(render_rule(rule, lang.value).rstrip("\n")) + "\n")


@friendly
def rules_lint(
    sources: Annotated[
        Path | None, typer.Option("--sources", help="来源原文所在目录，如 ../shared/seeds")
    ] = None,
    rules: RulesOpt = None,
    require_sources: Annotated[
        bool, typer.Option("--require-sources", help="找不到来源原文也算错误")
    ] = False,
) -> None:
    """检查规则：每段引文都能在来源原文中找到，字段和代码都存在，每条规则都有测试用例。

    Example: policy-match rules lint --sources ../shared/seeds
    """
    from matcher.authoring.lint import lint_rules
    from matcher.loader import load_rules

    ruleset = load_rules(rules or None, include_drafts=True)  # drafts are linted too
    for e in ruleset.errors:
        out.print(str(e), highlight=False, markup=False)
    issues = lint_rules(
        ruleset.rules, sources, files=ruleset.files, require_sources=require_sources
    )
    for issue in issues:
        out.print(str(issue), highlight=False, markup=False)
    errors = sum(1 for i in issues if getattr(i, "severity", "error") == "error")
    failing = len(ruleset.errors) + errors
    out.print(f"{len(ruleset.rules)} 条规则，{failing} 个错误，{len(issues) - errors} 个提示")
    if failing:
        raise typer.Exit(1)


@friendly
def rules_test(rules: RulesOpt = None) -> None:
    """运行每条规则自带的测试用例（逐行与向量化两种评估都须符合预期）。

    Example: policy-match rules test
    """
    from matcher.authoring.casetest import run_cases

    results = run_cases(_rules(rules))
    failed = [r for r in results if not r.passed]
    for r in failed:
        out.print(f"✗ {r.rule_id} / {r.case}", highlight=False, markup=False)
        for p in r.problems:
            out.print(f"    {p}", highlight=False, markup=False)
    out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    if failed:
        raise typer.Exit(1)


@friendly
def rules_coverage(
    sources: Annotated[Path, typer.Option("--sources", help="来源原文所在目录")],
    lang: LangOpt = Lang.zh,
    rules: RulesOpt = None,
) -> None:
    """逐篇列出由其导出的规则，以及看似面向企业却未被任何规则引用的句子。

    Example: policy-match rules coverage --sources ../shared/seeds
    """
    from matcher.authoring.coverage import coverage_cli

    ok = coverage_cli(_rules(rules), sources, lang.value, SafeConsole(soft_wrap=True))
    if not ok:
        raise typer.Exit(1)


def register(group: typer.Typer) -> None:
    group.command("list")(rules_list)
    group.command("show")(rules_show)
    group.command("lint")(rules_lint)
    group.command("test")(rules_test)
    group.command("coverage")(rules_coverage)
