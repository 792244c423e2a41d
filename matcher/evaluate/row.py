"""Row-by-row evaluation with a trace, for reports and explanations.

The batch path is vector.py; both follow tree.py and are checked against each
other under hypothesis.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from matcher.evaluate.tree import (
    IN_FORCE,
    Leaf,
    PrefixTarget,
    Status,
    annotate,
    code_prefix,
    decisive_field,
    eval_column,
    in_force_open,
    industry_target,
    region_target,
    static_status,
)
from matcher.intake.certifications import contains_any
from matcher.intake.values import DATE_HI_SUFFIX
from matcher.rule import AllNode, AnyNode, Audience, Condition, NotNode, Op, Rule


@dataclass(frozen=True)
class TraceStep:
    leaf: Leaf
    column: str
    actual: Any
    result: bool | None


@dataclass
class Outcome:
    rule: Rule
    status: Status
    amount_yuan: float | None
    met: list[Condition] = field(default_factory=list)
    unmet: list[Condition] = field(default_factory=list)
    missing: list[Condition] = field(default_factory=list)
    trace: list[TraceStep] = field(default_factory=list)
    # The text states no end and the assumed period is over: still in force is unverified.
    in_force_open: bool = False

    @property
    def missing_fields(self) -> list[str]:
        """Each undecided input field once, in the order fields first appear in the rule
        (a fixed order, which the vectorised path can reproduce); IN_FORCE last."""
        missing = {decisive_field(eval_column(c.field)) for c in self.missing}
        order: dict[str, None] = {}
        for c in self.rule.leaves():
            order.setdefault(decisive_field(eval_column(c.field)), None)
        fields = [f for f in order if f in missing]
        return [*fields, IN_FORCE] if self.in_force_open else fields


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (earlier when negative), kept within the calendar."""
    year = day.year + years
    if year < dt.MINYEAR:
        return dt.date.min
    if year > dt.MAXYEAR:
        return dt.date.max
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return day.replace(year=year, day=28)


def date_range_verdict(op: Op, value: Any, lo: dt.date, hi: dt.date, as_of: dt.date) -> bool | None:
    """A date condition on a value known only as lying in [lo, hi] (a month, a year):
    true or false when every day of the span agrees, unknown otherwise."""
    if op is Op.WITHIN_YEARS:
        start = add_years(as_of, -int(value))
        if start <= lo and hi <= as_of:
            return True
        return False if hi < start or lo > as_of else None
    if op in (Op.EQ, Op.NE, Op.IN, Op.NOT_IN):
        values = value if op in (Op.IN, Op.NOT_IN) else [value]
        if any(lo <= v <= hi for v in values):
            return None
        return op in (Op.NE, Op.NOT_IN)
    compare = {Op.LT: dt.date.__lt__, Op.LE: dt.date.__le__, Op.GT: dt.date.__gt__}
    check = compare.get(op, dt.date.__ge__)
    first, last = check(lo, value), check(hi, value)
    return first if first == last else None


@cache
def _region(values: Any) -> PrefixTarget:
    return region_target(list(values) if isinstance(values, tuple) else values)


@cache
def _industry(values: tuple[Any, ...]) -> PrefixTarget:
    return industry_target(list(values))


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def eval_condition(cond: Condition, row: Mapping[str, Any], as_of: dt.date) -> bool | None:
    column = eval_column(cond.field)
    actual = row.get(column)
    if isinstance(actual, float) and math.isnan(actual):
        actual = None  # an unreadable number is unknown (vector.py: fill_nan)
    op = cond.op
    if op is Op.PRESENT:
        return actual is not None
    if op is Op.MISSING:
        return actual is None
    if actual is None:
        return None
    value = cond.value
    if isinstance(actual, dt.date):  # 2019年3月: decided only where the month decides it
        hi = row.get(column + DATE_HI_SUFFIX)
        if isinstance(hi, dt.date) and hi != actual:
            return date_range_verdict(op, value, actual, hi, as_of)
    if op is Op.IN_REGION:
        return _region(_freeze(value)).contains(code_prefix(str(actual)))
    if op is Op.IN_INDUSTRY:
        return _industry(_freeze(value)).contains(str(actual))
    if op is Op.IN_CATALOGUE:
        return catalogue_verdict(str(actual), row.get("region_code"), as_of)
    if op is Op.CONTAINS_ANY:
        return contains_any(actual, value)  # 待确认/其余未知 markers keep unknown unknown
    if op is Op.IN:
        return actual in value
    if op is Op.NOT_IN:
        return actual not in value
    if op is Op.WITHIN_YEARS:
        return bool(add_years(as_of, -int(value)) <= actual <= as_of)
    if op is Op.EQ:
        return bool(actual == value)
    if op is Op.NE:
        return bool(actual != value)
    if op is Op.LT:
        return bool(actual < value)
    if op is Op.LE:
        return bool(actual <= value)
    if op is Op.GT:
        return bool(actual > value)
    if op is Op.GE:
        return bool(actual >= value)
    raise AssertionError(f"unhandled operator {op}")


def catalogue_matches(scope: str, region_code: str | None, as_of: dt.date) -> list[Any]:
    from matcher.reference.catalogue import catalogue_dirs, edition_in_force, match_scope

    edition = edition_in_force(as_of, catalogue_dirs())
    return [] if edition is None else match_scope(scope, region_code, edition)


def catalogue_verdict(scope: str, region_code: str | None, as_of: dt.date) -> bool | None:
    """A match is True; no match is False only against a complete edition — the bundled
    editions hold part of the official list, so there no match means unknown."""
    from matcher.reference.catalogue import catalogue_dirs, edition_in_force

    edition = edition_in_force(as_of, catalogue_dirs())
    if edition is None:
        return None
    if catalogue_matches(scope, region_code, as_of):
        return True
    return None if edition.partial else False


def _and(values: list[bool | None]) -> bool | None:
    if any(v is False for v in values):
        return False
    return None if any(v is None for v in values) else True


def _or(values: list[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def evaluate(rule: Rule, row: Mapping[str, Any], as_of: dt.date) -> Outcome:
    leaves, _, node_negated = annotate(rule)
    node_values: dict[int, bool | None] = {}
    leaf_nodes: list[int] = []
    trace: list[TraceStep] = []
    counter = iter(range(len(node_negated)))

    # Pre-order walk: node ids match tree.annotate's numbering.
    def value_of(node: Any) -> bool | None:
        nid = next(counter)
        result: bool | None
        if isinstance(node, AllNode):
            result = _and([value_of(c) for c in node.all])
        elif isinstance(node, AnyNode):
            result = _or([value_of(c) for c in node.any])
        elif isinstance(node, NotNode):
            inner = value_of(node.not_)
            result = None if inner is None else not inner
        else:
            result = eval_condition(node, row, as_of)
            leaf = leaves[len(leaf_nodes)]
            leaf_nodes.append(nid)
            column = eval_column(node.field)
            trace.append(TraceStep(leaf, column, row.get(column), result))
        node_values[nid] = result
        return result

    root = value_of(rule.criteria)
    leaf_by_node = dict(zip(leaf_nodes, leaves, strict=True))

    def effective(nid: int) -> bool | None:
        v = node_values[nid]
        return None if v is None else (v != node_negated[nid])

    met, unmet, missing = [], [], []
    for nid, leaf in leaf_by_node.items():
        eff = effective(nid)
        if eff is True:
            met.append(leaf.condition)
        elif eff is False and all(effective(a) is False for a in leaf.ancestors):
            unmet.append(leaf.condition)
        elif eff is None and all(node_values[a] is None for a in leaf.ancestors):
            missing.append(leaf.condition)

    fixed = static_status(rule, as_of)
    # Past its assumed period, a measure with no stated end is as if ANDed with an unknown.
    open_validity = fixed is None and in_force_open(rule, as_of) and root is not False
    if fixed is not None:
        status = fixed
    elif open_validity:
        status = Status.UNKNOWN
    else:
        status = {True: Status.ELIGIBLE, False: Status.INELIGIBLE, None: Status.UNKNOWN}[root]
    trace.sort(key=lambda s: s.leaf.index)
    out = Outcome(rule, status, amount(rule, row, status), met, unmet, missing, trace)
    out.in_force_open = open_validity
    return out


def amount(rule: Rule, row: Mapping[str, Any], status: Status) -> float | None:
    """Estimated yuan for the enterprise itself; None where the rule does not quantify it."""
    b = rule.benefit
    if rule.audience is not Audience.ENTERPRISE or b.type == "unquantified":
        return None
    if status not in (Status.ELIGIBLE, Status.UNKNOWN):
        return None
    assert b.amount_yuan is not None
    if b.type == "fixed":
        total = b.amount_yuan
    else:
        assert b.per_field is not None
        heads = row.get(b.per_field)
        if heads is None:
            return None
        total = b.amount_yuan * heads
    if b.cap_yuan is not None:
        total = min(total, b.cap_yuan)
    return float(total)
