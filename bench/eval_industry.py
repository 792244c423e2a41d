"""Industry resolution accuracy on the labelled sets, each scored by a model that never saw it.

    python bench/eval_industry.py [--sets FILE ...]

The text model learns from ``rules/reference/industry_examples.csv``, which gathers the
development sets in tests/data. Scoring a development set with that model would only show it
has learnt its own examples, so each development set is scored with the model retrained
without it (leave one set out). The fresh sets (never copied into the examples) are scored
with the shipped model. Printed per set: 大类 top-1, confidently wrong, unresolved, and the
same for the keyword rules alone, which shows what the model changes.
"""

from __future__ import annotations

import argparse
import csv
import sys
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="*", help="files in tests/data (default: all)")
    args = parser.parse_args()
    names = args.sets or [*examples.SOURCES, *examples.FRESH]
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


if __name__ == "__main__":
    main()
