"""Industry resolution refuses text that names no industry, and bounds the cost of long cells."""

from __future__ import annotations

import csv
import datetime as dt
import string
import time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from matcher.fields import ROW
from matcher.normalize import error_messages, normalise
from matcher.reference import industry, industry_refusal
from matcher.reference.industry import (
    MAX_TEXT_CHARS,
    normalize_industry_code,
    resolve_industries,
    resolve_industry,
)
from matcher.reference.resolution import split_phrases

DATA = Path(__file__).resolve().parent / "data"
CATEGORIES = {"number", "latin", "placeholder", "place", "person", "punctuation", "date", "amount"}


#: garbage the final refusal resolves, found by the one blind measurement of that set
KNOWN_MISSES = {"garbage_industry_fresh3.csv": {"客服电话"}}


def _garbage(name: str) -> list[tuple[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["category"]) for r in csv.DictReader(f)]


@pytest.mark.parametrize(
    ("name", "reasons"),
    [
        ("garbage_industry_dev.csv", 0.97),
        ("garbage_industry_fresh.csv", 0.7),
        ("garbage_industry_fresh2.csv", 0.65),
        ("garbage_industry_fresh3.csv", 0.65),
        ("garbage_industry_fresh4.csv", 0.65),
    ],
)
def test_garbage_sets_are_never_resolved(name: str, reasons: float) -> None:
    """Sets of text that names no industry: every row unknown, most with a reason.

    The dev set is what the refusal was tuned on. Each fresh set was written after the
    refusal of its day, measured once (fresh 3 of 412 resolved, fresh2 2 of 313, fresh3 1 of
    244; see bench/RESULTS.md). The misses of fresh and fresh2 were then fixed, so those guard
    against regressions only; fresh3 measures the final refusal and keeps its one miss
    (客服电话, read as a call centre), so that it stays a measurement. fresh4 was written by a
    session that never saw the resolver and measured once: 3 of 320 (-56, 有限合伙, 微信号：…);
    a leading sign, legal forms and labelled record fields were then refused in general."""
    rows = _garbage(name)
    assert len(rows) >= 240 and len({t for t, _ in rows}) == len(rows)
    # fresh4 was written blind with its own (coarser) categories
    assert {c for _, c in rows} >= (CATEGORIES if "fresh4" not in name else {"number", "place"})
    out = industry.resolve_held_out([t for t, _ in rows], None)
    resolved = {t for t, _ in rows if out[t].code is not None}
    assert resolved == KNOWN_MISSES.get(name, set())
    without_reason = [t for t, _ in rows if out[t].refusal is None]
    assert len(without_reason) <= (1.0 - reasons) * len(rows), without_reason


@pytest.mark.parametrize(
    ("text", "explanation"),
    [
        ("9999", "「9999」不是行业代码，也不像行业描述"),
        ("0000", "「0000」不是行业代码，也不像行业描述"),
        ("1.5", "「1.5」不是行业代码，也不像行业描述"),
        ("-56", "「-56」不是行业代码，也不像行业描述"),
        ("asdf", "「asdf」不是行业代码，也不是已知的行业英文名称或缩写"),
        ("beijing", "「beijing」不是行业代码，也不是已知的行业英文名称或缩写"),
        ("other", "「other」是占位内容，不是行业描述"),
        ("测试数据", "「测试数据」是占位内容，不是行业描述"),
        ("详见营业执照", "「详见营业执照」是占位内容，不是行业描述"),
        ("N/A", "「N/A」是占位内容，不是行业描述"),
        ("中华人民共和国", "「中华人民共和国」是地名，不是行业描述"),
        ("北京市海淀区", "「北京市海淀区」是地名，不是行业描述"),
        ("注册资本100万元", "「注册资本100万元」是日期、金额或联系方式等登记信息，不是行业描述"),
        ("张伟", "「张伟」像是人名或称呼，不是行业描述"),
        ("---", "「---」只有标点符号，不是行业描述"),
    ],
)
def test_garbage_is_refused_with_a_reason(text: str, explanation: str) -> None:
    r = resolve_industry(text)
    assert r.code is None and r.refusal is not None
    remedy = "，请填写行业代码（如 I65）或主营业务（如 软件开发）"
    assert r.explain() == explanation + remedy
    assert "industry" in r.explain("en")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("6513", "I6513"), ("C3011", "C3011"), ("30.11", "C3011"), ("I65", "I65"), ("15", "C15"),
        ("软件和信息技术服务业", "I65"), ("KTV", "R90"), ("CRM SaaS", "I65"), ("saas", "I65"),
        ("海淀区餐馆", "H62"), ("张记面馆", "H62"), ("王记烧烤", "H62"), ("美国进口红酒批发", "F51"),
        ("长三角物流运输", "G54"), ("上海软件开发", "I65"), ("中国石油天然气开采", "B07"),
    ],
)  # fmt: skip
def test_codes_names_and_aliases_still_resolve(text: str, code: str) -> None:
    r = resolve_industry(text)
    assert r.code is not None and r.code.startswith(code), r.explain()
    assert r.refusal is None


def test_refused_cells_are_named_in_the_problem_list() -> None:
    raw = pl.DataFrame(
        {
            ROW: [2, 3, 4],
            "企业名称": ["甲", "乙", "丙"],
            "行业": ["9999", "软件开发", "量子纠缠态"],
        },
        schema={ROW: pl.Int64, "企业名称": pl.String, "行业": pl.String},
    )
    portfolio = normalise(raw, today=dt.date(2026, 1, 1))
    errors = portfolio.errors.filter(pl.col("field") == "industry").sort("row")
    assert errors["code"].to_list() == ["not_an_industry", "unknown_industry"]
    messages = error_messages(errors).to_list()
    assert messages[0].startswith("「9999」不是行业代码，也不像行业描述，按未知处理")
    assert messages[1] == "无法识别行业「量子纠缠态」，按未知处理"
    assert "neither an industry code" in error_messages(errors, "en").to_list()[0]


# Strings made of what never names an industry: digits, Latin letters, punctuation, spaces.
_MARKS = "-_.,;:/\\|!?*#@&%+=()[]{}<>~'\"，。、；：？！…—（）【】《》"
_ALPHABET = string.digits + string.ascii_letters + _MARKS + " \t"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=_ALPHABET, min_size=1, max_size=24))
@example("9999")
@example("asdf")
@example("1.5")
@example("shanghai")  # 'ai' is an alias inside it
def test_random_non_industry_strings_stay_unknown(text: str) -> None:
    if normalize_industry_code(text) is not None:
        return  # a real code (C, 30, c30.11) is not garbage
    r = resolve_industries([text])[text]
    known = {k for k in industry._index().aliases} | set(industry._index().names)
    phrases_known = all(p in known for p in split_phrases(text)) and text.strip()
    if phrases_known:
        return  # every word a known English name or abbreviation (app, KTV, saas)
    assert r.code is None, r.explain()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    number=st.integers(0, 10**12),
    unit=st.sampled_from(["", "元", "万元", "年", "号", "%", "人"]),
    place=st.sampled_from(["", "北京市", "海淀区", "美国", "长三角"]),
)
def test_places_numbers_and_amounts_stay_unknown(number: int, unit: str, place: str) -> None:
    text = f"{place}{number}{unit}"
    if normalize_industry_code(text) is not None:
        return
    assert resolve_industries([text])[text].code is None


def test_an_overlong_cell_is_read_on_its_head_and_says_so() -> None:
    long_text = "主要从事软件开发，" + "提供技术服务、" * 200
    r = resolve_industry(long_text)
    assert r.input == long_text and r.head == MAX_TEXT_CHARS
    assert r.explain().endswith(
        f"（原文 {len(long_text)} 字，超过 {MAX_TEXT_CHARS} 字，只按前 {MAX_TEXT_CHARS} 字识别）"
    )
    assert len(r.explain()) < 400  # the quote is shortened
    head = industry._head(long_text)
    assert len(head) <= MAX_TEXT_CHARS and long_text.startswith(head)
    assert head.endswith("提供技术服务")  # cut between phrases, not inside one


def test_cells_of_800_characters_and_of_5_mb_are_fast() -> None:
    """An 800-character cell crashed the neighbour vote; a 5 MB one ran past 180 s."""
    noise = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年"
    texts = [(noise * 20)[:800], (noise * 200_000)[:5_000_000], "x" * 1000, "9" * 10_000]
    start = time.perf_counter()
    out = industry.resolve_held_out(texts, None)
    assert time.perf_counter() - start < 10.0
    assert [out[t].code for t in texts] == [None, None, None, None]
    assert all(out[t].head == MAX_TEXT_CHARS for t in texts)


def test_quick_character_check_covers_every_listed_word() -> None:
    """The check that spares most texts the word cover must never pass over a listed word."""
    words, _ = industry_refusal._words()
    assert set("".join(words)) <= industry_refusal._letters()
