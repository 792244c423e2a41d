"""The batch catalogue verdict (polars clause split, scored per distinct clause) against the
row path (_clauses, match_scope), which stays the reference."""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from matcher.evaluate.row import catalogue_verdict
from matcher.evaluate.vector import CATALOGUE, _with_catalogue
from matcher.reference.catalogue import (
    _CLAUSE_SPLIT,
    _SPACE,
    CATALOGUE_ENV,
    Edition,
    _clauses,
    catalogue_verdicts,
    editions,
    match_scope,
    parse_official_text,
    scope_clauses,
    write_edition,
)

DATA = Path(__file__).resolve().parent / "data"
D = dt.date.fromisoformat
BUNDLED = {e.key: e for e in editions()}
SAMPLE = parse_official_text(
    (DATA / "catalogue_sample.txt").read_text(encoding="utf-8"),
    "2022",
    "《测试》",
    D("2023-01-01"),
    D("2026-01-31"),
)
COMPLETE = replace(BUNDLED["2022"], partial=False)
EDITIONS = {"2022": BUNDLED["2022"], "2025": BUNDLED["2025"], "sample": SAMPLE, "full": COMPLETE}
ALL_CODES = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]


def python_norms(scope: str) -> list[str]:
    return [norm for _, norm in _clauses(scope)]


def expected_verdicts(pairs: list[tuple[str | None, str | None]], ed: Edition) -> list[bool | None]:
    miss = None if ed.partial else False
    return [True if match_scope(s or "", p, ed) else miss for s, p in pairs]


def vector_verdicts(pairs: list[tuple[str | None, str | None]], ed: Edition) -> list[bool | None]:
    scopes = pl.Series([s for s, _ in pairs], dtype=pl.String)
    provinces = pl.Series([p for _, p in pairs], dtype=pl.String)
    return catalogue_verdicts(scopes, provinces, ed).to_list()


# --------------------------------------------------------------------------- regexes


def test_space_class_is_pythons_whitespace_in_both_engines() -> None:
    python = [c for c in ALL_CODES if re.fullmatch(f"[{_SPACE}]", c)]
    assert python == [c for c in ALL_CODES if c.isspace()]
    assert python == [c for c in ALL_CODES if re.fullmatch(r"\s", c)]
    s = pl.Series(ALL_CODES)
    assert s.filter(s.str.contains(f"^[{_SPACE}]$")).to_list() == python


def test_clause_split_is_unchanged() -> None:
    before = re.compile(r"[；;，,、。：:\s]+")
    assert [c for c in ALL_CODES if _CLAUSE_SPLIT.fullmatch(c)] == [
        c for c in ALL_CODES if before.fullmatch(c)
    ]


def test_nfkc_agrees_on_every_character_python_knows() -> None:
    # polars may know a newer Unicode; scopes with characters Python leaves unassigned take
    # the Python path, so only the assigned ones must agree.
    known = [c for c in ALL_CODES if unicodedata.category(c) != "Cn"]
    got = pl.Series(known).str.normalize("NFKC").to_list()
    assert got == [unicodedata.normalize("NFKC", c) for c in known]


def test_characters_newer_than_python_take_the_python_path() -> None:
    unassigned = [c for c in ALL_CODES if unicodedata.category(c) == "Cn"]
    nfkc = pl.Series(unassigned).str.normalize("NFKC").to_list()
    newer = [c for c, n in zip(unassigned, nfkc, strict=True) if n != c]
    if not newer:
        pytest.skip("polars and Python share the Unicode version")
    scopes = [f"汽车电子装置制造{c}；{c}（{c}、乳制品）生产" for c in newer[:50]]
    assert scope_clauses(pl.Series(scopes)).to_list() == [python_norms(s) for s in scopes]


# --------------------------------------------------------------------------- generated scopes


def _phrases() -> list[str]:
    out: set[str] = set()
    for ed in EDITIONS.values():
        for e in ed.entries:
            out.add(e.text)
            out.update(p for p in re.split(r"[，,；;。]", e.text) if p)
    return sorted(out)


PHRASES = _phrases()
PIECES = [
    # trade, boilerplate and stop clauses
    "销售",
    "汽车零部件销售",
    "货物进出口",
    "技术进出口",
    "婴幼儿配方乳粉批发",
    "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广",
    "一般项目：",
    "许可项目:",
    "除许可业务外，可自主依法经营法律法规非禁止或限制的项目",
    "依法须经批准的项目，经相关部门批准后方可开展经营活动",
    # words and activities
    "汽车",
    "零部件",
    "研发",
    "研究开发",
    "锂电池",
    "制造",
    "生产",
    "及",
    "的",
    "服务",
    "新能源汽车电池管理系统",
    "职业院校教育",
    "集成电路设计",
    "乳制品生产",
    "水产品",
    "asdf",
    "ＡＢＣ１２３",
    "e\u0301",
    "\u1100\u1161",
    "\uf967含",  # a compatibility ideograph that NFKC makes 不
    # brackets: balanced, nested, unbalanced, full- and half-width, exclusions
    "（",
    "）",
    "(",
    ")",
    "（预包装）",
    "（不含危险化学品）",
    "( 须经审批)",
    "（\u3000依法须经批准的项目，经相关部门批准后方可开展经营活动）",
    "（\x1c不含、许可类）",
    "（含食用菌、西甜瓜）",
    "（车载导航、车身电子控制系统）",
    "(新能源汽车电池管理系统，乳制品生产)",
    "（除（危险品、易制毒品）外）",
    "(a(b,c)d)",
    # separators and whitespace
    "；",
    ";",
    "，",
    ",",
    "、",
    "。",
    "：",
    ":",
    "／",
    " ",
    "\u3000",
    "\x1c",
    "\x1f",
    "\t",
    "\n",
    "\xa0",
    "\u2028",
    "\x85",
]
CHARS = sorted(set("".join(PIECES)) | set("职业院校教育乳品汽车新能源集成电路"))

scopes_st = st.one_of(
    st.lists(st.sampled_from(PHRASES + PIECES), max_size=10).map("".join),
    st.lists(st.sampled_from(PIECES), max_size=14).map("".join),
    st.text(alphabet=st.sampled_from(CHARS), max_size=30),
)
REGIONAL = sorted({e.province for ed in EDITIONS.values() for e in ed.entries if e.province})
provinces_st = st.sampled_from([None, "110000", "110105", "430104", "150102", *REGIONAL])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scopes=st.lists(st.one_of(st.none(), scopes_st), max_size=8))
# a bracket emptied in a pass must not expose its outer bracket within that pass
@example(scopes=["(()bbᄀ)", "（（预包装）乳制品）销售", "x\ue000（a、b）"])
def test_polars_clauses_equal_python_clauses(scopes: list[str | None]) -> None:
    got = scope_clauses(pl.Series(scopes, dtype=pl.String)).to_list()
    assert got == [None if s is None else python_norms(s) for s in scopes]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pairs=st.lists(st.tuples(st.one_of(st.none(), scopes_st), provinces_st), max_size=8),
    key=st.sampled_from(sorted(EDITIONS)),
)
def test_vector_verdict_equals_match_scope(
    pairs: list[tuple[str | None, str | None]], key: str
) -> None:
    ed = EDITIONS[key]
    assert vector_verdicts(pairs, ed) == expected_verdicts(pairs, ed)


def test_both_editions_kinds_are_covered() -> None:
    assert BUNDLED["2022"].partial and not COMPLETE.partial and not SAMPLE.partial
    assert all(any(e.scope == "regional" for e in ed.entries) for ed in EDITIONS.values())


# --------------------------------------------------------------------------- labelled set


def eval_rows() -> list[dict[str, str]]:
    with (DATA / "eval_catalogue.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def batch_verdicts(rows: list[dict[str, str]], as_of: dt.date) -> list[bool | None]:
    frame = pl.LazyFrame(
        {
            "business_scope": [r["scope"] for r in rows],
            "region_code": [r["region"] or None for r in rows],
        },
        schema={"business_scope": pl.String, "region_code": pl.String},
    )
    return _with_catalogue(frame, as_of).collect().get_column(CATALOGUE).to_list()


@pytest.mark.parametrize("complete", [False, True])
def test_eval_set_vector_verdicts_equal_row_verdicts(
    complete: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    as_of = D("2024-07-01")
    if complete:
        full = replace(BUNDLED["2022"], official_national=None, official_regional=None)
        write_edition(full, tmp_path / "2022.yaml")
        monkeypatch.setenv(CATALOGUE_ENV, str(tmp_path))
    rows = eval_rows()
    rows += [{**r, "region": "430104"} for r in rows]  # a province with regional entries
    row = [catalogue_verdict(r["scope"], r["region"] or None, as_of) for r in rows]
    assert batch_verdicts(rows, as_of) == row
    assert True in row and (False if complete else None) in row
    pairs = [(r["scope"], r["region"] or None) for r in rows]
    ed = COMPLETE if complete else BUNDLED["2022"]
    assert vector_verdicts(pairs, ed) == expected_verdicts(pairs, ed)
