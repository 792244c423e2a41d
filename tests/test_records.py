"""matcher.records: internal records stay immutable (checked by mypy) and behave as frozen
dataclasses at run time (equal and hashable by their fields)."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest

from matcher import records
from matcher.evaluate.tree import Leaf
from matcher.intake.headers import HeaderMatch
from matcher.records import record


@record
class _Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = dataclasses.field(default=())


def test_a_record_is_equal_and_hashable_by_its_fields() -> None:
    a, b = _Point(1, 2), _Point(1, 2)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != _Point(1, 3) and {a: "p"}[b] == "p"
    assert repr(a) == "_Point(x=1, y=2, tags=())"
    assert dataclasses.replace(a, y=5) == _Point(1, 5)
    assert dataclasses.astuple(_Point(1)) == (1, 0, ())


def test_the_project_records_are_hashable_dataclasses() -> None:
    for cls in (Leaf, HeaderMatch):
        assert dataclasses.is_dataclass(cls)
        assert cls.__hash__ is not None and cls.__hash__ is not object.__hash__


def test_mypy_refuses_an_assignment_to_a_record_field(tmp_path: Path) -> None:
    api = pytest.importorskip("mypy.api", reason="mypy is in the test extras")
    # the decorator's own source beside the file that uses it: checked the same way whether
    # matcher is a checkout or installed in site-packages
    (tmp_path / "records_under_test.py").write_text(
        Path(records.__file__).read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "empty.toml").write_text("", encoding="utf-8")
    src = tmp_path / "uses_record.py"
    src.write_text(
        textwrap.dedent(
            """
            from records_under_test import record

            @record
            class P:
                x: int

            p = P(1)
            p.x = 2
            ok: int = p.x
            """
        ),
        encoding="utf-8",
    )
    out, err, status = api.run(
        [
            str(src),
            "--config-file",
            str(tmp_path / "empty.toml"),
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--no-error-summary",
        ]
    )
    assert (status, err) == (1, "")
    assert [line.split(": error: ")[1] for line in out.splitlines()] == [
        'Property "x" defined in "P" is read-only  [misc]'
    ]
