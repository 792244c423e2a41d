"""What to ask first, for a whole portfolio: the batch columns and the collection plan.

Works on the batch result (one row per enterprise × rule, ranked) and orders exactly as
questions.py does for one enterprise. Only the undecided rows are split and sorted; the
others keep their place.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from matcher.evaluate.questions import potential_amount, rank_words
from matcher.evaluate.tree import IN_FORCE, decisive_field, field_label
from matcher.fields import DERIVED_FIELDS, FIELDS_BY_NAME, ROW
from matcher.rule import Rule

SEP = "；"
IN_FORCE_PREFIX = "原文未注明有效期"

PLAN_HEADERS_ZH = {
    "field": "待收集的信息",
    "enterprises": "涉及企业数",
    "results": "待定结果数",
    "settles": "可单独判定的结果数",
    "money_yuan": "涉及金额（元，至少）",
}


def _undecided(long: pl.DataFrame, rules: Sequence[Rule]) -> pl.DataFrame:
    """The undecided rows: position, enterprise, rank, rule, amount, open items, money."""
    least = {r.id: potential_amount(r, None) for r in rules}
    rule_id = pl.col("rule_id").cast(pl.String)
    return (
        long.lazy()
        .with_row_index("__i")
        .filter(pl.col("status") == "unknown")
        .select(
            "__i",
            ROW,
            *(["rank"] if "rank" in long.columns else []),
            rule_id.alias("rule_id"),
            "amount_yuan",
            pl.col("missing").cast(pl.String),
        )
        .with_columns(
            (pl.col("missing").str.count_matches(SEP, literal=True) + 1).alias("__n"),
            pl.coalesce(
                "amount_yuan", rule_id.replace_strict(least, default=0.0, return_dtype=pl.Float64)
            ).alias("__money"),
        )
        .collect()
    )


def _labels(lang: str) -> pl.Enum:
    """Every label a missing field can have, in lexical order: grouping on an Enum is cheap,
    and its physical order sorts like the text (the ties of questions.ask_first)."""
    names = [*FIELDS_BY_NAME, *DERIVED_FIELDS, IN_FORCE]
    return pl.Enum(sorted({field_label(decisive_field(n), lang) for n in names}))


def _items(undecided: pl.DataFrame, lang: str) -> pl.LazyFrame:
    """One row per undecided result × open field (the validity check left out)."""
    labels = _labels(lang)
    return (
        undecided.lazy()
        .select(ROW, "__n", "__money", pl.col("missing").str.split(SEP).alias("field"))
        .explode("field")
        # The validity check is the advisor's, not a question for the client (its Chinese
        # label is the rule's own sentence, see vector.compile_rule).
        .filter(
            (pl.col("field") != field_label(IN_FORCE, lang))
            & ~pl.col("field").str.starts_with(IN_FORCE_PREFIX)
        )
        .with_columns(pl.col("field").cast(labels))
    )


def ask_first_frame(undecided: pl.DataFrame, lang: str = "zh", top: int = 3) -> pl.DataFrame:
    """Per enterprise (ROW), the first `top` open fields, ordered as questions.ask_first."""
    return (
        _items(undecided, lang)
        .group_by(ROW, "field")
        .agg(
            pl.col("__money").sum().alias("money"),
            (pl.col("__n") == 1).sum().alias("settles"),
            pl.len().alias("rules"),
        )
        .group_by(ROW)
        .agg(
            pl.col("field")
            .sort_by(["money", "settles", "rules", "field"], descending=[True, True, True, False])
            .head(top)
            .cast(pl.String)
            .str.join(SEP)
            .alias("ask_first")
        )
        .collect()
    )


def collection_plan(undecided: pl.DataFrame, lang: str = "zh") -> pl.DataFrame:
    """Across a portfolio: each field or question, the enterprises waiting on it, the
    results it alone settles and the money at stake — the centre's data-collection plan."""
    return (
        _items(undecided, lang)
        .group_by("field")
        .agg(
            pl.col(ROW).n_unique().alias("enterprises"),
            pl.len().alias("results"),
            (pl.col("__n") == 1).sum().alias("settles"),
            pl.col("__money").sum().alias("money_yuan"),
        )
        .with_columns(pl.col("field").cast(pl.String))
        .collect()
    )


def merge_plans(plans: Sequence[pl.DataFrame], lang: str = "zh") -> pl.DataFrame:
    """The plans of every slice summed (slices hold different enterprises), ranked."""
    plan = (
        pl.concat(plans)
        .group_by("field")
        .agg(
            pl.col("enterprises", "results", "settles").sum(),
            pl.col("money_yuan").sum().round(0).cast(pl.Int64),
        )
        .sort(["money_yuan", "settles", "results", "field"], descending=[True, True, True, False])
    )
    return plan.rename(PLAN_HEADERS_ZH) if lang == "zh" else plan


def _rank_notes(undecided: pl.DataFrame, rules: Sequence[Rule], lang: str) -> pl.Series:
    """rank_reason's words per undecided row, built once per distinct (rule, count, amount)."""
    least = {r.id: potential_amount(r, None) for r in rules}
    keys = ["rule_id", "__n", "amount_yuan"]
    combos = undecided.select(keys).unique()
    words = [rank_words(n, a, least.get(rid, 0.0), lang) for rid, n, a in combos.iter_rows()]
    table = combos.with_columns(pl.Series("rank_note", words, dtype=pl.String))
    return undecided.select(keys).join(
        table, on=keys, how="left", nulls_equal=True, maintain_order="left"
    )["rank_note"]


def with_ask_first(
    long: pl.DataFrame,
    rules: Sequence[Rule],
    lang: str = "zh",
    plans: list[pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """The batch result with `ask_first` (per enterprise) and `rank_note` (per undecided
    result); undecided results re-ordered by money at stake, then fewer open questions, as
    questions.rerank does. With `plans`, this slice's collection plan is appended to it."""
    undecided = _undecided(long, rules)
    if plans is not None:
        plans.append(collection_plan(undecided, lang))
    notes = pl.repeat("", long.height, dtype=pl.String, eager=True).alias("rank_note")
    positions = undecided.get_column("__i")
    notes = notes.scatter(positions, _rank_notes(undecided, rules, lang))
    out = long.with_columns(notes).join(
        ask_first_frame(undecided, lang), on=ROW, how="left", maintain_order="left"
    )
    out = out.with_columns(pl.col("ask_first").fill_null("")).select(
        pl.exclude("rank_note"), "rank_note"
    )
    if "rank" not in long.columns or undecided.is_empty():
        return out
    # Undecided rows are contiguous per enterprise: only they move, the rank slots stay.
    moved = undecided.sort([ROW, "__money", "__n", "rank"], descending=[False, True, False, False])
    order = np.arange(long.height, dtype=np.int64)
    order[positions.to_numpy()] = moved.get_column("__i").to_numpy()
    return out[pl.Series(order)].with_columns(long.get_column("rank"))
