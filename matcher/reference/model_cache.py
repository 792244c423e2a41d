"""A cache of trained arrays on disk, so that a model is trained once, not at every start.

Files live in ``$XDG_CACHE_HOME/policy-match`` (else ``~/.cache/policy-match``) as numpy
``.npz`` read with ``allow_pickle=False``: data only, never code. Each file holds the hash of
everything its arrays were made from (:func:`input_key`); a file whose hash differs, that is
truncated, or that lacks an array is ignored and replaced; the oldest files beyond a few per
model are removed. Where the folder cannot be written
the arrays are simply not kept: the caller trains in memory as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import numpy as np
else:
    from matcher.lazy import lazy_module

    np = lazy_module("numpy")


__all__ = [
    "cache_dir",
    "file_digest",
    "input_key",
    "library_file",
    "load",
    "open_own",
    "read_kept",
    "read_own_pickle",
    "restricted_unpickler",
    "save",
    "save_digest_memo",
    "unpickler_for",
    "write_atomic",
]

_KEY = "__key__"
KEEP = 3  # files kept per name, newest first


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/policy-match``, or ``~/.cache/policy-match`` (may not exist)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policy-match"


def input_key(files: Iterable[Path], *extra: str) -> str:
    """SHA-256 over the SHA-256 of the bytes of each of ``files`` (in order) and the
    ``extra`` strings."""
    digest = hashlib.sha256()
    for path in files:
        digest.update(file_digest(path))
    for text in extra:
        digest.update(b"\0" + text.encode("utf-8"))
    save_digest_memo()
    return digest.hexdigest()


# A report keys half a dozen caches by the same files (the rule cache hashes every
# reference table and module; the region index, the size standard and the industry memo
# some of them again): ~170 files, 1.5 MB. Each file's digest is kept under what stat says
# of it (inode, size, times modified and changed), as git's index keeps it: for the
# process, and between runs in one small file of the cache folder, so that a report stats
# those files instead of opening, reading and hashing each (~3 ms of a report). A file that
# changes is read again. A file changed in the last seconds is not kept (as git treats a
# "racy" file): a second change within the clock's granularity could leave those times as
# they were.
_StatKey = tuple[str, int, int, int, int, int]
_DIGESTS: dict[_StatKey, bytes] = {}
DIGEST_MEMO = "file-digests-1.txt"  # lines: sha256 hex, dev, inode, size, mtime, ctime, path
_MEMO_LINES = 2048  # the newest kept: a few installs' and checkouts' worth of files
# The memo as read, on first use: its lines by path, each parsed only when its path is
# asked for (a report asks for ~170 of what may be a thousand lines).
_kept: dict[str, str] | None = None
_fresh: dict[_StatKey, bytes] = {}  # digests found by this process, for the memo
_LOCK = threading.Lock()  # batch reader threads key their caches too


def _stat_key(path: Path, st: os.stat_result) -> _StatKey:
    return (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def file_digest(path: Path) -> bytes:
    """SHA-256 of the file's length and bytes (read once while it is unchanged)."""
    key = _stat_key(path, os.stat(path))
    known = _DIGESTS.get(key) or _memo_digest(key)
    if known is not None:
        _DIGESTS[key] = known
        return known
    with open(path, "rb") as f:
        key = _stat_key(path, os.fstat(f.fileno()))  # what was read, if it changed since
        data = f.read()
    digest = hashlib.sha256(len(data).to_bytes(8, "little"))
    digest.update(data)
    found = digest.digest()
    if time.time_ns() - max(key[4], key[5]) > _SETTLED_NS:
        with _LOCK:
            _DIGESTS[key] = _fresh[key] = found
    return found


_SETTLED_NS = 3_000_000_000


def _memo_digest(key: _StatKey) -> bytes | None:
    """The digest the memo keeps for this path, if it was kept under this very stat."""
    line = _digest_memo().get(key[0])
    if line is None:
        return None
    parts = line.split("\t")
    try:
        digest = bytes.fromhex(parts[0])
        kept = (key[0], *map(int, parts[1:6]))
    except ValueError:  # a damaged line is no memo
        return None
    return digest if len(parts) == 7 and len(digest) == 32 and kept == key else None


def _digest_memo() -> dict[str, str]:
    global _kept
    if _kept is None:
        _kept = _read_digest_memo()
    return _kept


def _read_digest_memo() -> dict[str, str]:
    try:
        with open_own(cache_dir() / DIGEST_MEMO) as f:
            text = f.read().decode("utf-8")
    except Exception:  # missing, foreign, damaged, no home folder: no memo
        return {}
    return {line.rpartition("\t")[2]: line for line in text.split("\n") if "\t" in line}


def save_digest_memo() -> None:
    """Add the digests this process found to the memo file (the newest entry of each path,
    the newest ``_MEMO_LINES`` in all). Silently nothing where the folder cannot be written."""
    with _LOCK:
        fresh = {k: d for k, d in _fresh.items() if not _LINE_BREAKING.intersection(k[0])}
        _fresh.clear()
    if not fresh:
        return
    new = {k[0]: "\t".join([d.hex(), *map(str, k[1:]), k[0]]) for k, d in fresh.items()}
    # read again: other runs (a test suite, a second terminal) may have added theirs since
    lines = {**_digest_memo(), **_read_digest_memo()}
    for path in new:
        lines.pop(path, None)
    lines.update(new)
    text = "".join(f"{line}\n" for line in list(lines.values())[-_MEMO_LINES:])

    def write(f: IO[Any]) -> None:
        f.write(text)

    if write_atomic(cache_dir() / DIGEST_MEMO, write):
        _digest_memo().update(new)


_LINE_BREAKING = frozenset("\t\n")  # a path holding one is not kept: it would break its line


def library_file(name: str) -> Path:
    """The file that carries an installed library's version (numpy/version.py, else its
    ``__init__.py``), found without importing it: a key over its bytes changes with the
    version, as ``importlib.metadata.version`` would (whose import and search of every
    installed distribution cost a one-profile report ~10 ms)."""
    from importlib.machinery import PathFinder

    # on sys.path, not sys.modules: reading a lazy module's __spec__ would import it
    spec = PathFinder.find_spec(name)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(name)
    init = Path(spec.origin)
    version = init.parent / "version.py"
    return version if version.is_file() else init


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _path(name: str, key: str) -> Path:
    return cache_dir() / f"{name}-{key[:20]}.npz"


def load(name: str, key: str, fields: Iterable[str]) -> dict[str, np.ndarray] | None:
    """The arrays saved under ``name`` for ``key``, or None (missing, stale or unreadable)."""
    path = _path(name, key)
    try:
        with np.load(path, allow_pickle=False) as npz:
            if str(npz[_KEY]) != key:
                return None
            return {f: npz[f] for f in fields}
    except Exception:  # a missing, truncated or foreign file is no cache: train instead
        return None


def save(name: str, key: str, **arrays: np.ndarray) -> bool:
    """Write the arrays atomically (a reader never sees half a file), keeping the KEEP newest
    files of ``name``. False, silently, where the folder cannot be written."""
    target = _path(name, key)

    def write(f: IO[Any]) -> None:
        savez: Any = np.savez  # its stub reads **arrays as its allow_pickle flag
        savez(f, **{_KEY: np.array(key)}, **arrays)

    # two installs (or checkouts) of different versions may share the folder: keep the
    # newest few files rather than only this key's, so that they do not evict each other
    return write_atomic(target, write, binary=True, keep=KEEP)


def write_atomic(
    target: Path, write: Callable[[IO[Any]], None], *, binary: bool = False, keep: int | None = None
) -> bool:
    """Write ``target`` through a temporary file beside it, renamed into place (a reader never
    sees half a file); then, with ``keep``, remove all but the newest ``keep`` files of its
    family (its name up to the last ``-``). False, silently, where the folder cannot be
    written: every cache here is an optimisation."""
    family = target.name.rsplit("-", 1)[0]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{family}-", suffix=target.suffix, dir=target.parent)
        try:
            if binary:
                with os.fdopen(fd, "wb") as f:
                    write(f)
            else:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    write(f)
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        if keep is not None:
            kept = sorted(
                target.parent.glob(f"{family}-*{target.suffix}"), key=_mtime, reverse=True
            )
            for old in kept[keep:]:
                with contextlib.suppress(OSError):
                    old.unlink()
    except OSError:
        return False
    return True


# Objects restored from a pickle skip their validation (the rules, the size standard, the
# bundled catalogue editions): only a file of our own is read, and it may name no class but
# those its reader allows.


def restricted_unpickler(allowed: Mapping[tuple[str, str], Any], what: str) -> type[Any]:
    """An Unpickler whose ``find_class`` gives only the ``allowed`` (module, name) objects;
    any other raises UnpicklingError naming ``what`` it should have been."""
    import pickle

    class RestrictedUnpickler(pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            try:
                return allowed[module, name]
            except KeyError:
                raise pickle.UnpicklingError(f"{module}.{name}: not {what}") from None

    return RestrictedUnpickler


def unpickler_for(classes: Iterable[type], what: str) -> type[Any]:
    """:func:`restricted_unpickler` allowing ``classes`` and ``datetime.date``."""
    import datetime as dt

    allowed: dict[tuple[str, str], Any] = {("datetime", "date"): dt.date}
    allowed.update({(c.__module__, c.__qualname__): c for c in classes})
    return restricted_unpickler(allowed, what)


def read_kept(path: Path, fmt: str, unpickler: type[Any]) -> Any:
    """The object a cache writer kept at ``path`` as ``(fmt, path.stem, object)``, or None
    for anything else: missing, damaged, foreign, of another format or name, no geteuid."""
    try:
        kept_fmt, name, obj = read_own_pickle(path, unpickler)
    except Exception:
        return None
    return obj if kept_fmt == fmt and name == path.stem else None


def read_own_pickle(path: Path, unpickler: type[Any]) -> Any:
    """What ``unpickler`` restores from ``path``, read only if :func:`open_own` opens it;
    raises (OSError, UnpicklingError, AttributeError where there is no geteuid …) otherwise."""
    with open_own(path) as f:
        return unpickler(f).load()


@contextlib.contextmanager
def open_own(path: Path) -> Iterator[IO[bytes]]:
    """``path`` opened to read, if it is a regular file (not followed through a link) owned
    by this user and writable by no one else; raises OSError (PermissionError) otherwise,
    AttributeError where there is no geteuid."""
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with open(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if (
            not stat.S_ISREG(st.st_mode)
            or st.st_uid != os.geteuid()
            or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
        ):
            raise PermissionError(f"{path}: not a file of this user's own")
        yield f
