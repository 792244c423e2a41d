"""The policy-match command line: thin commands over the library.

This module is the entry: the app, its common options, the registration of the command
groups (matcher/commands/: match, profile, rules; matcher/authoring/cli.py; catalogue;
serve) and the run that turns errors into one line and an exit status."""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from matcher import help_cache, startup

# `policy-match --help`, asked of the program itself, from the text typer printed last time
# in the same setting (matcher/help_cache.py): typer and rich are then never imported.
if startup.is_program() and help_cache.serve(sys.argv[1:]):
    sys.exit(0)
# `report` and `explain` of one enterprise: no garbage collection (matcher/startup.py).
if startup.is_program():
    startup.pause_gc(sys.argv[1:])

import typer

from matcher.authoring.catalogue_cmd import catalogue_app
from matcher.authoring.cli import register as register_authoring
from matcher.commands import match as match_commands
from matcher.commands import profile as profile_commands
from matcher.commands import rules as rules_commands
from matcher.commands.profile import profile_app
from matcher.commands.rules import rules_app
from matcher.errors import PolicyMatchError
from matcher.report.terminal import err, friendly, report_error, styled, visible

if TYPE_CHECKING:
    from matcher import api
else:
    from matcher.lazy import lazy_module

    api = lazy_module("matcher.api")  # the library face, imported on first use

__all__ = ["api", "app", "main", "run"]

app = typer.Typer(
    name="policy-match",
    help=(
        "政策找人：把企业画像与政策规则逐条比对，给出 符合 / 不符合 / 待补充信息 / 已过期，"
        "以及原因、金额、有效期和政策原文。\n\n"
        "Example: policy-match demo ; policy-match batch clients.csv --out report.csv"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.callback()
def _common(
    catalogue: Annotated[
        list[Path] | None,
        typer.Option(
            "--catalogue",
            help="导入的《鼓励外商投资产业目录》文件夹（见 policy-match catalogue import），匹配时替代内置的部分目录。"
            "写在子命令之前：policy-match --catalogue ./catalogue/ batch …",
        ),
    ] = None,
) -> None:
    if catalogue:
        from matcher.reference.catalogue import CATALOGUE_ENV

        os.environ[CATALOGUE_ENV] = os.pathsep.join(str(p) for p in catalogue)


app.add_typer(profile_app, name="profile")
app.add_typer(rules_app, name="rules")
app.add_typer(catalogue_app, name="catalogue")

register_authoring(app, rules_app, friendly)  # rules diff, whatif (issue 15)
match_commands.register(app)  # demo, report, explain, interview, batch, sql, find
profile_commands.register(profile_app)  # profile check, template, schema
rules_commands.register(rules_app)  # rules list, show, lint, test, coverage


def _serve_command() -> None:
    from matcher.web.cli import serve

    app.command("serve")(friendly(serve))


_serve_command()


EXIT_DEFECT = 70


def _app_for(argv: Sequence[str]) -> typer.Typer:
    """The app with only the top-level command ``argv`` runs, when it names one (issue 16):
    typer turns every command's signature into click parameters before parsing (~20 ms
    for all of them), and a run needs its own. Anything else (a group, a typo, no command)
    gets the whole app, so its help and its did-you-mean list every command."""
    name = startup.command(argv)
    infos = [
        info
        for info in app.registered_commands
        if info.callback is not None
        and (info.name or typer.main.get_command_name(info.callback.__name__)) == name
    ]
    if len(infos) != 1:
        return app
    one = copy.copy(app)
    one.registered_commands = infos
    one.registered_groups = []
    if argv[0] == name:
        # Nothing before the command: the group parses no option of its own (click reads a
        # group's options only before its command). typer (0.29) still coerces each of them,
        # its --help too, with a pydantic TypeAdapter: a usage error would import pydantic
        # (0.15 s) for them alone. A callback without options, and no group --help, parse
        # the same command line the same way.
        assert one.registered_callback is not None
        one.registered_callback = copy.copy(one.registered_callback)
        one.registered_callback.callback = _no_common_options
        one.registered_callback.add_help_option = False
    return one


def _no_common_options() -> None:
    """The group's callback when the command line sets none of its options."""


def run(argv: Sequence[str]) -> int:
    """Run the command line and return its exit status; usage errors are user errors (1)."""
    from typer._click import exceptions as click_exc

    from matcher.errors import user_error
    from matcher.usage import argv_lang, usage_error

    lang = argv_lang(argv)
    command = typer.main.get_command(_app_for(argv))
    try:
        status = command.main(args=list(argv), prog_name="policy-match", standalone_mode=False)
        return status if isinstance(status, int) else 0
    except click_exc.NoArgsIsHelpError as exc:
        help_text = exc.format_message()
        if help_text.strip():
            sys.stdout.write(help_text + "\n")
        return 0
    except click_exc.UsageError as exc:
        report_error(usage_error(exc, lang), lang)
        return 1
    except click_exc.ClickException as exc:
        report_error(PolicyMatchError(exc.format_message()), lang)
        return 1
    except typer.Abort:
        err.print("已中止" if lang == "zh" else "aborted")
        return 1
    except BrokenPipeError:
        _silence_stdout()
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        problem = user_error(exc, lang)
        if problem is None:
            raise
        report_error(problem, lang)
        return 1


def _silence_stdout() -> None:
    """The reader of our output went away (`| head`): no second error at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def last_resort(exc: BaseException) -> None:
    """A defect: one line naming it, never a traceback; this handler itself cannot fail."""
    try:
        # One line: a polars error carries its whole query plan after the first.
        first = next(iter(str(exc).strip().splitlines()), "")[:300]
        err.print(styled(("内部错误：", "red"), f"{type(exc).__name__}: {first}"))
        err.print("提示：这是 policy-match 的缺陷，请连同命令行一起报告")
        return
    except BaseException:  # fall through to the plain writer
        pass
    try:
        text = visible(f"{type(exc).__name__}: {exc!r}")[:2000]
        sys.stderr.write(
            f"内部错误：{text}\n提示：这是 policy-match 的缺陷，请连同命令行一起报告\n"
        )
        sys.stderr.flush()
    except BaseException:
        pass  # stderr is gone too: the exit status still says it


def main(argv: Sequence[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        with help_cache.recording(args) as finished:
            status = run(args)
            finished(status)
    except BrokenPipeError:  # stderr closed while reporting: nothing more can be said
        _silence_stdout()
        status = 1
    except Exception as exc:  # last resort: a bug must still not show a traceback
        last_resort(exc)
        status = EXIT_DEFECT
    if argv is None:
        startup.exit_now(status)  # one enterprise: no teardown (matcher/startup.py)
    sys.exit(status)


if __name__ == "__main__":
    main()
