"""How well advisors' column headers map to profile fields.

Reads a labelled set (``header,expected``; expected is a field, ``certifications:<name>`` for
a yes/no certification column, or ``none`` for a false friend) and prints the share mapped to
the right field, to a wrong field, and left unmapped (every unmapped column is reported by the
column accounting, so unmapped is acceptable; a wrong field is not).

    python bench/eval_headers.py                       # tests/data/headers_labelled.csv
    python bench/eval_headers.py tests/data/headers_fresh.csv --show
    python bench/eval_headers.py --all                 # every labelled set, one table
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from matcher.intake.headers import map_headers

ROOT = Path(__file__).resolve().parent.parent


def outcome(header: str, expected: str) -> tuple[str, str]:
    """(right / wrong / unmapped, what it mapped to)."""
    (m,) = map_headers([header]).details
    got = "none" if m.field is None else (f"{m.field}:{m.flag}" if m.flag else m.field)
    if got == expected:
        return "right", got
    if m.field is None:
        return "unmapped", f"none ({m.method})"
    return "wrong", f"{got} ({m.method} {m.score:.0f})"


SETS = ["labelled", "fresh", "fresh2", "dev3", "fresh3", "fresh4", "fresh5", "dev4", "fresh6"]


def table() -> None:
    """Right / wrong / unmapped of every labelled set, as in bench/RESULTS.md."""
    print(f"{'set':24} {'n':>4} {'false friends':>14} {'right':>7} {'wrong':>6} {'unmapped':>9}")
    for name in SETS:
        path = ROOT / "tests/data" / f"headers_{name}.csv"
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        kinds = [outcome(r["header"], r["expected"])[0] for r in rows]
        n = len(rows)
        ff = sum(r["expected"] == "none" for r in rows)
        pct = {k: 100 * kinds.count(k) / n for k in ("right", "wrong", "unmapped")}
        print(
            f"{path.name:24} {n:4d} {ff:14d} {pct['right']:6.1f}% {pct['wrong']:5.1f}%"
            f" {pct['unmapped']:8.1f}%"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default=str(ROOT / "tests/data/headers_labelled.csv"))
    ap.add_argument("--show", action="store_true", help="list every miss")
    ap.add_argument("--all", action="store_true", help="one line per labelled set")
    args = ap.parse_args()
    if args.all:
        table()
        return
    with open(args.path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    counts = {"right": 0, "wrong": 0, "unmapped": 0}
    misses: list[str] = []
    for row in rows:
        kind, got = outcome(row["header"], row["expected"])
        counts[kind] += 1
        if kind != "right":
            misses.append(f"  {kind:8} {row['header']!r}: expected {row['expected']}, got {got}")
    n = len(rows)
    false_friends = sum(r["expected"] == "none" for r in rows)
    print(f"{args.path}: {n} headers ({false_friends} false friends)")
    for kind, c in counts.items():
        print(f"  {kind:8} {c:4d}  {100 * c / n:5.1f} %")
    if args.show or counts["wrong"]:
        print("\n".join(misses))


if __name__ == "__main__":
    main()
