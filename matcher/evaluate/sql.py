"""Criteria trees compiled to SQL (Spark SQL or DuckDB), for platforms that match inside
their warehouse: a third translation of tree.py, beside row.py and vector.py.

The query reads a table of normalised profiles (the columns ``Intake.chunk`` produces:
typed fields, ``region_code``, ``industry_code``, ``size_effective``, ``<date>_hi``) and
returns one row per enterprise × rule: status, amount, met / unmet / missing (the same
texts as the polars batch), the rule an excluded benefit yields to, and the rank with
the re-ranking within 待补充信息. SQL's AND / OR / NOT are Kleene, as polars' are: an
unknown value is NULL and CASE turns the three values into a status.

Built in stages so that no expression is repeated: leaves as columns, then the inner
nodes from them, then per rule the status, amount and reasons, then the exclusivity
choice, then one row per rule (an exploded array of structs) and the rank.

``in_catalogue`` is a fuzzy match against the catalogue, which SQL cannot do: the query
reads its verdict from a ``__catalogue`` column (as vector.with_eval_columns computes it).
"""

from __future__ import annotations

import datetime as dt
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, reduce
from typing import TYPE_CHECKING, Any, Literal

from matcher.errors import PolicyMatchError
from matcher.evaluate.row import add_years
from matcher.evaluate.text import keyword_groups, pattern_pieces
from matcher.evaluate.tree import (
    IN_FORCE,
    STATUS_ORDER,
    Leaf,
    PrefixTarget,
    Status,
    annotate,
    condition_text,
    decisive_field,
    eval_column,
    field_label,
    in_force_note,
    in_force_open,
    industry_target,
    region_target,
    static_status,
)
from matcher.fields import FIELDS_BY_NAME, ROW, FieldType
from matcher.intake.certifications import ABSENT, MAYBE, OTHERS_UNKNOWN
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

if TYPE_CHECKING:
    from matcher.evaluate.exclusive import Component

Dialect = Literal["spark", "duckdb"]
DIALECTS: tuple[str, ...] = ("spark", "duckdb")
CATALOGUE = "__catalogue"  # the verdict column in_catalogue reads (see the module doc)
SEP = "；"
# The columns of the result, in order.
OUTPUT_COLUMNS = (
    ROW,
    "enterprise_id",
    "enterprise_name",
    "rank",
    "rule_id",
    "status",
    "amount_yuan",
    "met",
    "unmet",
    "missing",
    "excluded_by",
)
# Operators the compiler translates, listed by hand: an operator added to the rule model
# later is refused by name until it is translated here (never compiled wrong).
COMPILED_OPS = frozenset(
    {
        Op.EQ,
        Op.NE,
        Op.LT,
        Op.LE,
        Op.GT,
        Op.GE,
        Op.IN,
        Op.NOT_IN,
        Op.IN_REGION,
        Op.IN_INDUSTRY,
        Op.ANY_IN_INDUSTRY,
        Op.CONTAINS_ANY,
        Op.CONTAINS_ALL,
        Op.MATCHES,
        Op.PRESENT,
        Op.KNOWN,
        Op.MISSING,
        Op.WITHIN_YEARS,
        Op.IN_CATALOGUE,
        Op.AFTER,
        Op.ON_OR_AFTER,
        Op.BEFORE,
        Op.ON_OR_BEFORE,
    }
)


class SqlCompileError(PolicyMatchError):
    """A rule the SQL compiler cannot translate exactly."""


@record
class _Sql:
    dialect: Dialect

    def ident(self, name: str) -> str:
        if self.dialect == "spark":
            return "`" + name.replace("`", "``") + "`"
        return '"' + name.replace('"', '""') + '"'

    def text(self, value: str) -> str:
        if self.dialect == "spark":  # Spark reads backslash escapes in literals
            return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
        return "'" + value.replace("'", "''") + "'"

    def value(self, v: Any) -> str:
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return f"CAST({v!r} AS DOUBLE)"
        if isinstance(v, dt.date):
            return f"DATE '{v.isoformat()}'"
        if isinstance(v, str):
            return self.text(v)
        raise TypeError(f"no SQL literal for {v!r}")

    def array_has(self, column: str, item: str) -> str:
        # COALESCE: a list holding a NULL element makes array_contains NULL, polars False.
        return f"COALESCE(array_contains({column}, {self.text(item)}), FALSE)"


NULL_BOOL = "CAST(NULL AS BOOLEAN)"
NULL_DOUBLE = "CAST(NULL AS DOUBLE)"


def _any(parts: Sequence[str]) -> str:
    return "(" + " OR ".join(parts) + ")" if parts else "FALSE"


def _all(parts: Sequence[str]) -> str:
    return "(" + " AND ".join(parts) + ")" if parts else "TRUE"


def _case_bool(*branches: tuple[str, str], otherwise: str) -> str:
    body = " ".join(f"WHEN {w} THEN {t}" for w, t in branches)
    return f"(CASE {body} ELSE {otherwise} END)"


# ---------------------------------------------------------------------------- folding


@cache
def _fold_table() -> tuple[str, str, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """text.fold (NFKC, then lower case) as string functions: the characters it maps to
    one character (for translate), those it maps to several (for replace), and the
    decomposed sequences (e + U+0301) NFKC composes into one character (é)."""
    src: list[str] = []
    dst: list[str] = []
    multi: list[tuple[str, str]] = []
    composed: list[tuple[str, str]] = []
    for cp in range(sys.maxunicode + 1):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        f = unicodedata.normalize("NFKC", c).lower()
        decomposed = unicodedata.normalize("NFD", c)
        if len(decomposed) > 1 and unicodedata.normalize("NFC", decomposed) == c:
            composed.append((decomposed, f))
        if f == c:
            continue
        if len(f) == 1:
            src.append(c)
            dst.append(f)
        else:
            multi.append((c, f))
    composed.sort(key=lambda pair: -len(pair[0]))  # the longest sequences first
    return "".join(src), "".join(dst), tuple(multi), tuple(composed)


def _fold_replacements(needles: set[str]) -> list[tuple[str, str]]:
    """What text.fold does beyond one character for one (translate), restricted to what
    can change whether a needle is found: a character folding to several, or a
    decomposed sequence composing to one, matters only when the result shares a
    character with a needle. Rarer NFKC steps (reordering several combining marks,
    Hangul jamo) are not reproduced."""
    _, _, multi, composed = _fold_table()
    chars = set("".join(needles))
    pairs = [(seq, f) for seq, f in composed if chars & (set(f) | set(seq[0].lower()))]
    return pairs + [(c, f) for c, f in multi if chars & set(f)]


# Nested replace() calls per query stage: Spark's parser refuses deeper nesting.
REPLACES_PER_STAGE = 40


def _fold_stages(c: _Compiler) -> list[tuple[str, list[str]]]:
    """Stages (name, columns) computing ``__fold_<field>`` for each searched text field."""
    current = {field: c.q(field) for field in c.needles}
    pending = {field: _fold_replacements(needles) for field, needles in c.needles.items()}
    stages: list[tuple[str, list[str]]] = []
    step = 0
    while any(pending.values()):
        cols = []
        for field, pairs in pending.items():
            if not pairs:
                continue
            expr = current[field]
            for seq, f in pairs[:REPLACES_PER_STAGE]:
                expr = f"replace({expr}, {c.sql.text(seq)}, {c.sql.text(f)})"
            pending[field] = pairs[REPLACES_PER_STAGE:]
            current[field] = c.q(f"__fold{step}_{field}")
            cols.append(f"{expr} AS {current[field]}")
        stages.append((f"__fold{step}", cols))
        step += 1
    src, dst, _, _ = _fold_table()
    last = [
        f"translate({current[field]}, {c.sql.text(src)}, {c.sql.text(dst)}) AS "
        f"{c.q('__fold_' + field)}"
        for field in c.needles
    ]
    return [*stages, ("__folded", last)]


# -------------------------------------------------------------------------- conditions


class _Compiler:
    def __init__(self, rules: Sequence[Rule], as_of: dt.date, dialect: Dialect, lang: str):
        if dialect not in DIALECTS:
            raise PolicyMatchError(f"不支持的 SQL 方言「{dialect}」", "可用：spark、duckdb")
        self.sql = _Sql(dialect)
        self.rules = list(rules)
        self.as_of = as_of
        self.lang = lang
        self.needles: dict[str, set[str]] = {}  # text field → needles it is searched for

    def q(self, name: str) -> str:
        return self.sql.ident(name)

    def refuse(self, rule: Rule, cond: Condition, why: str) -> SqlCompileError:
        return SqlCompileError(
            f"规则「{rule.id}」的条件「{cond.label}」（字段 {cond.field}，运算 {cond.op.value}）"
            f"无法编译为 SQL：{why}",
            "用 polars 批处理（policy-match batch）匹配这条规则，或用 --rules 去掉它",
        )

    def column(self, cond: Condition) -> str:
        name = eval_column(cond.field)
        ref = self.q(name)
        spec = FIELDS_BY_NAME.get(cond.field)
        if spec is not None and spec.type is FieldType.AMOUNT:
            # An unreadable number (NaN) is unknown, as vector.py's fill_nan.
            return f"(CASE WHEN isnan({ref}) THEN {NULL_DOUBLE} ELSE {ref} END)"
        return ref

    def condition(self, rule: Rule, cond: Condition) -> str:
        if cond.op not in COMPILED_OPS:
            raise self.refuse(rule, cond, "未实现该运算")
        col = self.column(cond)
        op, value = cond.op, cond.value
        if op.value in DATE_OPS:
            op = Op(DATE_OPS[op.value])
        spec = FIELDS_BY_NAME.get(cond.field)
        if (
            spec is not None
            and spec.type is FieldType.DATE
            and op not in (Op.PRESENT, Op.MISSING, Op.KNOWN)
        ):
            hi = f"COALESCE({self.q(eval_column(cond.field) + DATE_HI_SUFFIX)}, {col})"
            exact = self.value_expr(rule, cond, op, col)
            spanned = self.date_range(op, value, col, hi)
            return (
                f"(CASE WHEN {col} IS NULL THEN {NULL_BOOL} "
                f"WHEN {hi} = {col} THEN {exact} ELSE {spanned} END)"
            )
        return self.value_expr(rule, cond, op, col)

    def date_range(self, op: Op, value: Any, lo: str, hi: str) -> str:
        """vector._date_range_expr: decided only where the whole span agrees."""
        v = self.sql.value
        if op is Op.WITHIN_YEARS:
            lower = add_years(self.as_of, -int(value))
            clamped = lower == dt.date.min
            start, end = v(lower), v(self.as_of)
            inside_lo = f"({lo} >= {start})" if clamped else f"({lo} > {start})"
            before = "FALSE" if clamped else f"({hi} <= {start})"
            return _case_bool(
                (f"({inside_lo} AND ({hi} <= {end}))", "TRUE"),
                (f"({before} OR ({lo} > {end}))", "FALSE"),
                otherwise=NULL_BOOL,
            )
        if op in (Op.EQ, Op.NE, Op.IN, Op.NOT_IN):
            values = list(value) if op in (Op.IN, Op.NOT_IN) else [value]
            inside = _any([f"({lo} <= {v(x)} AND {v(x)} <= {hi})" for x in values])
            return _case_bool((inside, NULL_BOOL), otherwise=v(op in (Op.NE, Op.NOT_IN)))
        sym = {Op.LT: "<", Op.LE: "<=", Op.GT: ">"}.get(op, ">=")
        first, last = f"({lo} {sym} {v(value)})", f"({hi} {sym} {v(value)})"
        return _case_bool((f"{first} = {last}", first), otherwise=NULL_BOOL)

    def prefix(self, target: PrefixTarget, column: str) -> str:
        """vector._prefix_expr."""
        inside = _any(
            [f"substr({column}, 1, {len(p)}) = {self.sql.text(p)}" for p in sorted(target.prefixes)]
        )
        coarser = (
            f"{column} IN ({', '.join(self.sql.text(a) for a in sorted(target.ancestors))})"
            if target.ancestors
            else "FALSE"
        )
        return _case_bool(
            (f"{column} IS NULL", NULL_BOOL),
            (inside, "TRUE"),
            (coarser, NULL_BOOL),
            otherwise="FALSE",
        )

    def any_phrase(self, target: PrefixTarget, column: str) -> str:
        """tree.any_phrase_in: a Kleene OR of each phrase's prefix test; no list, or an
        empty one, is unknown."""
        each = self.prefix(target, "__p")
        if self.sql.dialect == "spark":
            size, keep = "size", "filter({}, __p -> {})"
        else:
            size, keep = "len", "list_filter({}, lambda __p: {})"
        true = f"{size}({keep.format(column, each)}) > 0"
        open_ = f"{size}({keep.format(column, f'({each}) IS NOT FALSE')}) > 0"
        return _case_bool(
            (f"({column} IS NULL OR {size}({column}) = 0)", NULL_BOOL),
            (true, "TRUE"),
            (open_, NULL_BOOL),
            otherwise="FALSE",
        )

    def folded(self, field: str, needles: Sequence[str]) -> str:
        self.needles.setdefault(field, set()).update(needles)
        return self.q(f"__fold_{field}")

    def value_expr(self, rule: Rule, cond: Condition, op: Op, col: str) -> str:
        """vector._value_expr: the condition on a column of single values."""
        v, value = self.sql.value, cond.value
        if op is Op.PRESENT:
            return f"({col} IS NOT NULL)"
        if op is Op.MISSING:
            return f"({col} IS NULL)"
        if op is Op.KNOWN:
            return _case_bool((f"{col} IS NOT NULL", "TRUE"), otherwise=NULL_BOOL)
        if op is Op.IN_REGION:
            return self.prefix(region_target(value), self.q(REGION_PREFIX))
        if op is Op.IN_INDUSTRY:
            return self.prefix(industry_target(value), col)
        if op is Op.ANY_IN_INDUSTRY:
            return self.any_phrase(industry_target(value), col)
        if op is Op.IN_CATALOGUE:
            return self.q(CATALOGUE)
        is_text = field_type(cond.field) is FieldType.TEXT
        if op in (Op.CONTAINS_ANY, Op.CONTAINS_ALL) and is_text:
            groups = keyword_groups(value)
            folded = self.folded(cond.field, [k for g in groups for k in g])
            found = [_any([f"instr({folded}, {self.sql.text(k)}) > 0" for k in g]) for g in groups]
            combined = _all(found) if op is Op.CONTAINS_ALL else _any(found)
            return _case_bool((f"{col} IS NULL", NULL_BOOL), otherwise=combined)
        if op is Op.MATCHES:
            pieces = pattern_pieces(value)
            folded = self.folded(cond.field, pieces)
            like = "%" + "%".join(_like_escape(p) for p in pieces) + "%"
            return f"({folded} LIKE {self.sql.text(like)} ESCAPE '!')"
        if op is Op.CONTAINS_ANY:  # a certification list with markers
            wanted = list(value)
            hit = _any([self.sql.array_has(col, w) for w in wanted])
            maybe = _any([self.sql.array_has(col, MAYBE + w) for w in wanted])
            open_ = _all(
                [
                    self.sql.array_has(col, OTHERS_UNKNOWN),
                    _any([f"NOT {self.sql.array_has(col, ABSENT + w)}" for w in wanted]),
                ]
            )
            return _case_bool(
                (f"{col} IS NULL", NULL_BOOL),
                (hit, "TRUE"),
                (f"({maybe} OR {open_})", NULL_BOOL),
                otherwise="FALSE",
            )
        if op in (Op.IN, Op.NOT_IN):
            hit = f"({col} IN ({', '.join(v(x) for x in value)}))"
            return hit if op is Op.IN else f"(NOT {hit})"
        if op is Op.WITHIN_YEARS:
            lower = add_years(self.as_of, -int(value))
            low = ">=" if lower == dt.date.min else ">"
            return f"({col} {low} {v(lower)} AND {col} <= {v(self.as_of)})"
        sym = {Op.EQ: "=", Op.NE: "<>", Op.LT: "<", Op.LE: "<=", Op.GT: ">", Op.GE: ">="}
        if op not in sym:
            raise self.refuse(rule, cond, "未实现该运算")
        return f"({col} {sym[op]} {v(value)})"

    # ------------------------------------------------------------------------ rules

    def node(self, rule: Rule, node: Any) -> str:
        """A tree as one Kleene expression (tier conditions: vector.node_expr)."""
        if isinstance(node, AllNode):
            return _all([self.node(rule, c) for c in node.all])
        if isinstance(node, AnyNode):
            return _any([self.node(rule, c) for c in node.any])
        if isinstance(node, NotNode):
            return f"(NOT {self.node(rule, node.not_)})"
        return self.condition(rule, node)

    def formula(self, f: Formula) -> str:
        value = f"CAST({self.q(f.field)} AS DOUBLE)"
        total = f"(CASE WHEN isnan({value}) THEN {NULL_DOUBLE} ELSE {value} END * {self.sql.value(float(f.factor))})"
        if f.round_down_to_yuan is not None:
            r = self.sql.value(float(f.round_down_to_yuan))
            total = f"(CAST(FLOOR({total} / {r}) AS DOUBLE) * {r})"
        if f.min_yuan is not None:
            total = _clip(total, self.sql.value(float(f.min_yuan)), "<")
        if f.max_yuan is not None:
            total = _clip(total, self.sql.value(float(f.max_yuan)), ">")
        return total

    def amount(self, rule: Rule, status: str) -> str:
        """vector._amount_expr, before exclusivity."""
        b = rule.benefit
        if rule.audience is not Audience.ENTERPRISE or b.type == "unquantified":
            return NULL_DOUBLE
        if b.type == "fixed":
            total = self.sql.value(float(b.amount_yuan or 0.0))
        elif b.type == "per_head":
            heads = f"CAST({self.q(str(b.per_field))} AS DOUBLE)"
            total = f"({heads} * {self.sql.value(float(b.amount_yuan or 0.0))})"
        elif b.type == "computed":
            assert b.formula is not None
            total = self.formula(b.formula)
        else:  # tiered: the first true tier; unknown once an earlier tier is unknown
            branches = []
            for tier in b.tiers or []:
                hit = self.node(rule, tier.when)
                value = (
                    self.formula(tier.formula)
                    if tier.formula is not None
                    else self.sql.value(float(tier.amount_yuan or 0.0))
                )
                branches.append(f"WHEN {hit} THEN {value} WHEN {hit} IS NULL THEN {NULL_DOUBLE}")
            total = f"(CASE {' '.join(branches)} ELSE {NULL_DOUBLE} END)"
        if b.cap_yuan is not None:
            total = _clip(total, self.sql.value(float(b.cap_yuan)), ">")
        live = f"{status} IN ('{Status.ELIGIBLE.value}', '{Status.UNKNOWN.value}')"
        return f"(CASE WHEN {live} THEN {total} ELSE {NULL_DOUBLE} END)"


def _clip(total: str, bound: str, beyond: str) -> str:
    """polars clip: NULL stays NULL (SQL's LEAST/GREATEST skip NULLs in Spark)."""
    return f"(CASE WHEN {total} {beyond} {bound} THEN {bound} ELSE {total} END)"


def _like_escape(piece: str) -> str:
    return piece.replace("!", "!!").replace("%", "!%").replace("_", "!_")


REGION_PREFIX = "__region_prefix"


@dataclass
class _RuleColumns:
    status: str
    amount: str
    met: str
    unmet: str
    missing: str
    n_missing: str


def _rule_columns(
    c: _Compiler,
    index: int,
    rule: Rule,
    leaf_cols: list[str],
    node_cols: list[str],
    rule_cols: list[str],
) -> _RuleColumns:
    """One rule's leaves, inner nodes, status and reasons, appended to the stages' columns."""
    q, lang = c.q, c.lang
    leaves, _, node_negated = annotate(rule)
    leaf_nodes = _tree_columns(c, index, rule, len(node_negated), leaf_cols, node_cols)
    met, unmet, labels, missing_by_field = _reasons(c, index, leaves, leaf_nodes, node_negated)
    root = q(_node_name(index, 0))
    fixed = static_status(rule, c.as_of)
    if fixed is None and in_force_open(rule, c.as_of):
        missing_by_field[IN_FORCE] = [f"({root} IS NULL OR {root})"]
        root = f"({root} AND {NULL_BOOL})"
    missing_flags = [_any(flags) for flags in missing_by_field.values()]
    missing_labels = [
        in_force_note(rule) if f == IN_FORCE and lang == "zh" else field_label(f, lang)
        for f in missing_by_field
    ]
    status = c.sql.text(fixed.value) if fixed is not None else _status_case(root)
    out = _RuleColumns(*(q(f"__{k}{index}") for k in ("s", "a", "met", "unmet", "miss", "nmiss")))
    rule_cols += [
        f"{status} AS {out.status}",
        f"{_joined(c, met, labels)} AS {out.met}",
        f"{_joined(c, unmet, labels)} AS {out.unmet}",
        f"{_joined(c, missing_flags, missing_labels)} AS {out.missing}",
        f"({' + '.join(f'(CASE WHEN {f} THEN 1 ELSE 0 END)' for f in missing_flags) or '0'})"
        f" AS {out.n_missing}",
        # The status expression again rather than its column: this stage keeps only its
        # own columns, which keeps every later stage narrow (Spark analyses faster).
        f"{c.amount(rule, status)} AS {out.amount}",
    ]
    return out


def _node_name(index: int, nid: int) -> str:
    """The column of node ``nid`` (numbered as tree.annotate does) of rule ``index``."""
    return f"__r{index}_n{nid}"


def _tree_columns(
    c: _Compiler,
    index: int,
    rule: Rule,
    n_nodes: int,
    leaf_cols: list[str],
    node_cols: list[str],
) -> list[int]:
    """The rule's criteria tree as columns: each leaf a column of the leaves stage, each
    inner node a column of the nodes stage written over the leaf columns. Returns the
    node numbers of the leaves, in order."""
    q = c.q
    counter = iter(range(n_nodes))
    leaf_nodes: list[int] = []

    def build(node: Any) -> str:
        nid = next(counter)
        if isinstance(node, AllNode):
            expr = _all([build(x) for x in node.all])
        elif isinstance(node, AnyNode):
            expr = _any([build(x) for x in node.any])
        elif isinstance(node, NotNode):
            expr = f"(NOT {build(node.not_)})"
        else:
            leaf_cols.append(f"{c.condition(rule, node)} AS {q(_node_name(index, nid))}")
            leaf_nodes.append(nid)
            return q(_node_name(index, nid))
        node_cols.append(f"{expr} AS {q(_node_name(index, nid))}")
        return expr  # inlined: a column cannot be read in the stage that defines it

    build(rule.criteria)
    return leaf_nodes


def _reasons(
    c: _Compiler,
    index: int,
    leaves: Sequence[Leaf],
    leaf_nodes: Sequence[int],
    node_negated: dict[int, bool],
) -> tuple[list[str], list[str], list[str], dict[str, list[str]]]:
    """Per leaf, the flag that lists it as met (its value, negated under a NOT), as unmet
    (it and every ancestor false), its label; and per decisive field the flags that say
    the leaf reading it is undecided (it and every ancestor unknown)."""
    from matcher.report.files import safe_text

    q = c.q

    def eff(nid: int) -> str:
        name = q(_node_name(index, nid))
        return f"(NOT {name})" if node_negated[nid] else name

    met, unmet, labels = [], [], []
    missing_by_field: dict[str, list[str]] = {}
    for nid, leaf in zip(leaf_nodes, leaves, strict=True):
        labels.append(safe_text(condition_text(leaf.condition, c.lang)))
        met.append(eff(nid))
        unmet.append(_all([f"(NOT {eff(a)})" for a in (nid, *leaf.ancestors)]))
        undecided = _all([f"({q(_node_name(index, a))} IS NULL)" for a in (nid, *leaf.ancestors)])
        field = decisive_field(eval_column(leaf.condition.field))
        missing_by_field.setdefault(field, []).append(undecided)
    return met, unmet, labels, missing_by_field


def _status_case(root: str) -> str:
    """The status from the root's three values: TRUE eligible, FALSE ineligible, NULL unknown."""
    return (
        f"(CASE WHEN {root} THEN '{Status.ELIGIBLE.value}' "
        f"WHEN NOT {root} THEN '{Status.INELIGIBLE.value}' "
        f"ELSE '{Status.UNKNOWN.value}' END)"
    )


def compile_sql(
    rules: Sequence[Rule],
    as_of: dt.date,
    *,
    dialect: Dialect = "spark",
    table: str = "profiles",
    lang: str = "zh",
) -> str:
    """One query: every enterprise of ``table`` × every rule, ranked (see the module doc)."""
    from matcher.batch import static_order

    c = _Compiler(static_order(rules), as_of, dialect, lang)
    q = c.q
    leaf_cols: list[str] = []
    node_cols: list[str] = []
    rule_cols: list[str] = []
    outs: list[_RuleColumns] = []
    for index, rule in enumerate(c.rules):
        outs.append(_rule_columns(c, index, rule, leaf_cols, node_cols, rule_cols))
    excl = _exclusive_columns(c, outs)
    structs = _result_structs(c, outs, excl.rival_of)

    stages = [_stage(c, "__base", [f"{_region_prefix(c)} AS {q(REGION_PREFIX)}"], table)]
    source = q("__base")
    for name, cols in _fold_stages(c) if c.needles else []:
        stages.append(_stage(c, name, cols, source))
        source = q(name)
    stages += [
        _stage(c, "__leaves", leaf_cols, source),
        _stage(c, "__nodes", node_cols, q("__leaves")),
        _stage(c, "__rules", rule_cols, q("__nodes"), [q(ROW), q("id"), q("name")]),
        _stage(c, "__worths", excl.worths, q("__rules")),
        _stage(c, "__best", excl.best, q("__worths")),
        _stage(c, "__exclusive", excl.rivals, q("__best")),
        _long_stage(c, structs),
    ]
    return (
        _query_header(c, table)
        + "WITH "
        + ",\n".join(stages)
        + f"\nSELECT {_ranked_select(c)}\nFROM {q('__long')}\nORDER BY {q(ROW)}, {q('rank')}\n"
    )


@dataclass
class _Exclusive:
    """The columns of the exclusivity stages, and the column naming each rule's rival."""

    worths: list[str]  # __worths: each option's worth
    best: list[str]  # __best: the option chosen
    rivals: list[str]  # __exclusive: who excludes whom
    rival_of: dict[int, str]  # rule index → its rival column


def _exclusive_columns(c: _Compiler, outs: Sequence[_RuleColumns]) -> _Exclusive:
    """Exclusivity (evaluate/exclusive.py): the first option worth most, then with most
    eligible members; every option of each component is listed, as the polars path does."""
    from matcher.evaluate import exclusive

    q = c.q
    index_of = {r.id: i for i, r in enumerate(c.rules)}
    out = _Exclusive([], [], [], {})
    for k, comp in enumerate(exclusive.components(c.rules)):
        eligible = {m: f"({outs[index_of[m]].status} = 'eligible')" for m in comp.members}
        amounts = {m: outs[index_of[m]].amount for m in comp.members}
        worths, counts = _option_worths(comp, eligible, amounts)
        wcols = [q(f"__x{k}_w{i}") for i in range(len(worths))]
        out.worths += [f"{w} AS {col}" for w, col in zip(worths, wcols, strict=True)]
        best_col = q(f"__x{k}_best")
        out.best.append(f"{_best_option(wcols, counts)} AS {best_col}")
        for m in comp.members:
            out.rival_of[index_of[m]] = q(f"__x_rival{index_of[m]}")
            rival = _rival(c, comp, m, eligible, best_col)
            out.rivals.append(f"{rival} AS {out.rival_of[index_of[m]]}")
    return out


def _option_worths(
    comp: Component, eligible: dict[str, str], amounts: dict[str, str]
) -> tuple[list[str], list[str]]:
    """Per option of ``comp``: the sum of its eligible members' amounts (a missing amount
    counts 0) and the number of its eligible members."""
    worth = {
        m: f"(CASE WHEN {eligible[m]} THEN COALESCE({amounts[m]}, "
        f"CAST(0.0 AS DOUBLE)) ELSE CAST(0.0 AS DOUBLE) END)"
        for m in comp.members
    }
    worths, counts = [], []
    for option in comp.options:
        members = [m for m in comp.members if m in option]
        worths.append(
            reduce(lambda acc, m: f"({acc} + {worth[m]})", members, "CAST(0.0 AS DOUBLE)")
        )
        counts.append(
            "(" + " + ".join(f"(CASE WHEN {eligible[m]} THEN 1 ELSE 0 END)" for m in members) + ")"
        )
    return worths, counts


def _best_option(wcols: Sequence[str], counts: Sequence[str]) -> str:
    """The index of the option chosen: the first among those worth most that has the
    most eligible members."""
    most = _greatest(wcols)
    keyed = [
        f"(CASE WHEN {w} = {most} THEN {n} ELSE -1 END)" for w, n in zip(wcols, counts, strict=True)
    ]
    top = _greatest(keyed)
    return (
        "(CASE " + " ".join(f"WHEN {kd} = {top} THEN {i}" for i, kd in enumerate(keyed)) + " END)"
    )


def _rival(c: _Compiler, comp: Component, m: str, eligible: dict[str, str], best_col: str) -> str:
    """The rule that excludes ``m``: when ``m`` is eligible and outside the chosen option,
    the first eligible member of that option in conflict with it; else NULL."""
    branches = []
    for i, option in enumerate(comp.options):
        if m in option:
            continue
        rivals = [r for r in comp.members if r in option and comp.conflicts(m, r)]
        rival = _coalesce([f"(CASE WHEN {eligible[r]} THEN {c.sql.text(r)} END)" for r in rivals])
        branches.append(f"WHEN {best_col} = {i} THEN {rival}")
    expr = (
        f"(CASE {' '.join(branches)} ELSE CAST(NULL AS STRING) END)"
        if branches
        else "CAST(NULL AS STRING)"
    )
    return f"(CASE WHEN {eligible[m]} THEN {expr} ELSE CAST(NULL AS STRING) END)"


def _result_structs(
    c: _Compiler, outs: Sequence[_RuleColumns], rival_of: dict[int, str]
) -> list[str]:
    """Per rule, the struct of its result row: status and its order, the amount (none
    when excluded), the money that ranks an open result, the reasons and the rival."""
    from matcher.evaluate.questions import potential_amount

    least = [potential_amount(r, None) for r in c.rules]
    structs = []
    for i, (rule, out) in enumerate(zip(c.rules, outs, strict=True)):
        rival = rival_of.get(i, "CAST(NULL AS STRING)")
        amount = f"(CASE WHEN {rival} IS NULL THEN {out.amount} ELSE {NULL_DOUBLE} END)"
        fields = {
            "__rule": str(i),
            "rule_id": c.sql.text(rule.id),
            "status": out.status,
            "__status": f"(CASE {out.status} "
            + " ".join(f"WHEN '{s}' THEN {o}" for s, o in STATUS_ORDER.items())
            + " END)",
            "amount_yuan": amount,
            "__money": f"COALESCE({amount}, {c.sql.value(float(least[i]))})",
            "__nmiss": out.n_missing,
            "met": out.met,
            "unmet": out.unmet,
            "missing": out.missing,
            "excluded_by": rival,
        }
        structs.append(_struct(c.sql, fields))
    return structs


def _region_prefix(c: _Compiler) -> str:
    """The region code without its trailing zeros (110000 → 11, 110100 → 1101), which
    in_region compares prefixes of."""
    region = c.q("region_code")
    return (
        f"(CASE WHEN right({region}, 4) = '0000' THEN substr({region}, 1, 2) "
        f"WHEN right({region}, 2) = '00' THEN substr({region}, 1, 4) ELSE {region} END)"
    )


def _stage(
    c: _Compiler, name: str, cols: Sequence[str], source: str, keep: Sequence[str] = ("*",)
) -> str:
    """One common table expression: ``keep`` and ``cols`` selected from ``source``."""
    body = ",\n    ".join([*keep, *cols])
    return f"{c.q(name)} AS (\n  SELECT\n    {body}\n  FROM {source}\n)"


def _long_stage(c: _Compiler, structs: Sequence[str]) -> str:
    """The stage with one row per enterprise × rule: the structs exploded."""
    q = c.q
    if c.sql.dialect == "spark":
        explode = f"inline(array({', '.join(structs)}))"
    else:
        explode = f"unnest([{', '.join(structs)}], recursive := true)"
    return (
        f"{q('__long')} AS (\n  SELECT {q(ROW)}, {q('id')} AS {q('enterprise_id')}, "
        f"{q('name')} AS {q('enterprise_name')}, {explode}\n  FROM {q('__exclusive')}\n)"
    )


def _query_header(c: _Compiler, table: str) -> str:
    """The comment lines that open the query: what it computes and what it reads."""
    return (
        f"-- policy-match: {len(c.rules)} rules as of {c.as_of.isoformat()}, "
        f"dialect {c.sql.dialect}.\n"
        f"-- Input: {table}, normalised profiles (columns as Intake.chunk produces them)"
        + (
            f"; rules using in_catalogue read its verdict from {CATALOGUE}"
            if _uses_catalogue(c.rules)
            else ""
        )
        + ".\n"
    )


def _ranked_select(c: _Compiler) -> str:
    """The output columns, the rank among them: by status, then within 待补充信息 most
    money and fewest missing answers first, then amount, then the rules' order."""
    q = c.q
    unknown = f"{q('status')} = '{Status.UNKNOWN.value}'"
    order = (
        f"{q('__status')}, (CASE WHEN {unknown} THEN -{q('__money')} ELSE 0 END), "
        f"(CASE WHEN {unknown} THEN {q('__nmiss')} ELSE 0 END), "
        f"{q('amount_yuan')} DESC NULLS LAST, {q('__rule')}"
    )
    return ", ".join(
        [q(ROW), q("enterprise_id"), q("enterprise_name")]
        + [
            f"CAST(ROW_NUMBER() OVER (PARTITION BY {q(ROW)} ORDER BY {order}) AS INT) AS {q('rank')}"
        ]
        + [q(x) for x in OUTPUT_COLUMNS[4:]]
    )


def _uses_catalogue(rules: Sequence[Rule]) -> bool:
    return any(c.op is Op.IN_CATALOGUE for r in rules for c in r.leaves())


def _greatest(items: Sequence[str]) -> str:
    # Spark's greatest needs two arguments at least.
    return items[0] if len(items) == 1 else f"greatest({', '.join(items)})"


def _coalesce(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"COALESCE({', '.join(items)})"


def _joined(c: _Compiler, flags: Sequence[str], labels: Sequence[str]) -> str:
    """vector._joined: the labels whose flag is TRUE, joined by SEP (concat_ws skips NULL)."""
    if not flags:
        return "''"
    items = [
        f"(CASE WHEN {f} THEN {c.sql.text(x)} END)" for f, x in zip(flags, labels, strict=True)
    ]
    return f"concat_ws({c.sql.text(SEP)}, {', '.join(items)})"


def _struct(sql: _Sql, fields: dict[str, str]) -> str:
    if sql.dialect == "spark":
        return "named_struct(" + ", ".join(f"'{k}', {v}" for k, v in fields.items()) + ")"
    return "{" + ", ".join(f"'{k}': {v}" for k, v in fields.items()) + "}"
