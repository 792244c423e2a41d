"""What the two evaluators share: statuses, leaf paths, and code-prefix targets.

Semantics are defined once here; row.py and vector.py only translate them.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Any, NamedTuple, TypeVar

from matcher.fields import FIELDS_BY_NAME
from matcher.records import record
from matcher.rule import AllNode, AnyNode, Condition, NotNode, Op, Rule

T = TypeVar("T")


class Status(StrEnum):
    ELIGIBLE = "eligible"
    UNKNOWN = "unknown"
    INELIGIBLE = "ineligible"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"


STATUS_ZH: dict[str, str] = {
    "eligible": "符合",
    "unknown": "待补充信息",
    "ineligible": "不符合",
    "expired": "已过期",
    "not_yet_valid": "未生效",
}
STATUS_FROM_ZH: dict[str, str] = {v: k for k, v in STATUS_ZH.items()} | {"待补充": "unknown"}
# Eligible first, then what could become eligible, then the rest.
STATUS_ORDER: dict[str, int] = {
    "eligible": 0,
    "unknown": 1,
    "not_yet_valid": 2,
    "ineligible": 3,
    "expired": 4,
}

# Rule conditions name what the user writes; evaluation reads the resolved column.
EVAL_COLUMN: dict[str, str] = {
    "region": "region_code",
    "industry": "industry_code",
    "size": "size_effective",
}


def eval_column(field: str) -> str:
    return EVAL_COLUMN.get(field, field)


def decisive_field(field: str) -> str:
    """The input field a user must fill in to decide a condition on `field`."""
    return {
        "region_code": "region",
        "industry_code": "industry",
        "size_effective": "size",
        "size_derived": "size",
        "scope_industries": "business_scope",
    }.get(field, field)


def field_label(field: str, lang: str = "zh") -> str:
    if field == IN_FORCE:
        return IN_FORCE_LABEL["zh" if lang == "zh" else "en"]
    spec = FIELDS_BY_NAME.get(field)
    if spec is None:
        return field
    return spec.zh if lang == "zh" else spec.name


@record
class Leaf:
    condition: Condition
    index: int  # position among the rule's leaves, stable across evaluators
    ancestors: tuple[int, ...]  # node ids from the root down to the parent
    negated: bool  # an odd number of `not` nodes above the leaf


def static_status(rule: Rule, as_of: Any) -> Status | None:
    """Validity decided by the date alone; None when the criteria decide."""
    v = rule.validity
    if v.from_ is not None and as_of < v.from_:
        return Status.NOT_YET_VALID
    if v.until is not None and as_of > v.until:
        return Status.EXPIRED
    return None


# The pseudo-field a result waits on when a measure without a stated end may have ended.
IN_FORCE = "in_force"
IN_FORCE_LABEL = {"zh": "政策是否仍在执行", "en": "in_force"}


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def in_force_horizon(rule: Rule) -> dt.date | None:
    """Last day a measure whose text states no end is taken as in force; None with an end."""
    v = rule.validity
    if v.until is not None:
        return None
    return add_months(rule.published, v.in_force_months)


def in_force_open(rule: Rule, as_of: dt.date) -> bool:
    """True when the text states no end and as_of is past the assumed period."""
    horizon = in_force_horizon(rule)
    return horizon is not None and as_of > horizon


def in_force_note(rule: Rule, lang: str = "zh") -> str:
    day = rule.published.isoformat()
    if lang == "zh":
        return f"原文未注明有效期，发布于{day}，请核实是否仍在执行"
    return f"the text states no end date; published {day}: check whether it still applies"


def code_prefix(code: str) -> str:
    """Administrative prefix: 2 digits for a province, 4 for a prefecture, 6 for a county."""
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


class PrefixTarget(NamedTuple):
    """A set of code prefixes: a profile code is inside when it starts with one of them,
    and undecided when it is a strict ancestor (coarser) of one of them."""

    prefixes: frozenset[str]
    ancestors: frozenset[str]

    def contains(self, code_prefix_value: str | None) -> bool | None:
        if code_prefix_value is None:
            return None
        if any(code_prefix_value.startswith(p) for p in self.prefixes):
            return True
        if code_prefix_value in self.ancestors:
            return None
        return False


def region_target(values: Any) -> PrefixTarget:
    from matcher.reference.regions import region_groups

    groups = region_groups()
    prefixes: set[str] = set()
    for v in values if isinstance(values, list) else [values]:
        members = groups.get(str(v), frozenset({str(v)}))
        prefixes |= {code_prefix(m) for m in members}
    return _target(prefixes, (2, 4))


def industry_target(values: list[Any]) -> PrefixTarget:
    from matcher.reference.industry import normalize_industry_code

    prefixes = {normalize_industry_code(str(v)) or str(v) for v in values}
    # Industry codes are a section letter then 2, 3 or 4 digits: C, C30, C301, C3011.
    return _target(prefixes, (1, 3, 4))


def any_phrase_in(target: PrefixTarget, codes: Sequence[str | None] | None) -> bool | None:
    """Operator ``any_in_industry`` on ``scope_industries`` (one code per business-scope
    phrase, None where a phrase was not read): is any phrase in the target industries?

    Kleene OR over the phrases, each phrase judged like ``in_industry`` on one code
    (:meth:`PrefixTarget.contains`: inside → true; disjoint → false; coarser than a target
    code, or not read → unknown):

    - true when at least one phrase is true;
    - false when the list is non-empty and every phrase is false (every phrase read, none
      inside);
    - unknown otherwise: no scope (null), an empty list, or no phrase true and at least one
      unknown.
    """
    if not codes:
        return None
    verdicts = [None if c is None else target.contains(c) for c in codes]
    if any(v is True for v in verdicts):
        return True
    if all(v is False for v in verdicts):
        return False
    return None


def _target(prefixes: set[str], cuts: tuple[int, ...]) -> PrefixTarget:
    # Drop prefixes already covered by a shorter one, so `contains` stays exact.
    kept = {p for p in prefixes if not any(p != q and p.startswith(q) for q in prefixes)}
    ancestors = {p[:n] for p in kept for n in cuts if n < len(p)}
    ancestors -= {a for a in ancestors if any(a.startswith(p) for p in kept)}
    return PrefixTarget(frozenset(kept), frozenset(ancestors))


def per_rule(fn: Callable[[Rule], T]) -> Callable[[Rule], T]:
    """Memoise what depends on a loaded rule alone (rules do not change once loaded): the
    web service evaluates the same 49 rules for every request. Keyed by identity; the rule
    is held, so its id cannot be reused while remembered."""
    memo: dict[int, tuple[Rule, T]] = {}

    @functools.wraps(fn)
    def wrapper(rule: Rule) -> T:
        hit = memo.get(id(rule))
        if hit is not None and hit[0] is rule:
            return hit[1]
        value = fn(rule)
        if len(memo) >= 4096:
            memo.clear()
        memo[id(rule)] = (rule, value)
        return value

    return wrapper


@per_rule
def annotate(rule: Rule) -> tuple[list[Leaf], dict[int, Any], dict[int, bool]]:
    """Number every node; list leaves with their ancestors and negation parity."""
    nodes: dict[int, Any] = {}
    node_negated: dict[int, bool] = {}
    leaves: list[Leaf] = []

    def walk(node: Any, ancestors: tuple[int, ...], negated: bool) -> None:
        nid = len(nodes)
        nodes[nid] = node
        node_negated[nid] = negated
        if isinstance(node, AllNode | AnyNode):
            children = node.all if isinstance(node, AllNode) else node.any
            for child in children:
                walk(child, (*ancestors, nid), negated)
        elif isinstance(node, NotNode):
            walk(node.not_, (*ancestors, nid), not negated)
        else:
            leaves.append(Leaf(node, len(leaves), ancestors, negated))

    walk(rule.criteria, (), False)
    return leaves, nodes, node_negated


def condition_text(cond: Condition, lang: str = "zh") -> str:
    label = cond.label if lang == "zh" or not cond.label_en else cond.label_en
    if cond.assumption:
        return f"{label}【假设】" if lang == "zh" else f"{label} [assumption]"
    return label


def uses_as_of(cond: Condition) -> bool:
    return cond.op is Op.WITHIN_YEARS
