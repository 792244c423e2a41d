"""Whole-pipeline properties on generated portfolios: raw text in, both evaluators agree,
and every input row is accounted for."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.batch import evaluate_frame, match_row
from matcher.evaluate.tree import STATUS_ORDER
from matcher.fields import ROW
from matcher.loader import load_rules
from matcher.normalize import NOTE_CODES, normalise

RULES = load_rules().rules
AS_OF = dt.date(2022, 7, 1)

# Free text as advisors type it, with duplicates, unknown codes and junk.
REGION_TEXT = [
    "北京市海淀区中关村大街27号",
    "北京",
    "110105",
    "海淀区",
    "上海市浦东新区",
    "重庆市渝北区",
    "四川省成都市",
    "沈阳",
    "999999",
    "火星基地",
    "",
    "北京市朝阳区",
]
INDUSTRY_TEXT = [
    "6513",
    "C3011",
    "I65",
    "软件开发",
    "餐饮业",
    "汽车零部件及配件制造",
    "9999",
    "Z99",
    "做软件的",
    "",
    "2521",
    "炼钢",
]
# Failed calculations (NaN, inf, Excel errors) are bad cells in every column.
FAILED = ["NaN", "-inf", "#DIV/0!", "#N/A"]
NUMBER_TEXT = [
    *["", "0", "1", "4", "12", "300", "1000", "2,000", "1.2亿", "约50人", "-3", "12.5"],
    *FAILED,
]
BOOL_TEXT = ["", "是", "否", "√", "1", "0", "也许", "#VALUE!"]
CERT_TEXT = [
    "",
    "无",
    "高新技术企业",
    "专精特新；小巨人",
    '专精特新"小巨人"企业',
    "创新型中小企业、高企",
]
DATE_TEXT = [
    *["", "2015-03-12", "2021年8月3日", "2022/6/30", "2019-02-30", "2030-01-01"],
    *["1900-01-00", "#REF!"],
]
SIZE_TEXT = ["", "小型", "中型", "大型", "微", "巨型", "#N/A"]

HEADERS = {
    "企业名称": st.sampled_from(["甲公司", "乙公司", "", "丙公司", "#N/A"]),
    "所在地区": st.sampled_from([*REGION_TEXT, "NaN"]),
    "所属行业": st.sampled_from([*INDUSTRY_TEXT, "#DIV/0!"]),
    "从业人员": st.sampled_from(NUMBER_TEXT),
    "营业收入（万元）": st.sampled_from(NUMBER_TEXT),
    "资产总额（万元）": st.sampled_from(NUMBER_TEXT),
    "企业规模": st.sampled_from(SIZE_TEXT),
    "是否外商投资企业": st.sampled_from(BOOL_TEXT),
    "是否国有企业": st.sampled_from(BOOL_TEXT),
    "成立日期": st.sampled_from(DATE_TEXT),
    "资质认定": st.sampled_from(CERT_TEXT),
    "招用毕业年度高校毕业生人数": st.sampled_from(NUMBER_TEXT),
    "其中本地高校毕业生人数": st.sampled_from(NUMBER_TEXT),
    "就业见习岗位数": st.sampled_from(NUMBER_TEXT),
    "创办人为高校毕业生": st.sampled_from(BOOL_TEXT),
}


@st.composite
def portfolios(draw: Any) -> pl.DataFrame:
    n = draw(st.integers(1, 12))
    columns = {h: [draw(s) or None for _ in range(n)] for h, s in HEADERS.items()}
    return pl.DataFrame(
        {ROW: list(range(2, n + 2)), **columns},
        schema={ROW: pl.Int64, **dict.fromkeys(HEADERS, pl.String)},
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=portfolios())
def test_row_and_vector_agree_on_raw_portfolios(raw: pl.DataFrame) -> None:
    portfolio = normalise(raw, today=AS_OF)
    assert portfolio.read == portfolio.matched + portfolio.rejected == raw.height
    vec = evaluate_frame(portfolio.frame, RULES, AS_OF, "en").collect()
    for row in portfolio.frame.iter_rows(named=True):
        expected = [
            (o.rule.id, o.status.value, o.amount_yuan) for o in match_row(row, RULES, AS_OF)
        ]
        got = (
            vec.filter(pl.col(ROW) == row[ROW])
            .sort("rank")
            .select("rule_id", "status", "amount_yuan")
            .rows()
        )
        assert got == expected


@settings(max_examples=60, deadline=None)
@given(raw=portfolios())
def test_every_row_is_matched_or_rejected(raw: pl.DataFrame) -> None:
    portfolio = normalise(raw, today=AS_OF)
    kept = set(portfolio.frame.get_column(ROW).to_list())
    rejected = set(portfolio.errors.filter(pl.col("rejected")).get_column("row").to_list())
    assert kept | rejected == set(raw.get_column(ROW).to_list())
    assert not kept & rejected
    # A cell that failed to parse never leaves a value behind.
    for error in portfolio.errors.filter(~pl.col("rejected")).iter_rows(named=True):
        kept_value = error["code"] in ("size_mismatch", *NOTE_CODES)  # read, with a note
        if error["field"] and not kept_value and error["row"] in kept:
            # Free text stays as written; its resolved code is what rules read.
            column = {"region": "region_code", "industry": "industry_code"}.get(
                error["field"], error["field"]
            )
            value = portfolio.frame.filter(pl.col(ROW) == error["row"]).get_column(column)[0]
            assert value is None, error


FIND_RULES = [
    "bj-grad-expansion-subsidy",  # per head, capped
    "fdi-encouraged-catalogue",  # catalogue verdict
    "bj-grad-one-off-startup-subsidy",  # for the founder: never enterprise money
    "bj-grad-registration-certificate-reform",  # not yet valid at AS_OF
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=portfolios(),
    rule_id=st.sampled_from(FIND_RULES),
    top=st.none() | st.integers(1, 5),
    statuses=st.sets(st.sampled_from(sorted(STATUS_ORDER)), min_size=1),
)
def test_find_agrees_with_batch_of_that_rule(
    tmp_path_factory: Any, raw: pl.DataFrame, rule_id: str, top: int | None, statuses: set[str]
) -> None:
    """find's own single-rule path: same per-enterprise results, counts and order as batch."""
    from matcher.api import find, run_batch

    rule = next(r for r in RULES if r.id == rule_id)
    src = tmp_path_factory.mktemp("find") / "p.csv"
    raw.drop(ROW).write_csv(src)
    found, run = find(src, rule, AS_OF, "en", statuses=sorted(statuses), top=top)
    batch = run_batch(src, [rule], AS_OF, lang="en", keep_frames=True)
    assert (run.read, run.matched, run.rejected) == (batch.read, batch.matched, batch.rejected)
    report = pl.concat(batch.frames) if batch.frames else pl.DataFrame()
    every = {s: 0 for s in found.counts}
    for s in report.get_column("status").to_list() if report.height else []:
        every[s] += 1
    assert found.counts == every
    expected = report.filter(pl.col("status").is_in(sorted(statuses))) if report.height else report
    keyed = sorted(
        expected.iter_rows(named=True),
        key=lambda r: (STATUS_ORDER[r["status"]], -(r["amount_yuan"] or -1.0)),
    )  # stable: ties keep input order, as find does
    if top is not None:
        keyed = keyed[:top]
    columns = ["enterprise_id", "status", "amount_yuan", "amount_note", "met", "unmet", "missing"]
    got = found.result.select(columns).rows()
    assert got == [tuple(r[c] for c in columns) for r in keyed]
    assert found.result.get_column("rank").to_list() == list(range(1, len(keyed) + 1))


def test_find_checks_only_the_fields_its_rule_reads(tmp_path: Any) -> None:
    from matcher.api import find, load_portfolio, run_batch

    rule = next(r for r in RULES if r.id == "bj-grad-expansion-subsidy")
    src = tmp_path / "p.csv"
    src.write_text(
        "企业名称,所在地区,成立日期,招用毕业年度高校毕业生人数,其中本地高校毕业生人数\n"
        "甲公司,北京市海淀区,2019-02-30,约50人,3\n"
        ",北京市海淀区,2019-01-01,4,4\n",
        encoding="utf-8",
    )
    found, run = find(src, rule, AS_OF, "en")
    batch = run_batch(src, [rule], AS_OF, lang="en", keep_frames=True)
    assert (run.read, run.matched, run.rejected) == (batch.read, batch.matched, batch.rejected)
    assert sum(found.counts.values()) == 1  # the row without a name is rejected
    assert run.error_sample is not None and batch.error_sample is not None
    assert set(run.error_sample.get_column("field")) == {"grad_hires", "name"}
    # batch, too, checks only the fields its rules read (issue 16): 成立日期 is profile check's
    assert set(batch.error_sample.get_column("field")) == {"grad_hires", "name"}
    assert "founded" in set(load_portfolio(src).errors.get_column("field"))


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=portfolios())
def test_batch_summary_counts_every_result(tmp_path_factory: Any, raw: pl.DataFrame) -> None:
    """The streamed summary (from integer codes per slice) equals one over the full report."""
    from matcher.api import run_batch, summary

    src = tmp_path_factory.mktemp("summary") / "p.csv"
    raw.drop(ROW).write_csv(src)
    batch = run_batch(src, RULES, AS_OF, lang="en", keep_frames=True)
    report = pl.concat(batch.frames)
    assert batch.summary is not None
    assert batch.summary.equals(summary(report))
    per_rule = batch.summary.select(pl.sum_horizontal(pl.col(pl.UInt32))).to_series().to_list()
    assert per_rule == ([batch.matched] * len(RULES) if batch.matched else [])


def test_progress_counts_every_row_read(tmp_path: Any, monkeypatch: Any) -> None:
    """The progress line advances per evaluated slice and for rejected rows: it ends at read."""
    import matcher.api as api

    src = tmp_path / "p.csv"
    names = [f"企业{i}" if i % 7 else "" for i in range(2_500)]
    pl.DataFrame({"企业名称": names, "从业人员": [str(i % 40) for i in range(2_500)]}).write_csv(
        src
    )
    ticks: list[int] = []
    monkeypatch.setattr(api, "READ_CHUNK_ROWS", 1_000)  # several chunks, each in slices
    run = api.run_batch(src, RULES, AS_OF, out=tmp_path / "r.csv", progress=ticks.append)
    assert run.read == 2_500 and run.rejected == len([n for n in names if not n])
    assert sum(ticks) == run.read and len(ticks) > 3


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raws=st.lists(portfolios(), min_size=1, max_size=3))
def test_remembered_outcomes_equal_fresh_ones(raws: list[pl.DataFrame]) -> None:
    """The web engine's memo (per rule and the values it reads) gives what evaluate gives,
    over profiles sharing some values and not others; changing an answer changes nothing
    remembered."""
    from matcher.evaluate.row import Remembered

    memo = Remembered()
    seen = 0
    for raw in raws:
        for row in normalise(raw, today=AS_OF).frame.iter_rows(named=True):
            for as_of in (AS_OF, dt.date(2030, 1, 1)):
                seen += 1
                fresh = match_row(row, RULES, as_of)
                again = match_row(row, RULES, as_of, memo.evaluate)
                assert again == fresh
                for o in again:  # what ranking and exclusive rules do to an outcome
                    o.amount_yuan, o.excluded_by = -1.0, "x"
                    o.met.clear()
                assert match_row(row, RULES, as_of, memo.evaluate) == fresh
    assert memo.hits >= seen * len(RULES)  # the third call of each is remembered


def test_spellings_of_one_region_share_remembered_outcomes() -> None:
    """Conditions read the resolved code, so the memo is keyed by it, not by the region as
    written: 海淀区, 北京市海淀区 and 110108 are one entry per rule."""
    from matcher.evaluate.row import Remembered

    raw = pl.DataFrame(
        {
            ROW: [2, 3, 4],
            "企业名称": ["甲", "乙", "丙"],
            "所在地区": ["北京市海淀区", "海淀区", "110108"],
            "所属行业": ["软件开发"] * 3,
        }
    )
    rows = list(normalise(raw, today=AS_OF).frame.iter_rows(named=True))
    assert len({r["region"] for r in rows}) == 3 and len({r["region_code"] for r in rows}) == 1
    memo = Remembered()
    for row in rows:
        assert match_row(row, RULES, AS_OF, memo.evaluate) == match_row(row, RULES, AS_OF)
    assert memo.misses == len(RULES) and memo.hits == 2 * len(RULES)


def test_read_ahead_follows_in_input_order_and_reports_the_first_error() -> None:
    """Chunks read at the same time in several threads still reach the cross-chunk step
    (repeated firms) and the caller in input order, and a problem in an earlier chunk
    is reported before one in a later chunk that failed sooner."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    import pytest

    from matcher.api import _read_ahead
    from matcher.errors import PolicyMatchError

    class Slow:
        """Chunk i takes longer the earlier it is; chunks 'bad' raise."""

        def __init__(self, bad: set[int]) -> None:
            self.bad = bad
            self.followed: list[int] = []

        def read(self, raw: pl.DataFrame, problems: Any, *, first: bool, limits: Any) -> Any:
            i = raw.item()
            time.sleep(0.05 * (4 - i))
            if i in self.bad:
                raise PolicyMatchError(f"chunk {i}")
            return i

        def follow(self, portfolio: Any) -> Any:
            self.followed.append(portfolio)
            return portfolio

    def chunks(n: int) -> Any:
        return iter([(pl.DataFrame({"i": [i]}), []) for i in range(n)])

    intake = Slow(set())
    with ThreadPoolExecutor(max_workers=2) as reader:
        got = list(_read_ahead(chunks(5), intake, reader, None, depth=2))  # type: ignore[arg-type]
    assert got == intake.followed == [0, 1, 2, 3, 4]

    intake = Slow({1, 3})  # chunk 3 fails first in time, chunk 1 first in the file
    with ThreadPoolExecutor(max_workers=2) as reader:
        seen: list[Any] = []
        with pytest.raises(PolicyMatchError, match="chunk 1"):
            for p in _read_ahead(chunks(5), intake, reader, None, depth=2):  # type: ignore[arg-type]
                seen.append(p)
    assert seen == intake.followed == [0]


def test_read_ahead_reads_the_first_chunk_alone_then_reads_ahead() -> None:
    """The first chunk resolves every distinct value for the first time (GIL-bound Python):
    no other chunk is read while it is, so none repeats that work; the chunks after it are
    read ahead at the same time as before. A first chunk that fails is still reported."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    import pytest

    from matcher.api import _read_ahead
    from matcher.errors import PolicyMatchError

    class Timed:
        def __init__(self, bad: set[int]) -> None:
            self.bad = bad
            self.spans: dict[int, tuple[float, float]] = {}
            self.lock = threading.Lock()

        def read(self, raw: pl.DataFrame, problems: Any, *, first: bool, limits: Any) -> Any:
            i = raw.item()
            start = time.monotonic()
            time.sleep(0.1)
            with self.lock:
                self.spans[i] = (start, time.monotonic())
            if i in self.bad:
                raise PolicyMatchError(f"chunk {i}")
            return i

        def follow(self, portfolio: Any) -> Any:
            return portfolio

    def chunks(n: int) -> Any:
        return iter([(pl.DataFrame({"i": [i]}), []) for i in range(n)])

    intake = Timed(set())
    with ThreadPoolExecutor(max_workers=2) as reader:
        got = list(_read_ahead(chunks(4), intake, reader, None, depth=2))  # type: ignore[arg-type]
    assert got == [0, 1, 2, 3]
    first_end = intake.spans[0][1]
    assert all(intake.spans[i][0] >= first_end for i in (1, 2, 3))
    # chunks 1 and 2 were read side by side
    assert intake.spans[2][0] < intake.spans[1][1]

    intake = Timed({0})
    with (
        ThreadPoolExecutor(max_workers=2) as reader,
        pytest.raises(PolicyMatchError, match="chunk 0"),
    ):
        list(_read_ahead(chunks(3), intake, reader, None, depth=2))  # type: ignore[arg-type]


def test_read_ahead_follows_then_runs_the_next_step_in_the_reader_thread() -> None:
    """run_batch's wide pass runs in the reader thread (``then``), after the chunk has
    followed (repeated firms dropped); chunks still come in input order, and a chunk
    whose step fails is reported where it stands in the input."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import pytest

    from matcher.api import _read_ahead

    class Intake:
        def __init__(self) -> None:
            self.followed: list[int] = []

        def read(self, raw: pl.DataFrame, problems: Any, *, first: bool, limits: Any) -> Any:
            return raw.item()

        def follow(self, portfolio: Any) -> Any:
            self.followed.append(portfolio)
            return portfolio

    def chunks(n: int) -> Any:
        return iter([(pl.DataFrame({"i": [i]}), []) for i in range(n)])

    main = threading.current_thread()
    intake = Intake()
    steps: list[tuple[int, bool, list[int]]] = []

    def then(i: Any) -> Any:
        steps.append((i, threading.current_thread() is not main, list(intake.followed)))
        if i == 3:
            raise ValueError("chunk 3")
        return i * 10

    with ThreadPoolExecutor(max_workers=2) as reader:
        got = []
        with pytest.raises(ValueError, match="chunk 3"):
            for p in _read_ahead(chunks(5), intake, reader, None, depth=1, then=then):  # type: ignore[arg-type]
                got.append(p)
    assert got == [0, 10, 20]
    done = sorted(steps)[:4]
    assert all(off_main and i in followed for i, off_main, followed in done)
