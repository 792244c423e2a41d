"""Whatever file an advisor passes in, loading ends in a result or one clear error,
and every row read is matched or rejected."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
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
        # rows left out as repeated firms or totals/footnotes are counted, not dropped
        left_out = len(portfolio.duplicates) + len(portfolio.skipped)
        assert portfolio.read == portfolio.matched + portfolio.rejected + left_out


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


# ------------------------------------------------------------------- rule files

RULE_TEXT = (Path(__file__).parents[1] / "rules" / "bj-grad-expansion-subsidy.yaml").read_bytes()
TOKENS = st.sampled_from(
    [
        b"[",
        b"]",
        b"{",
        b"}",
        b"&a ",
        b"*a",
        b"\t",
        b".nan",
        b"-.inf",
        b"- ",
        b": ",
        b"'",
        b'"',
        b"\x00",
        b"\xff\xfe",
        b"\xe6\x94",
        b"<<: ",
        b"!!python/object:os.system ",
        b"\n---\n",
        b"99999999999999999999",
        b"2022-02-30",
        b"value: 1\n",
        b"op: in\n",
        b"[1, a]",
        b"\n  ",
    ]
)


@st.composite
def mutated_rules(draw: st.DrawFn) -> bytes:
    data = RULE_TEXT
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        cut = draw(st.integers(0, 8))
        data = data[:at] + draw(TOKENS) + data[at + cut :]
    return data


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(mutated_rules(), st.binary(max_size=300)))
def test_any_rule_file_loads_or_is_refused_and_evaluates(data: bytes) -> None:
    """A mangled rule file ends in a rule that both evaluators run, or in file:line:col errors."""
    import datetime as dt

    from matcher.api import demo_portfolio_path
    from matcher.batch import evaluate_frame
    from matcher.evaluate.row import evaluate
    from matcher.fields import ROW
    from matcher.loader import load_rule_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bj-grad-expansion-subsidy.yaml"
        path.write_bytes(data)
        rule, errors = load_rule_file(path)
    if rule is None:
        assert errors and all(e.message and e.location.line for e in errors), errors
        event("refused")
        return
    event("loaded")
    as_of = dt.date(2022, 7, 1)
    frame = _demo_frame(str(demo_portfolio_path()), as_of)
    vec = evaluate_frame(frame, [rule], as_of, "en").collect().sort(ROW)
    rows = [evaluate(rule, r, as_of).status.value for r in frame.sort(ROW).iter_rows(named=True)]
    assert rows == vec["status"].to_list()


@functools.cache
def _demo_frame(path: str, as_of: Any) -> Any:
    return load_portfolio(Path(path), today=as_of).frame
