"""Answers kept on disk between runs of a one-profile report, read a few at a time (issue 16).

A memo keeps up to ``keep`` texts and their answers (JSON objects) in a folder
``$XDG_CACHE_HOME/policy-match/<name>-<key>/``, spread over 256 small files by a hash of
the text. A report asks for a handful of texts: it reads only the files they fall in
(a few kB each), never the whole memo (2 MB of JSON took ~90 ms to read and parse). Each
file keeps its texts in the order they were first written, newest last, and drops its
oldest beyond ``keep / 256``; files are replaced atomically (:func:`model_cache.write_atomic`).
A missing, damaged or foreign file is no memo: its texts are answered afresh and it is
rewritten. Where the folder cannot be read or written the memo is simply empty.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

__all__ = ["SHARDS", "ShardedMemo"]

SHARDS = 256


def shard_of(text: str) -> str:
    """The file a text is kept in: a stable hash (not ``hash``, which varies per process)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=1).hexdigest()


class ShardedMemo:
    """Entries by text, read per shard on first lookup; new ones written by :meth:`save`."""

    def __init__(self, folder: Callable[[], Path], keep: int) -> None:
        self._folder = folder  # called once, when a shard is first needed
        self.per_shard = max(1, keep // SHARDS)
        self.raw: dict[str, dict[str, Any]] = {}  # entries read from disk, by text
        self._order: dict[str, list[str]] = {}  # shard → its texts as the file holds them
        self._new: dict[str, dict[str, Any]] = {}  # entries to write, by text

    def folder(self) -> Path:
        return self._folder()

    def _load(self, shard: str) -> list[str]:
        texts = self._order.get(shard)
        if texts is not None:
            return texts
        texts = []
        self._order[shard] = texts
        try:
            entries = json.loads((self.folder() / f"{shard}.json").read_text(encoding="utf-8"))
            if not isinstance(entries, list):
                raise TypeError(type(entries).__name__)
            found: dict[str, dict[str, Any]] = {}
            for e in entries:
                text = e["input"]
                if not isinstance(text, str) or shard_of(text) != shard:
                    raise TypeError(type(text).__name__)
                found.setdefault(text, e)
        except (OSError, RuntimeError, ValueError, KeyError, TypeError):
            return texts  # RuntimeError: no home folder to find the cache in
        for text, e in found.items():
            self.raw.setdefault(text, e)
            texts.append(text)
        return texts

    def get(self, text: str) -> dict[str, Any] | None:
        """The entry an earlier run kept for ``text`` (its shard read if not yet)."""
        self._load(shard_of(text))
        return self.raw.get(text)

    def known(self, text: str) -> bool:
        """True if the memo holds ``text`` already (on disk, or to be written)."""
        return text in self._new or self.get(text) is not None

    def put(self, text: str, entry: dict[str, Any]) -> None:
        """Keep ``entry`` (with ``"input": text``) at the next :meth:`save`, unless known."""
        if not self.known(text):
            self._new[text] = entry

    def save(self, dump: Callable[[Any], Any] | None = None) -> None:
        """Write the shards that have new entries: theirs in order, then the new ones, the
        newest ``keep / 256`` kept. ``dump`` makes a value JSON cannot hold plain."""
        from matcher.reference.model_cache import write_atomic

        by_shard: dict[str, list[str]] = {}
        for text in self._new:
            by_shard.setdefault(shard_of(text), []).append(text)
        if not by_shard:
            return
        try:
            folder = self.folder()
            fresh = not folder.is_dir()
        except (OSError, RuntimeError):  # RuntimeError: no home folder to find the cache in
            return
        for shard, new in by_shard.items():
            old = self._load(shard)
            texts = [*old, *new][-self.per_shard :]
            entries = [self.raw[t] if t in self.raw else self._new[t] for t in texts]
            written = write_atomic(folder / f"{shard}.json", _writer(entries, dump))
            if written:
                for t in new:
                    self.raw.setdefault(t, self._new[t])
                self._order[shard] = texts
        self._new.clear()
        if fresh:  # a new key (another version, edited tables): the old ones are never read
            prune(folder)


def prune(folder: Path, keep: int | None = None) -> None:
    """Keep the newest ``keep`` memo folders of ``folder``'s family (its name up to the last
    ``-``), as model_cache keeps files: two installs sharing the cache do not evict each
    other. The family's single-file memos of before the shards (``<name>-<key>.json``) go."""
    import shutil

    from matcher.reference.model_cache import KEEP

    family = folder.name.rsplit("-", 1)[0]
    try:
        siblings = [
            p
            for p in folder.parent.glob(f"{family}-*")
            if p.name.count("-") == folder.name.count("-")
        ]
        dirs = sorted((p for p in siblings if p.is_dir()), key=_mtime, reverse=True)
        for old in dirs[KEEP if keep is None else keep :]:
            if old != folder:
                shutil.rmtree(old, ignore_errors=True)
        for old in siblings:
            if old.is_file() and old.suffix == ".json":
                old.unlink(missing_ok=True)
    except OSError:
        pass  # a cache: what cannot be removed stays


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _writer(
    entries: list[dict[str, Any]], dump: Callable[[Any], Any] | None
) -> Callable[[IO[Any]], None]:
    def write(f: IO[Any]) -> None:
        json.dump(entries, f, ensure_ascii=False, default=dump)

    return write
