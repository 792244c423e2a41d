"""Error catalogue of the intake layer: every code used has wording in both languages,
and the wording itself is a golden file (tests/data/intake/messages.golden.txt,
regenerate with UPDATE_GOLDEN=1 and review the diff)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from matcher.intake.errors import ERROR_MESSAGES, IntakeError, message

ROOT = Path(__file__).resolve().parents[1]
INTAKE = ROOT / "matcher" / "intake"
GOLDEN = Path(__file__).parent / "data" / "intake" / "messages.golden.txt"

# Every way the intake modules name a code in their source.
CODE_PATTERNS = [
    r'ValueParseError\(\s*"(\w+)"',
    r'IntakeError\(\s*"(\w+)"',
    r'RawProblem\([^,()]+(?:\([^()]*\))?,\s*"(\w+)"',
    r'HeaderMappingError\(\s*"(\w+)"',
    r'return "(bad_\w+)"',
]
# The vectorised parsers name their error codes as polars literals.
LITERAL_PATTERN = r'pl\.lit\("(\w+)"\)'


def used_codes() -> set[str]:
    found: set[str] = set()
    for name in ("values.py", "credit_code.py", "readers.py", "headers.py"):
        source = (INTAKE / name).read_text(encoding="utf-8")
        for pattern in CODE_PATTERNS:
            found.update(re.findall(pattern, source))
        if name in ("values.py", "credit_code.py"):
            found.update(re.findall(LITERAL_PATTERN, source))
    return found


def test_every_used_code_has_messages() -> None:
    used = used_codes()
    assert {"not_integer", "ragged_row", "file_not_found", "bad_credit_code_check"} <= used
    assert used <= set(ERROR_MESSAGES), sorted(used - set(ERROR_MESSAGES))


def test_templates_have_one_value_placeholder() -> None:
    for code, (zh, en) in ERROR_MESSAGES.items():
        for template in (zh, en):
            assert template.count("{value}") == 1, code
            assert template.format(value="X")  # no other placeholders


def test_message() -> None:
    assert message("not_integer", "abc") == "「abc」不是整数"
    assert message("not_integer", "abc", "en") == "'abc' is not an integer"
    assert message("no_such_code", "x") == "no_such_code: x"


def test_intake_error() -> None:
    err = IntakeError("binary_file", Path("a.csv"), "含有 NUL 字节")
    assert err.code == "binary_file" and err.path == Path("a.csv")
    assert str(err).startswith("文件「a.csv」不是表格") and str(err).endswith("：含有 NUL 字节")
    assert err.message("en").endswith(": 含有 NUL 字节")
    sheet = IntakeError("sheet_not_found", Path("a.xlsx"), value="Sheet9")
    assert str(sheet) == "找不到工作表「Sheet9」"


def render_all() -> str:
    lines = []
    for code in sorted(ERROR_MESSAGES):
        lines.append(f"{code}")
        lines.append(f"  zh: {message(code, '值', 'zh')}")
        lines.append(f"  en: {message(code, 'value', 'en')}")
    return "\n".join(lines) + "\n"


def test_messages_golden() -> None:
    text = render_all()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8"), f"differs from {GOLDEN}"
