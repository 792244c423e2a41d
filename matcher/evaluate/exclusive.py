"""Benefits that cannot be stacked: per enterprise, the combination of eligible rules worth
the most; the others are marked 与X不可同时享受 and their amounts left out of every total.

Rules sharing an `exclusive` group conflict. The conflict graph is known when rules load,
so its maximal conflict-free sets ("options") are listed once per connected component;
per enterprise each option is worth the sum of its eligible members' amounts, and the
first option of greatest worth wins. Both evaluators use the same options in the same
order and add amounts in the same order, so they pick the same one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from itertools import combinations
from typing import TYPE_CHECKING, NamedTuple

from matcher.evaluate.row import Outcome
from matcher.evaluate.tree import Status
from matcher.rule import Rule

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import polars as pl
else:
    from matcher.frame import pl


# Larger components would make the options explode; lint and loading refuse them.
MAX_COMPONENT = 12


class Component(NamedTuple):
    members: tuple[str, ...]  # rule ids in the order given
    options: tuple[frozenset[str], ...]
    groups: dict[str, frozenset[str]]  # rule id → its groups

    def conflicts(self, a: str, b: str) -> bool:
        return a != b and bool(self.groups[a] & self.groups[b])


def components(rules: Sequence[Rule]) -> list[Component]:
    grouped = [r for r in rules if r.exclusive]
    groups = {r.id: frozenset(e.group for e in r.exclusive) for r in grouped}
    seen: set[str] = set()
    out: list[Component] = []
    for r in grouped:
        if r.id in seen:
            continue
        members, todo = [], [r.id]
        while todo:
            rid = todo.pop()
            if rid in seen:
                continue
            seen.add(rid)
            members.append(rid)
            todo += [o for o in groups if o not in seen and groups[o] & groups[rid]]
        order = [x.id for x in grouped if x.id in members]
        if len(order) > MAX_COMPONENT:
            from matcher.errors import PolicyMatchError

            raise PolicyMatchError(
                f"不可同时享受的组连在一起的规则不应超过 {MAX_COMPONENT} 条：{'、'.join(order)}",
                "把 exclusive 分成更小的组",
            )
        sub = {m: groups[m] for m in order}
        out.append(Component(tuple(order), _options(order, sub), sub))
    return out


def _options(members: list[str], groups: dict[str, frozenset[str]]) -> tuple[frozenset[str], ...]:
    """Maximal conflict-free subsets, larger first, then in member order."""
    free = [
        frozenset(s)
        for k in range(len(members), 0, -1)
        for s in combinations(members, k)
        if all(not (groups[a] & groups[b]) for a, b in combinations(s, 2))
    ]
    return tuple(s for s in free if not any(s < o for o in free))


# ---------------------------------------------------------------------------- row path


def choose(component: Component, eligible_amounts: dict[str, float]) -> frozenset[str]:
    """The winning option: most money, then most eligible members (so nothing eligible
    yields to something ineligible), then the first; `eligible_amounts` holds the eligible
    members (0.0 when unquantified)."""
    best, best_key = component.options[0], (-1.0, -1)
    for option in component.options:
        members = [m for m in component.members if m in option]
        worth = reduce(lambda acc, m: acc + eligible_amounts.get(m, 0.0), members, 0.0)
        key = (worth, sum(m in eligible_amounts for m in members))
        if key > best_key:
            best, best_key = option, key
    return best


def excluded_by(
    rules: Sequence[Rule],
    eligible_amounts: dict[str, float],
    comps: Sequence[Component] | None = None,
) -> dict[str, str]:
    """Rule id → id of the rule it yields to, for each eligible rule left out; ``comps``
    is ``components(rules)`` when the caller keeps it."""
    out: dict[str, str] = {}
    for comp in components(rules) if comps is None else comps:
        best = choose(comp, eligible_amounts)
        for m in comp.members:
            if m in eligible_amounts and m not in best:
                out[m] = next(
                    r
                    for r in comp.members
                    if r in best and r in eligible_amounts and comp.conflicts(m, r)
                )
    return out


def apply(outcomes: Sequence[Outcome]) -> None:
    """Mark the eligible outcomes left out of the best combination, in place."""
    amounts = {o.rule.id: o.amount_yuan or 0.0 for o in outcomes if o.status is Status.ELIGIBLE}
    left_out = excluded_by([o.rule for o in outcomes], amounts)
    for o in outcomes:
        if o.rule.id in left_out:
            o.excluded_by, o.excluded_amount = left_out[o.rule.id], o.amount_yuan
            o.amount_yuan = None


def note(rival_title: str, lang: str = "zh") -> str:
    if lang == "zh":
        return f"与「{rival_title}」不可同时享受，未计入合计"
    return f"cannot be combined with '{rival_title}'; not counted in totals"


# -------------------------------------------------------------------------- polars path


def excluded_by_exprs(
    rules: Sequence[Rule], status: dict[str, pl.Expr], amount: dict[str, pl.Expr]
) -> dict[str, pl.Expr]:
    """Rule id → String expression: the id it yields to, null when not left out."""
    out: dict[str, pl.Expr] = {}
    for comp in components(rules):
        eligible = {m: status[m] == "eligible" for m in comp.members}
        worth_of = {
            m: pl.when(eligible[m]).then(amount[m].fill_null(0.0)).otherwise(0.0)
            for m in comp.members
        }
        worths = [
            reduce(
                lambda acc, m: acc + worth_of[m],
                [m for m in comp.members if m in option],
                pl.lit(0.0),
            )
            for option in comp.options
        ]
        counts = [
            pl.sum_horizontal([eligible[m].cast(pl.Int32) for m in comp.members if m in option])
            for option in comp.options
        ]
        most = pl.max_horizontal(worths)
        # As choose(): the most money, then the most eligible members, then the first.
        keyed = [
            pl.when(w == most).then(c).otherwise(-1) for w, c in zip(worths, counts, strict=True)
        ]
        best = pl.concat_list(keyed).list.arg_max()
        for m in comp.members:
            expr = pl.lit(None, dtype=pl.String)
            for i, option in enumerate(comp.options):
                if m not in option:
                    rivals = [r for r in comp.members if r in option and comp.conflicts(m, r)]
                    rival = pl.coalesce([pl.when(eligible[r]).then(pl.lit(r)) for r in rivals])
                    expr = pl.when(best == i).then(rival).otherwise(expr)
            out[m] = pl.when(eligible[m]).then(expr).otherwise(pl.lit(None, dtype=pl.String))
    return out
