"""The same firm entered twice: matched once, counted once, reported with what differs.

Two rows are the same firm when they share a credit code, or — both without a
credit code — the same name (spaces ignored). The first row
is kept; later ones are left out and reported with the fields that differ.
A portfolio read in chunks passes the same ``seen`` dict to every chunk, so a
firm repeated across chunks is caught too (only its first row number is kept).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from matcher.fields import FIELDS_BY_NAME, PROFILE_FIELDS, ROW

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import polars as pl
else:
    from matcher.frame import pl


_KEY = "__dup_key"


@dataclass(frozen=True)
class Duplicate:
    """A row left out because an earlier row is the same firm."""

    key: str  # the credit code or the name
    by: str  # "credit_code" | "name"
    first_row: int
    row: int
    first_id: str | None
    id: str | None
    differs: tuple[str, ...] | None  # None: the first row was in an earlier chunk

    def message(self, lang: str = "zh") -> str:
        zh = lang != "en"
        what = (
            ("统一社会信用代码" if self.by == "credit_code" else "企业名称")
            if zh
            else ("credit code" if self.by == "credit_code" else "name")
        )
        if self.differs is None:
            diff = "（未逐项比较）" if zh else " (fields not compared)"
        elif self.differs:
            names = [FIELDS_BY_NAME[f].zh if zh else f for f in self.differs]
            diff = f"，不同的字段：{'、'.join(names)}" if zh else f"; differing: {', '.join(names)}"
        else:
            diff = "，各字段相同" if zh else "; all fields equal"
        if zh:
            return (
                f"重复企业：{what}「{self.key}」在第{self.first_row}行和第{self.row}行{diff}；"
                f"只按第{self.first_row}行匹配一次，请删去或合并重复行"
            )
        return (
            f"duplicate firm: {what} '{self.key}' on rows {self.first_row} and {self.row}{diff}; "
            f"matched once, from row {self.first_row}: delete or merge the repeated row"
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "by": self.by,
            "rows": [self.first_row, self.row],
            "ids": [self.first_id, self.id],
            "differs": list(self.differs) if self.differs is not None else None,
        }


def duplicate_key(frame: pl.DataFrame) -> pl.Expr:
    """Each row's duplicate key: ``credit_code:<code>`` (spaces removed, upper case), or
    ``name:<name>`` (spaces removed) without a credit code; null with neither."""

    def clean(name: str) -> pl.Expr:
        if name not in frame.columns:
            return pl.lit(None, dtype=pl.String)
        c = pl.col(name).cast(pl.String).str.replace_all(r"\s+", "")
        return pl.when(c != "").then(c)

    code = clean("credit_code").str.to_uppercase()
    return (
        pl.when(code.is_not_null())
        .then(pl.lit("credit_code:") + code)
        .otherwise(pl.lit("name:") + clean("name"))
    )


def drop_duplicates(
    frame: pl.DataFrame, seen: dict[str, tuple[int, str | None]]
) -> tuple[pl.DataFrame, list[Duplicate]]:
    """``frame`` with each firm once; ``seen`` (key → first row, id) is updated."""
    if frame.is_empty() or "name" not in frame.columns:
        return frame, []
    keyed = frame.with_columns(duplicate_key(frame).alias(_KEY))
    fields = [s.name for s in PROFILE_FIELDS if s.name in frame.columns and s.name != "id"]
    keys = keyed.get_column(_KEY).to_list()
    rows = keyed.get_column(ROW).to_list()
    ids = keyed.get_column("id").to_list() if "id" in keyed.columns else [None] * len(rows)
    here: dict[str, int] = {}  # key → index of its first row in this chunk
    repeated: list[int] = []
    for i, key in enumerate(keys):
        if key is None:
            continue
        if key in seen:
            repeated.append(i)
        else:
            seen[key] = (rows[i], ids[i])
            here[key] = i
    dups: list[Duplicate] = []
    for i in repeated:
        key = keys[i]
        j = here.get(key)
        differs = None
        if j is not None:
            a, b = keyed.row(j, named=True), keyed.row(i, named=True)
            differs = tuple(f for f in fields if a[f] != b[f])
        by, _, text = key.partition(":")
        row0, id0 = seen[key]
        dups.append(Duplicate(text, by, row0, rows[i], id0, ids[i], differs))
    if not dups:
        return frame, []
    return frame.filter(~pl.col(ROW).is_in([d.row for d in dups])), dups
