"""Benefits that cannot be stacked: the best combination per enterprise, the others marked,
totals never adding what is left out; both evaluators agree."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_evaluators import AS_OF, cond, frame_of, make_rule

from matcher.batch import evaluate_frame, match_row
from matcher.fields import ROW
from matcher.loader import load_rules
from matcher.rule import Rule

PATTERNS = Path(__file__).parent / "data" / "patterns"


def _pair() -> list[Rule]:
    ids = {"pat-absorb-employment", "pat-expansion"}
    return [r for r in load_rules([PATTERNS], replace=True).rules if r.id in ids]


def _both(rules: list[Rule], rows: list[dict[str, Any]]) -> tuple[list[Any], pl.DataFrame]:
    frame = frame_of(rows)
    vec = evaluate_frame(frame, rules, AS_OF, "zh").collect()
    return [match_row(r, rules, AS_OF) for r in frame.iter_rows(named=True)], vec


def test_the_pair_gives_the_better_one_and_marks_the_other() -> None:
    rules = _pair()
    rows = [
        {"youth_hires": 3, "grad_hires_local": 1},  # 3000 vs 1500: absorb wins
        {"youth_hires": 1, "grad_hires_local": 2},  # 1000 vs 3000: expansion wins
        {"youth_hires": 2},  # expansion undecided: nothing to choose between
    ]
    row_out, vec = _both(rules, rows)
    assert [{o.rule.id: o.excluded_by for o in out if o.excluded_by} for out in row_out] == [
        {"pat-expansion": "pat-absorb-employment"},
        {"pat-absorb-employment": "pat-expansion"},
        {},
    ]
    for i, out in enumerate(row_out, 1):
        mine = vec.filter(pl.col(ROW) == i).sort("rank")
        assert mine["rule_id"].to_list() == [o.rule.id for o in out]
        assert mine["amount_yuan"].to_list() == [o.amount_yuan for o in out]
    first = vec.filter((pl.col(ROW) == 1) & (pl.col("rule_id") == "pat-expansion")).row(
        0, named=True
    )
    assert first["status"] == "eligible" and first["amount_yuan"] is None
    assert "与「吸纳就业补贴」不可同时享受，未计入合计" in first["amount_note"]


def test_the_report_marks_the_one_left_out() -> None:
    from rich.console import Console

    from matcher.report.render import print_enterprise

    rules = _pair()
    console = Console(record=True, width=200)
    out = match_row(
        {"id": "e1", "name": "甲", "youth_hires": 3, "grad_hires_local": 1}, rules, AS_OF
    )
    print_enterprise(console, {"id": "e1", "name": "甲"}, out, "zh", False)
    text = console.export_text()
    assert "符合政策预计金额合计：3,000 元" in text
    assert "与「吸纳就业补贴」不可同时享受，未计入合计（1,500 元）" in text


# ---------------------------------------------------------------- hypothesis

GROUPS = ["g1", "g2", "g3"]


@st.composite
def rule_sets(draw: Any) -> list[Rule]:
    n = draw(st.integers(2, 6))
    rules = []
    for i in range(n):
        groups = draw(st.lists(st.sampled_from(GROUPS), max_size=2, unique=True))
        amount = draw(st.sampled_from([0, 500, 1000, 1500, 2500]))
        rules.append(
            make_rule(
                cond("employees", "ge", draw(st.integers(0, 10))),
                id=f"r{i}",
                benefit={"type": "fixed", "amount_yuan": amount, "description": "d", "quote": "q"},
                exclusive=[{"group": g, "quote": "q"} for g in groups],
            )
        )
    return rules


def _best_total(rules: list[Rule], eligible: set[str]) -> float:
    """Brute force: the most any conflict-free set of eligible rules is worth."""
    amounts = {r.id: float(r.benefit.amount_yuan or 0) for r in rules if r.id in eligible}
    groups = {r.id: {e.group for e in r.exclusive} for r in rules}
    best = 0.0
    ids = sorted(amounts)
    for k in range(len(ids) + 1):
        for subset in combinations(ids, k):
            if all(not (groups[a] & groups[b]) for a, b in combinations(subset, 2)):
                best = max(best, sum(amounts[s] for s in subset))
    return best


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rules=rule_sets(),
    employees=st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=1, max_size=5),
)
def test_totals_equal_the_best_combination(rules: list[Rule], employees: list[int | None]) -> None:
    row_out, vec = _both(rules, [{"employees": e} for e in employees])
    for i, out in enumerate(row_out, 1):
        eligible = {o.rule.id for o in out if o.status.value == "eligible"}
        best = _best_total(rules, eligible)
        row_total = sum(o.amount_yuan or 0.0 for o in out if o.status.value == "eligible")
        mine = vec.filter((pl.col(ROW) == i) & (pl.col("status") == "eligible"))
        assert row_total == best
        assert float(mine["amount_yuan"].fill_null(0.0).sum()) == best
        left_out = {o.rule.id for o in out if o.excluded_by}
        assert left_out == set(mine.filter(pl.col("amount_yuan").is_null())["rule_id"].to_list())
        # Whatever is left out conflicts with something kept.
        kept = eligible - left_out
        groups = {r.id: {e.group for e in r.exclusive} for r in rules}
        assert all(any(groups[x] & groups[k] for k in kept) for x in left_out)


def test_too_many_linked_rules_is_a_user_error_not_a_crash() -> None:
    import pytest

    from matcher.errors import PolicyMatchError
    from matcher.evaluate.exclusive import MAX_COMPONENT, components

    rules = [
        make_rule(
            cond("employees", "ge", 1),
            id=f"r{i}",
            exclusive=[{"group": "grp", "quote": "q"}],
            benefit={"type": "fixed", "amount_yuan": 1, "description": "d", "quote": "q"},
        )
        for i in range(MAX_COMPONENT + 1)
    ]
    with pytest.raises(PolicyMatchError, match=f"不应超过 {MAX_COMPONENT} 条") as info:
        components(rules)
    assert info.value.remedy == "把 exclusive 分成更小的组"
