"""Consoles that show user text as text: no rich markup, no terminal control sequences.

Cell values, headers, paths and rule titles are data. Every console of the CLI is a
SafeConsole: markup, emoji codes and highlighting are off, and control characters
are shown escaped (``\\x1b``), so ``[/x]``, ``[link=…]`` or ``\\x1b[2K\\r`` in a cell
print as themselves. Styling is done with ``rich.text.Text`` spans (see ``styled``).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TextIO, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from matcher.errors import PolicyMatchError, user_error

# C0 controls except newline and tab, DEL, C1 controls (\x9b is a CSI on some
# terminals), and the bidi overrides that reorder what is shown.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """The text with every control character written out (``\\x1b``), harmless on a terminal."""
    return _CONTROL.sub(_escape, text)


def styled(*parts: str | tuple[str, str]) -> Text:
    """A line from plain parts and (text, style) parts; the text is never parsed as markup."""
    text = Text()
    for part in parts:
        if isinstance(part, tuple):
            text.append(visible(part[0]), style=part[1])
        else:
            text.append(visible(part))
    return text


class SafeConsole(Console):
    """A console on which any string is shown literally and control characters visibly."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(markup=False, emoji=False, highlight=False)
        super().__init__(**kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        kwargs.update(markup=False, emoji=False, highlight=False)
        return super().render_str(visible(text), **kwargs)


def write_stdout(text: str, stream: TextIO | None = None) -> None:
    """Data (CSV, JSON, rule texts) to stdout; on a terminal, control characters escaped."""
    stream = stream or sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    stream.write(visible(text) if tty else text)


out = SafeConsole(soft_wrap=True)
err = SafeConsole(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def report_error(problem: PolicyMatchError, lang: str = "zh") -> None:
    """One line saying what went wrong, one saying what to do."""
    zh = lang != "en"
    err.print(styled(("错误：" if zh else "error: ", "red"), problem.message))
    if problem.remedy:
        err.print(styled(("提示：" if zh else "hint: ") + problem.remedy))


def friendly(func: F) -> F:
    """Errors the user can cause become one line plus a remedy (exit 1), never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        lang = str(getattr(kwargs.get("lang"), "value", kwargs.get("lang") or "zh"))
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            raise  # the reader went away: main() ends quietly
        except Exception as exc:
            problem = user_error(exc, lang)
            if problem is None:
                raise
            report_error(problem, lang)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
