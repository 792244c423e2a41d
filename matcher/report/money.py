"""Money in every output: whole yuan as integers, empty where the rule states no amount.

Machine formats (CSV, JSON, xlsx cells) carry an integer (6000, never 6000.0);
human formats (terminal, HTML, Markdown) show "6,000"; an amount the rule does
not state is empty, never 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from matcher.rule import Audience, Rule

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import polars as pl
else:
    from matcher.frame import pl


AMOUNT_COLUMNS = ("amount_yuan", "total_amount_yuan")


def whole_yuan(expr: pl.Expr) -> pl.Expr:
    """Amounts are estimates in yuan: rounded half-up to whole yuan, as integers."""
    return (expr.cast(pl.Float64) + 0.5).floor().cast(pl.Int64)


def whole_yuan_columns(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Every money column of a result or summary frame as whole yuan."""
    names = frame.collect_schema().names()
    return frame.with_columns(whole_yuan(pl.col(c)) for c in AMOUNT_COLUMNS if c in names)


def yuan_text(value: Any) -> str:
    """ "6,000" for people; "" where no amount is stated."""
    if value is None:
        return ""
    return f"{int(float(value) + 0.5):,}"


def states_amount(rule: Rule) -> bool:
    """Whether the rule quantifies money for the enterprise itself (else its totals are empty)."""
    return rule.benefit.type != "unquantified" and rule.audience is Audience.ENTERPRISE


def blank_unstated_totals(summary: pl.DataFrame, rules: Sequence[Rule]) -> pl.DataFrame:
    """A per-rule summary whose total is empty, not 0, for rules that state no amount."""
    unstated = [r.id for r in rules if not states_amount(r)]
    return summary.with_columns(
        pl.when(pl.col("rule_id").is_in(unstated))
        .then(None)
        .otherwise(pl.col("total_amount_yuan"))
        .alias("total_amount_yuan")
    )
