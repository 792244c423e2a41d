"""Reading profile tables: CSV/TSV, Excel, Parquet, JSON Lines → all-String frames.

:func:`read_table` returns a :class:`RawTable` whose frame has every column as
String under its original header, plus ``__row`` (Int64): the row number a person
sees in the file — for a spreadsheet or CSV opened in Excel/WPS, the sheet row
(header row 1, first data row 2 in the usual layout); for JSON Lines, the line
number. Nothing is parsed here; values are parsed by :mod:`matcher.intake.values`.

Decisions:

* **Format** is decided by content where it matters: zip (xlsx/xlsm/ods) and OLE
  (xls) signatures → Excel via fastexcel; ``PAR1`` → Parquet; ``.jsonl``/
  ``.ndjson`` or a first character ``{`` → JSON Lines; anything else is text and
  read as CSV.
* **Encoding** (text): BOM (UTF-8, UTF-16) first; else the first 1 MiB must
  decode as UTF-8, else as GB18030 (a superset of GBK/GB2312) — each first
  strictly, then allowing a few bad bytes — else
  charset-normalizer's guess is used. Bytes that still fail to decode later in the
  file become U+FFFD and the row is reported (``undecodable_bytes``).
  :func:`read_table` decodes while streaming; :func:`scan_table` transcodes
  non-UTF-8 files to a temporary UTF-8 file in 1 MiB chunks (removed at exit).
* **Separator**: ``,`` ``\\t`` ``;`` or ``|``, whichever occurs most (outside quotes)
  on the first line that has any of them; ``,`` when none does.
* **Header row**: normally row 1. Title rows above the header (a single cell such
  as "2024年企业名单") are skipped: the header is the first of the first 20 rows
  with more than half as many non-empty cells as the fullest of those rows. Skipped
  non-empty rows are reported (``rows_before_header``).
* **Ragged rows** (CSV rows with a different number of fields than the header) are
  **excluded** from the frame and reported (``ragged_row``) with their row number:
  a missing or extra separator shifts every later value into the wrong column,
  and a wrong value is worse than a missing row. Extra trailing fields that are all
  empty (``a,b,c,,``) are not ragged and are dropped silently.
* **Empty rows** (every cell empty or whitespace) are dropped silently.
* **Headers**: stripped of surrounding whitespace; a blank header over a column
  with data becomes ``列<n>`` (CSV: field number; Excel: column letter) and is
  reported (``blank_header``); blank columns without data are dropped; a repeated
  header gets a suffix ``.2``, ``.3`` … and is reported (``duplicate_header``).
* **Cells**: empty strings become null; other text is kept verbatim (including
  surrounding whitespace). Excel numbers come out as Excel shows them in General
  format (``110108``, ``0.5``), dates as ISO ``2022-06-28`` (with `` HH:MM:SS``
  only when there is a time of day), booleans as ``true``/``false``. Parquet
  and JSON values are rendered the same way; lists are joined with ``;`` and an
  empty list becomes ``无`` (which LIST fields parse back to ``[]``).
  NaN and ±inf are rendered ``NaN``/``inf``/``-inf`` and Excel formula errors
  keep their text (``#DIV/0!``), so that the parsers report them as bad cells;
  an Excel date serial 0 reads ``1900-01-00``, as Excel shows it, not a date.
* **Sheet**: the one a person sees on opening the workbook (the active sheet,
  else the first visible one); a hidden sheet only when named.
* **Limits** (:class:`~matcher.intake.limits.Limits`): too many columns, an Excel
  sheet too large, a JSON Lines record nested too deep are refused with the limit
  named (the record alone, for JSON Lines).

Files that cannot be read as a table raise :class:`IntakeError` — never another
exception.
"""

from __future__ import annotations

import atexit
import codecs
import collections
import csv
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from matcher.fields import col
from matcher.intake.errors import IntakeError
from matcher.intake.limits import Limits, exceeded, resolve
from matcher.intake.raw import (
    _NOTE_RE,
    _TOTAL_RE,
    RENAMED_PREFIX,
    ROW,
    RawProblem,
    _clean_header,
    _first_chars,
    make_headers,
    nesting_depth,
)
from matcher.intake.values import cell_to_str
from matcher.records import record

# polars, numpy and the Excel reader (zipfile, ElementTree) on first use: a one-profile
# report needs none of them (matcher/lazy.py).
if TYPE_CHECKING:
    import numpy as np
    import polars as pl

    from matcher.intake import workbook
else:
    from matcher.lazy import lazy_module

    np = lazy_module("numpy")
    workbook = lazy_module("matcher.intake.workbook")
    from matcher.frame import pl


def unreadable() -> tuple[type[BaseException], ...]:
    """What reading a file may raise that makes it unreadable. A damaged file can make
    polars' Rust side panic, and pyo3's PanicException derives from BaseException, not
    Exception: an unreadable file too, never a crash. A function, evaluated only when
    something was raised, so that importing this module imports no polars."""
    return (Exception, pl.exceptions.PanicException)


__all__ = [
    "IntakeError",
    "RawProblem",
    "RawTable",
    "detect_encoding",
    "finish_lazy",
    "read_table",
    "render_text",
    "scan_table",
    "sniff_separator",
]

_BLANK = "__blank"  # helper column while dropping empty rows
SAMPLE_BYTES = 1 << 20  # encoding and separator are decided from the first 1 MiB
CHUNK_CHARS = 1 << 20  # transcoding chunk
CHUNK_ROWS = 50_000  # rows per frame chunk while reading CSV / JSON Lines
HEADER_SEARCH_ROWS = 20
SEPARATORS = (",", "\t", ";", "|")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_PARQUET_MAGIC = b"PAR1"
# A few control characters are damaged cells (reported downstream), not a binary file.
_FEW_CONTROLS = 32
_CONTROL_OK = frozenset("\t\n\r\x0b\x0c\x1a")  # \x1a: DOS end-of-file marker


@dataclass
class RawTable:
    frame: pl.DataFrame  # every column String, original headers, plus "__row" Int64
    encoding: str | None
    separator: str | None
    problems: list[RawProblem] = dc_field(default_factory=list)
    format: str = "csv"  # "csv" | "excel" | "parquet" | "jsonl"
    sheet: str | None = None
    header_row: int | None = 1

    @property
    def headers(self) -> list[str]:
        return [c for c in self.frame.columns if c != ROW]


# ---------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------


def read_table(
    path: Path | str, sheet: str | None = None, *, limits: Limits | None = None
) -> RawTable:
    """Read a whole table (see the module docstring). ``sheet`` selects an Excel
    sheet by name (default: the active sheet when visible, else the first visible
    one); it is ignored for other formats. ``limits`` bound the cost (default:
    :meth:`Limits.from_env`)."""
    path = Path(path)
    lim = resolve(limits)
    try:
        kind, head = _sniff(path)
        if kind == "excel":
            return _read_excel(path, sheet, lim)
        if kind == "parquet":
            return _read_parquet(path, lim)
        if kind == "jsonl":
            return _read_jsonl(path, head, lim)
        return _read_csv(path, head, lim)
    except IntakeError:
        raise
    except unreadable() as exc:  # anything else is a file we could not read
        raise IntakeError("read_failed", path, f"{type(exc).__name__}: {exc}") from exc


def scan_table(
    path: Path | str, problems: list[RawProblem] | None = None, *, limits: Limits | None = None
) -> pl.LazyFrame:
    """Lazy all-String frame with ``__row``, for large portfolios.

    CSV: one streaming validation pass (constant memory, vectorised) checks that
    the file is regular — header in row 1, one line per record, plain quoting, no
    ragged rows, unique non-blank headers, clean encoding; then polars scans it
    lazily (non-UTF-8 files through a temporary UTF-8 copy). Parquet is scanned lazily as is.
    Anything else — an irregular CSV, Excel, JSON Lines — is read eagerly with
    :func:`read_table`; its problems are appended to ``problems`` when given.
    """
    path = Path(path)
    lim = resolve(limits)
    try:
        kind, head = _sniff(path)
        if kind == "parquet":
            return _parquet_rows(path, lim)
        if kind == "csv":
            encoding = detect_encoding(path, head)
            sep = sniff_separator(_decoded_sample(head, encoding))
            regular = _scan_regular_csv(path, encoding, sep, lim)
            if regular is not None:
                return regular
    except IntakeError:
        raise
    except unreadable() as exc:
        raise IntakeError("read_failed", path, f"{type(exc).__name__}: {exc}") from exc
    table = read_table(path, limits=lim)
    if problems is not None:
        problems.extend(table.problems)
    return table.frame.lazy()


def _parquet_rows(
    path: Path,
    limits: Limits,
    start: int = 0,
    length: int | None = None,
    unreadable: Mapping[str, pl.Series | None] | None = None,
) -> pl.LazyFrame:
    """Rows ``start``… of a Parquet file as raw text, numbered as in a sheet (row 1 is
    the header). The reader numbers rows as it reads them and reads only the row groups
    the slice needs; int_range over pl.len() would need the whole file first.

    ``unreadable`` maps the text columns polars cannot read (a value is not UTF-8) to
    the whole column decoded cell by cell (:func:`_undecodable`), or to None: unknown."""
    schema = pl.scan_parquet(path).collect_schema()
    _check_width(path, len(schema), limits)
    index = _fresh_name("__index", schema)
    lf = pl.scan_parquet(path, row_index_name=index, row_index_offset=2)
    if start or length is not None:
        lf = lf.slice(start, length)
    cells = unreadable or {}
    # a column named like the row number is kept under another name (see normalise)
    names = [f"{RENAMED_PREFIX}{ROW}" if n == ROW else n for n in schema]
    lf = lf.select(
        pl.col(index).cast(pl.Int64).alias(ROW),
        *(
            (pl.lit(None, pl.String) if n in cells else render_text(col(n), schema[n])).alias(m)
            for n, m in zip(schema, names, strict=True)
        ),
    )
    decoded = [
        values.slice(start, length).alias(m).to_frame().lazy()
        for n, m in zip(schema, names, strict=True)
        if (values := cells.get(n)) is not None
    ]
    if decoded:  # the same rows as the slice above: put side by side
        taken = [c for d in decoded for c in d.collect_schema()]
        lf = pl.concat([lf.drop(taken), *decoded], how="horizontal").select(ROW, *names)
    return finish_lazy(lf, names)


#: More values that are not UTF-8 than this in one column is an encoding of the whole
#: column, not a stray cell: the column is unknown rather than reported cell by cell.
MAX_UNDECODABLE_CELLS = 1_000


def _undecodable(path: Path) -> tuple[dict[str, pl.Series | None], list[RawProblem]]:
    """The text columns polars cannot read because a value in them is not UTF-8 (it
    refuses the column, not the value), probed one by one after a read failed; each
    with the column decoded cell by cell, or None (unknown as a whole), and the problems.

    Reading cell by cell needs pyarrow (``policy-match[parquet]``), which hands over the
    bytes as they are; without it the whole column is unknown, as it is past
    :data:`MAX_UNDECODABLE_CELLS` bad values."""
    bad = []
    for name, dtype in pl.scan_parquet(path).collect_schema().items():
        if dtype == pl.String:
            try:
                pl.scan_parquet(path).select(col(name)).collect()
            except pl.exceptions.ComputeError:
                bad.append(name)
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return dict.fromkeys(bad), [RawProblem(None, "undecodable_column", n) for n in bad]
    table = pq.read_table(path, columns=bad) if bad else None
    out: dict[str, pl.Series | None] = {}
    problems: list[RawProblem] = []
    for name in bad:
        assert table is not None
        raw = table.column(name).cast(pa.large_binary()).to_pylist()
        values, cells = _decode_cells(raw)
        if len(cells) > MAX_UNDECODABLE_CELLS:
            out[name] = None
            problems.append(RawProblem(None, "undecodable_column_many", name))
            continue
        out[name] = pl.Series(name, values, dtype=pl.String)
        problems.extend(RawProblem(i + 2, "undecodable_cell", shown, name) for i, shown in cells)
    return out, problems


def _decode_cells(raw: Sequence[bytes | None]) -> tuple[list[str | None], list[tuple[int, str]]]:
    """Values decoded as UTF-8 (None where they are not), and the bad ones by index,
    escaped (``\\xff``) and shortened so that they can be shown anywhere."""
    values: list[str | None] = []
    cells: list[tuple[int, str]] = []
    for i, b in enumerate(raw):
        if b is None:
            values.append(None)
            continue
        try:
            values.append(b.decode("utf-8"))
        except UnicodeDecodeError:
            values.append(None)
            shown = b[:64].decode("utf-8", "backslashreplace")
            cells.append((i, shown + ("…" if len(b) > 64 else "")))
    return values, cells


def _fresh_name(base: str, taken: Any) -> str:
    name, k = base, 2
    while name in taken:
        name, k = f"{base}{k}", k + 1
    return name


def iter_parquet_chunks(
    path: Path,
    chunk_rows: int,
    *,
    limits: Limits | None = None,
    problems: list[RawProblem] | None = None,
) -> Iterator[pl.DataFrame]:
    """A Parquet file in chunks of ``chunk_rows`` file rows, each read on demand.

    The streaming engine reads ahead without bound when its consumer is slower than
    the disk (1.4 GB buffered for a 5M-row file); slices keep memory to one chunk.
    A text value that is not UTF-8 is read as unknown and reported, cell by cell
    (appended to ``problems`` before the chunk is yielded).
    """
    lim = resolve(limits)
    bad: dict[str, pl.Series | None] | None = None
    try:
        total = pl.scan_parquet(path).select(pl.len()).collect().item()
        for start in range(0, max(total, 1), chunk_rows):
            try:
                chunk = _parquet_rows(path, lim, start, chunk_rows, bad).collect()
            except pl.exceptions.ComputeError:
                if bad is not None:
                    raise
                bad, found = _undecodable(path)
                if problems is not None:
                    problems.extend(found)
                chunk = _parquet_rows(path, lim, start, chunk_rows, bad).collect()
            yield chunk
    except IntakeError:
        raise
    except unreadable() as exc:
        raise IntakeError("read_failed", path, f"{type(exc).__name__}: {exc}") from exc


def is_parquet(path: Path) -> bool:
    return _sniff(path)[0] == "parquet"


# ---------------------------------------------------------------------------------
# Format, encoding, separator
# ---------------------------------------------------------------------------------


def _sniff(path: Path) -> tuple[str, bytes]:
    if not path.exists():
        raise IntakeError("file_not_found", path)
    if not path.is_file():
        raise IntakeError("not_a_file", path)
    try:
        with path.open("rb") as fh:
            head = fh.read(SAMPLE_BYTES)
    except OSError as exc:
        raise IntakeError("read_failed", path, str(exc)) from exc
    if not head.strip():
        raise IntakeError("empty_file", path)
    if head.startswith((_ZIP_MAGIC, _OLE_MAGIC)):
        return "excel", head
    if head.startswith(_PARQUET_MAGIC):
        return "parquet", head
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return "jsonl", head
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
    if stripped.startswith(b"{"):
        return "jsonl", head
    if path.suffix.lower() == ".json" or stripped.startswith(b"["):
        raise IntakeError("bad_json", path, "只支持 JSON Lines（每行一个 JSON 对象）")
    return "csv", head


def detect_encoding(path: Path, head: bytes) -> str:
    """Python codec name for a text file, from its first bytes (see module doc)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    # NUL bytes: a binary file has many (caught with the other control characters by
    # _check_text); one damaged cell a few, and must not make the file unreadable.
    if head.count(b"\x00") > max(_FEW_CONTROLS, len(head) // 100):
        raise IntakeError("binary_file", path, "含有 NUL 字节")
    final = len(head) < SAMPLE_BYTES
    # strict first; then the same encodings again allowing a few bad bytes (a file
    # cut mid-character, one corrupt byte): UTF-8 first, since GBK text is almost
    # never valid UTF-8 while UTF-8 text often decodes as (wrong) GB18030.
    for enc, errors in (
        ("utf-8", "strict"),
        ("utf-8", "replace"),
        ("gb18030", "strict"),
        ("gb18030", "replace"),
    ):
        try:
            text = codecs.getincrementaldecoder(enc)(errors=errors).decode(head, final=final)
        except UnicodeDecodeError:
            continue
        if errors == "replace" and not _few_bad_bytes(text):
            continue
        _check_text(path, text)
        return enc
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(head[: 1 << 16]).best()
    except Exception:  # pragma: no cover - charset-normalizer failing is not fatal
        best = None
    if best is None or best.encoding is None:
        raise IntakeError("unknown_encoding", path)
    enc = codecs.lookup(best.encoding).name
    text = codecs.getincrementaldecoder(enc)(errors="replace").decode(head, final=final)
    _check_text(path, text)
    return enc


def _few_bad_bytes(text: str) -> bool:
    """Few U+FFFD compared with the non-ASCII characters that decoded fine.

    Text in another encoding fails on nearly every non-ASCII character; a damaged
    file (cut mid-character, a corrupt byte) fails on a handful.
    """
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ch > "\x7f") - bad
    return bad <= max(1, good // 5)


def _check_text(path: Path, text: str) -> None:
    if not text:
        return
    bad = sum(1 for ch in text[:100_000] if ch < " " and ch not in _CONTROL_OK)
    if bad > max(_FEW_CONTROLS, len(text[:100_000]) // 100):
        raise IntakeError("binary_file", path, "含有大量控制字符")


def sniff_separator(text: str) -> str:
    """The separator of the first line (of ``text``) containing any candidate."""
    for line in text.splitlines()[:HEADER_SEARCH_ROWS]:
        counts = dict.fromkeys(SEPARATORS, 0)
        quoted = False
        for ch in line:
            if ch == '"':
                quoted = not quoted
            elif not quoted and ch in counts:
                counts[ch] += 1
        best = max(SEPARATORS, key=lambda s: counts[s])  # first wins ties
        if counts[best] > 0:
            return best
    return ","


def _decoded_sample(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)


# ---------------------------------------------------------------------------------
# Headers and row assembly (shared)
# ---------------------------------------------------------------------------------


def _nonempty(cells: list[Any]) -> int:
    return sum(1 for c in cells if c is not None and str(c).strip() != "")


def _names_fields(cells: list[Any]) -> bool:
    """True when at least two cells are known headers (企业名称, 所在地区…)."""
    from matcher.intake.headers import map_headers

    texts = [str(c).strip() for c in cells if c is not None and str(c).strip()]
    if len(texts) < 2 or len(set(texts)) != len(texts):
        return False
    known = [m for m in map_headers(texts).details if m.method in ("exact", "alias")]
    return len(known) >= 2


def _find_header(rows: list[list[Any]]) -> int | None:
    # A row of known headers wins: a ragged data row must never be taken for the header.
    for i, row in enumerate(rows):
        if _names_fields(row):
            return i
    counts = [_nonempty(r) for r in rows]
    most = max(counts, default=0)
    if most == 0:
        return None
    return next(i for i, c in enumerate(counts) if 2 * c > most)


def _group_columns(header: list[Any]) -> set[int]:
    """Columns under a merged header cell: a named cell followed by blank ones."""
    named = [bool(_clean_header(None if c is None else str(c))) for c in header]
    cols: set[int] = set()
    j = 0
    while j < len(named):
        k = j + 1
        while k < len(named) and not named[k]:
            k += 1
        if named[j] and k > j + 1:
            cols.update(range(j, k))
        j = k
    return cols


def _sub_header(header: list[Any], below: list[Any]) -> bool:
    """True when ``below`` is the second row of a two-row header: text only under
    merged header cells (招聘计划 over 应届生 | 其中北京高校), nothing under the others."""
    group = _group_columns(header)
    filled = [j for j, c in enumerate(below) if c is not None and str(c).strip()]
    if not group or not filled or any(j not in group for j in filled):
        return False
    texts = [str(below[j]).strip() for j in filled]
    looks_like_data = any(_NUMBER_RE.match(t) or _FIRM_RE.search(t) for t in texts)
    return not looks_like_data and len(filled) >= 2


_NUMBER_RE = re.compile(r"^[-+0-9０-９.,，万亿元人名 ]+$")
# A firm's name in the row below the header is data, never a sub-header.
_FIRM_RE = re.compile(r"公司|有限|集团|厂$|店$|合作社|事务所|工作室")


def join_header(header: list[Any], below: list[Any]) -> list[str | None]:
    """One name per column from a two-row header: the merged top cell carried right
    and joined with the cell below (招聘计划 + 应届生 → 招聘计划应届生)."""
    names: list[str | None] = []
    top = ""
    group = _group_columns(header)
    for j, cell in enumerate(header):
        text = _clean_header(None if cell is None else str(cell))
        if text:
            top = text
        sub = _clean_header(None if j >= len(below) or below[j] is None else str(below[j]))
        if j in group:
            names.append(top + sub if sub else top)
        else:
            names.append(text or sub or None)
    return names


def _finish(
    data: pl.DataFrame,
    header_cells: list[str | None],
    labels: list[str],
    header_row: int,
    problems: list[RawProblem],
) -> pl.DataFrame:
    """``data`` has positional String columns ``c0..c{n-1}`` and ``__row``.

    Drops empty rows and blank-header columns without data, names the columns,
    turns "" into null and reports U+FFFD rows.
    """
    n = len(header_cells)
    pos = [f"c{j}" for j in range(n)]
    data = data.with_columns(pl.when(pl.col(c) != "").then(pl.col(c)).alias(c) for c in pos)
    if pos:
        blank = pl.all_horizontal(
            pl.col(c).is_null() | (pl.col(c).str.strip_chars() == "") for c in pos
        )
        data = data.filter(~blank)
    keep: list[int] = []
    for j, cell in enumerate(header_cells):
        if _clean_header(cell):
            keep.append(j)
        elif data.height and data.select(pl.col(pos[j]).is_not_null().any()).item():
            keep.append(j)
            problems.append(RawProblem(header_row, "blank_header", labels[j]))
    names, header_problems = make_headers(
        [header_cells[j] for j in keep], [labels[j] for j in keep], header_row
    )
    problems.extend(header_problems)
    frame = data.select(
        pl.col(ROW).cast(pl.Int64),
        *(pl.col(pos[j]).alias(name) for j, name in zip(keep, names, strict=True)),
    )
    if names and frame.height:
        bad = frame.filter(
            pl.any_horizontal(col(c).str.contains("\ufffd", literal=True) for c in names)
        )
        for row in bad.get_column(ROW).to_list():
            problems.append(RawProblem(row, "undecodable_bytes", "U+FFFD"))
    return frame


def _empty_positional(n: int) -> pl.DataFrame:
    return pl.DataFrame(schema={ROW: pl.Int64, **{f"c{j}": pl.String for j in range(n)}})


def _chunk_frame(rows: list[list[str]], rownums: list[int], n: int) -> pl.DataFrame:
    cols: dict[str, list[Any]] = {ROW: rownums}
    for j in range(n):
        cols[f"c{j}"] = [r[j] for r in rows]
    return pl.DataFrame(cols, schema={ROW: pl.Int64, **{f"c{j}": pl.String for j in range(n)}})


# ---------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------


def _records(fh: Any, sep: str) -> Iterator[tuple[int, int, int, list[str]]]:
    """(row number, first line, last line, fields) for each CSV record.

    The row number counts records, blank lines included — what Excel/WPS shows;
    a quoted cell with line breaks is one row spanning several lines.
    """
    _raise_field_limit()
    reader = csv.reader(fh, delimiter=sep, quotechar='"', doublequote=True, strict=False)
    last_line = 0
    for row_number, rec in enumerate(reader, start=1):
        first = last_line + 1
        last_line = reader.line_num
        yield row_number, first, last_line, rec


def _raise_field_limit() -> None:
    if csv.field_size_limit() < 1 << 30:
        csv.field_size_limit(1 << 30)


def _read_csv(path: Path, head: bytes, limits: Limits) -> RawTable:
    encoding = detect_encoding(path, head)
    sep = sniff_separator(_decoded_sample(head, encoding))
    regular = _scan_regular_csv(path, encoding, sep, limits)
    if regular is not None:
        try:
            return RawTable(regular.collect(), encoding, sep, [], "csv", None, 1)
        except pl.exceptions.PolarsError:
            pass  # polars disagrees with the validation pass: use the careful reader
    problems: list[RawProblem] = []
    try:
        with path.open(encoding=encoding, errors="replace", newline="") as fh:
            frame, header_row = _parse_csv(path, fh, sep, problems, limits)
    except csv.Error as exc:
        raise IntakeError("read_failed", path, f"CSV: {exc}") from exc
    return RawTable(frame, encoding, sep, problems, "csv", None, header_row)


def _parse_csv(
    path: Path, fh: Any, sep: str, problems: list[RawProblem], limits: Limits
) -> tuple[pl.DataFrame, int]:
    records = _records(fh, sep)
    first: list[tuple[int, int, int, list[str]]] = []
    for item in records:
        first.append(item)
        if len(first) >= HEADER_SEARCH_ROWS:
            break
    # before looking for the header, which costs per cell of these rows
    _check_width(path, max((len(r[3]) for r in first), default=0), limits)
    h = _find_header([r[3] for r in first])
    if h is None:
        raise IntakeError("no_header", path)
    header_row = first[h][0]
    skipped = sum(1 for r in first[:h] if _nonempty(r[3]))
    if skipped:
        problems.append(RawProblem(None, "rows_before_header", str(skipped)))
    header: list[Any] = first[h][3]
    width = len(header)
    if h + 1 < len(first) and _sub_header(header, first[h + 1][3]):
        header = join_header(header, first[h + 1][3])
        h += 1

    chunks: list[pl.DataFrame] = []
    rows: list[list[str]] = []
    rownums: list[int] = []

    def rest() -> Iterator[tuple[int, int, int, list[str]]]:
        yield from first[h + 1 :]
        yield from records

    for row_number, line_a, line_b, rec in rest():
        if len(rec) != width:
            if len(rec) > width and not any(c.strip() for c in rec[width:]):
                rec = rec[:width]
            elif not any(c.strip() for c in rec):
                continue
            else:
                where = f", line {line_a}-{line_b}" if line_b > line_a else ""
                problems.append(
                    RawProblem(row_number, "ragged_row", f"{len(rec)} ≠ {width}{where}")
                )
                continue
        rows.append(rec)
        rownums.append(row_number)
        if len(rows) >= CHUNK_ROWS:
            chunks.append(_chunk_frame(rows, rownums, width))
            rows, rownums = [], []
    if rows or not chunks:
        chunks.append(_chunk_frame(rows, rownums, width))
    data = pl.concat(chunks, how="vertical") if len(chunks) > 1 else chunks[0]
    labels = [str(j + 1) for j in range(width)]
    frame = _finish(data, list(header), labels, header_row, problems)
    return frame, header_row


def _utf8_copy(path: Path, encoding: str) -> tuple[Path, bool]:
    """Transcode ``path`` to a temporary UTF-8 file, chunk by chunk.

    Returns the copy and whether any byte had to be replaced by U+FFFD.
    """
    out = _temp_dir() / f"{path.stem}.{id(path):x}.utf8.csv"
    replaced = False
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    with path.open("rb") as src, out.open("w", encoding="utf-8", newline="") as dst:
        while True:
            block = src.read(CHUNK_CHARS)
            text = decoder.decode(block, final=not block)
            if "\ufffd" in text:
                replaced = True
            if text:
                dst.write(text.removeprefix("\ufeff") if dst.tell() == 0 else text)
            if not block:
                break
    return out, replaced


_TEMP: list[Path] = []


def _temp_dir() -> Path:
    if not _TEMP:
        d = Path(tempfile.mkdtemp(prefix="policy-match-intake-"))
        atexit.register(shutil.rmtree, d, True)
        _TEMP.append(d)
    return _TEMP[0]


def _scan_regular_csv(
    path: Path, encoding: str, sep: str, limits: Limits | None = None
) -> pl.LazyFrame | None:
    """A lazy polars scan when the file is regular (see :func:`scan_table`), else None.

    The check (:func:`_regular_header`) decides as the csv module would reading
    record by record, as :func:`read_table` does, so a file it accepts yields the
    same rows and row numbers from polars.
    """
    if encoding in ("utf-8", "utf-8-sig"):
        source = path
    else:
        source, replaced = _utf8_copy(path, encoding)
        if replaced:
            return None
    lim = resolve(limits)
    header = _regular_header(source, sep, lambda width: _check_width(path, width, lim))
    if header is None:
        return None
    return _scan_checked_csv(source, sep, header)


def _scan_checked_csv(source: Path, sep: str, header: list[str]) -> pl.LazyFrame:
    """The polars scan of a UTF-8 file found regular: row numbers are line numbers."""
    lf = pl.scan_csv(
        source,
        separator=sep,
        has_header=True,
        infer_schema=False,
        quote_char='"',
        row_index_name=ROW,
        row_index_offset=2,
        new_columns=header,
    )
    return finish_lazy(lf, header)


_BLOCK_BYTES = 1 << 20  # the regular check reads this much at a time, cut at a line end
_MAX_LINE_BYTES = 64 << 20  # a longer line: leave the file to the careful reader
_LF, _CR, _QUOTE = 0x0A, 0x0D, 0x22
_PY_ONLY_SPACE = "\x1c\x1d\x1e\x1f"  # str.isspace(), but not polars' strip_chars()


def _regular_header(source: Path, sep: str, check_width: Callable[[int], None]) -> list[str] | None:
    """The cleaned header of a regular UTF-8 CSV file, None when it is not regular.

    Regular, as the csv module reads it record by record: row 1 a header of unique
    non-blank names (no ``__row``); every other record on one line, no wider than
    the header and narrower only when blank; no U+FFFD (nor invalid UTF-8) after
    the header; no line ended by a bare CR. And, where polars would read the file
    differently from the csv module or not at all: every line plainly quoted (see
    :func:`_plain_quotes`), no narrower row blank only by ``\x1c``-``\x1f``. Row 1
    is parsed by the csv module, the rest checked a block at a time with numpy.
    """
    _raise_field_limit()
    with source.open("rb") as fh:
        rec = _first_record(fh, sep)
        if rec is None:
            return None
        header = [_clean_header(c) for c in rec]
        width = len(rec)
        check_width(width)
        if not all(header) or len(set(header)) != width or ROW in header:
            return None
        if _nonempty(rec) == 0:
            return None
        if not _regular_blocks(_line_blocks(fh), sep, width):
            return None
    return header


def _regular_blocks(blocks: Iterator[bytes | None], sep: str, width: int) -> bool:
    """Whether every block is regular (:func:`_regular_block`), checked two at a time:
    numpy releases the GIL, and nothing else runs before the file is known regular
    (1M rows, 206 MB: 0.85-1.07 s in one thread, 0.65-0.74 s in two)."""
    from concurrent.futures import Future, ThreadPoolExecutor

    # loaded here, once: Python 3.11's lazy import is not safe from two threads at once
    _ = np.frombuffer, pl.Series
    checks: collections.deque[Future[bool]] = collections.deque()
    with ThreadPoolExecutor(max_workers=2) as pool:
        try:
            for block in blocks:
                if block is None:
                    return False
                checks.append(pool.submit(_regular_block, block, sep, width))
                if len(checks) > 2 and not checks.popleft().result():
                    return False
            return all(check.result() for check in checks)
        finally:
            for check in checks:  # an irregular block found: the rest need no check
                check.cancel()


def _line_blocks(fh: Any) -> Iterator[bytes | None]:
    """``fh`` in blocks of whole lines (the last one maybe without its line end);
    None for a line longer than ``_MAX_LINE_BYTES``."""
    while block := fh.read(_BLOCK_BYTES):
        if not block.endswith(b"\n"):
            tail = fh.readline(_MAX_LINE_BYTES)  # the rest of the last line
            if len(tail) == _MAX_LINE_BYTES and not tail.endswith(b"\n"):
                yield None
                return
            block += tail
        yield block


def _first_record(fh: Any, sep: str) -> list[str] | None:
    """Row 1 of a binary UTF-8 file read as the csv module reads it (BOM dropped,
    bad bytes as U+FFFD); None when it is missing, a line in it ends in a bare CR,
    or it is not plainly quoted (see :func:`_plain_quotes`)."""
    seen: list[str] = []
    bad = False

    def lines() -> Iterator[str]:
        nonlocal bad
        raw = fh.readline(_MAX_LINE_BYTES).removeprefix(codecs.BOM_UTF8)
        while raw:
            too_long = len(raw) >= _MAX_LINE_BYTES - 3 and not raw.endswith(b"\n")
            if too_long or raw.count(b"\r") != raw.count(b"\r\n"):
                bad = True
                return
            seen.append(raw.decode("utf-8", errors="replace"))
            yield seen[-1]
            raw = fh.readline(_MAX_LINE_BYTES)

    reader = csv.reader(lines(), delimiter=sep, quotechar='"', doublequote=True, strict=False)
    try:
        rec = next(reader, None)
    except csv.Error:
        return None
    if bad or not _plain_quotes("".join(seen), sep):
        return None
    return rec


def _plain_quotes(record: str, sep: str) -> bool:
    """Whether polars reads the quotes of ``record`` (its lines, with line ends) as
    the csv module does: either no field starts with a quote and quotes are even in
    number, or every quote opens a field, closes it or is doubled inside it."""
    s = re.escape(sep)
    if not re.search(f'(?:^|{s})"', record):
        return record.count('"') % 2 == 0
    field = f'(?:[^"{s}\r\n]*|"(?:[^"]|"")*")'
    return re.fullmatch(f"{field}(?:{s}{field})*(?:\r?\n)?", record) is not None


def _csv_line(line: str, sep: str) -> list[str]:
    """The fields of one plainly quoted line, as the csv module reads them."""
    return next(csv.reader([line], delimiter=sep, quotechar='"', strict=False))


def _regular_block(block: bytes, sep: str, width: int) -> bool:
    """Whether the data lines in ``block`` (whole lines) are regular (see
    :func:`_regular_header`) for a header of ``width`` fields."""
    if not block.isascii():
        try:  # strict: invalid UTF-8 would have been read as U+FFFD
            text = pl.Series([block], dtype=pl.Binary).cast(pl.String)
        except pl.exceptions.ComputeError:
            return False
        if text.str.contains("\ufffd", literal=True).item():
            return False
    a = np.frombuffer(block, dtype=np.uint8)
    n = a.size
    if b"\r" in block:
        cr = np.flatnonzero(a == _CR)
        if cr[-1] + 1 >= n or bool((a[cr + 1] != _LF).any()):
            return False  # a bare CR: old Mac line ends, polars would see one line
    nl = np.flatnonzero(a == _LF)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [n]))
    if starts[-1] == n:
        starts, ends = starts[:-1], ends[:-1]
    # content end: before "\r\n" or "\n" (every CR is followed by LF here)
    stop = ends - ((ends > starts) & (a[np.maximum(ends - 1, 0)] == _CR))
    s = ord(sep)
    nlines = starts.size
    quotes = np.flatnonzero(a == _QUOTE)
    after = quotes + 1
    # separators per segment, segments starting at each line start and after each
    # quote (never the same: a quote is not a line feed)
    bounds = np.sort(np.concatenate((starts, after[after < n])))
    seg = np.add.reduceat((a == s).view(np.uint8), bounds, dtype=np.int32)  # int32: fast
    upto = np.concatenate(([0], np.cumsum(seg, dtype=np.int64)))  # separators before a bound

    def seps_before(pos: np.ndarray) -> np.ndarray:
        return upto[np.searchsorted(bounds, pos)]  # pos: bounds, or n

    line_seps = np.diff(seps_before(np.append(starts, n)))
    quoting = np.zeros(nlines, dtype=bool)  # lines with a quoted field
    if quotes.size:
        qline = np.searchsorted(starts, quotes, side="right") - 1
        if bool((np.bincount(qline) & 1).any()):
            return False  # an odd number of quotes: polars may read on into the next line
        prev = a[quotes - 1]
        at_field_start = (quotes == starts[qline]) | (prev == s)
        # a quote not at a field start is a plain character (csv and polars agree);
        # a line with a quoted field must quote plainly: the quote at the field
        # start, the closing one before a separator or the line end, quotes inside
        # doubled. Anything else (such as text after a closing quote) goes to the
        # careful reader, as polars may read it differently or not at all.
        quoting = np.bincount(qline, weights=at_field_start, minlength=nlines) > 0
        on = quoting[qline]
        qline, quotes, after, prev = qline[on], quotes[on], after[on], prev[on]
        at_field_start = at_field_start[on]
        qcount = np.bincount(qline, minlength=nlines)
        opening = (np.arange(quotes.size) - (np.cumsum(qcount) - qcount)[qline]) % 2 == 0
        nxt = a[np.minimum(after, n - 1)]
        close_ok = (after >= stop[qline]) | (nxt == s) | (nxt == _QUOTE)
        open_ok = at_field_start | (prev == _QUOTE)
        if not bool(np.where(opening, open_ok, close_ok).all()):
            return False
        # separators between an opening quote and the next, closing one
        first = np.flatnonzero(opening)
        inside = seps_before(after[first + 1]) - seps_before(after[first])
        line_seps -= np.bincount(qline[first], weights=inside, minlength=nlines).astype(np.int64)
    cells = line_seps + 1
    cells[stop == starts] = 0  # an empty line is an empty record
    if bool((cells > width).any()):
        return False
    for i in np.flatnonzero((cells > 0) & (cells < width)):
        line = block[starts[i] : stop[i]].decode("utf-8")
        rec = _csv_line(line, sep) if quoting[i] else line.split(sep)
        if len(rec) > width or any(c.strip() for c in rec):
            return False
        if any(c in line for c in _PY_ONLY_SPACE):
            return False  # blank to str.strip(), not to polars: the row would stay
    return True


def finish_lazy(lf: pl.LazyFrame, cols: list[str]) -> pl.LazyFrame:
    """Lazy counterpart of :func:`_finish` for regular files: "" → null, empty rows dropped."""
    blank = pl.all_horizontal(col(c).is_null() | (col(c).str.strip_chars() == "") for c in cols)
    # Filtering on a computed column, not on the expression: polars pushes a predicate
    # that names n columns down into the scan in O(n²) (1,000 columns: 11 s, 2 GB).
    return (
        lf.with_columns(blank.alias(_BLANK))
        .filter(~pl.col(_BLANK))
        .select(
            pl.col(ROW).cast(pl.Int64),
            *(pl.when(col(c) != "").then(col(c)).alias(c) for c in cols),
        )
    )


# ---------------------------------------------------------------------------------
# Excel
# ---------------------------------------------------------------------------------


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _read_excel(path: Path, sheet: str | None, limits: Limits) -> RawTable:
    import fastexcel

    try:
        reader = fastexcel.read_excel(path)
        names = list(reader.sheet_names)
    except unreadable() as exc:
        raise IntakeError("bad_excel", path, f"{type(exc).__name__}: {exc}") from exc
    if not names:
        raise IntakeError("bad_excel", path, "没有工作表")
    book = workbook.inspect(path)
    target = _choose_sheet(path, reader, names, book, sheet)
    info = book.get(target) if book is not None else None
    if info is not None and info.size > limits.max_sheet_bytes:
        found = (f"解压后 {info.size} 字节", f"{info.size} bytes uncompressed")
        raise exceeded("sheet_too_large", path, "max_sheet_bytes", found, limits, target)
    try:
        loaded = reader.load_sheet(
            target, header_row=None, skip_rows=0, dtypes="string", n_rows=limits.max_sheet_rows
        )
        raw = loaded.to_polars()
        absolute = [c.absolute_index for c in loaded.selected_columns]
        total = loaded.total_height
    except unreadable() as exc:
        raise IntakeError("bad_excel", path, f"{type(exc).__name__}: {exc}") from exc
    if total > limits.max_sheet_rows:
        found = (f"共 {total} 行", f"{total} rows")
        raise exceeded("sheet_too_large", path, "max_sheet_rows", found, limits, target)
    _check_width(path, raw.width, limits)
    pos = [f"c{j}" for j in range(raw.width)]
    raw = raw.rename(dict(zip(raw.columns, pos, strict=True)))
    # row i of the sheet (0-based, skip_rows=0 keeps leading empty rows) is Excel row i+1
    raw = raw.with_row_index(ROW, offset=1).with_columns(
        pl.col(ROW).cast(pl.Int64), *(_excel_dates(pl.col(c)).alias(c) for c in pos)
    )
    if info is not None and info.part is not None:
        raw = _with_error_cells(raw, path, info.part, absolute)
    return _excel_table(path, raw, target, absolute)


def _choose_sheet(
    path: Path, reader: Any, names: list[str], book: workbook.Book | None, sheet: str | None
) -> str:
    """The sheet asked for, else the one a person sees on opening the file: the
    active sheet, or the first visible one. Hidden sheets are read only by name."""
    if sheet is not None:
        if sheet not in names:
            from matcher.intake.headers import suggest

            hint = suggest(sheet, names)
            detail = "可用的工作表：" + "、".join(names)
            if hint is not None:
                detail += f"；是不是「{hint}」？"
            raise IntakeError("sheet_not_found", path, detail, value=sheet)
        return sheet
    if book is not None and book.sheets:
        chosen = book.default_sheet()
        if chosen is not None and chosen.name in names:
            return chosen.name
        if chosen is None:
            raise IntakeError("no_visible_sheet", path, "可用的工作表：" + "、".join(names))
    # xls/ods: fastexcel knows visibility but not which sheet is active
    for name in names:
        if reader.load_sheet(name, header_row=None, n_rows=0).visible == "visible":
            return name
    raise IntakeError("no_visible_sheet", path, "可用的工作表：" + "、".join(names))


def _excel_dates(c: pl.Expr) -> pl.Expr:
    """Dates without a time of day as ISO dates; serial 0 (and times of day, which
    are serial fractions) as Excel shows serial 0, 1900-01-00, which no date parser
    accepts, instead of fastexcel's 1899-12-31 that would pass for a date."""
    return c.str.replace(r"^1899-12-3[01]", "1900-01-00").str.replace(
        r"^([0-9]{4}-[0-9]{2}-[0-9]{2}) 00:00:00$", "$1"
    )


def _with_error_cells(
    raw: pl.DataFrame, path: Path, part: str, absolute: list[int]
) -> pl.DataFrame:
    """Formula-error cells (#DIV/0!…) with their text, where fastexcel left them empty,
    so that they are reported like any other bad cell."""
    letters = {_column_letter(a): j for j, a in enumerate(absolute)}
    found: dict[int, list[tuple[int, str]]] = {}
    try:
        for row, letter, text in workbook.error_cells(path, part):
            if letter in letters and 1 <= row <= raw.height:
                found.setdefault(letters[letter], []).append((row, text))
    except unreadable() as exc:  # the sheet itself was read: its error cells stay empty
        raise IntakeError("bad_excel", path, f"{type(exc).__name__}: {exc}") from exc
    for j, cells in found.items():
        errs = pl.DataFrame(
            {ROW: [r for r, _ in cells], "__e": [t for _, t in cells]},
            schema={ROW: pl.Int64, "__e": pl.String},
        ).unique(ROW, keep="first")
        name = f"c{j}"
        raw = (
            raw.join(errs, on=ROW, how="left", maintain_order="left")
            .with_columns(pl.coalesce(pl.col(name), pl.col("__e")).alias(name))
            .drop("__e")
        )
    return raw


def _excel_table(path: Path, raw: pl.DataFrame, target: str, absolute: list[int]) -> RawTable:
    pos = [f"c{j}" for j in range(len(absolute))]
    problems: list[RawProblem] = []
    top = raw.head(HEADER_SEARCH_ROWS)
    top_rows = [list(r) for r in top.select(pos).rows()]
    h = _find_header(top_rows)
    if h is None:
        if raw.height == 0 or not pos:
            raise IntakeError("no_header", path, f"工作表「{target}」是空的")
        raise IntakeError("no_header", path)
    header_row = int(top.get_column(ROW)[h])
    skipped = sum(1 for r in top_rows[:h] if _nonempty(r))
    if skipped:
        problems.append(RawProblem(None, "rows_before_header", str(skipped)))
    labels = [_column_letter(a) for a in absolute]
    header: list[Any] = top_rows[h]
    if h + 1 < len(top_rows) and _sub_header(header, top_rows[h + 1]):
        header = join_header(header, top_rows[h + 1])
        h += 1
    data = raw.slice(h + 1)
    frame = _finish(data, header, labels, header_row, problems)
    return RawTable(frame, None, None, problems, "excel", target, header_row)


def _check_width(path: Path, width: int, limits: Limits) -> None:
    if width > limits.max_columns:
        found = (f"共 {width} 列", f"{width} columns")
        raise exceeded("too_many_columns", path, "max_columns", found, limits)


# ---------------------------------------------------------------------------------
# Parquet and JSON Lines
# ---------------------------------------------------------------------------------


def render_text(c: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Render a typed expression as text the way the Excel reader does."""
    if dtype == pl.String:
        return c
    if dtype.is_float():
        whole = c.is_finite() & (c == c.round(0)) & (c.abs() < 1e15)
        # NaN and ±inf are rendered, so that a numeric field reports them as bad cells
        return (
            pl.when(c.is_nan())
            .then(pl.lit("NaN"))
            .when(whole)
            .then(c.cast(pl.Int64, strict=False).cast(pl.String))
            .otherwise(c.cast(pl.String))
        )
    if dtype == pl.Boolean:
        return pl.when(c).then(pl.lit("true")).when(~c).then(pl.lit("false"))
    if dtype == pl.Date:
        return c.dt.to_string("%Y-%m-%d")
    if isinstance(dtype, pl.Datetime):
        return (
            pl.when(c.dt.time() == pl.time(0))
            .then(c.dt.to_string("%Y-%m-%d"))
            .otherwise(c.dt.to_string("%Y-%m-%d %H:%M:%S"))
        )
    if isinstance(dtype, pl.List | pl.Array):
        # an empty list is rendered "无" (none), which LIST fields parse back to []
        inner = dtype.inner
        assert inner is not None
        if isinstance(inner, type):
            inner = inner()
        items = c.cast(pl.List(inner)) if isinstance(dtype, pl.Array) else c
        joined = items.list.eval(render_text(pl.element(), inner)).list.join(";")
        return pl.when(items.list.len() == 0).then(pl.lit("无")).otherwise(joined)
    if isinstance(dtype, pl.Struct):
        return c.struct.json_encode()
    if dtype == pl.Binary:
        # polars refuses the whole column when one value is not UTF-8: decoded here
        return c.map_batches(_decode_binary, return_dtype=pl.String)
    return c.cast(pl.String, strict=False)


def _decode_binary(values: pl.Series) -> pl.Series:
    """Bytes as text; invalid UTF-8 as U+FFFD and its hex (then reported as
    undecodable), so that one bad value never makes the file unreadable."""

    def one(b: bytes | None) -> str | None:
        if b is None:
            return None
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            return "\ufffd" + b.hex()

    return pl.Series(values.name, [one(b) for b in values.to_list()], dtype=pl.String)


def _as_string(name: str, dtype: pl.DataType) -> pl.Expr:
    return render_text(col(name), dtype).alias(name)


def _read_parquet(path: Path, limits: Limits) -> RawTable:
    problems: list[RawProblem] = []
    try:
        schema = pl.scan_parquet(path).collect_schema()
        _check_width(path, len(schema), limits)
        try:
            df = pl.read_parquet(path)
        except pl.exceptions.ComputeError:
            bad, found = _undecodable(path)
            if not bad:
                raise
            problems.extend(found)
            df = (
                pl.scan_parquet(path)
                .select(pl.lit(None, pl.String).alias(n) if n in bad else col(n) for n in schema)
                .collect()
            )
            df = df.with_columns(v for v in bad.values() if v is not None)
    except IntakeError:
        raise
    except unreadable() as exc:
        raise IntakeError("bad_parquet", path, f"{type(exc).__name__}: {exc}") from exc
    n = df.width
    cols = df.columns
    data = df.select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + 2).alias(ROW),
        *(
            _as_string(name, dtype).alias(f"c{j}")
            for j, (name, dtype) in enumerate(df.schema.items())
        ),
    )
    frame = _finish(data, list(cols), [str(j + 1) for j in range(n)], 1, problems)
    return RawTable(frame, None, None, problems, "parquet", None, 1)


def _json_record(
    text: str, line: int, limits: Limits, problems: list[RawProblem]
) -> dict[str, Any] | None:
    """One JSON Lines record, or None with the line's problem noted: one bad line
    never hides the others."""
    try:
        obj = json.loads(text)
    except RecursionError:  # nested thousands deep: the parser gives up, not the file
        problems.append(RawProblem(line, "json_too_deep", str(limits.max_depth)))
        return None
    except ValueError as exc:
        problems.append(RawProblem(line, "bad_json_line", str(exc)))
        return None
    if not isinstance(obj, dict):
        problems.append(RawProblem(line, "json_not_object", type(obj).__name__))
        return None
    if nesting_depth(obj, limits.max_depth) > limits.max_depth:
        problems.append(RawProblem(line, "json_too_deep", str(limits.max_depth)))
        return None
    return obj


def _read_jsonl(path: Path, head: bytes, limits: Limits) -> RawTable:
    encoding = detect_encoding(path, head)
    problems: list[RawProblem] = []
    keys: dict[str, int] = {}
    chunks: list[pl.DataFrame] = []
    rows: list[dict[str, str | None]] = []
    rownums: list[int] = []

    def flush() -> None:
        if rows:
            schema = {ROW: pl.Int64, **{k: pl.String for k in keys}}
            chunk = pl.DataFrame(
                [{ROW: r, **row} for r, row in zip(rownums, rows, strict=True)], schema=schema
            )
            chunks.append(chunk)
            rows.clear()
            rownums.clear()

    with path.open(encoding=encoding, errors="replace", newline=None) as fh:
        for line_number, line in enumerate(fh, start=1):
            text = line.strip()
            if not text:
                continue
            obj = _json_record(text, line_number, limits, problems)
            if obj is None:
                continue
            row: dict[str, str | None] = {}
            for k, v in obj.items():
                key = str(k)
                keys.setdefault(key, len(keys))
                row[key] = (
                    json.dumps(v, ensure_ascii=False) if isinstance(v, dict) else cell_to_str(v)
                )
            _check_width(path, len(keys), limits)
            rows.append(row)
            rownums.append(line_number)
            if len(rows) >= CHUNK_ROWS:
                flush()
    flush()
    names = list(keys)
    schema = {ROW: pl.Int64, **{k: pl.String for k in names}}
    if chunks:
        data = pl.concat(chunks, how="diagonal").select(ROW, *names)
    else:
        data = pl.DataFrame(schema=schema)
    if not names and not problems:
        raise IntakeError("bad_json", path, "没有任何 JSON 对象")
    positional = data.select(pl.col(ROW), *(col(k).alias(f"c{j}") for j, k in enumerate(names)))
    frame = _finish(positional, list(names), [str(j + 1) for j in range(len(names))], 1, problems)
    return RawTable(frame, encoding, None, problems, "jsonl", None, None)


# ---------------------------------------------------------------------------------
# Rows that are not enterprises: totals and footnotes
# ---------------------------------------------------------------------------------


@record
class SkippedRows:
    """Rows recognised as totals (合计…) or footnotes (填表人…), left out of the firms."""

    totals: list[int] = dc_field(default_factory=list)
    notes: list[int] = dc_field(default_factory=list)

    def __len__(self) -> int:
        return len(self.totals) + len(self.notes)

    def merged(self, other: SkippedRows) -> SkippedRows:
        return SkippedRows(self.totals + other.totals, self.notes + other.notes)

    def message(self, lang: str = "zh") -> str:
        def rows(nums: list[int]) -> str:
            shown = nums[:10]
            more = "…" if len(nums) > 10 else ""
            return (
                "、".join(f"第{n}行" for n in shown) if lang != "en" else ", ".join(map(str, shown))
            ) + more

        if lang == "en":
            parts = [f"totals {len(self.totals)} (rows {rows(self.totals)})"] if self.totals else []
            if self.notes:
                parts.append(f"footnotes {len(self.notes)} (rows {rows(self.notes)})")
            return f"skipped {len(self)} rows that are not enterprises: " + "; ".join(parts)
        parts = [f"合计行 {len(self.totals)}（{rows(self.totals)}）"] if self.totals else []
        if self.notes:
            parts.append(f"表尾注释 {len(self.notes)}（{rows(self.notes)}）")
        return f"跳过 {len(self)} 行非企业数据：" + "；".join(parts)


def _marked(frame: pl.DataFrame, text: list[pl.Expr]) -> pl.DataFrame:
    """ROW, t (a totals row), n (a footnote row) for the rows whose first filled cell is
    among ``text`` (every cell when a row's first cell can be blank)."""
    first = (
        pl.coalesce(pl.when(t.str.strip_chars() != "").then(t) for t in text)
        .str.replace_all(r"\s+", "")
        .str.to_lowercase()
    )
    total = first.str.contains(_TOTAL_RE).fill_null(False)
    starts_note = first.str.contains(_NOTE_RE).fill_null(False)
    flags = frame.select(total.alias("t"), starts_note.alias("sn"))
    # The filled cells are counted only on the few rows that start like a footnote.
    cells = [col(c).cast(pl.String) for c in frame.columns if c != ROW]
    filled = pl.sum_horizontal(t.is_not_null() & (t.str.strip_chars() != "") for t in cells)
    candidates = frame.filter(flags.get_column("t") | flags.get_column("sn"))
    return candidates.select(
        pl.col(ROW), total.alias("t"), (starts_note & (filled <= 2) & ~total).alias("n")
    )


def split_non_data(frame: pl.DataFrame) -> tuple[pl.DataFrame, SkippedRows]:
    """``frame`` without its totals and footnote rows, and which rows they were.

    A totals row has 合计/总计/小计… as its first filled cell; a footnote row starts
    with 填表人, 填表日期, 注：, 说明：… and fills at most two cells.
    """
    cells = [c for c in frame.columns if c != ROW]
    if not cells or frame.is_empty():
        return frame, SkippedRows()
    text = [col(c).cast(pl.String) for c in cells]
    # Nearly every row has its first cell filled, and then that cell is the first filled
    # one: the other cells are looked at only on the rows where it is blank.
    head = (text[0].str.strip_chars() != "").fill_null(False)
    # Of those, only a cell whose first character starts some totals or footnote word
    # can be one: the rest skip the squeezing and the two patterns.
    lead = text[0].str.strip_chars_start().str.slice(0, 1).str.to_lowercase().str.slice(0, 1)
    flags = frame.select(head.alias("h"), lead.is_in(_first_chars()).fill_null(False).alias("m"))
    has_head = flags.get_column("h")
    marked = pl.concat(
        [
            _marked(frame.filter(has_head & flags.get_column("m")), text[:1]),
            _marked(frame.filter(~has_head), text),
        ]
    ).sort(ROW, maintain_order=True)  # rows are numbered in reading order
    totals = marked.filter(pl.col("t")).get_column(ROW).to_list()
    notes = marked.filter(pl.col("n")).get_column(ROW).to_list()
    if not totals and not notes:
        return frame, SkippedRows()
    drop = pl.col(ROW).is_in([*totals, *notes])
    return frame.filter(~drop), SkippedRows(totals, notes)
