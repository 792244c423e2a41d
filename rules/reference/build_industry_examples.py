"""Gather the labelled industry descriptions the classifier learns from (run by hand).

    python rules/reference/build_industry_examples.py

Reads the development sets in tests/data (texts written by people, each with its GB/T 4754
大类) and writes industry_examples.csv beside this script, which the package ships. The
blind sets named in FRESH are never copied: they measure the resolver on text it has not
seen, and tests/test_reference_industry.py checks that none of their texts is in the output.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
OUT = Path(__file__).resolve().parent / "industry_examples.csv"
SOURCES = (
    "eval_industry.csv",
    "eval_industry_holdout.csv",
    "eval_industry_holdout2.csv",
    "eval_industry_holdout3.csv",
    "eval_industry_holdout4.csv",
)
FRESH = ("eval_industry_holdout5.csv", "eval_industry_holdout6.csv")
_CODE = re.compile(r"\s*[A-Za-z]?\d+\s*")  # a bare code teaches the text model nothing


def examples() -> list[tuple[str, str, str]]:
    """(text, division, source file) of every development set, first occurrence of a text."""
    seen: dict[str, tuple[str, str, str]] = {}
    for name in SOURCES:
        with (DATA / name).open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                if _CODE.fullmatch(row["text"]):
                    continue
                seen.setdefault(row["text"], (row["text"], row["expected"], name))
    return list(seen.values())


def main() -> None:
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["text", "division", "source"])
        w.writerows(examples())


if __name__ == "__main__":
    main()
