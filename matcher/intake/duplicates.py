"""The same firm entered twice: matched once, counted once, reported with what differs.

Two rows are the same firm when they share a credit code, or — both without a
credit code — the same name (spaces ignored). The first row
is kept; later ones are left out and reported with the fields that differ.
A portfolio read in chunks passes the same ``seen`` dict to every chunk, so a
firm repeated across chunks is caught too (only its first row number is kept).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from matcher.fields import FIELDS_BY_NAME, PROFILE_FIELDS, ROW
from matcher.records import record

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import polars as pl
else:
    from matcher.frame import pl


_KEY = "__dup_key"


@record
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
        c = pl.col(name).cast(pl.String)
        # only cells with a space are rewritten: finding one costs less than a copy
        c = pl.when(c.str.contains(r"\s")).then(c.str.replace_all(r"\s+", "")).otherwise(c)
        return pl.when(c != "").then(c)

    code = clean("credit_code").str.to_uppercase()
    # a prefix added to a null is null: the name stands in only without a code
    return pl.coalesce(pl.lit("credit_code:") + code, pl.lit("name:") + clean("name"))


class SeenFirms:
    """The firms of earlier chunks (key → first row, id) without a Python object per
    firm: each key's 64-bit hash in a set of ints, and the keys, rows and ids in polars
    frames, read only for the few keys whose hash is already there (and compared as
    text, so a hash collision cannot make two firms one). A dict per firm cost more
    CPU than any other step of the duplicate check at a million rows."""

    def __init__(self) -> None:
        self._hashes: set[int] = set()
        self._tables: list[pl.DataFrame] = []  # __hash, key, row, id

    def known(self, keys: pl.Series) -> dict[str, tuple[int, str | None]]:
        """The first row and id of each of ``keys`` (distinct, not null) seen before."""
        if not self._tables or keys.is_empty():
            return {}
        hashes = keys.hash()
        found = self._hashes.intersection(hashes.to_list())
        if not found:
            return {}
        wanted = list(found)
        asked = keys.filter(hashes.is_in(wanted))
        hits = pl.concat([t.filter(pl.col("__hash").is_in(wanted)) for t in self._tables]).filter(
            pl.col("key").is_in(asked.implode())
        )
        return {
            k: (row, id_)
            for k, row, id_ in zip(
                hits.get_column("key").to_list(),
                hits.get_column("row").to_list(),
                hits.get_column("id").to_list(),
                strict=True,
            )
        }

    def add(self, keys: pl.Series, rows: pl.Series, ids: pl.Series) -> None:
        """Keys not seen before (distinct), with their first row and id."""
        if keys.is_empty():
            return
        table = pl.DataFrame(
            {
                "__hash": keys.hash(),
                "key": keys.cast(pl.String),
                "row": rows.cast(pl.Int64),
                "id": ids.cast(pl.String),
            }
        )
        self._hashes.update(table.get_column("__hash").to_list())
        self._tables.append(table)
        if len(self._tables) > 16:  # few frames to filter per chunk
            self._tables = [pl.concat(self._tables).rechunk()]

    def update(self, firms: dict[str, tuple[int, str | None]]) -> None:
        """As dict.update, for firms found elsewhere (pipeline/spark.py): keys already
        here keep their first row."""
        keys = pl.Series(list(firms), dtype=pl.String)
        known = self.known(keys)
        fresh = [k for k in firms if k not in known]
        self.add(
            pl.Series(fresh, dtype=pl.String),
            pl.Series([firms[k][0] for k in fresh], dtype=pl.Int64),
            pl.Series([firms[k][1] for k in fresh], dtype=pl.String),
        )


Seen = SeenFirms | dict[str, tuple[int, str | None]]


def _known(seen: Seen, keys: pl.Series) -> dict[str, tuple[int, str | None]]:
    if isinstance(seen, SeenFirms):
        return seen.known(keys)
    found = seen.keys() & set(keys.to_list())
    return {k: seen[k] for k in found}


def _add(seen: Seen, keys: pl.Series, rows: pl.Series, ids: pl.Series) -> None:
    if isinstance(seen, SeenFirms):
        seen.add(keys, rows, ids)
    else:
        firsts = zip(rows.to_list(), ids.to_list(), strict=True)
        seen.update(zip(keys.to_list(), firsts, strict=True))


def drop_duplicates(frame: pl.DataFrame, seen: Seen) -> tuple[pl.DataFrame, list[Duplicate]]:
    """``frame`` with each firm once; ``seen`` (key → first row, id) is updated.

    A row is a repeat when its key is in ``seen`` or on an earlier row of the frame.
    Found per frame (the first row of each key, then one look-up of those keys in
    ``seen``), so only the repeated rows are handled one by one."""
    if frame.is_empty() or "name" not in frame.columns:
        return frame, []
    keyed = frame.with_columns(duplicate_key(frame).alias(_KEY))
    key = keyed.get_column(_KEY)
    first = key.is_first_distinct() & key.is_not_null()
    ids = keyed.get_column("id") if "id" in keyed.columns else None
    id_col = pl.col("id") if ids is not None else pl.lit(None, dtype=pl.String).alias("id")
    firsts = keyed.select(pl.col(_KEY), pl.col(ROW), id_col).filter(first)
    known = _known(seen, firsts.get_column(_KEY))  # keys an earlier frame had
    new = firsts.filter(~pl.col(_KEY).is_in(list(known))) if known else firsts
    _add(seen, new.get_column(_KEY), new.get_column(ROW), new.get_column("id"))
    repeat = key.is_not_null() & ~first
    if known:
        repeat = repeat | key.is_in(list(known))
    if not repeat.any():
        return frame, []
    repeated = repeat.arg_true().to_list()
    fields = [s.name for s in PROFILE_FIELDS if s.name in frame.columns and s.name != "id"]
    rep_keys = key.gather(repeated).to_list()
    rep_rows = keyed.get_column(ROW).gather(repeated).to_list()
    rep_ids = ids.gather(repeated).to_list() if ids is not None else [None] * len(repeated)
    # the first row of each key repeated within this frame
    again = set(rep_keys) - known.keys()
    index = keyed.select(
        pl.int_range(pl.len()).alias("i"), pl.col(_KEY), pl.col(ROW), id_col
    ).filter(first & key.is_in(list(again)))
    here = {k: (j, row, id_) for j, k, row, id_ in index.iter_rows()}
    dups: list[Duplicate] = []
    for i, k, row, id_ in zip(repeated, rep_keys, rep_rows, rep_ids, strict=True):
        differs = None
        if k in here:
            j, row0, id0 = here[k]
            a, b = keyed.row(j, named=True), keyed.row(i, named=True)
            differs = tuple(f for f in fields if a[f] != b[f])
        else:
            row0, id0 = known[k]
        by, _, text = k.partition(":")
        dups.append(Duplicate(text, by, row0, row, id0, id_, differs))
    return frame.filter(~pl.col(ROW).is_in([d.row for d in dups])), dups
