"""What the program does before typer is imported (issue 16): start-up costs paid only by
the commands that need them.

Collecting cyclic garbage is paused for ``report`` and ``explain``: reading one profile
makes only objects that live until the process ends (modules, reference tables, one row),
and the collector walked them ~190 times for nothing (≈ 35 ms of a 0.44 s CPU report).
:func:`resume_gc` turns it back on before either command reads a list of enterprises,
which may be any length; every other command runs with it on throughout.

Such a run also ends without the interpreter's teardown (:func:`exit_now`): freeing every
module, class and table one by one cost ~4 % of a report's instructions, for a process that
is ending anyway.
"""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

ONE_ENTERPRISE_COMMANDS = frozenset({"report", "explain"})
_paused = False


def is_program() -> bool:
    """True when this process is the ``policy-match`` program (not a test importing the CLI)."""
    return Path(sys.argv[0]).name in ("policy-match", "policy-match.exe", "__main__.py")


def command(args: Sequence[str]) -> str | None:
    """The command ``args`` name, after the options before it (``--catalogue DIR``)."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] == "--catalogue" else 1
    return args[i] if i < len(args) else None


def pause_gc(args: Sequence[str]) -> bool:
    """Pause the collector if ``args`` run a one-enterprise command; True if it was paused."""
    global _paused
    if command(args) in ONE_ENTERPRISE_COMMANDS and gc.isenabled():
        gc.disable()
        _paused = True
    return _paused


def resume_gc() -> None:
    """Collect garbage again from here on, if :func:`pause_gc` paused it."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()


def exit_now(status: int) -> None:
    """End the program at once if it ran one enterprise (the collector still paused): the
    exit functions run and the standard streams are flushed as at a normal exit, then the
    process ends without freeing its objects one by one. Returns, for the caller to exit as
    usual, where anything could still need the teardown: another thread, a stream that
    cannot be flushed (a closed pipe), or a process that is not the program."""
    if not (_paused and is_program() and threading.active_count() == 1):
        return
    try:
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except BaseException:
        return
    os._exit(status)
