"""Report column headers in Chinese (default) and English."""

from __future__ import annotations

import polars as pl

from matcher.evaluate.tree import STATUS_ZH
from matcher.report.headers import ERROR_HEADERS_ZH, RESULT_HEADERS_ZH


def localise_results(frame: pl.LazyFrame, lang: str) -> pl.LazyFrame:
    """Status values and headers in the user's language; passthrough columns untouched.
    Amounts become whole yuan (6000, not 6000.0) in every language."""
    from matcher.report.money import whole_yuan_columns

    frame = whole_yuan_columns(frame)
    if lang == "zh":
        dtype = frame.collect_schema().get("status")
        if isinstance(dtype, pl.Enum):  # categorical report texts: a gather, no new strings
            zh = [STATUS_ZH[c] for c in dtype.categories]
            status = pl.lit(pl.Series(zh, dtype=pl.Enum(zh))).gather(pl.col("status").to_physical())
        else:
            status = pl.col("status").replace_strict(STATUS_ZH)
        frame = frame.with_columns(status.alias("status"))
        return frame.rename(RESULT_HEADERS_ZH, strict=False)
    return frame


def localise(frame: pl.DataFrame, headers: dict[str, str], lang: str) -> pl.DataFrame:
    from matcher.report.money import whole_yuan_columns

    frame = whole_yuan_columns(frame.lazy()).collect()
    if lang != "zh":
        return frame
    return frame.rename({k: v for k, v in headers.items() if k in frame.columns})


ERROR_REPORT_COLUMNS = ["row", "id", "column", "field", "value", "message", "rejected"]


def error_report(errors: pl.DataFrame, lang: str) -> pl.DataFrame:
    """The errors file: one row per problem, with its message, in the user's language."""
    from matcher.normalize import error_messages

    rows = errors.with_columns(error_messages(errors, lang).alias("message")).select(
        ERROR_REPORT_COLUMNS
    )
    if lang == "zh":
        rows = rows.with_columns(
            pl.when(pl.col("rejected")).then(pl.lit("是")).otherwise(pl.lit("否")).alias("rejected")
        )
    return localise(rows, ERROR_HEADERS_ZH, lang)
