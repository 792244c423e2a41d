"""Whatever file an advisor passes in, loading ends in a result or one clear error,
and every row read is matched or rejected."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.api import load_portfolio
from matcher.errors import PolicyMatchError

HEADER = "企业名称,所在地区,从业人员,营业收入（万元）,成立日期\n".encode()
CELLS = st.sampled_from(
    [
        "甲公司",
        "北京",
        "12",
        "1.2亿",
        "2022年6月28日",
        "",
        '"含,逗号"',
        '"未闭合',
        "=1+1",
        "√",
        "\t",
    ]
)
ROWS = st.lists(st.lists(CELLS, min_size=0, max_size=8), max_size=12).map(
    lambda rows: "".join(",".join(r) + "\n" for r in rows)
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])


def _check(data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"p{suffix}"
        path.write_bytes(data)
        try:
            portfolio = load_portfolio(path)
        except PolicyMatchError as exc:
            assert exc.message  # one clear line, no traceback
            return
        assert portfolio.read == portfolio.matched + portfolio.rejected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=ROWS, encoding=ENCODINGS, cut=st.integers(0, 400))
def test_csv_with_random_rows_and_truncation(body: str, encoding: str, cut: int) -> None:
    data = HEADER.decode().encode(encoding) + body.encode(encoding, errors="replace")
    _check(data[: len(data) - cut] if cut < len(data) else data, ".csv")


@settings(max_examples=40, deadline=None)
@given(
    data=st.binary(max_size=2000),
    suffix=st.sampled_from([".csv", ".xlsx", ".parquet", ".yaml", ".json", ".jsonl"]),
)
def test_random_bytes(data: bytes, suffix: str) -> None:
    _check(data, suffix)
