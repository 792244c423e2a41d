"""What to ask first, what would make a rule eligible, and why an undecided rule ranks there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher import api
from matcher.evaluate.questions import (
    ask_first,
    eligible_if,
    rank_reason,
    rules_using_questions,
)
from matcher.evaluate.questions_frame import with_ask_first
from matcher.fields import QUESTIONS, ROW

REPO = Path(__file__).resolve().parents[1]
BLANK = REPO / "profiles" / "examples" / "beijing_hiring_blank.yaml"
DAY = dt.date(2022, 7, 1)
RULES = api.load_ruleset().rules


def _outcomes(path: Path, day: dt.date = DAY) -> tuple[dict[str, object], list]:
    row = api.select_row(api.load_portfolio(path), None)
    return row, api.match_one(row, RULES, day)


def test_first_question_for_a_beijing_firm_without_hiring_numbers_is_the_money() -> None:
    _, outcomes = _outcomes(BLANK)
    asks = ask_first(outcomes)
    assert asks[0].field == "grad_hires_local"
    assert asks[0].money_yuan == 1500
    assert "bj-grad-expansion-subsidy" in asks[0].settles
    assert [a.money_yuan for a in asks] == sorted((a.money_yuan for a in asks), reverse=True)
    assert "in_force" not in {a.field for a in asks}


def test_batch_column_orders_as_the_row_path() -> None:
    portfolio = api.load_portfolio(api.demo_portfolio_path())
    result = api.results(portfolio, RULES, DAY)
    by_row = dict(zip(result.get_column(ROW), result.get_column("ask_first"), strict=True))
    for row in portfolio.frame.to_dicts():
        expected = "；".join(a.label for a in ask_first(api.match_one(row, RULES, DAY))[:3])
        assert by_row[row[ROW]] == expected, row["name"]


def test_rank_note_words_the_same_in_both_paths() -> None:
    portfolio = api.load_portfolio(BLANK)
    result = api.results(portfolio, RULES, DAY)
    row = portfolio.frame.row(0, named=True)
    notes = dict(zip(result.get_column("rule_id"), result.get_column("rank_note"), strict=True))
    for o in api.match_one(row, RULES, DAY):
        assert notes[o.rule.id] == rank_reason(o)
    assert notes["bj-grad-expansion-subsidy"] == "1 个问题待答，至少 1,500 元"


def test_eligible_if_changes_only_actionable_fields() -> None:
    row, outcomes = _outcomes(BLANK)
    by_id = {o.rule.id: o for o in outcomes}
    change = eligible_if(by_id["bj-grad-expansion-subsidy"], row, DAY)
    assert change is not None
    assert change.text == "招用1名本地高校毕业生 → 符合，1,500 元"
    more = {**row, "grad_hires": 2, "grad_hires_local": 0}
    out = api.match_one(more, RULES, DAY)
    expansion = next(o for o in out if o.rule.id == "bj-grad-expansion-subsidy")
    assert expansion.status.value == "ineligible"
    again = eligible_if(expansion, more, DAY)
    assert again is not None and again.text.startswith("招用1名本地高校毕业生")
    # A Shanghai firm cannot move to Beijing: no advice for a regional rule.
    shanghai = {**row, "region_code": "310101", "grad_hires_local": 0}
    sh = next(
        o for o in api.match_one(shanghai, RULES, DAY) if o.rule.id == "bj-grad-expansion-subsidy"
    )
    assert sh.status.value == "ineligible" and eligible_if(sh, shanghai, DAY) is None


def test_every_question_names_the_rules_that_ask_it() -> None:
    used = rules_using_questions(RULES)
    assert set(used) == {q.field for q in QUESTIONS}
    assert used["q_founder_beijing_origin"] == ["bj-grad-flexible-employment-si-subsidy"]
    assert all(used.values())


def test_with_ask_first_on_an_empty_result() -> None:
    empty = pl.DataFrame(
        schema={
            ROW: pl.Int64,
            "rule_id": pl.String,
            "status": pl.String,
            "amount_yuan": pl.Float64,
            "missing": pl.String,
        }
    )
    assert with_ask_first(empty, RULES).columns[-2:] == ["ask_first", "rank_note"]


def test_undecided_rank_by_money_then_fewer_questions_in_both_paths() -> None:
    from matcher.evaluate.questions import potential_amount

    portfolio = api.load_portfolio(api.demo_portfolio_path())
    result = api.results(portfolio, RULES, DAY)
    for row in portfolio.frame.to_dicts():
        outcomes = api.match_one(row, RULES, DAY)
        mine = result.filter(pl.col(ROW) == row[ROW]).sort("rank")
        assert mine.get_column("rule_id").to_list() == [o.rule.id for o in outcomes]
        unknown = [o for o in outcomes if o.status.value == "unknown"]
        keys = [(-potential_amount(o.rule, o.amount_yuan), len(o.missing_fields)) for o in unknown]
        assert keys == sorted(keys)


def test_report_next_steps_golden() -> None:
    import os

    from matcher.evaluate.questions import ask_lines

    row, outcomes = _outcomes(BLANK)
    text = "\n".join(ask_lines(outcomes, row, DAY)) + "\n"
    later = dt.date(2026, 12, 7)
    row2, outcomes2 = _outcomes(BLANK, later)
    text += "\n".join(ask_lines(outcomes2, row2, later)) + "\n"
    golden = REPO / "tests" / "golden" / "next_steps_beijing_hiring_blank.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
    first = text.splitlines()[1]
    assert first.startswith("  1. 请填写「其中本地高校毕业生人数」")


def _generated(rows: int, seed: int) -> pl.DataFrame:
    """A raw portfolio from bench/generate.py (skip when the checkout has no bench/)."""
    import importlib.util
    import sys

    import pytest

    path = REPO / "bench" / "generate.py"
    if not path.exists():
        pytest.skip("bench/generate.py is not in this checkout")
    spec = importlib.util.spec_from_file_location("bench_generate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return (
        module.generate(rows, seed=seed)
        .with_row_index(ROW, offset=2)
        .with_columns(pl.col(ROW).cast(pl.Int64))
    )


def test_batch_ask_first_on_codes_equals_with_ask_first() -> None:
    """The batch folds the re-ordering of undecided results into its rank sort and reads
    the open items from codes (Evaluator(ask_first=True)); it must give exactly what
    with_ask_first gives on the plain result: rows, order, columns and collection plan."""
    from matcher.batch import BRIEF_COLUMNS, RESULT_COLUMNS, Evaluator
    from matcher.evaluate.questions_frame import merge_plans
    from matcher.normalize import normalise

    raw = _generated(3_000, seed=11)
    portfolio = normalise(raw, today=DAY)
    for columns, lang in ((RESULT_COLUMNS, "zh"), (BRIEF_COLUMNS, "en")):
        plain = Evaluator(RULES, DAY, lang, columns)
        folded = Evaluator(RULES, DAY, lang, columns, ask_first=True)
        assert folded.ask is not None
        wide = plain.wide(plain.prepare(portfolio.frame), portfolio.passthrough)
        expected_plans: list[pl.DataFrame] = []
        got_plans: list[pl.DataFrame] = []
        for start in (0, 1_000, 2_000):  # slices, as the batch makes them
            part = wide.slice(start, 1_000)
            base = plain.long(part, portfolio.passthrough, codes=True).collect()
            expected = with_ask_first(base, RULES, lang, expected_plans)
            got = folded.long(part, portfolio.passthrough, codes=True, plans=got_plans)
            assert_frame_equal(got.collect(), expected)
        assert merge_plans(got_plans, lang).equals(merge_plans(expected_plans, lang))
        assert expected.get_column("ask_first").str.len_chars().sum() > 0


def assert_frame_equal(got: pl.DataFrame, expected: pl.DataFrame) -> None:
    from polars.testing import assert_frame_equal as same

    assert got.columns == expected.columns
    same(got, expected, check_dtypes=True)


@pytest.mark.parametrize(
    "only", [("eligible", "unknown"), ("unknown",), ("ineligible",), ("unknown", "ineligible")]
)
def test_only_statuses_before_texts_gives_the_same_report_and_counts(
    only: tuple[str, ...],
) -> None:
    """With ask-first on codes, --only drops results before their texts are built (and
    before ask-first and rank notes are gathered); the report slices and the per-rule
    counts must be those of the plain path, whether the undecided rows are kept or not."""
    from matcher.batch import RESULT_COLUMNS, Evaluator
    from matcher.normalize import normalise

    portfolio = normalise(_generated(2_000, seed=5), today=DAY)
    pieces = {}
    for folded in (False, True):
        ev = Evaluator(RULES, DAY, "zh", RESULT_COLUMNS, ask_first=folded)
        pieces[folded] = list(
            api.report_slices(ev, portfolio, rules=RULES, statuses=only, eval_rows=700)
        )
    assert len(pieces[True]) == len(pieces[False]) == 3
    for plain, fast in zip(pieces[False], pieces[True], strict=True):
        assert fast.written == plain.written < plain.enterprises * len(RULES)
        assert_frame_equal(fast.shown.collect(), plain.shown.collect())
        key = ["__rule", "__status"]
        assert fast.counts.sort(key).equals(plain.counts.sort(key))


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 6),  # enterprise
            st.integers(0, 5),  # field
            st.integers(1, 3),  # open items of the result
            st.sampled_from([0.0, 0.5, 1500.0, 3000.0, 1e9]),  # money at stake
        ),
        max_size=60,
    )
)
def test_first_three_fields_by_packed_sort_equal_a_sort_on_the_columns(
    rows: list[tuple[int, int, int, float]],
) -> None:
    """ask_first_frame_items orders each enterprise's fields by one packed arg-sort and
    joins its first three by shifting: the same text as a sort on the columns and a
    group-by, ties (same money, same counts) included."""
    from matcher.evaluate.questions_frame import SEP, ask_first_frame_items

    labels = pl.Enum(["乙", "丙", "甲", "丁", "戊", "己"])
    items = pl.DataFrame(
        {
            ROW: [r[0] for r in rows],
            "field": [labels.categories[r[1]] for r in rows],
            "__n": [r[2] for r in rows],
            "__money": [r[3] for r in rows],
        },
        schema={ROW: pl.UInt32, "field": labels, "__n": pl.UInt32, "__money": pl.Float64},
    )
    expected = (
        items.group_by(ROW, "field")
        .agg(
            pl.col("__money").sum().alias("money"),
            (pl.col("__n") == 1).sum().alias("settles"),
            pl.len().alias("rules"),
        )
        .sort(
            [ROW, "money", "settles", "rules", "field"], descending=[False, True, True, True, False]
        )
        .group_by(ROW, maintain_order=True)
        .head(3)
        .group_by(ROW, maintain_order=True)
        .agg(pl.col("field").cast(pl.String).str.join(SEP).alias("ask_first"))
    )
    got = ask_first_frame_items(items.lazy())
    assert got.rows() == expected.rows()
