"""model_cache's file digests, kept between runs under what stat says of each file (issue 16):
a later run stats the files it keys a cache by instead of reading them, a changed file is
read again, and a memo that is not this user's own, or damaged, is not believed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from matcher.reference import model_cache

MEMO = model_cache.DIGEST_MEMO


@pytest.fixture
def fresh_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """A cache folder of the test's own, no digest known in memory, and the list of the
    files file_digest opens to hash."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    opened: list[str] = []

    def spy(path: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(path, int):  # the memo itself is opened from a descriptor
            opened.append(str(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(model_cache, "open", spy, raising=False)
    restart()
    yield opened
    restart()


def restart() -> None:
    """What a new process knows: nothing."""
    model_cache._DIGESTS.clear()
    model_cache._fresh.clear()
    model_cache._kept = None


def settled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files written by the test count as settled (not changed in the last seconds)."""
    monkeypatch.setattr(model_cache, "_SETTLED_NS", -(10**18))


def memo_file(tmp_path: Path) -> Path:
    return tmp_path / "cache" / "policy-match" / MEMO


def written(folder: Path, *names: str) -> list[Path]:
    """Small files of these names, each with its own text."""
    paths = [folder / name for name in names]
    for i, path in enumerate(paths):
        path.write_text(f"k{i}: {path.stem}\n", encoding="utf-8")
    return paths


def kept_paths(tmp_path: Path) -> list[str]:
    """The paths the memo file keeps a digest for, sorted."""
    lines = memo_file(tmp_path).read_text(encoding="utf-8").split("\n")
    return sorted(line.rsplit("\t", 1)[1] for line in lines if line)


def test_a_later_run_keys_by_stat_without_reading_the_files(
    tmp_path: Path, fresh_process: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settled(monkeypatch)
    a, b = written(tmp_path, "a.yaml", "b.yaml")
    key = model_cache.input_key([a, b], "x")
    assert fresh_process == [str(a), str(b)]
    assert kept_paths(tmp_path) == [str(a), str(b)]
    restart()
    fresh_process.clear()
    assert model_cache.input_key([a, b], "x") == key
    assert fresh_process == []  # both digests came from the memo


def test_a_changed_file_is_read_again_and_its_entry_replaced(
    tmp_path: Path, fresh_process: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settled(monkeypatch)
    a = tmp_path / "a.yaml"
    a.write_text("a: 1\n", encoding="utf-8")
    before = model_cache.input_key([a])
    a.write_text("a: 22\n", encoding="utf-8")
    restart()
    fresh_process.clear()
    after = model_cache.input_key([a])
    assert after != before and fresh_process == [str(a)]
    lines = memo_file(tmp_path).read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1  # the newest entry of a path, not both


def test_a_file_changed_in_the_last_seconds_is_not_kept(
    tmp_path: Path, fresh_process: list[str]
) -> None:
    a = tmp_path / "a.yaml"
    a.write_text("a: 1\n", encoding="utf-8")
    model_cache.input_key([a])
    assert not memo_file(tmp_path).exists()


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="file ownership is a POSIX notion")
@pytest.mark.parametrize("how", ["group-writable", "link", "damaged"])
def test_a_memo_not_of_this_users_own_or_damaged_is_not_believed(
    tmp_path: Path, fresh_process: list[str], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    settled(monkeypatch)
    a = tmp_path / "a.yaml"
    a.write_text("a: 1\n", encoding="utf-8")
    key = model_cache.input_key([a])
    memo = memo_file(tmp_path)
    line = memo.read_text(encoding="utf-8")
    lie = "0" * 64 + line[64:]  # another digest for the same stat
    if how == "group-writable":
        memo.write_text(lie, encoding="utf-8")
        memo.chmod(0o664)
    elif how == "link":
        elsewhere = tmp_path / "elsewhere.txt"
        elsewhere.write_text(lie, encoding="utf-8")
        memo.unlink()
        memo.symlink_to(elsewhere)
    else:
        memo.write_text(f"zz\tnot\ta\tline\n{'0' * 62}{line[64:]}\n\n", encoding="utf-8")
    restart()
    fresh_process.clear()
    assert model_cache.input_key([a]) == key and fresh_process == [str(a)]


def test_a_path_that_would_break_its_line_is_not_kept(
    tmp_path: Path, fresh_process: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settled(monkeypatch)
    odd, plain = written(tmp_path, "a\tb\nc.yaml", "plain.yaml")
    model_cache.input_key([odd, plain])
    assert kept_paths(tmp_path) == [str(plain)]


def test_entries_another_run_added_meanwhile_are_kept(
    tmp_path: Path, fresh_process: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settled(monkeypatch)
    a, b = written(tmp_path, "a.yaml", "b.yaml")
    model_cache._digest_memo()  # this run has read the (empty) memo …
    other = model_cache._kept
    model_cache._kept = None
    model_cache.input_key([b])  # … another run adds b and writes the memo …
    model_cache._kept = other
    model_cache.input_key([a])  # … then this run writes a: b stays
    assert kept_paths(tmp_path) == [str(a), str(b)]
