"""Criteria trees compiled to polars expressions, for portfolios.

Kleene logic comes from polars itself: `&`, `|`, `~`, all_horizontal and
any_horizontal treat null as unknown, exactly as row.py does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from matcher.evaluate.row import add_years
from matcher.evaluate.text import contains_text_expr, matches_expr
from matcher.evaluate.tree import (
    IN_FORCE,
    PrefixTarget,
    Status,
    annotate,
    decisive_field,
    eval_column,
    field_label,
    in_force_note,
    in_force_open,
    industry_target,
    region_target,
    static_status,
)
from matcher.fields import FIELDS_BY_NAME, FieldType
from matcher.frame import pl
from matcher.intake.certifications import contains_any_expr
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

REGION_PREFIX = "__region_prefix"
CATALOGUE = "__catalogue"


def with_eval_columns(
    frame: pl.LazyFrame, as_of: dt.date | None = None, rules: Sequence[Rule] = ()
) -> pl.LazyFrame:
    """Columns the compiled expressions read besides the profile fields."""
    leaves = [c for r in rules for c in [*r.leaves(), *r.benefit.tier_conditions()]]
    if as_of is not None and any(c.op is Op.IN_CATALOGUE for c in leaves):
        frame = _with_catalogue(frame, as_of)
    code = pl.col("region_code")
    prefix = (
        pl.when(code.str.ends_with("0000"))
        .then(code.str.slice(0, 2))
        .when(code.str.ends_with("00"))
        .then(code.str.slice(0, 4))
        .otherwise(code)
    )
    names = frame.collect_schema().names()
    # A date known to the day has no span: its last possible day is itself.
    spans = [
        pl.col(f.name).alias(f.name + DATE_HI_SUFFIX)
        for f in FIELDS_BY_NAME.values()
        if f.type is FieldType.DATE and f.name in names and f.name + DATE_HI_SUFFIX not in names
    ]
    return frame.with_columns(prefix.alias(REGION_PREFIX), *spans)


def _with_catalogue(frame: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """The catalogue verdict per distinct (business scope, region), joined back.

    Same verdict as row.catalogue_verdict; clauses are split and scored once per distinct
    clause (catalogue_verdicts), not per scope.
    """
    from matcher.reference.catalogue import catalogue_dirs, catalogue_verdicts, edition_in_force

    # Regional entries depend on the province only: fewer distinct pairs to score.
    province = (pl.col("region_code").str.slice(0, 2) + "0000").alias("__province")
    frame = frame.with_columns(province)
    keys = ["business_scope", "__province"]
    pairs = frame.select(keys).unique().drop_nulls("business_scope").collect()
    edition = edition_in_force(as_of, catalogue_dirs())
    if edition is None:
        verdict = pl.Series(CATALOGUE, [None] * pairs.height, dtype=pl.Boolean)
    else:
        verdict = catalogue_verdicts(pairs.get_column(keys[0]), pairs.get_column(keys[1]), edition)
    verdicts = pairs.with_columns(verdict.alias(CATALOGUE))
    return frame.join(
        verdicts.lazy(), on=keys, how="left", nulls_equal=True, maintain_order="left"
    ).drop("__province")


def _prefix_expr(target: PrefixTarget, column: pl.Expr) -> pl.Expr:
    inside = pl.any_horizontal([column.str.starts_with(p) for p in sorted(target.prefixes)])
    coarser = column.is_in(sorted(target.ancestors)) if target.ancestors else pl.lit(False)
    return (
        pl.when(column.is_null())
        .then(pl.lit(None, dtype=pl.Boolean))
        .when(inside)
        .then(pl.lit(True))
        .when(coarser)
        .then(pl.lit(None, dtype=pl.Boolean))
        .otherwise(pl.lit(False))
    )


def _any_phrase_expr(target: PrefixTarget, codes: pl.Expr) -> pl.Expr:
    """tree.any_phrase_in over a List[String] column: each phrase judged like in_industry,
    then a Kleene OR over the phrases (true if any is true, false if the list is non-empty
    and all are false, else unknown)."""
    each = codes.list.eval(_prefix_expr(target, pl.element()))
    some_true = each.list.eval(pl.element().fill_null(False)).list.any()
    all_false = each.list.eval((~pl.element()).fill_null(False)).list.all()
    unknown = pl.lit(None, dtype=pl.Boolean)
    return (
        pl.when(codes.is_null() | (codes.list.len() == 0))
        .then(unknown)
        .when(some_true)
        .then(pl.lit(True))
        .when(all_false)
        .then(pl.lit(False))
        .otherwise(unknown)
    )


def _per_value(node: Any) -> str | None:
    """The one column a leaf is an element-wise function of, when that column has few
    distinct values (see Stage), else None."""
    if not isinstance(node, Condition):
        return None
    if node.op is Op.IN_REGION:
        return REGION_PREFIX
    if node.op is Op.IN_INDUSTRY:
        return eval_column(node.field)
    return None


def condition_expr(cond: Condition, as_of: dt.date) -> pl.Expr:
    col = pl.col(eval_column(cond.field))
    spec = FIELDS_BY_NAME.get(cond.field)
    if spec is not None and spec.type is FieldType.AMOUNT:
        col = col.fill_nan(None)  # an unreadable number is unknown, as in row.py
    op, value = cond.op, cond.value
    if op.value in DATE_OPS:
        op = Op(DATE_OPS[op.value])
    spanned_ops = op not in (Op.PRESENT, Op.MISSING, Op.KNOWN)
    if spec is not None and spec.type is FieldType.DATE and spanned_ops:
        hi = pl.coalesce(pl.col(eval_column(cond.field) + DATE_HI_SUFFIX), col)
        exact = _value_expr(cond, col, as_of)
        spanned = _date_range_expr(op, value, col, hi, as_of)
        return pl.when(col.is_null()).then(None).when(hi == col).then(exact).otherwise(spanned)
    return _value_expr(cond, col, as_of)


def _date_range_expr(op: Op, value: Any, lo: pl.Expr, hi: pl.Expr, as_of: dt.date) -> pl.Expr:
    """row.date_range_verdict for a column of spans [lo, hi]."""
    unknown = pl.lit(None, dtype=pl.Boolean)
    if op is Op.WITHIN_YEARS:  # the Nth anniversary is outside, as in row.date_range_verdict
        lower = add_years(as_of, -int(value))
        start, end = pl.lit(lower), pl.lit(as_of)
        clamped = lower == dt.date.min
        inside_lo = (lo >= start) if clamped else (lo > start)
        before = pl.lit(False) if clamped else (hi <= start)
        return (
            pl.when(inside_lo & (hi <= end))
            .then(pl.lit(True))
            .when(before | (lo > end))
            .then(pl.lit(False))
            .otherwise(unknown)
        )
    if op in (Op.EQ, Op.NE, Op.IN, Op.NOT_IN):
        values = list(value) if op in (Op.IN, Op.NOT_IN) else [value]
        inside = pl.any_horizontal(
            [(lo <= pl.lit(v)) & (pl.lit(v) <= hi) for v in values] or [pl.lit(False)]
        )
        return pl.when(inside).then(unknown).otherwise(pl.lit(op in (Op.NE, Op.NOT_IN)))
    compare = {Op.LT: pl.Expr.__lt__, Op.LE: pl.Expr.__le__, Op.GT: pl.Expr.__gt__}
    check = compare.get(op, pl.Expr.__ge__)
    first, last = check(lo, pl.lit(value)), check(hi, pl.lit(value))
    return pl.when(first == last).then(first).otherwise(unknown)


def _value_expr(cond: Condition, col: pl.Expr, as_of: dt.date) -> pl.Expr:
    """The condition on a column of single values."""
    op, value = cond.op, cond.value
    if op is Op.PRESENT:
        return col.is_not_null()
    if op is Op.MISSING:
        return col.is_null()
    if op is Op.KNOWN:
        return (
            pl.when(col.is_not_null()).then(pl.lit(True)).otherwise(pl.lit(None, dtype=pl.Boolean))
        )
    if op.value in DATE_OPS:
        op = Op(DATE_OPS[op.value])
    if op is Op.IN_REGION:
        return _prefix_expr(region_target(value), pl.col(REGION_PREFIX))
    if op is Op.IN_INDUSTRY:
        return _prefix_expr(industry_target(value), col)
    if op is Op.ANY_IN_INDUSTRY:
        return _any_phrase_expr(industry_target(value), col)
    if op is Op.IN_CATALOGUE:
        return pl.col(CATALOGUE)
    if op in (Op.CONTAINS_ANY, Op.CONTAINS_ALL) and field_type(cond.field) is FieldType.TEXT:
        return contains_text_expr(col, value, every=op is Op.CONTAINS_ALL)
    if op is Op.MATCHES:
        return matches_expr(col, value)
    if op is Op.CONTAINS_ANY:
        return contains_any_expr(col, value)  # the same markers as the row evaluator
    if op in (Op.IN, Op.NOT_IN):
        hit = (
            pl.when(col.is_null())
            .then(pl.lit(None, dtype=pl.Boolean))
            .otherwise(col.is_in(list(value)))
        )
        return hit if op is Op.IN else ~hit
    if op is Op.WITHIN_YEARS:
        lower = add_years(as_of, -int(value))  # excluded, unless clamped (see row.py)
        if lower == dt.date.min:
            return col.is_between(pl.lit(lower), pl.lit(as_of), closed="both")
        return col.is_between(pl.lit(lower), pl.lit(as_of), closed="right")
    compare = {
        Op.EQ: col.__eq__,
        Op.NE: col.__ne__,
        Op.LT: col.__lt__,
        Op.LE: col.__le__,
        Op.GT: col.__gt__,
        Op.GE: col.__ge__,
    }[op]
    return compare(pl.lit(value))


class Stage:
    """Sub-expressions computed once, as columns, and read by name afterwards.

    Polars' own common-subexpression elimination shares the leaves of the criteria
    trees but recomputes every inner node each time a status, amount or code reads it;
    for a batch of many rules that is most of the wide pass. The same expression (by
    its serialised form) gets the same column, across rules too. A column reading
    other staged columns comes in a later ``with_columns`` (see :meth:`apply`).

    A leaf given ``per_value`` (an element-wise function of that one column, such as
    an industry or region prefix test) is computed once per distinct value of the
    column and joined back: a few hundred codes instead of every row's string."""

    def __init__(self, prefix: str = "__node") -> None:
        self.prefix = prefix
        self.levels: list[list[pl.Expr]] = []
        self.per_value: dict[str, list[pl.Expr]] = {}
        self._names: dict[bytes, str] = {}
        self._level: dict[str, int] = {}

    def __call__(self, expr: pl.Expr, per_value: str | None = None) -> pl.Expr:
        try:
            key = expr.meta.serialize(format="binary")
        except Exception:  # an expression polars cannot serialise stays inline
            return expr
        name = self._names.get(key)
        if name is None:
            name = f"{self.prefix}{len(self._names)}"
            roots = expr.meta.root_names()
            reads = [self._level[c] for c in roots if c in self._level]
            level = 1 + max(reads) if reads else 0
            if per_value is not None and set(roots) == {per_value}:
                self.per_value.setdefault(per_value, []).append(expr.alias(name))
                level = -1  # joined before the first level
            else:
                while len(self.levels) <= level:
                    self.levels.append([])
                self.levels[level].append(expr.alias(name))
            self._names[key], self._level[name] = name, level
        return pl.col(name)

    def apply(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        """``frame`` with every staged column."""
        for column, exprs in self.per_value.items():
            values = frame.select(pl.col(column).unique()).with_columns(exprs)
            frame = frame.join(
                values, on=column, how="left", nulls_equal=True, maintain_order="left"
            )
        for exprs in self.levels:
            frame = frame.with_columns(exprs)
        return frame


@record
class CompiledRule:
    rule: Rule
    status: pl.Expr  # String: eligible/unknown/ineligible/expired/not_yet_valid
    status_code: pl.Expr  # UInt8: the status's tree.STATUS_ORDER code
    amount: pl.Expr  # Float64 yuan or null
    met: pl.Expr  # String: condition labels joined by SEP
    unmet: pl.Expr
    missing: pl.Expr  # String: the input fields that would decide it, joined by SEP
    # The same three as UInt64 bit sets over the labels below (bit i = label i), cheap
    # to carry through unpivot and sort; decode() turns a code back into its text.
    met_code: pl.Expr
    unmet_code: pl.Expr
    missing_code: pl.Expr
    condition_labels: tuple[str, ...]
    missing_labels: tuple[str, ...]


def decode(code: int, labels: Sequence[str]) -> str:
    """The text of a bit-set code: its labels in order, joined like _joined."""
    return SEP.join(label for i, label in enumerate(labels) if code >> i & 1)


def compile_rule(
    rule: Rule, as_of: dt.date, lang: str = "zh", stage: Stage | None = None
) -> CompiledRule:
    """The rule's expressions. With ``stage``, every node of its criteria tree is a
    column of ``stage`` and the expressions read those columns: they are then valid
    only on a frame that ``stage.apply`` extended (see batch.Evaluator.wide)."""
    from matcher.evaluate.tree import STATUS_ORDER, condition_text
    from matcher.report.files import safe_text

    leaves, _, node_negated = annotate(rule)
    node_exprs: dict[int, pl.Expr] = {}
    leaf_nodes: list[int] = []
    counter = iter(range(len(node_negated)))

    def build(node: Any) -> pl.Expr:
        nid = next(counter)
        expr: pl.Expr
        if isinstance(node, AllNode):
            children = [build(c) for c in node.all]
            expr = pl.all_horizontal(children) if children else pl.lit(True)
        elif isinstance(node, AnyNode):
            children = [build(c) for c in node.any]
            expr = pl.any_horizontal(children) if children else pl.lit(False)
        elif isinstance(node, NotNode):
            expr = ~build(node.not_)
        else:
            expr = condition_expr(node, as_of)
            leaf_nodes.append(nid)
        if stage is not None:
            expr = stage(expr, _per_value(node))
        node_exprs[nid] = expr
        return expr

    root = build(rule.criteria)

    def effective(nid: int) -> pl.Expr:
        return ~node_exprs[nid] if node_negated[nid] else node_exprs[nid]

    met_flags: list[pl.Expr] = []
    unmet_flags: list[pl.Expr] = []
    labels: list[str] = []
    # Missing fields are listed once each, in order of their first condition.
    missing_by_field: dict[str, list[pl.Expr]] = {}
    for nid, leaf in zip(leaf_nodes, leaves, strict=True):
        labels.append(safe_text(condition_text(leaf.condition, lang)))
        eff = effective(nid)
        met_flags.append(eff)
        unmet_flags.append(
            pl.all_horizontal([eff.not_()] + [effective(a).not_() for a in leaf.ancestors])
        )
        undecided = pl.all_horizontal(
            [node_exprs[nid].is_null()] + [node_exprs[a].is_null() for a in leaf.ancestors]
        )
        field = decisive_field(eval_column(leaf.condition.field))
        missing_by_field.setdefault(field, []).append(undecided)
    fixed = static_status(rule, as_of)
    if fixed is None and in_force_open(rule, as_of):
        # As row.py: an unknown ANDed in; listed last when the criteria are not false.
        missing_by_field[IN_FORCE] = [root.is_null() | root]
        root = pl.all_horizontal([root, pl.lit(None, dtype=pl.Boolean)])
        if stage is not None:
            root = stage(root)
    missing_flags = [pl.any_horizontal(flags) for flags in missing_by_field.values()]
    missing_labels = [
        in_force_note(rule) if field == IN_FORCE and lang == "zh" else field_label(field, lang)
        for field in missing_by_field
    ]

    def code(status: Status) -> pl.Expr:
        return pl.lit(STATUS_ORDER[status.value], dtype=pl.UInt8)

    if fixed is not None:
        status = pl.lit(fixed.value)
        status_code = code(fixed)
    else:
        status = (
            pl.when(root)
            .then(pl.lit(Status.ELIGIBLE.value))
            .when(root.not_())
            .then(pl.lit(Status.INELIGIBLE.value))
            .otherwise(pl.lit(Status.UNKNOWN.value))
        )
        # the same three branches, as codes: no text built per row
        status_code = (
            pl.when(root)
            .then(code(Status.ELIGIBLE))
            .when(root.not_())
            .then(code(Status.INELIGIBLE))
            .otherwise(code(Status.UNKNOWN))
        )
    live = status_code.is_in([STATUS_ORDER[s.value] for s in (Status.ELIGIBLE, Status.UNKNOWN)])
    return CompiledRule(
        rule,
        status,
        status_code,
        _amount_expr(rule, live, as_of),
        _joined(met_flags, labels),
        _joined(unmet_flags, labels),
        _joined(missing_flags, missing_labels),
        _code(met_flags),
        _code(unmet_flags),
        _code(missing_flags),
        tuple(labels),
        tuple(missing_labels),
    )


SEP = "；"


def _joined(flags: Sequence[pl.Expr], labels: Sequence[str]) -> pl.Expr:
    """The labels whose flag is true, joined by SEP (concat_str skips the nulls)."""
    if not flags:
        return pl.lit("")
    items = [pl.when(f).then(pl.lit(label)) for f, label in zip(flags, labels, strict=True)]
    return pl.concat_str(items, separator=SEP, ignore_nulls=True)


def _code(flags: Sequence[pl.Expr]) -> pl.Expr:
    """The flags as one UInt64 bit set: bit i set when flag i is true (not false or null)."""
    bits = [
        pl.when(f).then(pl.lit(1 << i, dtype=pl.UInt64)).otherwise(pl.lit(0, dtype=pl.UInt64))
        for i, f in enumerate(flags)
    ]
    return pl.sum_horizontal(bits) if bits else pl.lit(0, dtype=pl.UInt64)


def _amount_expr(rule: Rule, live: pl.Expr, as_of: dt.date) -> pl.Expr:
    """The amount while the rule is ``live`` (eligible or unknown), else null."""
    b = rule.benefit
    none = pl.lit(None, dtype=pl.Float64)
    if rule.audience is not Audience.ENTERPRISE or b.type == "unquantified":
        return none
    if b.type == "fixed":
        total = pl.lit(float(b.amount_yuan or 0.0))
    elif b.type == "per_head":
        total = pl.col(str(b.per_field)).cast(pl.Float64) * float(b.amount_yuan or 0.0)
    elif b.type == "computed":
        assert b.formula is not None
        total = _formula_expr(b.formula)
    else:
        total = _tier_expr(rule, as_of)
    if b.cap_yuan is not None:
        total = total.clip(upper_bound=float(b.cap_yuan))  # keeps null (min_horizontal would not)
    return pl.when(live).then(total).otherwise(none)


def node_expr(node: Any, as_of: dt.date) -> pl.Expr:
    """A criteria tree as one Kleene expression, without labels (tier conditions)."""
    if isinstance(node, AllNode):
        return pl.all_horizontal([node_expr(c, as_of) for c in node.all])
    if isinstance(node, AnyNode):
        return pl.any_horizontal([node_expr(c, as_of) for c in node.any])
    if isinstance(node, NotNode):
        return ~node_expr(node.not_, as_of)
    return condition_expr(node, as_of)


def _tier_expr(rule: Rule, as_of: dt.date) -> pl.Expr:
    """As row.tier_amount: the first true tier; null once an earlier tier is unknown."""
    none = pl.lit(None, dtype=pl.Float64)
    expr: pl.Expr = none
    for tier in reversed(rule.benefit.tiers or []):
        hit = node_expr(tier.when, as_of)
        value = (
            _formula_expr(tier.formula)
            if tier.formula is not None
            else pl.lit(float(tier.amount_yuan or 0.0))
        )
        expr = pl.when(hit).then(value).when(hit.is_null()).then(none).otherwise(expr)
    return expr


def _formula_expr(f: Formula) -> pl.Expr:
    total = pl.col(f.field).cast(pl.Float64).fill_nan(None) * f.factor
    if f.round_down_to_yuan is not None:
        total = (total / f.round_down_to_yuan).floor() * f.round_down_to_yuan
    if f.min_yuan is not None:
        total = total.clip(lower_bound=float(f.min_yuan))
    if f.max_yuan is not None:
        total = total.clip(upper_bound=float(f.max_yuan))
    return total
