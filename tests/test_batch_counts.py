"""Fast paths of the batch that must equal the plain polars computation they replace."""

from __future__ import annotations

import random
from collections import Counter

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.batch import Evaluator, _counted_pairs


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 48),
            st.integers(0, 4),
            st.one_of(st.none(), st.sampled_from([0.0, 1500.0, 3000.0, 1e9, 2.5, -0.0])),
        ),
        max_size=80,
    )
)
def test_counts_by_bins_equal_the_group_by(rows: list[tuple[int, int, float | None]]) -> None:
    """Counts per (rule, status) by numpy bins: the same pairs, counts and sums as the
    group-by, or no fast path at all (a fractional amount)."""
    long = pl.DataFrame(
        {
            "__rule": [r[0] for r in rows],
            "__status": [r[1] for r in rows],
            "amount_yuan": [r[2] for r in rows],
        },
        schema={"__rule": pl.UInt16, "__status": pl.UInt8, "amount_yuan": pl.Float64},
    )
    expected = long.group_by("__rule", "__status").agg(
        pl.len().alias("n"), pl.col("amount_yuan").sum().alias("amount")
    )
    fast = _counted_pairs(long)
    if any(r[2] is not None and r[2] != int(r[2]) for r in rows):
        assert fast is None
        return
    assert fast is not None
    key = ["__rule", "__status"]
    assert fast.schema == expected.schema
    assert fast.sort(key).equals(expected.sort(key))
    assert Evaluator.counts(long).sort(key).equals(expected.sort(key))


def test_province_counts_of_a_series_equal_row_by_row() -> None:
    """Counted per distinct code, provinces still enter in row order (most_common's ties)."""
    from matcher.reference.regions import _table, province_counts

    codes = list(_table())[:300]
    rng = random.Random(3)
    rows = [rng.choice([*codes, None, "not-a-code"]) for _ in range(5_000)]
    got = province_counts(pl.Series(rows, dtype=pl.String))
    expected = province_counts(iter(rows))
    assert isinstance(got, Counter)
    assert got == expected
    assert list(got) == list(expected)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 9),  # enterprise
            st.integers(0, 10_000),  # which missing-fields code (modulo the usable ones)
            st.integers(1, 3),  # open items of the result
            st.sampled_from([0.0, 1500.0, 3000.0, 1e9]),  # money at stake
        ),
        max_size=60,
    )
)
def test_ask_first_by_bins_equals_the_group_by(rows: list[tuple[int, int, int, float]]) -> None:
    """CodedAskFirst._counted (numpy bins, one packed sort) gives the ask-first texts and
    collection plan of _grouped (explode, group-by), ties included."""
    import datetime as dt

    import numpy as np

    from matcher.evaluate.questions_frame import merge_plans
    from matcher.loader import load_rules

    ask = _ask_first_evaluator(load_rules().rules, dt.date(2022, 7, 1)).ask
    usable = np.flatnonzero(~ask.item_unknown & (ask.item_length > 0))
    undecided = pl.DataFrame(
        {
            "__i": list(range(len(rows))),
            "__pos": [r[0] for r in rows],
            "__missing": [int(usable[r[1] % usable.size]) for r in rows],
            "__n": [r[2] for r in rows],
            "__money": [r[3] for r in rows],
        },
        schema={
            "__i": pl.UInt32,
            "__pos": pl.UInt32,
            "__missing": pl.UInt32,
            "__n": pl.UInt32,
            "__money": pl.Float64,
        },
    )
    got_plans: list[pl.DataFrame] = []
    expected_plans: list[pl.DataFrame] = []
    got = ask._counted(undecided, "__pos", 10, got_plans)
    expected = ask._grouped(undecided, "__pos", 10, expected_plans)
    assert got is not None
    assert got.to_list() == expected.to_list()
    assert merge_plans(got_plans).equals(merge_plans(expected_plans))


_EVALUATORS: dict[object, Evaluator] = {}


def _ask_first_evaluator(rules: object, day: object) -> Evaluator:
    from matcher.batch import RESULT_COLUMNS

    if "ev" not in _EVALUATORS:
        _EVALUATORS["ev"] = Evaluator(rules, day, "zh", RESULT_COLUMNS, ask_first=True)  # type: ignore[arg-type]
    return _EVALUATORS["ev"]


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    enterprises=st.integers(1, 6),
    kept=st.sets(st.sampled_from(["eligible", "unknown", "ineligible", "expired"]), min_size=1),
)
def test_ranking_only_the_kept_rows_equals_ranking_all(
    data: st.DataObject, enterprises: int, kept: set[str]
) -> None:
    """Evaluator._ranked_kept (sort the --only rows, rank by counts per status) gives the
    rows, ranks, ask-first texts, plans and counts of _ranked_all (sort every row, then
    filter), with random statuses and tied or missing amounts."""
    import datetime as dt

    import numpy as np

    from matcher.batch import POS, STATUS_ORDER
    from matcher.evaluate.questions_frame import merge_plans
    from matcher.loader import load_rules

    ev = _ask_first_evaluator(load_rules().rules, dt.date(2022, 7, 1))
    n = len(ev.ordered)
    usable = np.flatnonzero(~ev.ask.item_unknown & (ev.ask.item_length > 0))
    cells = enterprises * n
    statuses = data.draw(st.lists(st.integers(0, 4), min_size=cells, max_size=cells))
    amounts = data.draw(
        st.lists(
            st.one_of(st.none(), st.sampled_from([0.0, 1500.0, 3000.0, 1e9])),
            min_size=cells,
            max_size=cells,
        )
    )
    missing = data.draw(st.lists(st.integers(0, 10_000), min_size=cells, max_size=cells))
    long = pl.DataFrame(
        {  # rule-major, as the unpivot gives it
            POS: [p for _ in range(n) for p in range(enterprises)],
            "__rule": [r for r in range(n) for _ in range(enterprises)],
            "__status": statuses,
            "amount_yuan": amounts,
            "__missing": [int(usable[m % usable.size]) for m in missing],
        },
        schema={
            POS: pl.UInt32,
            "__rule": pl.UInt16,
            "__status": pl.UInt8,
            "amount_yuan": pl.Float64,
            "__missing": pl.UInt32,
        },
    )
    long = ev.ask.keys(long, STATUS_ORDER["unknown"])
    plans_all: list[pl.DataFrame] = []
    plans_kept: list[pl.DataFrame] = []
    tallies_all: list[pl.DataFrame] = []
    tallies_kept: list[pl.DataFrame] = []
    ranked, asked = ev._ranked_all(long, n, enterprises, kept, plans_all, tallies_all)
    fast = ev._ranked_kept(long, n, enterprises, kept, plans_kept, tallies_kept)
    assert fast is not None
    got, got_asked = fast
    assert got.select(ranked.columns).equals(ranked)
    assert [s.to_list() for s in got_asked] == [s.to_list() for s in asked]
    assert merge_plans(plans_kept).equals(merge_plans(plans_all))
    key = ["__rule", "__status"]
    assert pl.concat(tallies_kept).sort(key).equals(pl.concat(tallies_all).sort(key))
