"""Source texts as the authoring tools read them: normalised for quote checks, found by
hash, split into the newsletter's articles. Shared by lint and coverage (neither imports
the other)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from matcher.records import record

# ---------------------------------------------------------------------------- source text

_TERMINAL = "。；！？：;!?:"
# A character repeated across a blank-line break is a PDF page-break repeat ("疫情\n\n情防控").
# Only letters and digits, only across a blank line: doubled characters inside a line
# ("常常", "一一") and punctuation at paragraph ends are never touched.
_BREAK_REPEAT = re.compile(r"(?P<c>[^\W_])[ \t\u3000]*\n[ \t\u3000]*\n\s*(?P=c)")
_WS = re.compile(r"\s+")


def collapse_page_breaks(text: str) -> str:
    """Collapse the character the PDF repeats across a page break, keep the break itself."""
    return _BREAK_REPEAT.sub(lambda m: m.group("c") + "\n\n", text)


def normalise(text: str) -> str:
    """NFKC, page-break repeats collapsed, all whitespace removed."""
    return _WS.sub("", collapse_page_breaks(unicodedata.normalize("NFKC", text)))


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def find_sources(sources_dir: Path | None) -> dict[str, Path]:
    """SHA-256 of each file's bytes → file, for every regular file in ``sources_dir``."""
    if sources_dir is None or not sources_dir.is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in sorted(sources_dir.iterdir()):
        if path.is_file():
            found[hashlib.sha256(path.read_bytes()).hexdigest()] = path
    return found


# ---------------------------------------------------------------------------- articles


@record
class Article:
    number: int
    title: str  # as listed in 本期要目
    text: str  # the body, from its heading up to the next article


_TOC_MARK = "本期要目"
_TOC_ITEM = re.compile(r"^\s*-?\s*(\d+)[、.．]\s*(.+?)\s*(?:[（(]\s*来源[:：].*)?$")
_SOURCE_LINE = re.compile(r"^\s*[（(]?\s*来源\s*[:：]")
_KEY_DROP = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    """Comparison key for titles: NFKC, letters and digits only."""
    return _KEY_DROP.sub("", unicodedata.normalize("NFKC", text))


def parse_toc(text: str) -> list[tuple[int, str]]:
    """The numbered titles of 本期要目; a title may continue on the next line."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if _TOC_MARK in line)
    except StopIteration:
        return []
    items: list[tuple[int, str]] = []
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if not stripped:
            continue
        m = _TOC_ITEM.match(stripped)
        if m and stripped.lstrip("- ").startswith(m.group(1)):
            items.append((int(m.group(1)), m.group(2).strip()))
        elif _SOURCE_LINE.match(stripped):
            continue
        elif items:
            break  # the first line after the list ends it
    return items


def split_articles(text: str) -> list[Article]:
    """Articles located by their 本期要目 titles (compared without punctuation and spaces)."""
    toc = parse_toc(text)
    lines = text.splitlines()
    # Body headings come after the table of contents.
    toc_end = 0
    for i, line in enumerate(lines):
        if _TOC_MARK in line:
            toc_end = i
    for i in range(toc_end + 1, len(lines)):
        if _TOC_ITEM.match(lines[i].strip()) or _SOURCE_LINE.match(lines[i].strip()):
            toc_end = i
        elif lines[i].strip():
            break
    starts: list[tuple[int, int, str]] = []  # (line index, number, title)
    cursor = toc_end + 1
    for number, title in toc:
        key = _key(title)
        for i in range(cursor, len(lines)):
            if lines[i].strip() and _key(lines[i]) == key:
                starts.append((i, number, title))
                cursor = i + 1
                break
    articles: list[Article] = []
    for k, (i, number, title) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else _last_article_end(lines, i)
        articles.append(Article(number, title, "\n".join(lines[i:end])))
    return articles


def _last_article_end(lines: list[str], start: int) -> int:
    """The last article ends at its 来源 line (the newsletter's back matter follows)."""
    for j in range(start + 1, len(lines)):
        if _SOURCE_LINE.match(lines[j].strip()):
            return j + 1
    return len(lines)
