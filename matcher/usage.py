"""Command-line usage errors (unknown option, missing argument, bad value) in the user's language.

click words them in English and exits 2; policy-match says them in one Chinese line
(English with ``--lang en``) with a remedy, and exits 1 like every other user error.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from typer._click import exceptions as click_exc

from matcher.errors import PolicyMatchError
from matcher.suggest import did_you_mean


def argv_lang(argv: Sequence[str]) -> str:
    """The language asked for on the command line, before it is parsed."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv):
            return "en" if argv[i + 1] == "en" else "zh"
        if arg.startswith("--lang="):
            return "en" if arg.split("=", 1)[1] == "en" else "zh"
    return "zh"


def _hint(exc: click_exc.BadParameter) -> str:
    param = exc.param
    if exc.param_hint is not None:
        hint = exc.param_hint
        return hint if isinstance(hint, str) else " / ".join(hint)
    if param is None:
        return "参数"
    opts = list(getattr(param, "opts", []) or [])
    if getattr(param, "param_type_name", "") == "argument":
        return str(getattr(param, "metavar", None) or (param.name or "ARG").upper())
    return " / ".join(opts) or (param.name or "")


def _bad_value(exc: click_exc.BadParameter, lang: str) -> str:
    """What was wrong with the value, from the pydantic error typer raised it from."""
    from pydantic import ValidationError

    from matcher.errors import pydantic_message

    cause = exc.__cause__
    text = exc.message
    if isinstance(cause, ValidationError) and cause.errors():
        first = cause.errors()[0]
        if first["type"] != "value_error":
            return " " + pydantic_message(first, lang)
        text = str((first.get("ctx") or {}).get("error", text))
    hit = re.search(r"'([^']*)' is not one of (.*?)\.?$", text)
    if hit:
        choices = re.findall(r"'([^']*)'", hit.group(2))
        return f" 的取值「{hit.group(1)}」无效，可选：" + "、".join(choices)
    return f" 的取值无效（{text}）"


def usage_error(exc: click_exc.UsageError, lang: str = "zh") -> PolicyMatchError:
    """The usage error as one line in the user's language, with a remedy."""
    command = exc.ctx.command_path if exc.ctx is not None else "policy-match"
    zh = lang != "en"
    remedy = f"用 {command} --help 查看用法" if zh else f"run {command} --help for usage"
    if not zh:
        return PolicyMatchError(exc.format_message(), remedy)
    if isinstance(exc, click_exc.NoSuchOption):
        options: list[str] = []
        if exc.ctx is not None:
            for p in exc.ctx.command.params:
                options.extend(getattr(p, "opts", []))
        from rapidfuzz import fuzz, process

        # Compared without the dashes, which every option shares.
        names = {o.lstrip("-"): o for o in options}
        hit = process.extractOne(
            exc.option_name.lstrip("-"), list(names), scorer=fuzz.ratio, score_cutoff=60
        )
        guess = f"，是否想写「{names[hit[0]]}」？" if hit is not None else ""
        return PolicyMatchError(f"没有选项「{exc.option_name}」{guess}", remedy)
    if isinstance(exc, click_exc.MissingParameter):
        what = "参数" if getattr(exc.param, "param_type_name", "") == "argument" else "选项"
        return PolicyMatchError(f"缺少{what} {_hint(exc)}", remedy)
    if isinstance(exc, click_exc.BadParameter):
        return PolicyMatchError(_hint(exc) + _bad_value(exc, lang), remedy)
    if isinstance(exc, click_exc.BadOptionUsage) and "requires an argument" in exc.message:
        return PolicyMatchError(f"选项 {exc.option_name} 后面缺少取值", remedy)
    return _other_usage(exc, remedy)


def _other_usage(exc: click_exc.UsageError, remedy: str) -> PolicyMatchError:
    message = exc.message
    hit = re.match(r"No such command '([^']*)'", message)
    if hit and exc.ctx is not None:
        commands = list(getattr(exc.ctx.command, "list_commands", lambda ctx: [])(exc.ctx))
        name = hit.group(1)
        return PolicyMatchError(f"没有子命令「{name}」{did_you_mean(name, commands)}", remedy)
    hit = re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", message)
    if hit:
        return PolicyMatchError(f"多余的参数：{hit.group(1)}", remedy)
    hit = re.match(r"Option '([^']*)' does not take a value", message)
    if hit:
        return PolicyMatchError(f"选项 {hit.group(1)} 不带取值", remedy)
    if "requires an argument" in message:
        return PolicyMatchError("有选项后面缺少取值", remedy)
    return PolicyMatchError(f"命令行用法不对（{message}）", remedy)
