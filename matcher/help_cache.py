"""`policy-match --help` served from its own earlier output (issue 16: under 0.25 s).

Typer and rich cost about 0.15 s of CPU to import and render the top-level help, while the
text only changes with the code and the terminal. The first ``--help`` renders it with
typer as usual and keeps what was written; later ones in the same setting print the kept
text without importing typer. The key covers everything the output depends on: every
source file of this package and of typer and rich (path, size, modification time), the
Python version, the environment (terminal type, colour and width variables, locale…) and
the size of the terminal on stdin, stdout and stderr. Any change is a new key, so the text
printed is always what typer printed in the same setting (tests/test_help_cache.py).

Files live in ``$XDG_CACHE_HOME/policy-match`` (else ``~/.cache/policy-match``), plain
text; where that folder cannot be written nothing is kept. ``POLICY_MATCH_NO_HELP_CACHE=1``
turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
from pathlib import Path
from typing import Any, TextIO

OFF_ENV = "POLICY_MATCH_NO_HELP_CACHE"
ARGV = ["--help"]
# Variables that differ between runs of the same command and change nothing printed.
_VOLATILE = frozenset({"PWD", "OLDPWD", "SHLVL", "_", "TMUX_PANE", "WINDOWID"})


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "policy-match"


def _tree(root: Path, digest: Any) -> None:
    stack = [root]
    while stack:
        with os.scandir(stack.pop()) as entries:
            for e in sorted(entries, key=lambda e: e.name):
                if e.is_dir(follow_symlinks=False):
                    if e.name != "__pycache__":
                        stack.append(Path(e.path))
                elif e.name.endswith(".py"):
                    st = e.stat()
                    digest.update(f"{e.path}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())


def _site(name: str) -> Path | None:
    for entry in sys.path:
        candidate = Path(entry or ".") / name
        if (candidate / "__init__.py").is_file():
            return candidate
    return None


def key(argv: list[str]) -> str | None:
    """The key of this setting, or None when the help's libraries are not found."""
    digest = hashlib.sha256()
    digest.update(repr((argv, sys.version, sys.executable, sys.flags)).encode())
    for name, value in sorted(os.environ.items()):
        if name not in _VOLATILE:
            digest.update(f"{name}={value}\n".encode("utf-8", "surrogateescape"))
    for fd in (0, 1, 2):
        try:
            size: Any = os.get_terminal_size(fd)
        except OSError:
            size = None
        digest.update(f"{fd}:{size}\n".encode())
    for stream in (sys.stdout, sys.stderr):
        digest.update(f"{getattr(stream, 'encoding', None)}\n".encode())
    _tree(Path(__file__).resolve().parent, digest)
    for name in ("typer", "rich"):
        found = _site(name)
        if found is None:
            return None
        _tree(found, digest)
    return digest.hexdigest()


def _path(k: str) -> Path:
    return _cache_dir() / f"help-{k[:32]}.txt"


def wanted(argv: list[str]) -> bool:
    return argv == ARGV and not os.environ.get(OFF_ENV)


def serve(argv: list[str]) -> bool:
    """Print the kept help for this setting; False when there is none."""
    if not wanted(argv):
        return False
    k = key(argv)
    if k is None:
        return False
    try:
        text = _path(k).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    sys.stdout.write(text)
    sys.stdout.flush()
    return True


class _Tee:
    """stdout as typer sees it (a terminal if it is one), with what is written kept."""

    def __init__(self, inner: TextIO):
        self._inner = inner
        self.kept: list[str] = []
        self.bypassed = False  # something asked for the bytes underneath: text not all seen

    def write(self, text: str) -> int:
        written = self._inner.write(text)  # bytes (click's probe for a binary stream) fail here
        self.kept.append(text)
        return written

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":  # click rewraps a misconfigured stream's bytes: not kept
            self.bypassed = True
        return getattr(self._inner, name)


@contextlib.contextmanager
def recording(argv: list[str]) -> Any:
    """Around typer's rendering of the help: keep what it printed when it succeeded
    (yields a callable to call with the exit status)."""
    if not wanted(argv):
        yield lambda status: None
        return
    k = key(argv)
    tee = _Tee(sys.stdout)
    err = _Tee(sys.stderr)
    real_out, real_err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = tee, err
    statuses: list[int] = []
    try:
        yield statuses.append
    finally:
        sys.stdout, sys.stderr = real_out, real_err
    if k is None or statuses != [0] or err.kept or not tee.kept or tee.bypassed:
        return
    import tempfile

    with contextlib.suppress(OSError):
        folder = _cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".help-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write("".join(tee.kept))
            os.replace(tmp, _path(k))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
