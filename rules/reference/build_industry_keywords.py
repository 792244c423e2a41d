"""Derive industry_desc_keywords.csv from the 说明 of GB/T 4754-2017 (run by hand).

    python rules/reference/build_industry_keywords.py ../shared/reference

Each 中类/小类 说明 lists the products and activities that belong to it ("指对石灰、石膏，以及
石灰石助熔剂的开采"). The listed items (before any "不包括" clause) are written with the 大类
(division) of the entry, one row per (item, division). The 说明 of 专用设备 entries are skipped,
since they name the industries that use the equipment; items equal to an official name are
dropped (names are matched anyway). The resolver decides how to use them (industry.py: items
of one 大类 only and at least three characters are keywords; all of them feed the 大类 profiles).
It reads only the output file, never ../shared.
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

SOURCE = "gbt4754_2017_codes.csv"
OUT = Path(__file__).resolve().parent / "industry_desc_keywords.csv"

_EXCLUDE = re.compile(r"[，；。,;]?\s*(不包括|但不包括|不含).*$")
_SPLIT = re.compile(r"[、，；。,;：:（）()“”\"\s]|以及|及其|及|和|与|或|等|包括|其中|如")
_LEAD = re.compile(
    r"^(指|是指|对|专门|主要|各种|各类|其他|一切|从事|用于|为|在|以|将|由|利用|经过|通过|提供|仅)+"
)
_TAIL = re.compile(r"(的活动|活动|的生产|的制造|的加工|的开采|的服务|服务|的|等)+$")
# Fragments of sentences rather than names of things: digits, function words, clause words.
_NOISE = re.compile(
    r"[0-9a-zA-Z～~]|[的不为以对于指其该此被将把向从按使未非所之而即则]|上述|进行|专门|^专|除|通过|直接|提高|方式"
)
_USERS = re.compile(r"专用设备|专用仪器|专用机械")
_STOP = {"生产", "制造", "加工", "开采", "服务", "管理", "销售", "活动", "产品", "设备", "材料", "制品", "技术",
         "工程", "经营", "运输", "研究", "其他", "各种", "专业", "相关", "单位", "机构", "组织", "企业"}  # fmt: skip


def items(description: str) -> list[str]:
    text = _EXCLUDE.sub("", description)
    out = []
    for part in _SPLIT.split(text):
        p = _TAIL.sub("", _LEAD.sub("", part.strip()))
        if 2 <= len(p) <= 8 and p not in _STOP and not _NOISE.search(p):
            out.append(p)
    return out


def main(shared: Path) -> None:
    rows = list(csv.DictReader((shared / SOURCE).open(encoding="utf-8")))
    names = {r["name"].strip() for r in rows}
    found: dict[str, set[str]] = {}
    for r in rows:
        if r["level"] not in ("3", "4") or not r["description"]:
            continue
        if _USERS.search(r["name"]):
            continue  # equipment entries list the industries that use it, not what they make
        division = r["section"] + r["division"]
        for kw in items(r["description"]):
            found.setdefault(kw, set()).add(division)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["keyword", "division"])
        for kw in sorted(found):
            if kw not in names:
                for division in sorted(found[kw]):
                    w.writerow([kw, division])


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/reference"))
