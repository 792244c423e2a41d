"""Time the batch in_catalogue verdict: per distinct scope (match_scopes) against per distinct
clause (catalogue_verdicts), and check that both give the same verdict.

    python bench/bench_catalogue.py PROFILES.csv [--rows N] [--chunk ROWS] [--impl old|new|both]

Not part of the test suite. Reads 经营范围 and 所在地区, resolves the regions to adcodes and
evaluates the edition in force on 2024-07-01 over all rows at once, or per chunk of ``--chunk``
rows as the batch command does. Each implementation runs twice: cold (empty caches) and warm.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import polars as pl

from matcher.reference.catalogue import Edition, catalogue_verdicts, edition_in_force, match_scopes
from matcher.reference.regions import resolve_regions

AS_OF = dt.date(2024, 7, 1)
KEYS = ["business_scope", "__province"]


def load(path: str, rows: int | None) -> pl.DataFrame:
    raw = pl.read_csv(path, infer_schema=False, columns=["经营范围", "所在地区"], n_rows=rows)
    regions = raw.get_column("所在地区").unique().drop_nulls().to_list()
    codes = {t: r.code for t, r in resolve_regions(regions).items()}
    return raw.select(
        pl.col("经营范围").alias("business_scope"),
        pl.col("所在地区").replace_strict(codes, default=None, return_dtype=pl.String),
    ).select("business_scope", (pl.col("所在地区").str.slice(0, 2) + "0000").alias(KEYS[1]))


def pairs_of(chunk: pl.DataFrame) -> pl.DataFrame:
    return chunk.select(KEYS).unique().drop_nulls(KEYS[0])


def old(pairs: pl.DataFrame, edition: Edition) -> pl.Series:
    """The verdict as vector._with_catalogue computed it before catalogue_verdicts."""
    scopes, regions = pairs.get_column(KEYS[0]).to_list(), pairs.get_column(KEYS[1]).to_list()
    found = match_scopes(list(zip(scopes, regions, strict=True)), edition)
    miss = None if edition.partial else False
    return pl.Series([True if found[p] else miss for p in zip(scopes, regions, strict=True)])


def new(pairs: pl.DataFrame, edition: Edition) -> pl.Series:
    return catalogue_verdicts(pairs.get_column(KEYS[0]), pairs.get_column(KEYS[1]), edition)


def run(frame: pl.DataFrame, chunk: int, impl: str, edition: Edition) -> tuple[float, pl.DataFrame]:
    fn = old if impl == "old" else new
    out = []
    t0 = time.perf_counter()
    for start in range(0, frame.height, chunk):
        pairs = pairs_of(frame.slice(start, chunk))
        out.append(pairs.with_columns(fn(pairs, edition).alias("verdict")))
    return time.perf_counter() - t0, pl.concat(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    ap.add_argument("--rows", type=int, default=None)
    ap.add_argument("--chunk", type=int, default=None, help="rows per call (default: all)")
    ap.add_argument("--impl", choices=["old", "new", "both"], default="both")
    args = ap.parse_args()
    frame = load(args.path, args.rows)
    edition = edition_in_force(AS_OF)
    assert edition is not None
    chunk = args.chunk or frame.height
    print(
        f"{frame.height} rows, {frame.get_column(KEYS[0]).n_unique()} distinct scopes, "
        f"{pairs_of(frame).height} distinct (scope, province); chunks of {chunk}"
    )
    results = {}
    for impl in ["old", "new"] if args.impl == "both" else [args.impl]:
        cold, got = run(frame, chunk, impl, edition)
        warm, _ = run(frame, chunk, impl, edition)
        results[impl] = got
        print(f"{impl}: {cold:.2f}s cold, {warm:.2f}s warm")
    if len(results) == 2:
        diff = results["old"].join(results["new"], on=KEYS, nulls_equal=True, how="full")
        bad = diff.filter(pl.col("verdict").ne_missing(pl.col("verdict_right")))
        counts = results["new"].get_column("verdict").value_counts().sort("verdict").rows()
        print(f"verdicts {counts}; pairs that differ: {bad.height}")


if __name__ == "__main__":
    main()
