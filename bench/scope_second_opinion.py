"""Two ways of abstaining on official scope wording, measured (issue 17): neither is shipped.

    python bench/scope_second_opinion.py

Both only turn readings of ``scope.ScopeReader`` into unknown; what they cost and remove is
printed per set: right readings lost / confidently wrong readings removed, on the catalogue's
10-fold (the folds of ``eval_industry.py --official-only``) and on the three fresh sets.

1. A statistical second opinion: a character naive Bayes (matcher.reference.classifier) over
   the fold's items (each item's 大类 weighted 1/their number) and the GB/T 4754 names and 说明,
   trained inside each fold only (the shipped catalogue for the fresh sets). Its posterior,
   restricted to the 大类 the fold's items with the phrase's suffix show, is read for the
   reader's 大类: below ``a`` the reading is refused.
2. A calibrated confidence: each reading's source — (method, suffix, the rule's words or the
   resolver's method and score), backed off to (method, suffix) and (method) with a Beta prior —
   is given the precision measured on the other folds' readings; a reading below the threshold
   is refused. The threshold is chosen by nested cross-validation: for each outer fold, on the
   nine others alone (each scored with precisions from the eight remaining), maximising right −
   WRONG_COST × wrong; printed per fold with the outer totals.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "rules" / "reference"))

import build_industry_examples as examples  # noqa: E402
import numpy as np  # noqa: E402
from eval_industry import left_out  # noqa: E402  (bench/, the script's own folder)

from matcher.reference import industry, scope  # noqa: E402
from matcher.reference.classifier import CharNaiveBayes  # noqa: E402

FOLDS = 10
SETS = ("scope_fresh.csv", "scope_fresh2.csv", "scope_blind3.csv")
VETO = (0.001, 0.01, 0.05, 0.1, 0.2, 0.3)
THRESHOLDS = (0.0, 0.7, 0.75, 0.8, 0.85, 0.88, 0.9)
WRONG_COST = 2.0
PRIOR = 3.0  # Beta prior weight (in readings) pulling a source's precision to its parent's


class Reading:
    def __init__(self, text: str, want: set[str], fold: int, got: scope.PhraseReading) -> None:
        self.text, self.want, self.fold = text, want, fold
        self.code = got.code
        self.method = got.method
        key = scope.clean(text)
        self.action = scope.split_action(key)[0]
        if got.method == "resolver":
            res = industry.resolve_industries([key])[key]
            detail = f"{res.method}{res.score:g}"
        else:
            detail = got.basis or ""
        self.sources = [(got.method, self.action, detail), (got.method, self.action), (got.method,)]

    @property
    def judged(self) -> bool:
        """Read by something a second opinion could question (not an exact item)."""
        return self.code is not None and self.method != "catalogue"

    @property
    def right(self) -> bool:
        return self.code is not None and self.code[:3] in self.want


def _readings() -> dict[str, list[Reading]]:
    items = scope.catalogue_items()
    out: dict[str, list[Reading]] = {"10-fold": []}
    for k, _, it, got in left_out(items, FOLDS):
        out["10-fold"].append(Reading(it.statement, {c[:3] for c in it.codes}, k, got))
    reader = scope.scope_reader()
    for name in SETS:
        with (examples.DATA / name).open(encoding="utf-8", newline="") as f:
            rows = [(r["text"], r["expected"]) for r in csv.DictReader(f)]
        out[name] = [
            Reading(t, {(industry.normalize_industry_code(c.strip()) or "?")[:3] for c in e.split(";")}, -1, reader.read(t))
            for t, e in rows
        ]  # fmt: skip
    return out


def _cost(picked: Sequence[Reading]) -> str:
    lost = sum(r.right for r in picked)
    return f"-{lost}r -{len(picked) - lost}w"


# --- 1. naive Bayes second opinion ------------------------------------------------------------


def _gbt_documents() -> list[tuple[str, str, float]]:
    docs = []
    for c in industry.industry_codes().values():
        if len(c.code) >= 3:
            docs.append((c.name, c.code[:3], 1.0))
            if c.description:
                docs.append((c.description, c.code[:3], 0.3))
    return docs


def _model(items: Sequence[scope.CatalogueItem]) -> CharNaiveBayes:
    docs = list(_gbt_documents())
    for it in items:
        divisions = {c[:3] for c in it.codes}
        docs += [(it.statement, d, 1.0 / len(divisions)) for d in divisions]
    return CharNaiveBayes(docs, alpha=0.1)


def _suffix_divisions(items: Sequence[scope.CatalogueItem]) -> dict[str | None, set[str]]:
    out: dict[str | None, set[str]] = defaultdict(set)
    for it in items:
        out[scope.split_action(scope.clean(it.statement))[0]] |= {c[:3] for c in it.codes}
    return out


def _posteriors(readings: list[Reading], items: Sequence[scope.CatalogueItem]) -> list[float]:
    model = _model(items)
    allowed = _suffix_divisions(items)
    index = {c: i for i, c in enumerate(model.classes)}
    logp = model.log_likelihoods([r.text for r in readings])
    out = []
    for r, row in zip(readings, logp, strict=True):
        own = r.code[:3] if r.code else ""
        keep = (allowed.get(r.action) or set(model.classes)) | {own}
        mask = np.array([c in keep for c in model.classes])
        p = np.exp(row - row[mask].max()) * mask
        out.append(float(p[index[own]] / p.sum()) if own in index else 0.0)
    return out


def naive_bayes(sets: dict[str, list[Reading]]) -> None:
    items = scope.catalogue_items()
    post: dict[str, list[tuple[Reading, float]]] = {}
    judged = [r for r in sets["10-fold"] if r.judged]
    post["10-fold"] = []
    for k in range(FOLDS):
        part = [r for r in judged if r.fold == k]
        train = [i for j, i in enumerate(items) if j % FOLDS != k]
        post["10-fold"] += list(zip(part, _posteriors(part, train), strict=True))
    for name in SETS:
        part = [r for r in sets[name] if r.judged]
        post[name] = list(zip(part, _posteriors(part, items), strict=True))
    print("1. naive Bayes second opinion: refuse when P(reader's 大类) < a")
    for a in VETO:
        cells = [f"{n}: {_cost([r for r, p in post[n] if p < a])}" for n in post]
        print(f"   a={a:<6g} " + " | ".join(cells))


# --- 2. calibrated confidence by source, nested cross-validation ------------------------------


def _precision(train: Sequence[Reading]) -> Callable[[Reading], float]:
    counts: dict[tuple[object, ...], list[int]] = defaultdict(lambda: [0, 0])
    for r in train:
        if r.judged:
            for s in r.sources:
                counts[s][0] += r.right
                counts[s][1] += 1
    base = sum(r.right for r in train if r.judged) / max(1, sum(r.judged for r in train))

    def precision(r: Reading) -> float:
        p = base
        for s in reversed(r.sources):  # coarse to fine
            right, n = counts.get(s, (0, 0))
            p = (right + PRIOR * p) / (n + PRIOR)
        return p

    return precision


def calibrated(sets: dict[str, list[Reading]]) -> None:
    fold = sets["10-fold"]
    print("2. calibrated confidence per source, threshold by nested cross-validation")
    picked_total: list[Reading] = []
    chosen: Counter[float] = Counter()
    for k in range(FOLDS):
        inner = {t: 0.0 for t in THRESHOLDS}
        for i in range(FOLDS):
            if i == k:
                continue
            prec = _precision([r for r in fold if r.fold not in (i, k)])
            held = [r for r in fold if r.fold == i and r.judged]
            for t in THRESHOLDS:
                refused = [r for r in held if prec(r) < t]
                lost = sum(r.right for r in refused)
                inner[t] += (len(refused) - lost) * WRONG_COST - lost  # wrong removed − right lost
        best = max(THRESHOLDS, key=lambda t: (inner[t], -t))
        chosen[best] += 1
        prec = _precision([r for r in fold if r.fold != k])
        picked_total += [r for r in fold if r.fold == k and r.judged and prec(r) < best]
    print(f"   thresholds chosen per outer fold: {dict(sorted(chosen.items()))}")
    print(f"   10-fold, nested: {_cost(picked_total)}")
    prec_all = _precision(fold)
    for t in THRESHOLDS[1:]:
        cells = [
            f"{n}: {_cost([r for r in sets[n] if r.judged and prec_all(r) < t])}" for n in SETS
        ]
        per_fold = []
        for k in range(FOLDS):
            prec = _precision([r for r in fold if r.fold != k])
            per_fold += [r for r in fold if r.fold == k and r.judged and prec(r) < t]
        print(f"   t={t:<5g} 10-fold: {_cost(per_fold)} | " + " | ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    sets = _readings()
    for name, rows in sets.items():
        right = sum(r.right for r in rows)
        wrong = sum(r.code is not None and not r.right for r in rows)
        print(f"{name:18} {len(rows):>4}  right {right}  wrong {wrong}")
    naive_bayes(sets)
    calibrated(sets)


if __name__ == "__main__":
    main()
