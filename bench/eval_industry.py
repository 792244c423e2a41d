"""Industry resolution accuracy on the labelled sets, each scored by a model that never saw it,
and the rate of garbage (text that names no industry) it resolves.

    python bench/eval_industry.py [--sets FILE ...] [--garbage FILE ...]

The text model learns from ``rules/reference/industry_examples.csv``, which gathers the
development sets in tests/data. Scoring a development set with that model would only show it
has learnt its own examples, so each development set is scored with the model retrained
without it (leave one set out). The fresh sets (never copied into the examples) are scored
with the shipped model. Printed per set: 大类 top-1, confidently wrong, unresolved, and the
same for the keyword rules alone, which shows what the model changes.

The garbage sets (tests/data/garbage_industry_*.csv: numbers, gibberish, placeholders, places,
names…, each row with its category) are scored with the shipped resolver: resolved / total,
which should be 0, and how many of them were refused with a reason for the problem list.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "rules" / "reference"))

import build_industry_examples as examples  # noqa: E402

from matcher.reference import industry  # noqa: E402
from matcher.reference.resolution import Resolution  # noqa: E402


def load(name: str) -> list[tuple[str, str]]:
    with (examples.DATA / name).open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["expected"]) for r in csv.DictReader(f)]


def score(rows: list[tuple[str, str]], out: dict[str, Resolution]) -> tuple[float, float, float]:
    right = wrong = 0
    for text, expected in rows:
        code = out[text].code
        if code is not None and code.startswith(expected):
            right += 1
        elif code is not None and not expected.startswith(code):
            wrong += 1
    n = len(rows)
    return right / n, wrong / n, (n - right - wrong) / n


def garbage(name: str) -> None:
    """Print the garbage rate of one set: resolved / total, and what resolved, by category."""
    with (examples.DATA / name).open(encoding="utf-8", newline="") as f:
        rows = [(r["text"], r["category"]) for r in csv.DictReader(f)]
    out = industry.resolve_held_out([t for t, _ in rows], None)
    resolved = [(t, c, out[t].code) for t, c in rows if out[t].code is not None]
    reasons = sum(out[t].refusal is not None for t, _ in rows)
    print(
        f"{name:32} {len(rows):>4}  resolved {len(resolved)}/{len(rows)} = "
        f"{len(resolved) / len(rows):.1%}   refused with a reason {reasons}/{len(rows)}"
    )
    by_category = Counter(c for _, c in rows)
    for category in sorted(by_category):
        hits = [(t, code) for t, c, code in resolved if c == category]
        shown = "  ".join(f"{t}→{code}" for t, code in hits[:5])
        print(f"    {category:14} {len(hits):>3}/{by_category[category]:<3} {shown}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", help="files in tests/data (default: all)")
    parser.add_argument(
        "--garbage", nargs="*", help="garbage sets in tests/data (default: garbage_industry_*)"
    )
    args = parser.parse_args()
    names = args.sets if args.sets is not None else [*examples.SOURCES, *examples.FRESH]
    print(f"{'set':32} {'n':>4}  {'top-1':>6} {'wrong':>6} {'unres.':>6}   rules alone")
    for name in names:
        if not (examples.DATA / name).is_file():
            print(f"{name:32} (missing)")
            continue
        rows = load(name)
        texts = [t for t, _ in rows]
        held = name if name in examples.SOURCES else None
        both = score(rows, industry.resolve_held_out(texts, held))
        alone = score(rows, industry.resolve_held_out(texts, held, model=False))
        kind = "left out" if held else "fresh"
        print(
            f"{name:32} {len(rows):>4}  {both[0]:6.1%} {both[1]:6.1%} {both[2]:6.1%}"
            f"   {alone[0]:6.1%} {alone[1]:6.1%} {alone[2]:6.1%}  ({kind})"
        )
    dumps = args.garbage
    if dumps is None:
        dumps = sorted(p.name for p in examples.DATA.glob("garbage_industry_*.csv"))
    if dumps:
        print("\ngarbage (text that names no industry; shipped resolver)")
    for name in dumps:
        garbage(name)


if __name__ == "__main__":
    main()
