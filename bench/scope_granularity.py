"""Honest granularity for official scope wording (issue 17), measured: neither shipped nor kept.

    python bench/scope_granularity.py

A reading whose source — (method, suffix): how the reader read it and the phrase's action
suffix — is precise on the 门类 but not on the 大类 could say only the 门类. Each source's
precision is measured only on training data: for the catalogue's 10-fold, a reading of fold k
is judged by the precision its source had on the other folds' readings (each read by a reader
built without its own fold), smoothed towards the overall precision with a Beta prior. A
reading whose source's 大类 precision is below T and whose 门类 precision is at least T says
its 门类 only; T is chosen by nested cross-validation (for each outer fold, on the nine others,
each scored with precisions from the eight remaining) under three objectives: right − 2 ×
wrong, right − 4 × wrong, and the issue's own bar (fewest wrong with right ≥ 85 %). The four
development sets are read by the shipped reader, judged by precisions from the whole 10-fold,
with the T the whole 10-fold chooses.

Printed per objective: the T chosen per outer fold and the outer totals (right / wrong /
门类 only, right 门类 + wrong 门类), then fixed thresholds for comparison.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "rules" / "reference"))

import build_industry_examples as examples  # noqa: E402
from eval_industry import left_out  # noqa: E402  (bench/, the script's own folder)

from matcher.reference import industry, scope  # noqa: E402

FOLDS = 10
SETS = ("scope_fresh.csv", "scope_fresh2.csv", "scope_blind3.csv", "scope_blind4.csv")
THRESHOLDS = (0.0, 0.8, 0.85, 0.88, 0.9, 0.92, 0.95, 0.97)
PRIOR = 3.0  # Beta prior weight (in readings) towards the overall precision


class Reading:
    def __init__(self, want: set[str], fold: int, got: scope.PhraseReading, text: str) -> None:
        self.want, self.fold, self.code, self.text = want, fold, got.code, text
        self.source = (got.method, scope.split_action(scope.clean(text))[0])
        self.judged = got.code is not None and got.method != "catalogue"

    def right3(self) -> bool:
        return self.code is not None and self.code[:3] in self.want

    def right1(self) -> bool:
        return self.code is not None and self.code[0] in {w[0] for w in self.want}


def _readings() -> dict[str, list[Reading]]:
    items = scope.catalogue_items()
    out: dict[str, list[Reading]] = {"10-fold": []}
    for k, _, it, got in left_out(items, FOLDS):
        out["10-fold"].append(Reading({c[:3] for c in it.codes}, k, got, it.statement))
    reader = scope.scope_reader()
    for name in SETS:
        with (examples.DATA / name).open(encoding="utf-8", newline="") as f:
            rows = [(r["text"], r["expected"]) for r in csv.DictReader(f)]
        out[name] = [
            Reading({(industry.normalize_industry_code(c.strip()) or "?")[:3] for c in e.split(";")}, -1, reader.read(t), t)
            for t, e in rows
        ]  # fmt: skip
    return out


Precision = Callable[[Reading], tuple[float, float]]


def _precision(train: Sequence[Reading]) -> Precision:
    counts: dict[object, list[int]] = defaultdict(lambda: [0, 0, 0])
    judged = [r for r in train if r.judged]
    for r in judged:
        c = counts[r.source]
        c[0] += r.right3()
        c[1] += r.right1()
        c[2] += 1
    base3 = sum(r.right3() for r in judged) / max(1, len(judged))
    base1 = sum(r.right1() for r in judged) / max(1, len(judged))

    def precision(r: Reading) -> tuple[float, float]:
        r3, r1, n = counts.get(r.source, (0, 0, 0))
        return (r3 + PRIOR * base3) / (n + PRIOR), (r1 + PRIOR * base1) / (n + PRIOR)

    return precision


def _outcome(readings: Sequence[Reading], prec: Precision, t: float) -> Counter[str]:
    """right / wrong / s (门类 only, right 门类) / S (门类 only, wrong 门类) / unknown."""
    out: Counter[str] = Counter()
    for r in readings:
        if r.code is None:
            out["unknown"] += 1
            continue
        p3, p1 = prec(r) if r.judged else (1.0, 1.0)
        if p3 < t <= p1:
            out["s" if r.right1() else "S"] += 1
        else:
            out["right" if r.right3() else "wrong"] += 1
    return out


def _objective(name: str, o: Counter[str], n: int) -> float:
    if name == "r-2w":
        return o["right"] - 2 * o["wrong"]
    if name == "r-4w":
        return o["right"] - 4 * o["wrong"]
    # the bar: fewest wrong while right stays ≥ 85 %
    return -o["wrong"] - (1000.0 if o["right"] < 0.85 * n else 0.0)


def _fmt(o: Counter[str]) -> str:
    return f"{o['right']}/{o['wrong']} 门类 only {o['s']}+{o['S']}"


def main() -> None:
    sets = _readings()
    fold = sets["10-fold"]
    for objective in ("r-2w", "r-4w", "bar"):
        total: Counter[str] = Counter()
        chosen: Counter[float] = Counter()
        for k in range(FOLDS):
            inner = {t: 0.0 for t in THRESHOLDS}
            for i in range(FOLDS):
                if i == k:
                    continue
                prec = _precision([r for r in fold if r.fold not in (i, k)])
                held = [r for r in fold if r.fold == i]
                for t in THRESHOLDS:
                    inner[t] += _objective(objective, _outcome(held, prec, t), len(held))
            best = max(THRESHOLDS, key=lambda t: (inner[t], -t))
            chosen[best] += 1
            prec = _precision([r for r in fold if r.fold != k])
            total += _outcome([r for r in fold if r.fold == k], prec, best)
        print(
            f"{objective}: T per outer fold {dict(sorted(chosen.items()))}; 10-fold {_fmt(total)}"
        )
        whole = {t: 0.0 for t in THRESHOLDS}
        for k in range(FOLDS):
            prec = _precision([r for r in fold if r.fold != k])
            held = [r for r in fold if r.fold == k]
            for t in THRESHOLDS:
                whole[t] += _objective(objective, _outcome(held, prec, t), len(held))
        t_all = max(THRESHOLDS, key=lambda t: (whole[t], -t))
        prec_all = _precision(fold)
        cells = [f"{n}: {_fmt(_outcome(sets[n], prec_all, t_all))}" for n in SETS]
        print(f"    sets with T={t_all}: " + " | ".join(cells))
    print("fixed thresholds (10-fold judged by the other folds; sets by the whole 10-fold):")
    for t in THRESHOLDS:
        total = Counter()
        for k in range(FOLDS):
            prec = _precision([r for r in fold if r.fold != k])
            total += _outcome([r for r in fold if r.fold == k], prec, t)
        prec_all = _precision(fold)
        cells = [f"{n[6:-4]} {_fmt(_outcome(sets[n], prec_all, t))}" for n in SETS]
        print(f"  T={t:<5} 10-fold {_fmt(total)} | " + " | ".join(cells))
    low = defaultdict(list)
    prec_all = _precision(fold)
    for r in fold:
        if r.judged:
            low[r.source].append(r)
    print("sources below 0.92 on the 大类 (whole 10-fold): source, n, 大类 / 门类 precision")
    for source, rs in sorted(low.items(), key=lambda x: prec_all(x[1][0])[0]):
        p3, p1 = prec_all(rs[0])
        if p3 < 0.92:
            print(f"  {source}: {len(rs)}  {p3:.2f} / {p1:.2f}")


if __name__ == "__main__":
    main()
