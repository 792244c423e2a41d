"""split_non_data's first-character shortcut finds the totals and footnote rows that
matching every first cell against the two patterns finds."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.fields import ROW, col
from matcher.intake.readers import _marked, split_non_data

WORDS = [
    "合计",
    "总 计",
    "小计：",
    "Total",
    " SUM:",
    "subtotal",
    "填表人：张",
    "注：见",
    "注1",
    "说明:",
]
first_cells = st.one_of(
    st.sampled_from(WORDS),
    st.text(alphabet=" \t\u3000合计总小共汇tTsSuUmM填表注说明:：1E0", max_size=8),
    st.none(),
)


def _reference(frame: pl.DataFrame) -> tuple[list[int], list[int]]:
    """Every row with a first cell matched against the patterns (no shortcut)."""
    text = [col(c).cast(pl.String) for c in frame.columns if c != ROW]
    has_head = frame.select((text[0].str.strip_chars() != "").fill_null(False)).to_series()
    marked = pl.concat(
        [_marked(frame.filter(has_head), text[:1]), _marked(frame.filter(~has_head), text)]
    ).sort(ROW, maintain_order=True)
    return (
        marked.filter(pl.col("t")).get_column(ROW).to_list(),
        marked.filter(pl.col("n")).get_column(ROW).to_list(),
    )


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(first_cells, st.one_of(st.none(), st.sampled_from(["", "x", "合计"]))),
        min_size=1,
        max_size=30,
    )
)
def test_shortcut_equals_the_patterns_on_every_row(
    rows: list[tuple[str | None, str | None]],
) -> None:
    frame = pl.DataFrame(
        {
            ROW: list(range(2, len(rows) + 2)),
            "编号": [r[0] for r in rows],
            "名称": [r[1] for r in rows],
        },
        schema={ROW: pl.Int64, "编号": pl.String, "名称": pl.String},
    )
    totals, notes = _reference(frame)
    kept, skipped = split_non_data(frame)
    assert (skipped.totals, skipped.notes) == (totals, notes)
    assert kept.get_column(ROW).to_list() == [
        r for r in frame.get_column(ROW).to_list() if r not in {*totals, *notes}
    ]
