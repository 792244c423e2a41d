"""ParseCache: chunks normalised with the spellings of earlier chunks equal chunks
normalised alone, whatever order or thread fills the cache."""

from __future__ import annotations

import datetime as dt
import random
from concurrent.futures import ThreadPoolExecutor

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.fields import ROW
from matcher.normalize import ParseCache, normalise

SPELLINGS = {
    "企业名称": ["甲公司", "乙有限公司", "丙 股份公司", "合计", None, "#N/A"],
    "统一社会信用代码": ["9144028285938021M2", "91110101517953 22HX", "bad", None, "不详"],
    "所在地区": ["北京市", "石景山区中关村大街", "420322", "通州区", None, "火星"],
    "所属行业": ["3825", "M7519", "软件", None, "详见营业执照"],
    "从业人员": ["12", "约80", "80左右", "80+", "1,200", "-3", "", None, "不详"],
    "营业收入（万元）": ["1813512元", "461万", "1185", "约 5", "1e400", "待补充", None],
    "资产总额（万元）": ["704", "19", "12.5", "abc", None],
    "企业规模": ["微型", "大型", "中型", "小", None],
    "是否外商投资企业": ["是", "否", "N", "×", "港资", None],
    "资质认定": ["无", "科技型中小企业", '专精特新"小巨人"企业', "高新技术企业；专精特新", None],
    "招用毕业年度高校毕业生人数": ["0", "4", "3", None],
    "其中本地高校毕业生人数": ["0", "2", "5", None],
}


def _chunk(rng: random.Random, first_row: int, rows: int) -> pl.DataFrame:
    cells = {h: [rng.choice(v) for _ in range(rows)] for h, v in SPELLINGS.items()}
    return pl.DataFrame(
        {ROW: list(range(first_row, first_row + rows)), **cells},
        schema={ROW: pl.Int64, **dict.fromkeys(SPELLINGS, pl.String)},
    )


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), order=st.permutations([0, 1, 2]), threads=st.booleans())
def test_cached_chunks_equal_chunks_alone(seed: int, order: list[int], threads: bool) -> None:
    rng = random.Random(seed)
    chunks = [_chunk(rng, 2 + 100 * i, 100) for i in range(3)]
    today = dt.date(2022, 7, 1)
    alone = [normalise(c, today=today) for c in chunks]
    cache = ParseCache()

    def cached(i: int) -> object:
        return normalise(chunks[i], today=today, cache=cache)

    if threads:
        with ThreadPoolExecutor(2) as pool:
            got = dict(zip(order, pool.map(cached, order), strict=True))
    else:
        got = {i: cached(i) for i in order}
    assert cache._tables  # the per-spelling fields went through it
    for i, expected in enumerate(alone):
        portfolio = got[i]
        assert portfolio.frame.equals(expected.frame)  # type: ignore[attr-defined]
        assert portfolio.errors.equals(expected.errors)  # type: ignore[attr-defined]
