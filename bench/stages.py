"""Where the time of a batch goes: run_batch's steps one after another, each timed.

    python bench/stages.py bench/data/profiles_1000000_s42.csv [--full] [--as-of 2022-07-01]

The steps are those of matcher.api.run_batch (read, normalise, prepare, the wide
pass, the long step per slice, the summary counts, localisation, writing), run in
sequence in this process instead of writing in a background thread, so their sum
is more than the batch's wall time; the shares are what to optimise next.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from matcher.api import CHUNK_RESULT_ROWS, READ_CHUNK_ROWS, iter_raw_chunks
from matcher.batch import BRIEF_COLUMNS, RESULT_COLUMNS, ROW, Evaluator
from matcher.fields import col
from matcher.loader import load_rules
from matcher.normalize import normalise
from matcher.report.columns import localise_results
from matcher.report.files import drop_from_cache, neutralise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("portfolio", type=Path)
    parser.add_argument("--full", action="store_true", help="the full report, not --brief")
    parser.add_argument("--as-of", default="2022-07-01")
    args = parser.parse_args()

    rules = load_rules().rules
    as_of = dt.date.fromisoformat(args.as_of)
    columns = RESULT_COLUMNS if args.full else BRIEF_COLUMNS
    times: dict[str, float] = defaultdict(float)
    start = time.perf_counter()
    evaluator = Evaluator(rules, as_of, "zh", columns, texts="categorical")
    eval_rows = min(READ_CHUNK_ROWS, max(1_000, CHUNK_RESULT_ROWS // max(1, len(rules))))
    times["compile rules"] = time.perf_counter() - start
    rows = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.csv"
        with out.open("wb") as fh:
            mark = time.perf_counter()

            def tick(step: str) -> None:
                nonlocal mark
                now = time.perf_counter()
                times[step] += now - mark
                mark = now

            for raw, problems in iter_raw_chunks(args.portfolio, chunk_rows=READ_CHUNK_ROWS):
                tick("read (incl. the CSV check)")
                portfolio = normalise(raw, problems=problems)
                tick("normalise")
                prepared = evaluator.prepare(portfolio.frame)
                tick("prepare (region prefix, catalogue)")
                wide = evaluator.wide(prepared, portfolio.passthrough)
                inputs = ["enterprise_id", "enterprise_name", *portfolio.passthrough]
                wide = neutralise(wide, inputs).collect()
                tick("wide pass (every rule)")
                for offset in range(0, wide.height or 1, eval_rows):
                    part = wide.slice(offset, eval_rows)
                    result = evaluator.long(part, portfolio.passthrough, codes=True).collect()
                    tick("long (unpivot, rank, texts)")
                    evaluator.counts(result)
                    tick("summary counts")
                    shown_cols = [*BRIEF_COLUMNS, *portfolio.passthrough]
                    body = (
                        result.lazy().drop(ROW, "__rule", "__status")
                        if args.full
                        else result.lazy().select(col(c) for c in shown_cols)
                    )
                    chunk = localise_results(body, "zh").collect()
                    tick("localise")
                    offset = fh.tell()
                    chunk.write_csv(fh, include_header=rows == 0, include_bom=rows == 0)
                    drop_from_cache(fh, offset)
                    rows += chunk.height
                    tick("write CSV")
    total = sum(times.values())
    print(f"{args.portfolio}: {rows:,} report rows, {total:.1f} s in sequence")
    print("| step | s | share |")
    print("|---|---:|---:|")
    for step, seconds in times.items():
        print(f"| {step} | {seconds:.2f} | {seconds / total:.0%} |")


if __name__ == "__main__":
    main()
