"""`batch` starts polars with its allocator setting (matcher/commands/match.py: _keep_freed_pages)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import os
import matcher.commands.match as cli
cli.BATCH_ALLOCATOR = "dirty_decay_ms:5000,probe_option:1"  # jemalloc names what it reads
cli._keep_freed_pages()
print("AFTER", os.environ.get("_RJEM_MALLOC_CONF"))
"""


def _probe(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120, env=env
    )


def test_the_setting_reaches_polars_allocator_and_no_child() -> None:
    env = {k: v for k, v in os.environ.items() if k != "_RJEM_MALLOC_CONF"}
    proc = _probe(env)
    assert "probe_option" in proc.stderr  # read when polars started
    assert "AFTER None" in proc.stdout  # and gone again, so no child inherits it


def test_an_explicit_setting_wins() -> None:
    env = {**os.environ, "_RJEM_MALLOC_CONF": "dirty_decay_ms:1000"}
    proc = _probe(env)
    assert "probe_option" not in proc.stderr
    assert "AFTER dirty_decay_ms:1000" in proc.stdout
