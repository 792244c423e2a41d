"""Every enterprise × every rule: the vectorised path, and the row path beside it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from matcher.evaluate.row import Outcome, evaluate
from matcher.evaluate.tree import STATUS_ORDER, Status, condition_text
from matcher.fields import FIELDS_BY_NAME, ROW, col
from matcher.rule import KIND_ORDER, KIND_ZH, Audience, Rule

# polars on first use: a one-profile report needs none (matcher/lazy.py), nor the
# vectorised evaluator (matcher.evaluate.vector, imported where the frame path uses it).
if TYPE_CHECKING:
    import polars as pl
else:
    from matcher.frame import pl


# Internal (English) result columns, in report order.
RESULT_COLUMNS = [
    "enterprise_id",
    "enterprise_name",
    "rank",
    "rule_id",
    "rule_title",
    "status",
    "amount_yuan",
    "amount_note",
    "met",
    "unmet",
    "missing",
    "assumptions",
    "valid_until",
    "kind",
    "audience",
    "source",
    "quote",
]

SEP = "；"

# For portfolios too large for a spreadsheet: what to act on, without per-rule texts.
BRIEF_COLUMNS = [
    "enterprise_id",
    "enterprise_name",
    "rank",
    "rule_id",
    "status",
    "amount_yuan",
    "unmet",
    "missing",
    "valid_until",
]


def rule_table(rules: Sequence[Rule], lang: str = "zh") -> pl.DataFrame:
    """The per-rule constants of the report, joined onto results by rule_id."""
    rows = []
    for r in rules:
        rows.append(
            {
                "rule_id": r.id,
                "rule_title": r.title if lang == "zh" else r.title_en,
                "assumptions": assumptions_text(r, lang),
                "valid_until": valid_until_text(r, lang),
                "kind": KIND_ZH[r.kind.value] if lang == "zh" else r.kind.value,
                "audience": audience_text(r, lang),
                "source": source_text(r, lang),
                "quote": r.source.quotes[0],  # the primary sentence; `rules show` has them all
                "__kind_order": KIND_ORDER[r.kind.value],
                "__deadline": r.validity.until,
            }
        )
    from matcher.report.files import safe_text

    rows = [{k: safe_text(v) if isinstance(v, str) else v for k, v in r.items()} for r in rows]
    return pl.DataFrame(
        rows,
        schema={
            "rule_id": pl.String,
            "rule_title": pl.String,
            "assumptions": pl.String,
            "valid_until": pl.String,
            "kind": pl.String,
            "audience": pl.String,
            "source": pl.String,
            "quote": pl.String,
            "__kind_order": pl.Int32,
            "__deadline": pl.Date,
        },
    )


def assumptions_text(rule: Rule, lang: str = "zh") -> str:
    items = [condition_text(c, lang) for c in rule.assumed_conditions()] + list(rule.assumptions)
    return SEP.join(items)


def valid_until_text(rule: Rule, lang: str = "zh") -> str:
    v = rule.validity
    if not v.stated:
        return "未注明有效期" if lang == "zh" else "not stated"
    if v.until is None:
        return "长期" if lang == "zh" else "open-ended"
    return v.until.isoformat()


def audience_text(rule: Rule, lang: str = "zh") -> str:
    zh = {"enterprise": "企业", "hires": "所招人员", "founder": "创办人本人"}
    return zh[rule.audience.value] if lang == "zh" else rule.audience.value


def source_text(rule: Rule, lang: str = "zh") -> str:
    s = rule.source
    if lang == "zh":
        return f"{s.document} 第{s.article}篇《{s.article_title}》"
    return f"{s.document}, article {s.article}: {s.article_title}"


def amount_note(rule: Rule, heads: Any, lang: str = "zh") -> str:
    """Row-path twin of amount_note_expr."""
    b = rule.benefit
    desc = b.description if lang == "zh" or not b.description_en else b.description_en
    if rule.audience is not Audience.ENTERPRISE:
        who = audience_text(rule, lang)
        return (
            f"面向{who}：{desc}（不计入企业金额）"
            if lang == "zh"
            else f"for {who}: {desc} (not counted as enterprise money)"
        )
    if b.type == "unquantified":
        return f"未量化：{desc}" if lang == "zh" else f"not quantified: {desc}"
    cap = _cap_text(rule, lang)
    if b.type in ("tiered", "computed"):
        head = {"tiered": ("分档", "tiered"), "computed": ("按公式", "computed")}[b.type]
        return f"{head[0]}：{desc}" + cap if lang == "zh" else f"{head[1]}: {desc}" + cap
    if b.type == "fixed":
        return (
            f"定额{_yuan(b.amount_yuan)}元"
            if lang == "zh"
            else f"fixed {_yuan(b.amount_yuan)} yuan"
        ) + cap
    field_zh = FIELDS_BY_NAME[str(b.per_field)].zh
    if heads is None:
        return (
            f"每人{_yuan(b.amount_yuan)}元 ×「{field_zh}」（待补充）"
            if lang == "zh"
            else f"{_yuan(b.amount_yuan)} yuan per person × {b.per_field} (missing)"
        ) + cap
    return (
        f"每人{_yuan(b.amount_yuan)}元 × {heads}人"
        if lang == "zh"
        else f"{_yuan(b.amount_yuan)} yuan per person × {heads}"
    ) + cap


def _cap_text(rule: Rule, lang: str) -> str:
    cap = rule.benefit.cap_yuan
    if cap is None:
        return ""
    return f"，上限{_yuan(cap)}元" if lang == "zh" else f", capped at {_yuan(cap)} yuan"


def _yuan(value: float | None) -> str:
    assert value is not None
    return f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"


def _constant_note(rule: Rule, lang: str) -> str | None:
    """The note of a rule that says the same for every enterprise (as amount_note_expr
    gives it), else None."""
    from matcher.report.files import safe_text

    if rule.benefit.type != "per_head" or rule.audience is not Audience.ENTERPRISE:
        return safe_text(amount_note(rule, None, lang))
    return None


def amount_note_expr(rule: Rule, lang: str) -> pl.Expr:
    from matcher.report.files import safe_text

    b = rule.benefit
    if b.type != "per_head" or rule.audience is not Audience.ENTERPRISE:
        return pl.lit(safe_text(amount_note(rule, None, lang)))
    heads = pl.col(str(b.per_field))
    known = pl.format(
        amount_note(rule, 999_999_999, lang).replace("999999999", "{}"), heads.cast(pl.String)
    )
    return pl.when(heads.is_null()).then(pl.lit(amount_note(rule, None, lang))).otherwise(known)


def static_order(rules: Sequence[Rule]) -> list[Rule]:
    """Rules in their tie-break order: the enterprise's own benefits before those for its
    hires or founder, then kind, nearest deadline, id (see rank_key)."""
    return sorted(
        rules,
        key=lambda r: (
            r.audience is not Audience.ENTERPRISE,
            KIND_ORDER[r.kind.value],
            r.validity.until is None,
            r.validity.until or dt.date.max,
            r.id,
        ),
    )


def evaluate_frame(
    profiles: pl.LazyFrame | pl.DataFrame,
    rules: Sequence[Rule],
    as_of: dt.date,
    lang: str = "zh",
    passthrough: Sequence[str] = (),
    columns: Sequence[str] = RESULT_COLUMNS,
) -> pl.LazyFrame:
    """Every profile × every rule, ranked within each enterprise (see Evaluator)."""
    evaluator = Evaluator(rules, as_of, lang, columns)
    return evaluator.evaluate(evaluator.prepare(profiles), passthrough)


class Evaluator:
    """The rules compiled once for a run, applied to as many chunks as it takes.

    All rules are evaluated in one wide pass (a struct per rule), unpivoted to one
    row per enterprise × rule, then ordered by an arg-sort over numbers only; the
    per-rule constants (title, source, quote…) are looked up after ranking. Only
    the struct fields the report shows are computed.
    """

    def __init__(
        self,
        rules: Sequence[Rule],
        as_of: dt.date,
        lang: str = "zh",
        columns: Sequence[str] = RESULT_COLUMNS,
        *,
        texts: Literal["string", "categorical"] = "string",
        ask_first: bool = False,
    ) -> None:
        """``texts="categorical"`` gives rule texts as pl.Enum columns: written to CSV
        the same, and 4× cheaper to build than strings (for run_batch's report).
        ``ask_first`` adds with_ask_first's columns and order to :meth:`long`, computed
        on codes (see :attr:`ask`; None when the codes are too many for a table)."""
        from matcher.evaluate.vector import Stage, compile_rule, decode

        self.as_of, self.lang, self.columns = as_of, lang, list(columns)
        self.texts = texts
        self.ordered = static_order(rules)
        # the nodes of every criteria tree, computed once per chunk (see vector.Stage)
        self.stage = Stage()
        compiled = [compile_rule(rule, as_of, lang, self.stage) for rule in self.ordered]
        # met/unmet/missing travel as bit-set codes and become text after ranking.
        self.coded = [n for n in ("met", "unmet", "missing") if n in self.columns]
        self.labels: list[dict[str, tuple[str, ...]]] = [
            {"met": c.condition_labels, "unmet": c.condition_labels, "missing": c.missing_labels}
            for c in compiled
        ]
        self._texts: dict[tuple[str, int, int], str] = {}
        # When every (rule, code) text fits a small table, a rule's codes are offset into
        # it in the wide pass and texts are a gather from a categorical table after ranking.
        self.luts: dict[str, pl.Series] = {}
        offsets: dict[str, list[int]] = {}
        for name in self.coded:
            sizes = [1 << len(labels[name]) for labels in self.labels]
            if sum(sizes) <= MAX_TEXT_TABLE:
                offsets[name] = [sum(sizes[:i]) for i in range(len(sizes))]
                texts_ = [
                    decode(code, labels[name])
                    for labels in self.labels
                    for code in range(1 << len(labels[name]))
                ]
                self.luts[name] = _categorical(texts_)
        self.structs: list[pl.Expr] = []
        left_out = _exclusions(self.ordered, compiled, lang)
        # A rule whose note is one text for every enterprise leaves it null in the wide
        # pass; long() fills it in from this table after ranking and --only.
        notes: list[str] = []
        for index, (rule, c) in enumerate(zip(self.ordered, compiled, strict=True)):
            amount, note = c.amount, amount_note_expr(rule, lang)
            constant = _constant_note(rule, lang) if rule.id not in left_out else None
            notes.append(constant or "")
            if constant is not None:
                note = pl.lit(None, dtype=pl.String)
            if rule.id in left_out:  # not stackable: no amount, and the note says why
                rival = left_out[rule.id]
                amount = pl.when(rival.is_null()).then(amount)
                note = (
                    pl.when(rival.is_null())
                    .then(note)
                    .otherwise(pl.concat_str(note, pl.lit(SEP), rival))
                )
            fields = [
                pl.lit(index, dtype=pl.UInt16).alias("__rule"),
                c.status_code.alias("__status"),
                amount.alias("amount_yuan"),
            ]
            if "amount_note" in self.columns:
                fields.append(note.alias("amount_note"))
            for name in self.coded:
                code = getattr(c, f"{name}_code")
                if name in offsets:
                    code = (code + offsets[name][index]).cast(pl.UInt32)
                fields.append(code.alias(f"__{name}"))
            self.structs.append(pl.struct(*fields).alias(f"__r{index}"))
        self.notes = pl.Series("amount_note", notes, dtype=pl.String)
        self.ask: Any = None  # questions_frame.CodedAskFirst
        if ask_first and "missing" in self.luts:
            from matcher.evaluate.questions_frame import CodedAskFirst

            missing_texts = self.luts["missing"].cast(pl.String).to_list()
            self.ask = CodedAskFirst(self.ordered, missing_texts, lang)
        table = rule_table(self.ordered, lang)
        self.constant_luts = {
            name: _categorical(table.get_column(name).to_list())
            for name in RULE_CONSTANTS
            if name in self.columns
        }

    def prepare(self, profiles: pl.LazyFrame | pl.DataFrame) -> pl.DataFrame:
        """The profiles with the derived columns the rules read (region prefix, catalogue
        verdict), computed once per chunk of whatever size."""
        from matcher.evaluate.vector import with_eval_columns

        return with_eval_columns(profiles.lazy(), self.as_of, self.ordered).collect()

    def evaluate(self, prepared: pl.DataFrame, passthrough: Sequence[str] = ()) -> pl.LazyFrame:
        return self.long(self.wide(prepared, passthrough), passthrough)

    def wide(self, prepared: pl.DataFrame, passthrough: Sequence[str] = ()) -> pl.DataFrame:
        """One row per enterprise, a struct per rule. Polars pays per expression as well
        as per row, so this runs on large chunks; long() then works on slices."""
        return (
            self.stage.apply(prepared.lazy())
            .select(
                pl.col(ROW),
                pl.col("id").alias("enterprise_id"),
                pl.col("name").alias("enterprise_name"),
                *[col(c) for c in passthrough],
                *self.structs,
            )
            .collect()
        )

    def long(
        self,
        wide: pl.DataFrame,
        passthrough: Sequence[str] = (),
        *,
        codes: bool = False,
        plans: list[pl.DataFrame] | None = None,
        statuses: Collection[str] = (),
        tallies: list[pl.DataFrame] | None = None,
    ) -> pl.LazyFrame:
        """One row per enterprise × rule, ranked within each enterprise, with texts.

        ``codes`` keeps ``__rule`` and ``__status`` (integers) for :meth:`counts`. With
        :attr:`ask`, the undecided rows are ordered and the ``ask_first`` and
        ``rank_note`` columns added as with_ask_first does, and the slice's collection
        plan appended to ``plans``. ``statuses`` keeps only the results in those
        (English) statuses, before any text is built for them (rank, ask-first and
        ``tallies`` still count every result); ``tallies`` gets :meth:`counts` of all.
        """
        if not self.ordered:
            empty = {ROW: pl.Int64, **dict.fromkeys(self.columns, pl.String)}
            if codes:
                empty |= {"__rule": pl.UInt16, "__status": pl.UInt8}
            return pl.LazyFrame(schema=empty)
        n = len(self.ordered)
        # Only the enterprise's position travels through unpivot and sort; its input
        # columns are gathered once afterwards, block by block (n rows each).
        long = (
            wide.lazy()
            .select([f"__r{i}" for i in range(n)])
            .with_row_index(POS)
            .unpivot(index=POS, on=[f"__r{i}" for i in range(n)], variable_name="__k")
            .drop("__k")
            .unnest("value")
            .collect()
            .rechunk()  # gathers from one contiguous chunk are an order of magnitude faster
        )
        unknown = STATUS_ORDER["unknown"]
        if self.ask is not None:
            long = self.ask.keys(long, unknown)
        kept = self._ranked_kept(long, n, wide.height, statuses, plans, tallies)
        if kept is not None:
            ranked, asked = kept
        else:
            ranked, asked = self._ranked_all(long, n, wide.height, statuses, plans, tallies)
        # Each row's enterprise: ranked is sorted by position, so these are blocks.
        inputs = wide.select(
            col(c) for c in [ROW, "enterprise_id", "enterprise_name", *passthrough]
        )[ranked.get_column(POS)]
        ranked = pl.concat([ranked.drop(POS), inputs], how="horizontal")
        rule_index = ranked.get_column("__rule")
        texts: list[pl.Series | pl.Expr] = [
            lut.gather(rule_index).alias(n) for n, lut in self.constant_luts.items()
        ]
        if "amount_note" in ranked.columns:  # in the lazy query below, off the GIL
            note, constant = pl.col("amount_note"), pl.lit(self.notes).gather(pl.col("__rule"))
            texts.append(
                pl.when(note.is_null()).then(constant).otherwise(note).alias("amount_note")
            )
        for name in self.coded:
            lut = self.luts.get(name)
            if lut is not None:
                texts.append(lut.gather(ranked.get_column(f"__{name}")).alias(name))
        if self.texts == "string":
            texts = [t.cast(pl.String) for t in texts]
        return (
            ranked.lazy()
            .with_columns(
                *texts,
                *asked,
                *[self._decoded(ranked, n) for n in self.coded if n not in self.luts],
                self._status(ranked.get_column("__status")).alias("status"),
            )
            .select(
                col(c)
                for c in [
                    ROW,
                    *self.columns,
                    *passthrough,
                    *(["__rule", "__status"] if codes else []),
                    *(["ask_first", "rank_note"] if asked else []),
                ]
            )
        )

    def _ranked_all(
        self,
        long: pl.DataFrame,
        n: int,
        enterprises: int,
        statuses: Collection[str],
        plans: list[pl.DataFrame] | None,
        tallies: list[pl.DataFrame] | None,
    ) -> tuple[pl.DataFrame, list[pl.Series]]:
        """long()'s ranking of every row, then the ``statuses`` kept."""
        unknown = STATUS_ORDER["unknown"]
        ranked = rank(long, n)
        keep = None
        if statuses:
            keep = ranked.get_column("__status").is_in([STATUS_ORDER[s] for s in statuses])
        asked = []
        if self.ask is not None:  # only for the rows kept
            asked = self.ask.columns(ranked, POS, enterprises, unknown, plans, keep)
        if tallies is not None:
            tallies.append(self.counts(ranked))
        if keep is not None:
            ranked = ranked.filter(keep)
        return ranked, asked

    def _ranked_kept(
        self,
        long: pl.DataFrame,
        n: int,
        enterprises: int,
        statuses: Collection[str],
        plans: list[pl.DataFrame] | None,
        tallies: list[pl.DataFrame] | None,
    ) -> tuple[pl.DataFrame, list[pl.Series]] | None:
        """long()'s ranking with ``statuses``: only the rows kept are sorted (the order is
        a total order, so their relative order is the full sort's), and each one's rank is
        the rows of its enterprise in a better status plus its place among its own status.
        The counts and ask-first weigh every row, in no particular order: both are exact
        sums then (else None, and long() ranks every row as before)."""
        import numpy as np

        if not statuses:
            return None
        unknown = STATUS_ORDER["unknown"]
        per_enterprise = None
        slice_plans: list[pl.DataFrame] | None = None
        if self.ask is not None:
            undecided = long.filter(pl.col("__status") == unknown).select(
                POS, "__rule", "amount_yuan", "__missing", "__n", "__money"
            )
            slice_plans = [] if plans is not None else None
            per_enterprise = self.ask._counted(undecided, POS, enterprises, slice_plans)
            if per_enterprise is None:
                return None
        counted = None
        if tallies is not None:
            counted = _counted_pairs(long)
            if counted is None:
                return None
        if plans is not None and slice_plans is not None:
            plans.extend(slice_plans)
        if tallies is not None and counted is not None:
            tallies.append(counted)
        codes = sorted(STATUS_ORDER[s] for s in statuses)
        kept = long.filter(pl.col("__status").is_in(codes))
        ranked = kept[_rank_order(kept, n, enterprises)]
        # rows of the enterprise in a better status, per (enterprise, status)
        status_all = long.get_column("__status").to_numpy().astype(np.int64)
        bins = int(status_all.max()) + 1 if status_all.size else 1
        pos_all = long.get_column(POS).to_numpy().astype(np.int64)
        per = np.bincount(pos_all * bins + status_all, minlength=enterprises * bins)
        per = per.reshape(enterprises, bins)
        before = (np.cumsum(per, axis=1) - per).reshape(-1)
        key = ranked.get_column(POS).to_numpy().astype(np.int64) * bins
        key += ranked.get_column("__status").to_numpy()
        start = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if key.size else key
        place = np.arange(key.size) - np.repeat(start, np.diff(np.r_[start, key.size]))
        ranks = before[key] + place + 1
        ranked = ranked.with_columns(pl.Series("rank", ranks, dtype=pl.Int32))
        asked: list[pl.Series] = []
        if self.ask is not None and per_enterprise is not None:
            asked = self.ask.kept_columns(ranked, POS, unknown, per_enterprise)
        return ranked, asked

    def _status(self, codes: pl.Series) -> pl.Series:
        """Status names from their codes: an Enum gather for a categorical report."""
        names = {v: k for k, v in STATUS_ORDER.items()}
        if self.texts == "categorical":
            return _categorical([names[i] for i in range(len(names))]).gather(codes)
        return codes.replace_strict(names, return_dtype=pl.String)

    @staticmethod
    def counts(long: pl.DataFrame) -> pl.DataFrame:
        """Results and amounts per (rule, status) code pair, from long(..., codes=True)."""
        counted = _counted_pairs(long)
        if counted is not None:
            return counted
        return long.group_by("__rule", "__status").agg(
            pl.len().alias("n"), pl.col("amount_yuan").sum().alias("amount")
        )

    def summary(self, counts: Sequence[pl.DataFrame]) -> pl.DataFrame | None:
        """Per rule: enterprises in each status and the total estimated amount of the
        eligible, from the counts of every slice (the shape of api.summary)."""
        if not counts:
            return None
        total = pl.concat(counts).group_by("__rule", "__status").agg(pl.col("n", "amount").sum())
        table = rule_table(self.ordered, self.lang)
        statuses = {v: k for k, v in STATUS_ORDER.items()}
        cells: dict[int, dict[str, float]] = {}
        for rule_index, status, n, amount in total.iter_rows():
            row = cells.setdefault(rule_index, dict.fromkeys(SUMMARY_STATUSES, 0))
            row[statuses[status]] = n
            if statuses[status] == "eligible":
                row["total_amount_yuan"] = float(amount or 0.0)
        rows = [
            {
                "rule_id": table.get_column("rule_id")[i],
                "rule_title": table.get_column("rule_title")[i],
                **{s: int(cells[i][s]) for s in SUMMARY_STATUSES},
                "total_amount_yuan": float(cells[i].get("total_amount_yuan", 0.0)),
            }
            for i in sorted(cells)
        ]
        schema: dict[str, pl.DataType] = {"rule_id": pl.String(), "rule_title": pl.String()}
        schema |= dict.fromkeys(SUMMARY_STATUSES, pl.UInt32())
        schema |= {"total_amount_yuan": pl.Float64()}
        return pl.DataFrame(rows, schema=schema).sort("rule_id")

    def _decoded(self, ranked: pl.DataFrame, name: str) -> pl.Expr:
        """The text of each (rule, code) pair, built once per distinct pair in Python."""
        from matcher.evaluate.vector import decode

        pairs = ranked.select("__rule", f"__{name}").unique()
        keys: list[int] = []
        texts: list[str] = []
        for rule_index, code in pairs.iter_rows():
            text = self._texts.get((name, rule_index, code))
            if text is None:
                text = decode(code, self.labels[rule_index][name])
                self._texts[(name, rule_index, code)] = text
            keys.append(rule_index)
            texts.append(text)
        table = pl.DataFrame(
            {"__rule": keys, f"__{name}": pairs.get_column(f"__{name}"), name: texts},
            schema={"__rule": pl.UInt16, f"__{name}": pl.UInt64, name: pl.String},
        )
        # A struct key lookup: exact for any code width, no packing limits.
        key = pl.struct("__rule", f"__{name}")
        return key.replace_strict(
            table.select(pl.struct("__rule", f"__{name}")).to_series(),
            table.get_column(name),
            return_dtype=pl.String,
        ).alias(name)


def _counted_pairs(long: pl.DataFrame) -> pl.DataFrame | None:
    """Evaluator.counts by numpy bin counts, when every amount is whole yuan and the sums
    stay below 2**53 (exact in any order, so equal to the group-by's); else None."""
    import numpy as np

    amount = long.get_column("amount_yuan")
    if amount.dtype != pl.Float64 or long.get_column("__rule").null_count():
        return None
    if long.get_column("__status").null_count():
        return None
    values = amount.fill_null(0.0).to_numpy()
    if not (np.isfinite(values).all() and (np.floor(values) == values).all()):
        return None
    if float(np.abs(values).sum()) >= 2.0**53:
        return None
    status_bins = 1 << 8  # __status is a UInt8
    key = long.get_column("__rule").to_numpy().astype(np.int64) * status_bins
    key += long.get_column("__status").to_numpy()
    n = np.bincount(key)
    sums = np.bincount(key, weights=values)
    found = np.flatnonzero(n)
    return pl.DataFrame(
        {
            "__rule": found // status_bins,
            "__status": found % status_bins,
            "n": n[found],
            "amount": sums[found],
        },
        schema={"__rule": pl.UInt16, "__status": pl.UInt8, "n": pl.UInt32, "amount": pl.Float64},
    )


def _exclusions(rules: Sequence[Rule], compiled: Sequence[Any], lang: str) -> dict[str, pl.Expr]:
    """Rule id → the note saying which rule it yields to (null when it does not)."""
    from matcher.evaluate import exclusive

    status = {c.rule.id: c.status for c in compiled}
    amount = {c.rule.id: c.amount for c in compiled}
    titles = {r.id: exclusive.note(r.title if lang == "zh" else r.title_en, lang) for r in rules}
    return {
        rule_id: rival.replace_strict(titles, default=None, return_dtype=pl.String)
        for rule_id, rival in exclusive.excluded_by_exprs(rules, status, amount).items()
    }


# Largest (rule, code) text table built up front; beyond it texts are built per slice.
MAX_TEXT_TABLE = 1 << 16


def _categorical(values: Sequence[str]) -> pl.Series:
    """``values`` as an Enum series (categories: the distinct values in first-seen order)."""
    return pl.Series(values, dtype=pl.Enum(list(dict.fromkeys(values))))


SUMMARY_STATUSES = ("eligible", "unknown", "ineligible", "expired", "not_yet_valid")

RULE_CONSTANTS = (
    "rule_id",
    "rule_title",
    "assumptions",
    "valid_until",
    "kind",
    "audience",
    "source",
    "quote",
)


POS = "__pos"  # an enterprise's position in its slice


def rank(long: pl.DataFrame, n_rules: int) -> pl.DataFrame:
    """Eligible, then unknown, then the rest; then amount, then the static rule order
    (the enterprise's own benefits first, money before services, nearest deadline).

    Every enterprise (POS) has exactly one row per rule, so after sorting by
    enterprise the rank is the position within its block of n_rules rows.
    """
    return long[_rank_order(long, n_rules)].with_columns(
        ((pl.int_range(pl.len(), dtype=pl.UInt32) % n_rules) + 1).cast(pl.Int32).alias("rank")
    )


def _rank_order(long: pl.DataFrame, n_rules: int, enterprises: int | None = None) -> pl.Series:
    """The row order as one arg-sort: the keys packed into a single UInt64 when they
    fit (about 2.5× faster than sorting on several columns), else a multi-key sort.

    With ``__money`` and ``__n`` (set on undecided rows only, see
    questions_frame.CodedAskFirst.keys), undecided rows are ordered by money at stake,
    then fewer open items, before their usual order, as with_ask_first re-orders them."""
    distinct = long.get_column("amount_yuan").drop_nulls().unique()
    rule_bits = max(1, (n_rules - 1).bit_length())
    amount_bits = (distinct.len() + 1).bit_length()
    if enterprises is None:  # every enterprise has one row per rule
        enterprises = long.height // max(n_rules, 1)
    row_max = max(enterprises - 1, 0)  # positions 0 … m-1
    asked = "__money" in long.columns
    money = pl.Series(dtype=pl.Float64)
    money_bits = n_bits = 0
    if asked:
        money = long.get_column("__money").drop_nulls().unique()
        money_bits = money.len().bit_length()  # ranks 1 … len; 0 for the decided rows
        n_bits = int(long.get_column("__n").max() or 0).bit_length()  # type: ignore[arg-type]
    low_bits = money_bits + n_bits + amount_bits + rule_bits
    if row_max.bit_length() + 3 + low_bits <= 63:
        # Each amount's place among the distinct ones, most first (1 …): a dense rank.
        amount_key = (
            pl.col("amount_yuan")
            .rank("dense", descending=True)
            .cast(pl.UInt64)
            .fill_null(pl.lit((1 << amount_bits) - 1, dtype=pl.UInt64))
        )
        # Disjoint bit fields, so the sum orders like the tuple of keys.
        key = (
            pl.col(POS).cast(pl.UInt64) * (1 << (3 + low_bits))
            + pl.col("__status").cast(pl.UInt64) * (1 << low_bits)
            + amount_key * (1 << rule_bits)
            + pl.col("__rule").cast(pl.UInt64)
        )
        if asked:  # null (decided rows): one constant, below the status bits
            money_key = (
                pl.col("__money").rank("dense", descending=True).cast(pl.UInt64).fill_null(0)
            )
            n_key = pl.col("__n").cast(pl.UInt64).fill_null(0)
            key = (
                key
                + money_key * (1 << (n_bits + amount_bits + rule_bits))
                + n_key * (1 << (amount_bits + rule_bits))
            )
        return long.select(key.arg_sort()).to_series()
    by = [POS, "__status", "__money", "__n"] if asked else [POS, "__status"]
    return long.select(
        pl.arg_sort_by(
            [*by, "amount_yuan", "__rule"],
            descending=[False, False, *([True, False] if asked else []), True, False],
            nulls_last=True,
        )
    ).to_series()


def rank_key(outcome: Outcome) -> tuple[Any, ...]:
    r = outcome.rule
    return (
        STATUS_ORDER[outcome.status.value],
        outcome.amount_yuan is None,
        -(outcome.amount_yuan or 0.0),
        r.audience is not Audience.ENTERPRISE,
        KIND_ORDER[r.kind.value],
        r.validity.until is None,
        r.validity.until or dt.date.max,
        r.id,
    )


def match_row(
    row: Mapping[str, Any],
    rules: Sequence[Rule],
    as_of: dt.date,
    evaluate_rule: Callable[[Rule, Mapping[str, Any], dt.date], Outcome] = evaluate,
) -> list[Outcome]:
    """The row path for one enterprise, ranked exactly as rank() does; ``evaluate_rule``
    may be a :class:`matcher.evaluate.row.Remembered`'s."""
    from matcher.evaluate import exclusive

    outcomes = [evaluate_rule(r, row, as_of) for r in rules]
    exclusive.apply(outcomes)
    return sorted(outcomes, key=rank_key)


def status_label(status: str, lang: str = "zh") -> str:
    from matcher.evaluate.tree import STATUS_ZH

    return STATUS_ZH[status] if lang == "zh" else status


__all__ = ["RESULT_COLUMNS", "Status", "evaluate_frame", "match_row", "rank_key"]
