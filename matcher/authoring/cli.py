"""CLI commands for a living rule base (rules diff, whatif…), registered on cli.py's apps by
:func:`register` so cli.py stays one line longer, not one module longer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from matcher.lazy import lazy_module
from matcher.report.terminal import SafeConsole

pl = lazy_module("matcher.frame").pl  # --help needs no polars (the module is lazy itself)

out = SafeConsole(soft_wrap=True)  # markup off: rule titles and ids are user text


def rules_diff(
    old: Annotated[str, typer.Argument(help="旧规则：目录，或 git 版本如 HEAD~1、v1.0:rules")],
    new: Annotated[str, typer.Argument(help="新规则：目录，或 git 版本")],
) -> None:
    """两套规则的差异：新增、删除、修改的规则，逐项列出金额、有效期、条件的变化。

    Example: policy-match rules diff HEAD~1 rules/
    """
    from matcher.authoring.diff import diff_rules, load_folder, render, rules_folder

    with rules_folder(old) as a, rules_folder(new) as b:
        changes = diff_rules(load_folder(a), load_folder(b))
    out.print(render(changes), highlight=False, markup=False)


def _date(value: str | None) -> dt.date:
    from matcher.errors import PolicyMatchError

    try:
        return dt.date.fromisoformat(value) if value else dt.date.today()
    except ValueError:
        raise PolicyMatchError(
            f"--as-of「{value}」不是日期", "请写成 YYYY-MM-DD，如 2022-07-01"
        ) from None


def whatif(
    portfolio_path: Annotated[Path, typer.Argument(metavar="PORTFOLIO", help="企业名单")],
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", help="改一项参数：规则编号.路径=值，可多次使用"),
    ] = None,
    alt_rules: Annotated[
        Path | None, typer.Option("--alt-rules", help="另一套规则目录（整套替换现行规则）")
    ] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="判定日期 YYYY-MM-DD")] = None,
    lang: Annotated[str, typer.Option("--lang", help="输出语言：zh（默认）或 en")] = "zh",
    rules: Annotated[
        list[Path] | None, typer.Option("--rules", help="追加规则目录（现行规则）")
    ] = None,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="把每家企业的变化写入此 CSV")
    ] = None,
) -> None:
    """假如政策参数变了：哪些企业得益、哪些受损、总成本变化，按地区、规模、行业门类分列。

    Example: policy-match whatif clients.csv --set bj-grad-expansion-subsidy.benefit.amount_yuan=2000
    """
    from matcher import api
    from matcher.errors import PolicyMatchError
    from matcher.report.files import write_csv
    from matcher.report.meta import identify
    from matcher.report.render import frame_table
    from matcher.whatif import HEADERS_ZH, apply_sets, labelled, summary_line
    from matcher.whatif import whatif as run_whatif

    if not sets and alt_rules is None:
        raise PolicyMatchError("没有给出改动", "用 --set 规则编号.路径=值 或 --alt-rules 目录")
    date = _date(as_of)
    base = api.load_ruleset(rules or []).rules
    alt = api.load_ruleset([alt_rules], replace=True).rules if alt_rules else list(base)
    alt = apply_sets(alt, sets or [])
    portfolio = api.load_portfolio(portfolio_path, today=date)
    result = run_whatif(portfolio.frame, base, alt, date)
    zh = lang == "zh"
    out.print(
        f"现行规则：{identify(base).line(lang)}" if zh else f"current: {identify(base).line(lang)}"
    )
    out.print(
        f"调整后：{identify(alt).line(lang)}" if zh else f"changed: {identify(alt).line(lang)}"
    )
    out.print(summary_line(result, lang), highlight=False)
    for key, table in result.breakdowns.items():
        out.print(frame_table(labelled(table, key, lang)))
    if out_path is not None:
        changed = result.enterprises.filter(pl.col("change") != 0).drop("__row", strict=False)
        write_csv(changed.rename(HEADERS_ZH, strict=False) if zh else changed, out_path)


def rules_draft(
    article: Annotated[Path, typer.Argument(help="一篇政策原文（UTF-8 文本）")],
    published: Annotated[str, typer.Option("--published", help="发布日期 YYYY-MM-DD")],
    out_dir: Annotated[Path, typer.Option("--out", help="草稿写入的目录")] = Path("drafts"),
) -> None:
    """从一篇新政策原文起草规则：每项措施一份 YAML 草稿（status: draft），事实都带原文引用，
    未能确定的写入 todo。

    Example: policy-match rules draft 通知.txt --published 2022-06-28 --out drafts/
    """
    from matcher.authoring.draft import draft_file
    from matcher.errors import PolicyMatchError

    if not article.is_file():
        raise PolicyMatchError(f"找不到文件「{article}」", "请检查路径是否正确")
    try:
        article.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyMatchError(f"{article} 不是 UTF-8 文本", "请先另存为 UTF-8") from None
    written = draft_file(article, _date(published), out_dir)
    out.print(
        f"已写入 {len(written)} 份草稿到 {out_dir}；核对后运行 policy-match rules lint",
        highlight=False,
    )


def register(app: typer.Typer, rules_app: typer.Typer, friendly: Callable[[Any], Any]) -> None:
    rules_app.command("diff")(friendly(rules_diff))
    rules_app.command("draft")(friendly(rules_draft))
    app.command("whatif")(friendly(whatif))
