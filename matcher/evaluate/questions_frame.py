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
    return ask_first_frame_items(_items(undecided, lang), top)


def ask_first_frame_items(items: pl.LazyFrame, top: int = 3) -> pl.DataFrame:
    """ask_first_frame from the open items (ROW, __n, __money, field as an Enum)."""
    fields = (
        items.group_by(ROW, "field")
        .agg(
            pl.col("__money").sum().alias("money"),
            (pl.col("__n") == 1).sum().alias("settles"),
            pl.len().alias("rules"),
        )
        .collect()
    )
    # One sort of every (enterprise, field) pair, then the first `top` of each enterprise:
    # cheaper than a sort within each of thousands of groups.
    fields = fields[_first_order(fields)]
    if top != 3:
        return (
            fields.group_by(ROW, maintain_order=True)
            .head(top)
            .group_by(ROW, maintain_order=True)
            .agg(pl.col("field").cast(pl.String).str.join(SEP).alias("ask_first"))
        )
    # Sorted by enterprise: its first three fields are its first row and the next two
    # where they belong to it, joined without a group-by.
    enterprise, field = pl.col(ROW), pl.col("field").cast(pl.String)
    same = [enterprise.shift(-k) == enterprise for k in (1, 2)]
    return (
        fields.lazy()
        .select(
            enterprise,
            pl.concat_str(
                [
                    field,
                    *[pl.when(s).then(field.shift(-k)) for k, s in zip((1, 2), same, strict=True)],
                ],
                separator=SEP,
                ignore_nulls=True,
            ).alias("ask_first"),
            (enterprise.shift(1) != enterprise).fill_null(True).alias("__start"),
        )
        .filter("__start")
        .drop("__start")
        .collect()
    )


def _first_order(fields: pl.DataFrame) -> pl.Series:
    """The row order of enterprise, then most money, most results settled, most rules,
    then field: one arg-sort of the keys packed into a UInt64 when they fit (money by
    its rank among the distinct sums), else a sort on the columns."""
    by = [ROW, "money", "settles", "rules", "field"]
    descending = [False, True, True, True, False]
    if fields.is_empty():
        return pl.Series(dtype=pl.UInt32)
    money = fields.get_column("money").rank("dense", descending=True).cast(pl.UInt64)
    most = int(fields.select(pl.max_horizontal(pl.col("settles", "rules").max())).item())
    count_bits = most.bit_length()
    money_bits = int(money.max()).bit_length()  # type: ignore[arg-type]
    field_bits = len(fields.schema["field"].categories).bit_length()  # type: ignore[attr-defined]
    row_bits = int(fields.get_column(ROW).max()).bit_length()  # type: ignore[arg-type]
    low = field_bits + 2 * count_bits
    if row_bits + money_bits + low > 63 or fields.get_column("money").null_count():
        return fields.select(pl.arg_sort_by(by, descending=descending)).to_series()
    key = (
        pl.col(ROW).cast(pl.UInt64) * (1 << (money_bits + low))
        + pl.lit(money) * (1 << low)
        + (most - pl.col("settles").cast(pl.UInt64)) * (1 << (field_bits + count_bits))
        + (most - pl.col("rules").cast(pl.UInt64)) * (1 << field_bits)
        + pl.col("field").to_physical().cast(pl.UInt64)
    )
    return fields.select(key.arg_sort()).to_series()


def _label_order(
    owner: np.ndarray, label: np.ndarray, rules: np.ndarray, settles: np.ndarray, money: np.ndarray
) -> np.ndarray:
    """The order of owner, then most money, most settled, most rules, then label: one
    polars arg-sort of packed keys (off the GIL, unlike numpy's lexsort), as _first_order."""
    frame = pl.DataFrame({"o": owner, "l": label, "r": rules, "s": settles, "m": money})
    most = int(max(rules.max(), settles.max()))
    count_bits, label_bits = most.bit_length(), int(label.max()).bit_length()
    money_bits = frame.get_column("m").n_unique().bit_length()
    low = label_bits + 2 * count_bits
    if int(owner.max()).bit_length() + money_bits + low > 63:
        by, descending = ["o", "m", "s", "r", "l"], [False, True, True, True, False]
        return frame.select(pl.arg_sort_by(by, descending=descending)).to_series().to_numpy()
    u64 = pl.UInt64
    key = (
        pl.col("o").cast(u64) * (1 << (money_bits + low))
        + pl.col("m").rank("dense", descending=True).cast(u64) * (1 << low)
        + (most - pl.col("s")).cast(u64) * (1 << (label_bits + count_bits))
        + (most - pl.col("r")).cast(u64) * (1 << label_bits)
        + pl.col("l").cast(u64)
    )
    return frame.select(key.arg_sort()).to_series().to_numpy()


def collection_plan(undecided: pl.DataFrame, lang: str = "zh") -> pl.DataFrame:
    """Across a portfolio: each field or question, the enterprises waiting on it, the
    results it alone settles and the money at stake — the centre's data-collection plan."""
    return collection_plan_items(_items(undecided, lang))


def collection_plan_items(items: pl.LazyFrame) -> pl.DataFrame:
    """collection_plan from the open items (ROW, __n, __money, field as an Enum)."""
    return (
        items.group_by("field")
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


class CodedAskFirst:
    """with_ask_first for the batch, on the rule-and-code integers of Evaluator.long.

    Each (rule, missing-fields code) pair's open items are split once, here, instead of
    splitting the text of every undecided row; the re-ordering of the undecided rows is
    folded into the rank sort (see :meth:`keys`), so the result is gathered once; and
    the per-enterprise column is gathered by position, not joined. The output equals
    with_ask_first's (tests/test_ask_first.py checks it)."""

    def __init__(self, rules: Sequence[Rule], missing_texts: Sequence[str], lang: str) -> None:
        """``rules`` in the evaluator's order; ``missing_texts`` its missing-code table."""
        self.rules, self.lang = list(rules), lang
        validity = field_label(IN_FORCE, lang)
        items = [
            [f for f in text.split(SEP) if f != validity and not f.startswith(IN_FORCE_PREFIX)]
            for text in missing_texts
        ]
        self.items = pl.Series("field", items, dtype=pl.List(pl.String))
        self.counts = pl.Series([text.count(SEP) + 1 for text in missing_texts], dtype=pl.UInt32)
        least = [potential_amount(r, None) for r in self.rules]
        self.least = pl.Series(least, dtype=pl.Float64)
        self._notes: dict[tuple[int, int, float | None], str] = {}
        # The open items of each code as indices into the sorted labels, flattened: the
        # items of code m are flat[offset[m] : offset[m] + length[m]].
        self.labels = list(_labels(lang).categories)
        where = {label: i for i, label in enumerate(self.labels)}
        per_code = [[where.get(f, -1) for f in fields] for fields in items]
        # a code with a label outside the table (the empty text of no open item) is
        # left to the polars path, as it would fail there the same way
        self.item_unknown = np.array([-1 in f for f in per_code], dtype=bool)
        self.item_length = np.array([len(f) for f in per_code], dtype=np.int64)
        self.item_offset = np.concatenate([[0], np.cumsum(self.item_length)[:-1]]).astype(np.int64)
        self.item_flat = np.array([i for f in per_code for i in f], dtype=np.int64)
        self._asks: dict[int, str] = {}  # packed first three label indices → ask_first text

    def keys(self, long: pl.DataFrame, unknown: int) -> pl.DataFrame:
        """``__n`` (open items) and ``__money`` (amount, else the least a rule may bring) on
        the undecided rows, null elsewhere: the keys that order them (see batch._rank_order)."""
        undecided = pl.col("__status") == unknown
        n = pl.Series(self.counts.gather(long.get_column("__missing")))
        least = pl.Series(self.least.gather(long.get_column("__rule")))
        return long.with_columns(
            pl.when(undecided).then(n).alias("__n"),
            pl.when(undecided).then(pl.coalesce("amount_yuan", least)).alias("__money"),
        )

    def columns(
        self,
        ranked: pl.DataFrame,
        pos: str,
        enterprises: int,
        unknown: int,
        plans: list[pl.DataFrame] | None,
        keep: pl.Series | None = None,
    ) -> list[pl.Series]:
        """``ask_first`` and ``rank_note`` for ``ranked`` (keys() applied, then ranked),
        or only for its rows in ``keep`` (a mask: the plan and ask-first still weigh
        every row); with ``plans``, this slice's collection plan is appended to it."""
        undecided = (
            ranked.lazy()
            .with_row_index("__i")
            .filter(pl.col("__status") == unknown)
            .select("__i", pos, "__rule", "amount_yuan", "__missing", "__n", "__money")
            .collect()
        )
        per_enterprise = self._counted(undecided, pos, enterprises, plans)
        if per_enterprise is None:
            per_enterprise = self._grouped(undecided, pos, enterprises, plans)
        positions = ranked.get_column(pos)
        at = undecided.get_column("__i")
        if keep is not None:  # gathered and built only for the rows kept
            positions = positions.filter(keep)
            kept = keep.gather(at)
            undecided = undecided.filter(kept)
            at = (keep.cast(pl.UInt32).cum_sum() - 1).gather(at).filter(kept)
        ask = per_enterprise.gather(positions).alias("ask_first")
        notes = pl.repeat("", positions.len(), dtype=pl.String, eager=True).alias("rank_note")
        if undecided.height:
            notes = notes.scatter(at, self._rank_notes(undecided))
        return [ask, notes]

    def kept_columns(
        self, ranked: pl.DataFrame, pos: str, unknown: int, per_enterprise: pl.Series
    ) -> list[pl.Series]:
        """``ask_first`` and ``rank_note`` for rows already ranked and filtered, from
        ``per_enterprise`` (:meth:`_counted` of every undecided row of their slice)."""
        ask = per_enterprise.gather(ranked.get_column(pos)).alias("ask_first")
        notes = pl.repeat("", ranked.height, dtype=pl.String, eager=True).alias("rank_note")
        undecided = (
            ranked.lazy()
            .with_row_index("__i")
            .filter(pl.col("__status") == unknown)
            .select("__i", "__rule", "__n", "amount_yuan")
            .collect()
        )
        if undecided.height:
            notes = notes.scatter(undecided.get_column("__i"), self._rank_notes(undecided))
        return [ask, notes]

    def _counted(
        self,
        undecided: pl.DataFrame,
        pos: str,
        enterprises: int,
        plans: list[pl.DataFrame] | None,
    ) -> pl.Series | None:
        """ask_first per enterprise (and the slice's plan) by counting into one bin per
        (enterprise, label) with numpy instead of exploding and grouping in polars. Only
        when every sum is exact in any order (whole yuan below 2**53), so the ties and the
        order are those of :meth:`_grouped`; else None."""
        if any(undecided.get_column(c).null_count() for c in ("__missing", "__money")):
            return None
        money = undecided.get_column("__money").to_numpy()
        if money.size and not (
            np.isfinite(money).all()
            and (np.floor(money) == money).all()
            and float(np.abs(money).sum()) < 2.0**53
        ):
            return None
        codes = undecided.get_column("__missing").to_numpy().astype(np.int64)
        if self.item_unknown[codes].any():
            return None
        length = self.item_length[codes]
        total = int(length.sum())
        firsts = np.cumsum(length) - length  # each row's first item in the exploded arrays
        item = np.repeat(self.item_offset[codes] - firsts, length) + np.arange(total)
        label = self.item_flat[item]
        n_labels = len(self.labels)
        enterprise = np.repeat(undecided.get_column(pos).to_numpy().astype(np.int64), length)
        bin_ = enterprise * n_labels + label
        size = enterprises * n_labels
        rules = np.bincount(bin_, minlength=size)
        one = undecided.get_column("__n").to_numpy() == 1
        settles = np.bincount(bin_, weights=np.repeat(one, length), minlength=size)
        at_stake = np.bincount(bin_, weights=np.repeat(money, length), minlength=size)
        if plans is not None:
            shape = (enterprises, n_labels)
            per_label = rules.reshape(shape)
            found = np.flatnonzero(per_label.sum(axis=0))
            plans.append(
                pl.DataFrame(
                    {
                        "field": [self.labels[i] for i in found],
                        "enterprises": (per_label > 0).sum(axis=0)[found],
                        "results": per_label.sum(axis=0)[found],
                        "settles": settles.reshape(shape).sum(axis=0)[found],
                        "money_yuan": at_stake.reshape(shape).sum(axis=0)[found],
                    },
                    schema={
                        "field": pl.String,
                        "enterprises": pl.UInt32,
                        "results": pl.UInt32,
                        "settles": pl.UInt32,
                        "money_yuan": pl.Float64,
                    },
                )
            )
        # Each enterprise's labels: most money, most settled, most rules, then label order;
        # its first three packed into one integer (n_labels: no label), -1 for none at all.
        packed = np.full(enterprises, -1, dtype=np.int64)
        filled = np.flatnonzero(rules)
        if filled.size:
            owner, which = filled // n_labels, filled % n_labels
            order = _label_order(
                owner, which, rules[filled], settles[filled].astype(np.int64), at_stake[filled]
            )
            owner, which = owner[order], which[order]
            start = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
            place = np.arange(owner.size) - np.repeat(start, np.diff(np.r_[start, owner.size]))
            first3 = np.full((enterprises, 3), n_labels, dtype=np.int64)
            top = place < 3
            first3[owner[top], place[top]] = which[top]
            base = n_labels + 1
            packed[owner[start]] = ((first3[:, 0] * base + first3[:, 1]) * base + first3[:, 2])[
                owner[start]
            ]
        distinct, index = np.unique(packed, return_inverse=True)
        texts = [self._ask_text(int(p)) for p in distinct]
        table = pl.Series("ask_first", texts, dtype=pl.String)
        return table.gather(pl.Series(index.reshape(-1).astype(np.uint32)))

    def _ask_text(self, packed: int) -> str:
        """The ask_first text of a packed triple of label indices (see :meth:`_counted`)."""
        text = self._asks.get(packed)
        if text is None:
            n_labels = len(self.labels)
            labels: list[str] = []
            rest = packed
            for _ in range(3):
                rest, i = divmod(rest, n_labels + 1)
                if i < n_labels:
                    labels.append(self.labels[i])
            text = SEP.join(reversed(labels)) if packed >= 0 else ""
            self._asks[packed] = text
        return text

    def _grouped(
        self,
        undecided: pl.DataFrame,
        pos: str,
        enterprises: int,
        plans: list[pl.DataFrame] | None,
    ) -> pl.Series:
        """ask_first per enterprise (and the slice's plan), exploded and grouped in polars."""
        items = (
            undecided.lazy()
            .select(
                pl.col(pos).alias(ROW),
                "__n",
                "__money",
                pl.lit(self.items).gather(pl.col("__missing")).alias("field"),
            )
            .explode("field")
            .drop_nulls("field")  # a code whose items were all the validity check
            .with_columns(pl.col("field").cast(_labels(self.lang)))
            .collect()
        )
        if plans is not None:
            plans.append(collection_plan_items(items.lazy()))
        first = ask_first_frame_items(items.lazy())
        return (
            pl.DataFrame({ROW: np.arange(enterprises, dtype=np.uint32)})
            .join(first.with_columns(pl.col(ROW).cast(pl.UInt32)), on=ROW, how="left")
            .get_column("ask_first")
            .fill_null("")
        )

    def _rank_notes(self, undecided: pl.DataFrame) -> pl.Series:
        keys = ["__rule", "__n", "amount_yuan"]
        combos = undecided.select(keys).unique()
        words = []
        for rule_index, n, amount in combos.iter_rows():
            key = (rule_index, n, amount)
            if key not in self._notes:
                least = self.least[rule_index]
                self._notes[key] = rank_words(n, amount, least, self.lang)
            words.append(self._notes[key])
        table = combos.with_columns(pl.Series("rank_note", words, dtype=pl.String))
        return undecided.select(keys).join(
            table, on=keys, how="left", nulls_equal=True, maintain_order="left"
        )["rank_note"]
