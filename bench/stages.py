"""Where the time of a batch goes: run_batch's steps one after another, each timed.

    python bench/stages.py bench/data/profiles_1000000_s42.csv [--full] [--as-of 2022-07-01]

The steps are those of matcher.api.run_batch (read, intake — the lean normalise of
the fields the rules read —, prepare, the wide pass, the long step per slice with
ask-first on codes and --only, localisation, writing), run in sequence in this process
instead of normalising and writing in background threads, so their sum is more than
the batch's wall time; the shares are what to optimise next.

    python bench/stages.py FILE [--full] [--only 符合,待补充信息] [--rules DIR]

Each step's wall and CPU seconds (the process's user+sys, so polars' worker threads
count): on a shared machine the CPU figure is the steadier one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from matcher.api import CHUNK_RESULT_ROWS, READ_CHUNK_ROWS, Intake, iter_raw_chunks
from matcher.batch import BRIEF_COLUMNS, RESULT_COLUMNS, ROW, Evaluator
from matcher.evaluate.tree import STATUS_FROM_ZH
from matcher.fields import col
from matcher.loader import load_rules, load_ruleset
from matcher.normalize import input_fields
from matcher.report.columns import localise_results
from matcher.report.files import drop_from_cache, neutralise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("portfolio", type=Path)
    parser.add_argument("--full", action="store_true", help="the full report, not --brief")
    parser.add_argument("--as-of", default="2022-07-01")
    parser.add_argument("--only", default="", help="statuses to keep, as batch --only")
    parser.add_argument(
        "--rules",
        type=Path,
        help="only the rules in this folder (as batch --rules DIR --only-rules)",
    )
    args = parser.parse_args()
    only = [STATUS_FROM_ZH.get(s, s) for s in args.only.split(",") if s]

    rules = load_ruleset([args.rules], replace=True).rules if args.rules else load_rules().rules
    as_of = dt.date.fromisoformat(args.as_of)
    columns = RESULT_COLUMNS if args.full else BRIEF_COLUMNS
    times: dict[str, float] = defaultdict(float)
    cpu: dict[str, float] = defaultdict(float)
    start, start_cpu = time.perf_counter(), time.process_time()
    evaluator = Evaluator(rules, as_of, "zh", columns, texts="categorical", ask_first=True)
    intake = Intake(rules=rules, fields=input_fields(rules) | {"credit_code"})
    eval_rows = min(READ_CHUNK_ROWS, max(1_000, CHUNK_RESULT_ROWS // max(1, len(rules))))
    times["compile rules"] = time.perf_counter() - start
    cpu["compile rules"] = time.process_time() - start_cpu
    rows = 0
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.csv"
        with out.open("wb") as fh:
            mark, mark_cpu = time.perf_counter(), time.process_time()

            def tick(step: str) -> None:
                nonlocal mark, mark_cpu
                now, now_cpu = time.perf_counter(), time.process_time()
                times[step] += now - mark
                cpu[step] += now_cpu - mark_cpu
                mark, mark_cpu = now, now_cpu

            chunks = iter_raw_chunks(args.portfolio, chunk_rows=READ_CHUNK_ROWS)
            for i, (raw, problems) in enumerate(chunks):
                tick("read (incl. the CSV check)")
                portfolio = intake.chunk(raw, problems, first=i == 0)
                tick("intake (lean normalise, totals rows, repeated firms)")
                prepared = evaluator.prepare(portfolio.frame)
                tick("prepare (region prefix, catalogue)")
                wide = evaluator.wide(prepared, portfolio.passthrough)
                inputs = ["enterprise_id", "enterprise_name", *portfolio.passthrough]
                wide = neutralise(wide, inputs).collect()
                tick("wide pass (every rule)")
                for offset in range(0, wide.height or 1, eval_rows):
                    part = wide.slice(offset, eval_rows)
                    tallies: list = []
                    result = evaluator.long(
                        part,
                        portfolio.passthrough,
                        codes=True,
                        plans=[],
                        statuses=only,
                        tallies=tallies,
                    ).collect()
                    tick("long (unpivot, rank, ask-first, --only, texts, counts)")
                    shown_cols = [*BRIEF_COLUMNS, "ask_first", *portfolio.passthrough]
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
    total, total_cpu = sum(times.values()), sum(cpu.values())
    print(
        f"{args.portfolio}: {rows:,} report rows, {total:.1f} s in sequence, {total_cpu:.1f} s CPU"
    )
    print("| step | s | share | CPU s | CPU share |")
    print("|---|---:|---:|---:|---:|")
    for step, seconds in times.items():
        print(
            f"| {step} | {seconds:.2f} | {seconds / total:.0%} "
            f"| {cpu[step]:.2f} | {cpu[step] / total_cpu:.0%} |"
        )


if __name__ == "__main__":
    main()
