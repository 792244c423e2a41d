"""The row evaluator and the polars evaluator agree, case by case and under hypothesis."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matcher.batch import evaluate_frame, match_row
from matcher.evaluate.row import evaluate
from matcher.evaluate.tree import STATUS_ORDER
from matcher.fields import DTYPES, PROFILE_FIELDS, ROW, FieldType
from matcher.rule import Rule

AS_OF = dt.date(2022, 7, 1)

BASE: dict[str, Any] = {
    "id": "r1",
    "title": "测试",
    "title_en": "test",
    "authority": "测试机关",
    "kind": "cash_subsidy",
    "published": "2022-06-28",
    "source": {
        "document": "doc",
        "sha256": "0" * 64,
        "article": 1,
        "article_title": "t",
        "quotes": ["q"],
    },
    "validity": {"stated": False},
    "benefit": {
        "type": "per_head",
        "amount_yuan": 1500,
        "per_field": "grad_hires_local",
        "description": "d",
        "quote": "q",
    },
}

SCHEMA: dict[str, pl.DataType] = {s.name: DTYPES[s.type] for s in PROFILE_FIELDS} | {
    "region_code": pl.String(),
    "industry_code": pl.String(),
    "size_derived": pl.String(),
    "size_effective": pl.String(),
}


def make_rule(criteria: dict[str, Any], **extra: Any) -> Rule:
    return Rule.model_validate({**BASE, "criteria": criteria, **extra})


def frame_of(rows: list[dict[str, Any]]) -> pl.DataFrame:
    full = []
    for i, r in enumerate(rows, 1):
        row = dict.fromkeys(SCHEMA)
        row.update(r)
        row["id"] = row.get("id") or f"e{i}"
        row["name"] = row.get("name") or f"企业{i}"
        full.append({ROW: i, **row})
    return pl.DataFrame(full, schema={ROW: pl.Int64, **SCHEMA})


def both(rule: Rule, rows: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    frame = frame_of(rows)
    vec = evaluate_frame(frame, [rule], AS_OF, lang="en").collect().sort(ROW)
    row_out = [evaluate(rule, r, AS_OF) for r in frame.iter_rows(named=True)]
    return row_out, vec.to_dicts()


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    c: dict[str, Any] = {"field": field, "op": op, "label": f"{field} {op}", "quote": "q"}
    if value is not None:
        c["value"] = value
    return c


EXPANSION = make_rule(
    {"all": [cond("region", "in_region", "110000"), cond("grad_hires_local", "ge", 1)]}
)


@pytest.mark.parametrize(
    ("row", "status", "amount", "missing"),
    [
        ({"region_code": "110108", "grad_hires_local": 4}, "eligible", 6000.0, []),
        ({"region_code": "110108"}, "unknown", None, ["grad_hires_local"]),
        ({"region_code": "310115", "grad_hires_local": 4}, "ineligible", None, []),
        ({"grad_hires_local": 2}, "unknown", 3000.0, ["region"]),
        ({"region_code": "310115"}, "ineligible", None, []),
        ({"region_code": "110108", "grad_hires_local": 0}, "ineligible", None, []),
    ],
)
def test_expansion_subsidy_examples(
    row: dict[str, Any], status: str, amount: float | None, missing: list[str]
) -> None:
    row_out, vec = both(EXPANSION, [row])
    assert row_out[0].status.value == status == vec[0]["status"]
    assert row_out[0].amount_yuan == amount == vec[0]["amount_yuan"]
    assert row_out[0].missing_fields == missing
    assert [m for m in vec[0]["missing"].split("；") if m] == missing


def test_region_coarser_than_target_is_unknown() -> None:
    rule = make_rule(cond("region", "in_region", "110108"))
    row_out, vec = both(rule, [{"region_code": "110000"}, {"region_code": "110105"}])
    assert [o.status.value for o in row_out] == ["unknown", "ineligible"]
    assert [v["status"] for v in vec] == ["unknown", "ineligible"]


def test_industry_prefixes() -> None:
    rule = make_rule(cond("industry", "in_industry", ["C30", "I65"]))
    rows = [
        {"industry_code": "C3011"},
        {"industry_code": "C"},
        {"industry_code": "C31"},
        {"industry_code": "I651"},
        {"industry_code": "I"},
    ]
    row_out, vec = both(rule, rows)
    expected = ["eligible", "unknown", "ineligible", "eligible", "unknown"]
    assert [o.status.value for o in row_out] == expected
    assert [v["status"] for v in vec] == expected


def test_not_and_unmet_listing() -> None:
    rule = make_rule(
        {
            "all": [
                cond("employees", "ge", 10),
                {"not": cond("state_owned", "eq", True)},
            ]
        }
    )
    row_out, vec = both(rule, [{"employees": 50, "state_owned": True, "grad_hires_local": 1}])
    assert row_out[0].status.value == "ineligible" == vec[0]["status"]
    assert [c.field for c in row_out[0].unmet] == ["state_owned"]
    assert vec[0]["unmet"] == "state_owned eq"


def test_validity_window() -> None:
    rule = make_rule(
        cond("employees", "ge", 1),
        validity={"stated": True, "from": "2022-07-01", "until": "2022-12-31", "quote": "q"},
    )
    frame = frame_of([{"employees": 5}])
    for as_of, expected in [
        (dt.date(2022, 6, 30), "not_yet_valid"),
        (dt.date(2022, 7, 1), "eligible"),
        (dt.date(2022, 12, 31), "eligible"),
        (dt.date(2023, 1, 1), "expired"),
    ]:
        row = frame.row(0, named=True)
        assert evaluate(rule, row, as_of).status.value == expected
        vec = evaluate_frame(frame, [rule], as_of, "en").collect()
        assert vec["status"][0] == expected


# ---------------------------------------------------------------- hypothesis

REGIONS = ["110000", "110108", "110105", "310115", "500112", "510107", "210112", "130203"]
INDUSTRIES = ["C", "C30", "C3011", "C36", "I", "I65", "I6513", "K7010", "A01"]

int_values = st.one_of(st.none(), st.integers(min_value=0, max_value=25))
amount_values = st.one_of(st.none(), st.sampled_from([0.0, 299.99, 300.0, 2000.0, 40000.0]))
bool_values = st.one_of(st.none(), st.booleans())
dates = st.one_of(st.none(), st.dates(dt.date(2010, 1, 1), dt.date(2022, 12, 31)))
certs = st.one_of(
    st.none(),
    st.lists(
        st.sampled_from(["专精特新中小企业", '专精特新"小巨人"企业', "高新技术企业"]), max_size=3
    ),
)


@st.composite
def rows(draw: Any) -> dict[str, Any]:
    return {
        "region_code": draw(st.one_of(st.none(), st.sampled_from(REGIONS))),
        "industry_code": draw(st.one_of(st.none(), st.sampled_from(INDUSTRIES))),
        "employees": draw(int_values),
        "grad_hires_local": draw(int_values),
        "revenue": draw(amount_values),
        "foreign_invested": draw(bool_values),
        "founded": draw(dates),
        "certifications": draw(certs),
        "size_effective": draw(st.one_of(st.none(), st.sampled_from(["large", "small", "micro"]))),
    }


leaf = st.one_of(
    st.builds(
        lambda v: cond("region", "in_region", v), st.sampled_from([*REGIONS, "中西部", "东北"])
    ),
    st.builds(
        lambda v: cond("industry", "in_industry", v),
        st.lists(st.sampled_from(INDUSTRIES), min_size=1, max_size=3),
    ),
    st.builds(
        lambda op, v: cond("employees", op, v),
        st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]),
        st.integers(0, 25),
    ),
    st.builds(lambda v: cond("revenue", "ge", v), st.sampled_from([0, 300, 2000])),
    st.builds(lambda v: cond("foreign_invested", "eq", v), st.booleans()),
    st.builds(lambda v: cond("founded", "within_years", v), st.integers(1, 5)),
    st.builds(
        lambda v: cond("certifications", "contains_any", v),
        st.lists(
            st.sampled_from(["专精特新中小企业", '专精特新"小巨人"企业']), min_size=1, max_size=2
        ),
    ),
    st.builds(
        lambda v: cond("size", "in", v),
        st.lists(st.sampled_from(["medium", "small", "micro"]), min_size=1),
    ),
    st.builds(lambda op: cond("grad_hires_local", op), st.sampled_from(["present", "missing"])),
)

trees = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(criteria=trees, data=st.lists(rows(), min_size=1, max_size=8))
def test_row_and_vector_agree(criteria: dict[str, Any], data: list[dict[str, Any]]) -> None:
    rule = make_rule(criteria)
    row_out, vec = both(rule, data)
    for o, v in zip(row_out, vec, strict=True):
        assert o.status.value == v["status"]
        assert o.amount_yuan == v["amount_yuan"]
        assert o.missing_fields == [m for m in v["missing"].split("；") if m]
        assert "；".join(c.label for c in o.unmet) == v["unmet"]
        assert "；".join(c.label for c in o.met) == v["met"]


@settings(max_examples=40, deadline=None)
@given(data=st.lists(rows(), min_size=1, max_size=5), as_of_days=st.integers(-400, 400))
def test_ranking_agrees(data: list[dict[str, Any]], as_of_days: int) -> None:
    as_of = AS_OF + dt.timedelta(days=as_of_days)
    rules = [
        EXPANSION,
        make_rule(
            cond("employees", "ge", 5),
            id="r2",
            kind="space",
            benefit={"type": "unquantified", "description": "d"},
        ),
        make_rule(
            cond("foreign_invested", "eq", True),
            id="r3",
            validity={"stated": True, "from": "2022-07-01", "until": "2022-12-31", "quote": "q"},
            benefit={"type": "fixed", "amount_yuan": 500, "description": "d", "quote": "q"},
        ),
    ]
    frame = frame_of(data)
    vec = evaluate_frame(frame, rules, as_of, "en").collect()
    for i, row in enumerate(frame.iter_rows(named=True), 1):
        ranked = [o.rule.id for o in match_row(row, rules, as_of)]
        got = vec.filter(pl.col(ROW) == i).sort("rank")["rule_id"].to_list()
        assert ranked == got
        statuses = vec.filter(pl.col(ROW) == i).sort("rank")["status"].to_list()
        assert [STATUS_ORDER[s] for s in statuses] == sorted(STATUS_ORDER[s] for s in statuses)


def test_unknown_never_false_or_true() -> None:
    # Kleene: unknown AND false is false; unknown OR true is true.
    rule_and = make_rule(
        {"all": [cond("employees", "ge", 1), cond("foreign_invested", "eq", True)]}
    )
    rule_or = make_rule({"any": [cond("employees", "ge", 1), cond("foreign_invested", "eq", True)]})
    row_and, _ = both(rule_and, [{"foreign_invested": False}])
    row_or, _ = both(rule_or, [{"foreign_invested": True}])
    assert row_and[0].status.value == "ineligible"
    assert row_or[0].status.value == "eligible"
    assert FieldType.INT in DTYPES


def test_catalogue_condition_agrees_and_never_says_no_on_a_partial_list() -> None:
    rule = make_rule(
        {
            "field": "business_scope",
            "op": "in_catalogue",
            "value": "in_force",
            "label": "目录",
            "quote": "q",
        }
    )
    rows = [
        {"business_scope": "集成电路设计；技术咨询", "region_code": "310115"},
        {"business_scope": "住宿服务；餐饮服务", "region_code": "310101"},
        {"region_code": "310101"},
    ]
    as_of = dt.date(2023, 6, 1)
    frame = frame_of(rows)
    vec = evaluate_frame(frame, [rule], as_of, "en").collect().sort(ROW)["status"].to_list()
    row_status = [evaluate(rule, r, as_of).status.value for r in frame.iter_rows(named=True)]
    assert row_status == vec == ["eligible", "unknown", "unknown"]


def test_text_tables_and_per_slice_texts_agree(monkeypatch: Any) -> None:
    """Rule texts from the up-front categorical tables, as strings, and built per slice
    (the fallback for rules with very many conditions) are the same report."""
    import matcher.batch as batch_mod
    from matcher.api import demo_portfolio_path, load_portfolio
    from matcher.batch import Evaluator
    from matcher.loader import load_rules

    portfolio = load_portfolio(demo_portfolio_path(), today=AS_OF)
    rules = load_rules().rules

    def report(texts: str) -> pl.DataFrame:
        ev = Evaluator(rules, AS_OF, "zh", texts=texts)  # type: ignore[arg-type]
        wide = ev.wide(ev.prepare(portfolio.frame), portfolio.passthrough)
        out = ev.long(wide, portfolio.passthrough).collect()
        return out.with_columns(pl.col(pl.Enum).cast(pl.String))

    tables = report("string")
    assert tables.equals(report("categorical"))
    assert report("categorical").schema["unmet"] == pl.String  # after the cast above
    monkeypatch.setattr(batch_mod, "MAX_TEXT_TABLE", 0)
    per_slice = report("string")
    assert per_slice.equals(tables)
    assert tables.filter(pl.col("unmet") != "").height > 0
