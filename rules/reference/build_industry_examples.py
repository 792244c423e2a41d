"""Gather the labelled industry descriptions the text model learns from (run by hand).

    python rules/reference/build_industry_examples.py

Reads the development sets in tests/data (texts written by people, each with its GB/T 4754
大类) and writes industry_examples.csv beside this script, which the package ships. The
blind sets named in FRESH are never learnt from: they measure the resolver on text it has not
seen, so a development text that also occurs in one of them (after normalisation) is left
out, and tests/test_reference_industry.py checks the output against this function.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from matcher.reference.resolution import normalize_text  # noqa: E402

DATA = ROOT / "tests" / "data"
OUT = Path(__file__).resolve().parent / "industry_examples.csv"
SOURCES = (
    "eval_industry.csv",
    "eval_industry_holdout.csv",
    "eval_industry_holdout2.csv",
    "eval_industry_holdout3.csv",
    "eval_industry_holdout4.csv",
    # written as training data, from knowledge of real businesses, by four sessions that
    # each took a part of the 门类 and never saw the resolver or the evaluation sets
    "industry_train_a.csv",
    "industry_train_b.csv",
    "industry_train_c.csv",
    "industry_train_d.csv",
    # owners' own words (dialect, typos, English abbreviations), written by two more sessions
    "industry_train_e.csv",
    "industry_train_f.csv",
    # blind sets, measured (see tests/test_reference_industry.py) and then learnt from
    "eval_industry_holdout5.csv",
    "eval_industry_holdout6.csv",
    "eval_industry_holdout7.csv",
    "eval_industry_holdout8.csv",
)
FRESH = ("eval_industry_holdout9.csv",)
_CODE = re.compile(r"\s*[A-Za-z]?\d+\s*")  # a bare code teaches the text model nothing


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def examples() -> list[tuple[str, str, str]]:
    """(text, division, source file) of the development sets: first occurrence of a text,
    no bare codes, nothing that a fresh set contains."""
    fresh = {normalize_text(r["text"]) for name in FRESH for r in _rows(name)}
    seen: dict[str, tuple[str, str, str]] = {}
    for name in SOURCES:
        for row in _rows(name):
            key = normalize_text(row["text"])
            if _CODE.fullmatch(row["text"]) or key in fresh or key in seen:
                continue
            seen[key] = (row["text"], row["expected"], name)
    return list(seen.values())


def main() -> None:
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["text", "division", "source"])
        w.writerows(examples())


if __name__ == "__main__":
    main()
