"""Row-by-row evaluation with a trace, for reports and explanations.

The batch path is vector.py; both follow tree.py and are checked against each
other under hypothesis.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from matcher.evaluate.text import contains_text, matches_text
from matcher.evaluate.tree import (
    IN_FORCE,
    Leaf,
    PrefixTarget,
    Status,
    annotate,
    any_phrase_in,
    code_prefix,
    decisive_field,
    eval_column,
    in_force_open,
    industry_target,
    per_rule,
    region_target,
    static_status,
)
from matcher.fields import FieldType
from matcher.intake.certifications import contains_any
from matcher.intake.values import DATE_HI_SUFFIX
from matcher.records import record
from matcher.rule import (
    DATE_OPS,
    AllNode,
    AnyNode,
    Audience,
    Condition,
    Formula,
    NotNode,
    Op,
    Rule,
    field_type,
)


@record
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
    # Eligible but not stackable with a better combination (evaluate/exclusive.py):
    # the rule it yields to, and its own amount, left out of every total.
    excluded_by: str | None = None
    excluded_amount: float | None = None

    @property
    def missing_fields(self) -> list[str]:
        """Each undecided input field once, in the order fields first appear in the rule
        (a fixed order, which the vectorised path can reproduce); IN_FORCE last."""
        if not self.missing:
            return [IN_FORCE] if self.in_force_open else []
        missing = {decisive_field(eval_column(c.field)) for c in self.missing}
        fields = [f for f in _field_order(self.rule) if f in missing]
        return [*fields, IN_FORCE] if self.in_force_open else fields


@per_rule
def _field_order(rule: Rule) -> tuple[str, ...]:
    """The rule's decisive input fields, in the order they first appear."""
    order: dict[str, None] = {}
    for c in rule.leaves():
        order.setdefault(decisive_field(eval_column(c.field)), None)
    return tuple(order)


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
    if op is Op.WITHIN_YEARS:  # the Nth anniversary is outside, as for a single day
        start = add_years(as_of, -int(value))
        inside_lo = start < lo or start == dt.date.min
        if inside_lo and hi <= as_of:
            return True
        return False if (hi <= start and start != dt.date.min) or lo > as_of else None
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
    if op is Op.KNOWN:
        return True  # never False: a missing value leaves it unknown
    value = cond.value
    if op.value in DATE_OPS:
        op = Op(DATE_OPS[op.value])
    if isinstance(actual, dt.date):  # 2019年3月: decided only where the month decides it
        hi = row.get(column + DATE_HI_SUFFIX)
        if isinstance(hi, dt.date) and hi != actual:
            return date_range_verdict(op, value, actual, hi, as_of)
    if op is Op.IN_REGION:
        return _region(_freeze(value)).contains(code_prefix(str(actual)))
    if op is Op.IN_INDUSTRY:
        return _industry(_freeze(value)).contains(str(actual))
    if op is Op.ANY_IN_INDUSTRY:
        codes = [None if c is None else str(c) for c in actual]
        return any_phrase_in(_industry(_freeze(value)), codes)
    if op is Op.IN_CATALOGUE:
        return catalogue_verdict(str(actual), row.get("region_code"), as_of)
    if op in (Op.CONTAINS_ANY, Op.CONTAINS_ALL) and field_type(column) is FieldType.TEXT:
        return contains_text(actual, value, every=op is Op.CONTAINS_ALL)
    if op is Op.MATCHES:
        return matches_text(actual, value)
    if op is Op.CONTAINS_ANY:
        return contains_any(actual, value)  # 待确认/其余未知 markers keep unknown unknown
    if op is Op.IN:
        return actual in value
    if op is Op.NOT_IN:
        return actual not in value
    if op is Op.WITHIN_YEARS:
        # 成立不满 N 年: the Nth anniversary itself is N full years, so outside.
        lower = add_years(as_of, -int(value))
        # Before year 1 the bound is clamped to date.min, which is then inside.
        return bool((lower < actual or lower == dt.date.min) and actual <= as_of)
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
    from matcher.reference.catalogue import catalogue_dirs, edition_in_force, match_scope

    edition = edition_in_force(as_of, catalogue_dirs())
    if edition is None:
        return None
    if match_scope(scope, region_code, edition):
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


def _walk(
    node: Any,
    row: Mapping[str, Any],
    as_of: dt.date,
    leaves: list[Leaf],
    counter: Iterator[int],
    node_values: dict[int, bool | None],
    leaf_nodes: list[int],
    trace: list[TraceStep],
) -> bool | None:
    """:func:`evaluate`'s pre-order walk (node ids match tree.annotate's numbering); a
    module function, as a recursive closure would leave a reference cycle per call."""
    nid = next(counter)
    result: bool | None
    state = (row, as_of, leaves, counter, node_values, leaf_nodes, trace)
    if isinstance(node, AllNode):
        result = _and([_walk(c, *state) for c in node.all])
    elif isinstance(node, AnyNode):
        result = _or([_walk(c, *state) for c in node.any])
    elif isinstance(node, NotNode):
        inner = _walk(node.not_, *state)
        result = None if inner is None else not inner
    else:
        result = eval_condition(node, row, as_of)
        leaf = leaves[len(leaf_nodes)]
        leaf_nodes.append(nid)
        column = eval_column(node.field)
        trace.append(TraceStep(leaf, column, row.get(column), result))
    node_values[nid] = result
    return result


def evaluate(rule: Rule, row: Mapping[str, Any], as_of: dt.date) -> Outcome:
    leaves, _, node_negated = annotate(rule)
    node_values: dict[int, bool | None] = {}
    leaf_nodes: list[int] = []
    trace: list[TraceStep] = []
    counter = iter(range(len(node_negated)))

    root = _walk(rule.criteria, row, as_of, leaves, counter, node_values, leaf_nodes, trace)
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
    out = Outcome(rule, status, amount(rule, row, status, as_of), met, unmet, missing, trace)
    out.in_force_open = open_validity
    return out


def amount(rule: Rule, row: Mapping[str, Any], status: Status, as_of: dt.date) -> float | None:
    """Estimated yuan for the enterprise itself; None where the rule does not quantify it
    or a value it needs is unknown."""
    b = rule.benefit
    if rule.audience is not Audience.ENTERPRISE or b.type == "unquantified":
        return None
    if status not in (Status.ELIGIBLE, Status.UNKNOWN):
        return None
    total: float | None
    if b.type == "fixed":
        total = b.amount_yuan
    elif b.type == "per_head":
        heads = row.get(str(b.per_field))
        total = None if heads is None else float(b.amount_yuan or 0.0) * heads
    elif b.type == "computed":
        assert b.formula is not None
        total = formula_amount(b.formula, row)
    else:
        total = tier_amount(rule, row, as_of)
    if total is None:
        return None
    if b.cap_yuan is not None:
        total = min(total, b.cap_yuan)
    return float(total)


def node_value(node: Any, row: Mapping[str, Any], as_of: dt.date) -> bool | None:
    """A criteria tree's Kleene value, without a trace (tier conditions)."""
    if isinstance(node, AllNode):
        return _and([node_value(c, row, as_of) for c in node.all])
    if isinstance(node, AnyNode):
        return _or([node_value(c, row, as_of) for c in node.any])
    if isinstance(node, NotNode):
        inner = node_value(node.not_, row, as_of)
        return None if inner is None else not inner
    return eval_condition(node, row, as_of)


def tier_amount(rule: Rule, row: Mapping[str, Any], as_of: dt.date) -> float | None:
    """The first tier whose condition holds; unknown as soon as one before it is unknown."""
    for tier in rule.benefit.tiers or []:
        hit = node_value(tier.when, row, as_of)
        if hit is None:
            return None
        if hit:
            if tier.formula is not None:
                return formula_amount(tier.formula, row)
            return float(tier.amount_yuan or 0.0)
    return None


def formula_amount(f: Formula, row: Mapping[str, Any]) -> float | None:
    value = row.get(f.field)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    # The same operations in the same order as vector._formula_expr, so floats agree.
    total = float(value) * f.factor
    if f.round_down_to_yuan is not None:
        total = math.floor(total / f.round_down_to_yuan) * f.round_down_to_yuan
    if f.min_yuan is not None:
        total = max(total, f.min_yuan)
    if f.max_yuan is not None:
        total = min(total, f.max_yuan)
    return float(total)


@per_rule
def read_columns(rule: Rule) -> tuple[str, ...]:
    """Every row column :func:`evaluate` can read for ``rule``, each with its date span's
    upper end: a condition reads its field's evaluated column (``region_code``, not the
    ``region`` as written, which has many spellings of one code); an amount reads its
    fields as written (and, to be safe, as evaluated)."""
    conditions = [*rule.leaves(), *rule.benefit.tier_conditions()]
    columns: set[str] = set()
    names = [eval_column(c.field) for c in conditions]
    for name in rule.benefit.amount_fields():
        names += [name, eval_column(name)]
    for column in names:
        columns |= {column, column + DATE_HI_SUFFIX}
    if any(c.op is Op.IN_CATALOGUE for c in conditions):
        columns.add("region_code")
    return tuple(sorted(columns))


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


class Remembered:
    """:func:`evaluate` remembered per rule, evaluation date and the values the rule reads
    (not per profile): the web service sees the same regions, sizes and yes/no answers
    again and again. For a process whose rules and catalogue do not change while it runs.
    Each call returns its own Outcome (ranking and exclusive rules change outcomes)."""

    def __init__(self, max_entries: int = 50_000):  # about 1 KB each
        self.max_entries = max_entries
        self._memo: dict[tuple[Any, ...], Outcome] = {}
        self.hits = 0
        self.misses = 0

    def evaluate(self, rule: Rule, row: Mapping[str, Any], as_of: dt.date) -> Outcome:
        key = (id(rule), as_of, *(_hashable(row.get(c)) for c in read_columns(rule)))
        try:
            hit = self._memo.get(key)
        except TypeError:  # an unhashable value: evaluated afresh
            return evaluate(rule, row, as_of)
        if hit is None or hit.rule is not rule:
            self.misses += 1
            hit = evaluate(rule, row, as_of)
            if len(self._memo) >= self.max_entries:
                self._memo.clear()
            self._memo[key] = hit
        else:
            self.hits += 1
        out = Outcome(
            hit.rule,
            hit.status,
            hit.amount_yuan,
            list(hit.met),
            list(hit.unmet),
            list(hit.missing),
            list(hit.trace),
        )
        out.in_force_open = hit.in_force_open
        return out
