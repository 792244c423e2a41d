"""CLI commands for a living rule base (rules diff, whatif…), registered on cli.py's apps by
:func:`register` so cli.py stays one line longer, not one module longer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

out = Console(soft_wrap=True)


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


def register(app: typer.Typer, rules_app: typer.Typer, friendly: Callable[[Any], Any]) -> None:
    rules_app.command("diff")(friendly(rules_diff))
