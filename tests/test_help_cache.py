"""`policy-match --help` served from the text typer printed before in the same setting
(matcher/help_cache.py): byte for byte what typer prints, without importing it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(tmp_path: Path, *extra_env: tuple[str, str]) -> tuple[str, bool]:
    """(stdout, whether typer was imported) of `python -m matcher --help`."""
    env = {k: v for k, v in os.environ.items() if k != "POLICY_MATCH_NO_HELP_CACHE"}
    env |= {"XDG_CACHE_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)} | dict(extra_env)
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "matcher", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    typer = any(line.rstrip().endswith(" typer") for line in proc.stderr.splitlines())
    return proc.stdout, typer


def test_second_help_is_typers_text_without_typer(tmp_path: Path) -> None:
    first, typer_first = run(tmp_path)
    second, typer_second = run(tmp_path)
    assert typer_first and not typer_second
    assert "policy-match" in first and second == first
    fresh, typer_fresh = run(tmp_path, ("POLICY_MATCH_NO_HELP_CACHE", "1"))
    assert typer_fresh and fresh == first


def test_another_setting_is_rendered_by_typer(tmp_path: Path) -> None:
    narrow_env = ("COLUMNS", "52")
    run(tmp_path)  # the default width kept
    narrow, typer_narrow = run(tmp_path, narrow_env)
    assert typer_narrow  # a new setting: typer renders it
    wide, _ = run(tmp_path)
    assert narrow != wide
    again, typer_again = run(tmp_path, narrow_env)
    assert not typer_again and again == narrow


def test_key_follows_the_code_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from matcher import help_cache

    base = help_cache.key(["--help"])
    monkeypatch.setenv("NO_COLOR", "1")
    assert help_cache.key(["--help"]) != base
    monkeypatch.delenv("NO_COLOR")
    source = Path(help_cache.__file__)
    stat = source.stat()
    try:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert help_cache.key(["--help"]) != base
    finally:
        os.utime(source, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert help_cache.key(["--help"]) == base


def test_only_top_level_help_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from matcher import help_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert not help_cache.wanted(["rules", "--help"]) and not help_cache.wanted(["-h"])
    assert not help_cache.serve(["--help"])  # nothing kept yet


def test_text_written_around_the_stream_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    from matcher import help_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(io.BytesIO(), encoding="utf-8"))
    with help_cache.recording(["--help"]) as finished:
        import sys as s

        s.stdout.write("Usage: policy-match\n")
        s.stdout.buffer.write(b"more, not seen by the recorder\n")
        finished(0)
    assert not list(tmp_path.rglob("help-*.txt"))
    with help_cache.recording(["--help"]) as finished:
        s.stdout.write("Usage: policy-match\n")
        finished(0)
    assert len(list(tmp_path.rglob("help-*.txt"))) == 1
