"""matcher.records: internal records stay immutable (checked by mypy) and behave as frozen
dataclasses at run time (equal and hashable by their fields)."""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


# The same class body as a record and as the dataclass a record must behave like.
def _pair(body: str) -> tuple[type, type]:
    made: list[type] = []
    for decorate in (record, dataclasses.dataclass(unsafe_hash=True)):
        space: dict[str, object] = {"dataclasses": dataclasses}
        exec(textwrap.dedent(body), space)  # the test's own class bodies
        made.append(decorate(space["C"]))  # type: ignore[arg-type]
    return made[0], made[1]


_BODIES = {
    "none": "class C:\n    pass\n",
    "one": "class C:\n    a: int\n",
    "flags": (
        "class C:\n    a: int\n    b: str = 'x'\n"
        "    c: float = dataclasses.field(default=0.0, compare=False)\n"
        "    d: int = dataclasses.field(default=0, repr=False)\n"
        "    e: int = dataclasses.field(default=0, hash=False)\n"
        "    f: int = dataclasses.field(default=0, compare=False, hash=True)\n"
    ),
}


@pytest.mark.parametrize("body", list(_BODIES))
@given(values=st.lists(st.integers(-3, 3), min_size=12, max_size=12))
def test_a_record_compares_hashes_and_prints_as_the_unsafe_hash_dataclass(
    body: str, values: list[int]
) -> None:
    rec, dc = _pair(_BODIES[body])
    n = len(dataclasses.fields(rec))
    left, right = values[:n], values[6 : 6 + n]
    r1, r2, d1, d2 = rec(*left), rec(*right), dc(*left), dc(*right)
    assert (r1 == r2) == (d1 == d2) and (r1 != r2) == (d1 != d2)
    assert (hash(r1) == hash(r2)) == (hash(d1) == hash(d2))
    assert repr(r1).replace("_pair.<locals>.", "") == repr(d1).replace("_pair.<locals>.", "")
    assert r1 != d1 and r1.__eq__(left) is NotImplemented  # another class is never equal


def test_a_record_subclass_compares_its_own_fields() -> None:
    @record
    class Base:
        a: int

    @record
    class Child(Base):
        b: int = 0

    assert Child(1, 2) != Child(1, 3) and Child(1, 2) == Child(1, 2)
    assert Base(1) != Child(1) and repr(Child(1, 2)).endswith("Child(a=1, b=2)")
    assert len({Child(1, 2), Child(1, 2), Base(1)}) == 2


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
