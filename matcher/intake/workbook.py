"""What fastexcel does not say about an xlsx workbook, read from its parts.

Which sheet is active (the one a person sees on opening the file), which are
hidden, how large a sheet is once uncompressed (a zip bomb is refused before it
is expanded), and which cells hold formula errors (#DIV/0!, #N/A…), which
fastexcel turns into empty cells. Only the small workbook part is parsed whole;
a sheet part is streamed, and only when its bytes contain an error cell.

The parts are read with the standard library's expat parser, which refuses
entity-expansion bombs (Python ≥ 3.7.1 with expat ≥ 2.4.1).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

from matcher.records import record

__all__ = ["Book", "SheetInfo", "error_cells", "inspect"]

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"([A-Z]+)([0-9]+)")
_ERROR_MARK = b't="e"'
_SCAN_BYTES = 1 << 20
_WORKBOOK_MAX = 16 << 20  # the workbook part lists sheets: megabytes would be hostile


@record
class SheetInfo:
    name: str
    visible: bool
    part: str | None  # its path inside the zip
    size: int  # uncompressed bytes of that part (0 when unknown)


@record
class Book:
    sheets: list[SheetInfo]
    active: int  # index into sheets, as Excel's activeTab

    def default_sheet(self) -> SheetInfo | None:
        """The active sheet when visible, else the first visible one, else None."""
        if 0 <= self.active < len(self.sheets) and self.sheets[self.active].visible:
            return self.sheets[self.active]
        return next((s for s in self.sheets if s.visible), None)

    def get(self, name: str) -> SheetInfo | None:
        return next((s for s in self.sheets if s.name == name), None)


def inspect(path: Path) -> Book | None:
    """The sheets of an xlsx/xlsm workbook, or None when ``path`` is not one
    (xls, ods, or a zip without a readable workbook part)."""
    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("xl/workbook.xml")
            if info.file_size > _WORKBOOK_MAX:
                return None
            root = ET.fromstring(zf.read(info))
            targets = _relationships(zf)
            sizes = {i.filename: i.file_size for i in zf.infolist()}
    except (KeyError, zipfile.BadZipFile, ET.ParseError, OSError):
        return None
    sheets = []
    for el in root.iter(f"{_MAIN}sheet"):
        part = targets.get(el.get(f"{_REL}id", ""))
        sheets.append(
            SheetInfo(
                name=el.get("name", ""),
                visible=el.get("state", "visible") == "visible",
                part=part,
                size=sizes.get(part, 0) if part else 0,
            )
        )
    view = root.find(f"{_MAIN}bookViews/{_MAIN}workbookView")
    active = view.get("activeTab", "0") if view is not None else "0"
    return Book(sheets, int(active) if active.isdigit() else 0)


def _relationships(zf: zipfile.ZipFile) -> dict[str, str]:
    """Relationship id → part path, from the workbook's relationships part."""
    try:
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except KeyError:
        return {}
    out = {}
    for rel in rels.iter(f"{_PKG}Relationship"):
        target = rel.get("Target", "")
        # targets are relative to xl/, or absolute from the package root
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        out[rel.get("Id", "")] = posixpath.normpath(path)
    return out


def error_cells(path: Path, part: str) -> Iterator[tuple[int, str, str]]:
    """(sheet row, column letters, error text) of every formula-error cell."""
    with zipfile.ZipFile(path) as zf:
        if not _has_error_mark(zf, part):
            return
        with zf.open(part) as fh:
            for _, el in ET.iterparse(fh, events=("end",)):
                if el.tag == f"{_MAIN}c" and el.get("t") == "e":
                    m = _CELL_REF.fullmatch(el.get("r", ""))
                    value = el.findtext(f"{_MAIN}v") or "#N/A"
                    if m is not None:
                        yield int(m.group(2)), m.group(1), value
                if el.tag == f"{_MAIN}row":
                    el.clear()  # keep memory flat on large sheets


def _has_error_mark(zf: zipfile.ZipFile, part: str) -> bool:
    """Whether the part's bytes contain an error cell, scanned without parsing."""
    tail = b""
    with zf.open(part) as fh:
        while block := fh.read(_SCAN_BYTES):
            if _ERROR_MARK in tail + block:
                return True
            tail = block[-len(_ERROR_MARK) :]
    return False
