"""Resolve 100k distinct synthetic industry texts and addresses; prints the time taken.

    python bench/bench_resolve.py [N]

Not part of the test suite. Texts are built from official names, everyday words and random
characters so that most are distinct, some hit aliases exactly and some need fuzzy matching
(the random ones are mostly refused as naming no industry). Then one overlong cell each of
800 characters and of 5 MB, whose cost is bounded.
"""

from __future__ import annotations

import random
import sys
import time

from matcher.reference.industry import industry_codes, resolve_industries
from matcher.reference.regions import divisions, resolve_regions

WORDS = ["生产", "销售", "研发", "加工", "批发", "零售", "服务", "技术开发", "咨询", "维修", "租赁",
         "安装", "运营", "设计", "贸易", "制造", "、", "；", "及", "和", "的"]  # fmt: skip
NOISE = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质"  # fmt: skip


def industry_texts(n: int, rng: random.Random) -> list[str]:
    names = [c.name for c in industry_codes().values()]
    out: set[str] = set()
    while len(out) < n:
        k = rng.random()
        if k < 0.4:
            text = rng.choice(names) + rng.choice(WORDS) + rng.choice(names)
        elif k < 0.7:
            text = "主要从事" + rng.choice(names)[:4] + rng.choice(WORDS) + str(rng.randint(1, 999))
        else:
            text = "".join(rng.choice(NOISE) for _ in range(rng.randint(3, 12)))
        out.add(text)
    return list(out)


def region_texts(n: int, rng: random.Random) -> list[str]:
    full = [d.full_name for d in divisions().values()]
    out: set[str] = set()
    while len(out) < n:
        street = "".join(rng.choice(NOISE) for _ in range(rng.randint(2, 4)))
        out.add(f"{rng.choice(full)}{street}路{rng.randint(1, 999)}号")
    return list(out)


def main(n: int) -> None:
    rng = random.Random(20240101)
    texts = industry_texts(n, rng)
    resolve_industries(["预热"])  # load tables and build the index outside the timing
    t0 = time.perf_counter()
    res = resolve_industries(texts)
    t1 = time.perf_counter()
    resolved = sum(r.code is not None for r in res.values())
    print(f"industries: {len(texts)} distinct texts in {t1 - t0:.2f}s ({resolved} resolved)")
    for length in (800, 5_000_000):  # one overlong cell: its cost is bounded (MAX_TEXT_CHARS)
        cell = "".join(rng.choice(NOISE) for _ in range(length))
        t0 = time.perf_counter()
        res = resolve_industries([cell])
        print(f"industries: one cell of {length:,} characters in {time.perf_counter() - t0:.3f}s")
    addresses = region_texts(n, rng)
    resolve_regions(["北京"])
    t0 = time.perf_counter()
    rres = resolve_regions(addresses)
    t1 = time.perf_counter()
    resolved = sum(r.code is not None for r in rres.values())
    print(f"regions:    {len(addresses)} distinct texts in {t1 - t0:.2f}s ({resolved} resolved)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
