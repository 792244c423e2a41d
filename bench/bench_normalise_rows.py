"""CPU time of ``normalise_rows`` on small tables (the web request, the one-enterprise
report, the server's coalesced batch), optionally interleaved with another copy of the
module to compare two versions on the same inputs.

    python bench/bench_normalise_rows.py [--against OLD.py] [--rounds 7] [--calls 300]
    valgrind --tool=callgrind python bench/bench_normalise_rows.py --plain --against OLD.py \
        [--use against] [--calls 0]

e.g. ``git show <commit>:matcher/normalize_rows.py > /tmp/old.py`` gives the version to
compare against. Inputs: the first row, and all 26 rows, of profiles/demo.csv, read as text.
Each round times ``--calls`` calls of each version in turn (A, B, B, A…: the order alternates
between rounds) with ``time.process_time`` (user + sys CPU of this process); the median round
is printed, in µs per call. Caches (regions, industries, scopes) are warm after the first call,
as in a running server. With ``--plain`` one version (``--use``) is called ``--calls`` times
per table, untimed, for an instruction count; both versions are loaded either way, so running
it with ``--calls 0`` too and subtracting leaves the calls' instructions alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import statistics
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

import matcher.normalize_rows as current
from matcher.fields import ROW

AS_OF = dt.date(2022, 7, 1)
DEMO = Path(__file__).resolve().parent.parent / "profiles" / "demo.csv"


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("normalize_rows_against", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def tables() -> dict[str, tuple[list[dict[str, Any]], list[str]]]:
    raw = pl.read_csv(DEMO, infer_schema=False)
    headers = list(raw.columns)
    rows = [{ROW: i + 2, **r} for i, r in enumerate(raw.to_dicts())]
    return {"1 row": (rows[:1], headers), f"{len(rows)} rows": (rows, headers)}


def per_call(module: ModuleType, rows: list[dict[str, Any]], headers: list[str], n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        module.normalise_rows(rows, headers, today=AS_OF)
    return (time.process_time() - start) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--against", help="another copy of matcher/normalize_rows.py")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--plain", action="store_true", help="untimed calls of one version")
    ap.add_argument("--use", choices=["current", "against"], default="current")
    ap.add_argument("--table", choices=["1 row", "26 rows"], help="only this table")
    args = ap.parse_args()
    if args.plain:
        against = load(args.against) if args.against else None
        module = against if args.use == "against" and against is not None else current
        for name, (rows, headers) in tables().items():
            if args.table not in (None, name):
                continue
            module.normalise_rows(rows, headers, today=AS_OF)  # warm the caches
            for _ in range(args.calls):
                module.normalise_rows(rows, headers, today=AS_OF)
        return
    versions = {"current": current}
    if args.against:
        versions["against"] = load(args.against)
    for name, (rows, headers) in tables().items():
        if args.table not in (None, name):
            continue
        times: dict[str, list[float]] = {v: [] for v in versions}
        for module in versions.values():
            module.normalise_rows(rows, headers, today=AS_OF)  # warm the caches
        for k in range(args.rounds):
            order = list(versions) if k % 2 == 0 else list(reversed(versions))
            for v in order:
                times[v].append(per_call(versions[v], rows, headers, args.calls))
        cells = "  ".join(f"{v} {statistics.median(t):8.1f} µs" for v, t in times.items())
        print(f"{name:>8}: {cells}")


if __name__ == "__main__":
    main()
