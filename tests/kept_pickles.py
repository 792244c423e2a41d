"""Odd cache files for the pickles matcher.reference.model_cache.read_kept reads (the size
standard, the bundled catalogue editions): none may be believed."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest


class _Evil:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (print, ("never",))


def assert_odd_files_ignored(
    path: Path,
    read: Callable[[Path], object],
    fmt: str,
    whole: object,
    part: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``read(path)`` gives ``whole`` from the good file at ``path`` and None from a truncated
    file, a foreign class, another name, a part in place of the whole, a file others may
    write, one of another owner and a link; ``path`` is left a link."""
    good = path.read_bytes()
    odd = [
        good[: len(good) // 2],
        pickle.dumps((fmt, path.stem, _Evil())),
        pickle.dumps((fmt, fmt + "-0123", whole)),
        pickle.dumps((fmt, path.stem, part)),
    ]
    for blob in odd:
        path.write_bytes(blob)
        assert read(path) is None
    path.write_bytes(good)
    assert read(path) == whole
    path.chmod(0o622)
    assert read(path) is None
    path.chmod(0o600)
    real_uid = os.geteuid()
    with monkeypatch.context() as m:
        m.setattr(os, "geteuid", lambda: real_uid + 1)
        assert read(path) is None
    other = path.with_name("elsewhere.pickle")
    path.rename(other)
    path.symlink_to(other)
    assert read(path) is None
