"""drop_duplicates, found per frame (first row of each key, one set intersection with
``seen``), equals the row-by-row scan it replaced: the frame kept, the duplicates
reported (rows, ids, fields that differ) and ``seen`` with its insertion order."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.fields import PROFILE_FIELDS, ROW
from matcher.intake.duplicates import Duplicate, SeenFirms, drop_duplicates, duplicate_key

_KEY = "__dup_key"


def _row_by_row(
    frame: pl.DataFrame, seen: dict[str, tuple[int, str | None]]
) -> tuple[pl.DataFrame, list[Duplicate]]:
    """The implementation before the per-frame one, kept as the reference."""
    if frame.is_empty() or "name" not in frame.columns:
        return frame, []
    keyed = frame.with_columns(duplicate_key(frame).alias(_KEY))
    fields = [s.name for s in PROFILE_FIELDS if s.name in frame.columns and s.name != "id"]
    keys = keyed.get_column(_KEY).to_list()
    rows = keyed.get_column(ROW).to_list()
    ids = keyed.get_column("id").to_list() if "id" in keyed.columns else [None] * len(rows)
    here: dict[str, int] = {}
    repeated: list[int] = []
    for i, key in enumerate(keys):
        if key is None:
            continue
        if key in seen:
            repeated.append(i)
        else:
            seen[key] = (rows[i], ids[i])
            here[key] = i
    dups: list[Duplicate] = []
    for i in repeated:
        key = keys[i]
        j = here.get(key)
        differs = None
        if j is not None:
            a, b = keyed.row(j, named=True), keyed.row(i, named=True)
            differs = tuple(f for f in fields if a[f] != b[f])
        by, _, text = key.partition(":")
        row0, id0 = seen[key]
        dups.append(Duplicate(text, by, row0, rows[i], id0, ids[i], differs))
    if not dups:
        return frame, []
    return frame.filter(~pl.col(ROW).is_in([d.row for d in dups])), dups


CODES = ["9144028285938021M2", "9144028285938021m2", " 91110101517953 22HX", "", "  ", None]
NAMES = ["甲公司", "甲 公司", "乙公司", "", None, " 丙公司 "]

row = st.tuples(
    st.sampled_from(CODES),
    st.sampled_from(NAMES),
    st.sampled_from(["1", "2", None]),  # employees, to differ or not
    st.sampled_from(["a", "b", None]),  # id
)


def _frame(rows: list[tuple[str | None, ...]], start: int, with_id: bool) -> pl.DataFrame:
    data: dict[str, list[object]] = {
        ROW: list(range(start, start + len(rows))),
        "credit_code": [r[0] for r in rows],
        "name": [r[1] for r in rows],
        "employees": [r[2] for r in rows],
    }
    schema: dict[str, pl.DataType] = {
        ROW: pl.Int64(),
        "credit_code": pl.String(),
        "name": pl.String(),
        "employees": pl.String(),
    }
    if with_id:
        data["id"] = [r[3] for r in rows]
        schema["id"] = pl.String()
    return pl.DataFrame(data, schema=schema)


def _entries(seen: SeenFirms | dict[str, tuple[int, str | None]]) -> list[object]:
    if isinstance(seen, dict):
        return list(seen.items())
    if not seen._tables:
        return []
    table = pl.concat(seen._tables)
    rows = zip(table.get_column("row").to_list(), table.get_column("id").to_list(), strict=True)
    return list(zip(table.get_column("key").to_list(), rows, strict=True))


@settings(max_examples=200, deadline=None)
@given(
    chunks=st.lists(st.lists(row, max_size=12), min_size=1, max_size=4),
    with_id=st.booleans(),
    firms=st.booleans(),
    elsewhere=st.dictionaries(
        st.sampled_from(["credit_code:9144028285938021M2", "name:甲公司", "name:丁公司"]),
        st.tuples(st.integers(0, 1), st.sampled_from(["x", None])),
    ),
)
def test_per_frame_equals_row_by_row(
    chunks: list[list[tuple[str | None, ...]]],
    with_id: bool,
    firms: bool,
    elsewhere: dict[str, tuple[int, str | None]],
) -> None:
    seen_a: SeenFirms | dict[str, tuple[int, str | None]] = SeenFirms() if firms else {}
    seen_b: dict[str, tuple[int, str | None]] = {}
    seen_a.update(elsewhere)  # as pipeline/spark.py does, firms of other partitions
    seen_b.update(elsewhere)
    start = 2
    for rows in chunks:
        frame = _frame(rows, start, with_id)
        start += len(rows)
        kept_a, dups_a = drop_duplicates(frame, seen_a)
        kept_b, dups_b = _row_by_row(frame, seen_b)
        assert kept_a.equals(kept_b)
        assert dups_a == dups_b
        assert _entries(seen_a) == _entries(seen_b)


def _key_before(frame: pl.DataFrame) -> pl.Expr:
    """duplicate_key as first written (every cell rewritten, a when/then), the reference."""

    def clean(name: str) -> pl.Expr:
        if name not in frame.columns:
            return pl.lit(None, dtype=pl.String)
        c = pl.col(name).cast(pl.String).str.replace_all(r"\s+", "")
        return pl.when(c != "").then(c)

    code = clean("credit_code").str.to_uppercase()
    return (
        pl.when(code.is_not_null())
        .then(pl.lit("credit_code:") + code)
        .otherwise(pl.lit("name:") + clean("name"))
    )


cell = st.none() | st.text(alphabet=st.sampled_from("aB9甲 \t\u3000\n\xa0"), max_size=6)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(st.tuples(cell, cell), max_size=20), columns=st.sampled_from([0, 1, 2]))
def test_duplicate_key_equals_first_form(
    cells: list[tuple[str | None, str | None]], columns: int
) -> None:
    frame = pl.DataFrame(
        {"credit_code": [c for c, _ in cells], "name": [n for _, n in cells]},
        schema={"credit_code": pl.String, "name": pl.String},
    )
    if columns == 1:
        frame = frame.drop("credit_code")
    elif columns == 2:
        frame = frame.drop("name")
    got = frame.select(duplicate_key(frame).alias("k")).to_series()
    want = frame.select(_key_before(frame).alias("k")).to_series()
    assert got.equals(want)
