"""Nested cross-validation of the evidence selling needs to be read as 零售 (scope.RETAIL_EVIDENCE).

    python bench/scope_retail.py

The catalogue's items are split in the 10 folds of ``eval_industry.py --official-only``. For
each outer fold, the threshold is chosen on the other nine alone: each of them read by a reader
built without it and without the outer fold, for every candidate threshold, keeping the one
with the most right readings less WRONG_COST × the wrong ones (ties: the larger threshold,
which changes fewer readings). The outer fold is then read with that threshold by a reader
built from the nine. Printed: the threshold each outer fold chose, the outer totals, and the
totals of the shipped constant on the same folds (the figure eval_industry.py prints).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matcher.reference import scope  # noqa: E402

FOLDS = 10
CANDIDATES = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, float("inf"))
WRONG_COST = 2.0  # right readings one confidently wrong reading is worth giving up


def _counts(
    reader: scope.ScopeReader, items: list[scope.CatalogueItem], evidence: float
) -> tuple[int, int]:
    reader.retail_evidence = evidence
    right = wrong = 0
    for item in items:
        code = reader.read(item.statement).code
        if code is None:
            continue
        if code[:3] in {c[:3] for c in item.codes}:
            right += 1
        else:
            wrong += 1
    return right, wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    items = scope.catalogue_items()
    fold = {j: j % FOLDS for j in range(len(items))}
    outer_right = outer_wrong = 0
    shipped_right = shipped_wrong = 0
    for k in range(FOLDS):
        inner = {t: [0, 0] for t in CANDIDATES}
        for i in range(FOLDS):
            if i == k:
                continue
            reader = scope.ScopeReader([it for j, it in enumerate(items) if fold[j] not in (i, k)])
            held = [it for j, it in enumerate(items) if fold[j] == i]
            for t in CANDIDATES:
                r, w = _counts(reader, held, t)
                inner[t][0] += r
                inner[t][1] += w
        best = max(CANDIDATES, key=lambda t: (inner[t][0] - WRONG_COST * inner[t][1], t))
        reader = scope.ScopeReader([it for j, it in enumerate(items) if fold[j] != k])
        test = [it for j, it in enumerate(items) if fold[j] == k]
        r, w = _counts(reader, test, best)
        outer_right += r
        outer_wrong += w
        r0, w0 = _counts(reader, test, scope.RETAIL_EVIDENCE)
        shipped_right += r0
        shipped_wrong += w0
        line = "  ".join(f"{t:g}:{inner[t][0]}/{inner[t][1]}" for t in CANDIDATES)
        print(f"fold {k}: chose {best:g} (inner right/wrong {line}); outer {r}/{w}")
    n = len(items)
    print(
        f"nested: right {outer_right} ({outer_right / n:.1%}), wrong {outer_wrong} "
        f"({outer_wrong / n:.1%}) of {n}"
    )
    print(
        f"shipped RETAIL_EVIDENCE={scope.RETAIL_EVIDENCE:g}: right {shipped_right} "
        f"({shipped_right / n:.1%}), wrong {shipped_wrong} ({shipped_wrong / n:.1%})"
    )


if __name__ == "__main__":
    main()
