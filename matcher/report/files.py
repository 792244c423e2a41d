"""Files out: atomic writes, UTF-8 with BOM, and cells a spreadsheet will never run."""

from __future__ import annotations

import contextlib
import errno
import io
import mmap
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import polars as pl

from matcher.errors import PolicyMatchError, os_errno, os_error
from matcher.fields import col

# A cell whose first non-blank character is one of these is, or may become (full-width
# forms are turned into ASCII by IMEs and autocorrect), a formula in Excel/LibreOffice;
# a leading tab or CR hides such a payload from a reader's eye.
FORMULA_START = r"^(?:\s*[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE62\uFE63\uFE66]|[\t\r\n])"
# A plain number ("-5", "+1.5e3") is not a formula: it stays as written.
PLAIN_NUMBER = r"^\s*[+\-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+\-]?\d+)?\s*$"
_FORMULA = re.compile(FORMULA_START)
_NUMBER = re.compile(PLAIN_NUMBER)
XLSX_MAX_ROWS = 1_048_576  # rows in one worksheet, the header included


def safe_text(text: str) -> str:
    """The same neutralisation as `neutralise`, for one string (rule texts, done once at load)."""
    if _FORMULA.match(text) and not _NUMBER.match(text):
        return "'" + text
    return text


def neutralise(
    frame: pl.DataFrame | pl.LazyFrame, columns: list[str] | None = None
) -> pl.LazyFrame:
    """Prefix a quote to any text cell that a spreadsheet would evaluate.

    `columns` limits it to the columns that carry input text (the rest are rule
    texts already made safe by safe_text, numbers and codes). Number columns stay
    numbers; only String columns are touched.
    """
    lf = frame.lazy()
    schema = lf.collect_schema()
    wanted = None if columns is None else set(columns)  # a list: O(n²) in wide files
    text_cols = [
        name
        for name, dtype in schema.items()
        if dtype == pl.String and (wanted is None or name in wanted)
    ]
    return lf.with_columns(
        pl.when(col(c).str.contains(FORMULA_START) & ~col(c).str.contains(PLAIN_NUMBER))
        .then(pl.lit("'") + col(c))
        .otherwise(col(c))
        .alias(c)
        for c in text_cols
    )


def csv_text(frame: pl.DataFrame | pl.LazyFrame) -> str:
    """CSV for stdout, neutralised like every file."""
    return neutralise(frame).collect().write_csv()


_TMP_SUFFIX = ".tmp"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists, owned by someone else
    return True


def clean_stale_temps(target: Path) -> None:
    """Remove temp files a killed run left beside `target` (``.NAME.PID.xxxx.tmp``).

    A temp whose pid is alive belongs to a run still writing and is left alone;
    an older, pid-less name (``.NAME.xxxx.tmp``) is removed after a day.
    """
    prefix = f".{target.name}."
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return
    for entry in entries:
        name = entry.name
        if not (name.startswith(prefix) and name.endswith(_TMP_SUFFIX)):
            continue
        middle = name[len(prefix) : -len(_TMP_SUFFIX)]
        pid, _, rest = middle.partition(".")
        try:
            if pid.isdigit() and rest:
                stale = not _pid_alive(int(pid))
            else:
                stale = time.time() - entry.stat(follow_symlinks=False).st_mtime > 86_400
            if stale and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
        except OSError:
            continue  # cleaning is a courtesy; the write goes on


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _mode_for(target: Path) -> int:
    """A replaced file keeps its permissions; a new one gets what the umask allows."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it over `target` only on success.

    A target that exists and is not a regular file (``/dev/null``, a named pipe) is
    written directly: renaming over it would replace the device with a file. A
    directory is refused. Failures to write (full disk, read-only or forbidden
    location) become one PolicyMatchError naming `target`; the temp file is removed.
    """
    target = Path(target)
    if target.is_dir():
        raise os_error(OSError(errno.EISDIR, "Is a directory", str(target)))
    if target.exists() and not target.is_file():
        with _write_errors(target, None):
            yield target
        return
    tmp_path: Path | None = None
    with _write_errors(target, None):
        target.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(target)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.{os.getpid()}.", suffix=_TMP_SUFFIX, dir=target.parent
        )
        os.close(fd)
        tmp_path = Path(tmp)
    assert tmp_path is not None
    try:
        with _write_errors(target, tmp_path):
            yield tmp_path
            os.chmod(tmp_path, _mode_for(target))  # mkstemp made it 0600
            os.replace(tmp_path, target)
    finally:
        with contextlib.suppress(OSError):
            tmp_path.unlink(missing_ok=True)


# Errors that only a write can cause; others (say EACCES) only when they name the target.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}


@contextlib.contextmanager
def _write_errors(target: Path, tmp: Path | None) -> Iterator[None]:
    """OSErrors of writing `target` (through `tmp`) as one user error naming `target`.

    With no `tmp` every OSError is the target's (creating the temp file); with one,
    an error naming another file (the input being read, say) is left alone.
    """
    try:
        yield
    except OSError as exc:
        code = os_errno(exc)
        if code is None:
            raise
        names = {str(target), str(target.parent), str(tmp)}
        mine = tmp is None or exc.filename is None or str(exc.filename) in names
        if code == errno.ENOENT and mine:
            raise PolicyMatchError(
                f"无法在「{target.parent}」中写入「{target.name}」：文件夹不存在或不能建文件",
                "请检查 --out 等输出路径，或写到当前目录",
            ) from None
        if code in _WRITE_ERRNOS or mine:
            raise os_error(exc, path=str(target)) from None
        raise
    except pl.exceptions.ComputeError as exc:
        # polars reports a failed file write as a ComputeError carrying the OS text.
        text = str(exc)
        if "No space left" in text or "os error 28" in text:
            raise os_error(OSError(errno.ENOSPC, text), path=str(target)) from None
        raise


def write_atomic(target: Path, writer: Callable[[Path], None]) -> None:
    with atomic_path(target) as tmp:
        writer(tmp)


def write_csv(frame: pl.DataFrame | pl.LazyFrame, target: Path, *, streaming: bool = False) -> None:
    """CSV as UTF-8 with BOM so Excel shows Chinese correctly; written atomically."""
    safe = neutralise(frame)

    def write(tmp: Path) -> None:
        if streaming:
            safe.sink_csv(tmp, include_bom=True)
        else:
            safe.collect().write_csv(tmp, include_bom=True)

    write_atomic(target, write)


def check_xlsx_rows(rows: int, target: Path) -> None:
    """Refuse, before writing, a report that one worksheet cannot hold."""
    if rows + 1 > XLSX_MAX_ROWS:
        raise PolicyMatchError(
            f"结果有 {rows:,} 行，超过 Excel 一个工作表的上限 {XLSX_MAX_ROWS - 1:,} 行，"
            f"未写入「{target}」",
            "请改写成 CSV（--out report.csv），或用 --only 符合,待补充信息、--brief 缩小结果",
        )


def write_xlsx(frame: pl.DataFrame, target: Path, sheet: str = "结果") -> None:
    check_xlsx_rows(frame.height, target)
    safe = neutralise(frame).collect()

    def write(tmp: Path) -> None:
        # xlsxwriter would turn a leading "=" into a formula; neutralise() already quoted it,
        # and strings_to_formulas=False makes sure of it.
        import xlsxwriter

        with xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False}) as wb:
            safe.write_excel(wb, worksheet=sheet, autofit=True)

    write_atomic(target, write)


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    resolved = Path(os.path.abspath(path)).resolve()
    try:
        st = os.stat(resolved)
        return str(resolved), (st.st_dev, st.st_ino)
    except OSError:
        return str(resolved), None


def _case_insensitive(directory: Path) -> bool:
    """Whether names in `directory` ignore case (macOS, Windows, some mounts)."""
    name = directory.name
    if not name or name == name.swapcase():
        return False  # no letters to probe with: taken as case-sensitive
    try:
        return os.path.samefile(directory, directory.parent / name.swapcase())
    except OSError:
        return False


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: equal after resolving links, hard links, or case."""
    (ra, ia), (rb, ib) = _identity(a), _identity(b)
    if ra == rb or (ia is not None and ia == ib):
        return True
    pa, pb = Path(ra), Path(rb)
    return (
        pa.name.casefold() == pb.name.casefold()
        and _identity(pa.parent) == _identity(pb.parent)
        and _case_insensitive(pa.parent)
    )


# Options naming folders whose files the run reads (rule and catalogue files).
_FOLDER_OPTIONS = ("--rules", "--catalogue")
_READ_IN_FOLDERS = {".yaml", ".yml", ".json"}


def _inside(folder: Path, output: Path) -> bool:
    if not folder.is_dir() or output.suffix.lower() not in _READ_IN_FOLDERS:
        return False
    root, _ = _identity(folder)
    parent, _ = _identity(output.parent)
    return parent == root or parent.startswith(root.rstrip(os.sep) + os.sep)


def check_outputs(
    outputs: Sequence[tuple[str, Path | None]],
    inputs: Sequence[tuple[str, Path | None]],
    lang: str = "zh",
) -> None:
    """Refuse a run whose outputs would overwrite an input or each other.

    Each item is (option name as the user typed it, path). Symlinks, hard links,
    relative vs absolute paths and case on case-insensitive file systems are seen
    through; a rule or catalogue file inside a --rules/--catalogue folder counts as input.
    """
    given = [(name, Path(p)) for name, p in outputs if p is not None]
    sources = [(name, Path(p)) for name, p in inputs if p is not None]
    for i, (name, path) in enumerate(given):
        for src_name, src in sources:
            if same_file(src, path):
                raise _clash("input", lang, name, path, src_name, src)
            if src_name in _FOLDER_OPTIONS and _inside(src, path):
                raise _clash("folder", lang, name, path, src_name, src)
        for other_name, other in given[:i]:
            if same_file(other, path):
                raise _clash("output", lang, name, path, other_name, other)


_CLASH = {
    "input": (
        "{name}「{path}」与{other_name}「{other}」是同一个文件，拒绝覆盖正在读取的文件",
        "请给 {name} 换一个文件名",
        "{name} '{path}' is the same file as the {other_name} '{other}': refusing to overwrite an input",
        "give {name} another file name",
    ),
    "folder": (
        "{name}「{path}」在 {other_name} 文件夹「{other}」中，会覆盖或混入读取的文件，拒绝写入",
        "请把 {name} 写到别的文件夹",
        "{name} '{path}' is inside the {other_name} folder '{other}', whose files are read: refused",
        "write {name} to another folder",
    ),
    "output": (
        "{name}「{path}」与 {other_name}「{other}」是同一个文件，拒绝覆盖同一次运行的另一个结果",
        "请给 {name} 和 {other_name} 用不同的文件名",
        "{name} '{path}' is the same file as {other_name} '{other}': one result would overwrite the other",
        "give {name} and {other_name} different file names",
    ),
}
_INPUT_EN = {"名单": "portfolio", "目录正文": "catalogue text"}


def _clash(
    kind: str, lang: str, name: str, path: Path, other_name: str, other: Path
) -> PolicyMatchError:
    zh_msg, zh_fix, en_msg, en_fix = _CLASH[kind]
    if lang == "en":
        other_name = _INPUT_EN.get(other_name, other_name)
        message, remedy = en_msg, en_fix
    else:
        message, remedy = zh_msg, zh_fix
    values = {"name": name, "path": path, "other_name": other_name, "other": other}
    return PolicyMatchError(message.format(**values), remedy.format(**values))


def refuse_overwrite(output: Path, inputs: list[Path]) -> None:
    """Refuse to write a report over one of the files being read."""
    check_outputs([("--out", output)], [("输入文件", p) for p in inputs])


def drop_from_cache(out_file: BinaryIO, start: int) -> None:
    """Start writing the bytes just written to disk and let the kernel drop them from
    its cache: a report of many GB otherwise piles up as dirty pages, and the kernel
    throttles the writer (1M rows, 7.7 GB: 28 s -> 20 s, system time 19 s -> 7.5 s)."""
    if not hasattr(os, "posix_fadvise"):
        return
    try:
        out_file.flush()
        os.posix_fadvise(out_file.fileno(), start, 0, os.POSIX_FADV_DONTNEED)
    except (OSError, ValueError):
        pass  # advice only: a file system that does not take it is written all the same


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # not there yet: open creates a regular file


class DirectFile(io.RawIOBase):
    """A report file written past the page cache (O_DIRECT) from one reused buffer.

    Buffered writes of many GB cost the kernel a copy into fresh cache pages; on this
    kind of VM that copy was most of the write's system time (1.2 s/GB against 0.15 s/GB
    with O_DIRECT, 250k rows). The bytes written are the same. Only whole, aligned
    buffers go out directly; the tail (and everything, where the file system refuses
    O_DIRECT) is written the ordinary way."""

    BUFFER = 8 << 20  # a multiple of any block size O_DIRECT asks alignment to

    def __init__(self, path: Path) -> None:
        super().__init__()
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
        direct = getattr(os, "O_DIRECT", 0)
        self._fd = -1
        if direct and _regular_file(path):  # a device, a pipe: written as it is
            with contextlib.suppress(OSError):
                self._fd = os.open(path, flags | direct, 0o600)
        self.direct = self._fd >= 0
        if not self.direct:
            self._fd = os.open(path, flags, 0o600)
        self._buf = mmap.mmap(-1, self.BUFFER)  # page-aligned, as O_DIRECT wants
        self._view = memoryview(self._buf)
        import numpy as np  # only here: the CLI's start-up does not pay for it

        self._array = np.frombuffer(self._buf, dtype=np.uint8)
        self._fill = 0

    def writable(self) -> bool:
        return True

    # Direct, the file hides its descriptor and position: polars writes straight to a
    # descriptor it can see, past the aligned buffer, and drop_from_cache has no use.
    def seekable(self) -> bool:
        if self.direct:
            return False
        try:
            os.lseek(self._fd, 0, os.SEEK_CUR)
        except OSError:
            return False  # a pipe
        return True

    def fileno(self) -> int:
        if self.direct:
            raise io.UnsupportedOperation("fileno")
        return self._fd

    def tell(self) -> int:
        return os.lseek(self._fd, 0, os.SEEK_CUR) + self._fill

    def write(self, data: Any) -> int:
        src = memoryview(data).cast("B")
        n, pos, size = len(src), 0, len(self._buf)
        if not self.direct:
            self._write_all(src)
            return n
        import numpy as np

        # numpy copies without the GIL: the main thread evaluates meanwhile
        into, out = self._array, np.frombuffer(src, dtype=np.uint8)
        while pos < n:
            k = min(size - self._fill, n - pos)
            np.copyto(into[self._fill : self._fill + k], out[pos : pos + k])
            self._fill += k
            pos += k
            if self._fill == size:
                self._flush_buffer()
        return n

    def _flush_buffer(self) -> None:
        data = self._view[: self._fill]
        if self.direct:
            try:
                done = os.write(self._fd, data)
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                self._buffered()  # alignment refused after all: the ordinary way
                done = 0
            if done < len(data):  # a short write breaks the alignment: finish buffered
                self._buffered()
                self._write_all(data[done:])
        else:
            self._write_all(data)
        self._fill = 0

    def _buffered(self) -> None:
        if self.direct:
            import fcntl  # O_DIRECT exists: a POSIX system

            fcntl.fcntl(
                self._fd, fcntl.F_SETFL, fcntl.fcntl(self._fd, fcntl.F_GETFL) & ~os.O_DIRECT
            )
            self.direct = False

    def _write_all(self, data: memoryview) -> None:
        while len(data):
            data = data[os.write(self._fd, data) :]

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._fill:
                self._buffered()  # the tail is not a whole block
                self._flush_buffer()
        finally:
            del self._array
            # A failed write's traceback (a full disk) may still hold a view of the buffer:
            # the buffer is then freed with it, and that write's error is the one raised,
            # not a BufferError in its place.
            with contextlib.suppress(BufferError):
                self._view.release()
                self._buf.close()
            os.close(self._fd)
            super().close()
