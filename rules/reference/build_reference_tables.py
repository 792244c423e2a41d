"""Regenerate the bundled GB/T 4754-2017 and division tables from the public source tables.

Run from the repository root when the public tables change (not needed at run time):

    python rules/reference/build_reference_tables.py ../shared/reference

It reads ``gbt4754_2017_codes.csv`` and ``mca_adcodes_2024_flat.csv`` from the given folder and
writes ``gbt4754_2017.csv`` and ``adcodes_2024.csv`` beside this script. Names are stripped of
surrounding whitespace; an industry description is kept only when it is at most
``MAX_DESCRIPTION`` characters long (the long 说明 texts stay in the public table).
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

MAX_DESCRIPTION = 60
HERE = Path(__file__).resolve().parent


def build_industry(src: Path, dst: Path) -> int:
    with src.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with dst.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["level", "code", "section", "name", "description"])
        for r in rows:
            desc = (r["description"] or "").strip()
            if len(desc) > MAX_DESCRIPTION:
                desc = ""
            w.writerow(
                [r["level"], r["code"].strip(), r["section"].strip(), r["name"].strip(), desc]
            )
    return len(rows)


def build_divisions(src: Path, dst: Path) -> int:
    cols = [
        "adcode",
        "name",
        "level",
        "province_code",
        "province",
        "city_code",
        "city",
        "full_name",
    ]
    with src.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with dst.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([(r[c] or "").strip() for c in cols])
    return len(rows)


def main(argv: list[str]) -> None:
    src = Path(argv[1]) if len(argv) > 1 else HERE.parents[2] / "shared" / "reference"
    n1 = build_industry(src / "gbt4754_2017_codes.csv", HERE / "gbt4754_2017.csv")
    n2 = build_divisions(src / "mca_adcodes_2024_flat.csv", HERE / "adcodes_2024.csv")
    print(f"gbt4754_2017.csv: {n1} rows; adcodes_2024.csv: {n2} rows")


if __name__ == "__main__":
    main(sys.argv)
