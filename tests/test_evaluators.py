"""The row evaluator and the polars evaluator agree, case by case and under hypothesis."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from matcher.batch import evaluate_frame, match_row
from matcher.errors import pydantic_message
from matcher.evaluate.row import evaluate
from matcher.evaluate.tree import STATUS_ORDER
from matcher.fields import DTYPES, PROFILE_FIELDS, ROW, RULE_FIELDS, FieldType
from matcher.rule import _OPS_FOR_TYPE, Op, Rule, field_type

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
    "scope_industries": pl.List(pl.String),
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


@pytest.mark.parametrize(
    ("codes", "status"),
    [
        (["I6511", "C3411"], "eligible"),  # a later phrase in C is enough
        (["C30", None], "eligible"),  # one true settles it, whatever the unread phrase
        (["I6511", "F5179"], "ineligible"),  # every phrase read, none in C
        (["I6511", None], "unknown"),  # the unread phrase might be in C
        (["C"], "eligible"),
        ([], "unknown"),  # no phrase: the scope names no activity
        (None, "unknown"),
    ],
)
def test_any_phrase_in_industry_is_a_kleene_or(codes: list[str | None] | None, status: str) -> None:
    rule = make_rule(cond("scope_industries", "any_in_industry", ["C"]))
    row_out, vec = both(rule, [{"scope_industries": codes}])
    assert row_out[0].status.value == status == vec[0]["status"]
    if status == "unknown":
        assert row_out[0].missing_fields == ["business_scope"]


def test_any_phrase_coarser_than_the_target_is_unknown() -> None:
    rule = make_rule(cond("scope_industries", "any_in_industry", ["C3011"]))
    rows = [{"scope_industries": ["C30"]}, {"scope_industries": ["C31", "C3011"]}]
    row_out, vec = both(rule, rows)
    assert [o.status.value for o in row_out] == ["unknown", "eligible"]
    assert [v["status"] for v in vec] == ["unknown", "eligible"]


def test_industry_operators_are_refused_on_the_wrong_kind_of_field() -> None:
    with pytest.raises(ValidationError, match="any_in_industry"):
        make_rule(cond("scope_industries", "in_industry", ["C"]))
    with pytest.raises(ValidationError, match="in_industry"):
        make_rule(cond("industry", "any_in_industry", ["C"]))
    with pytest.raises(ValidationError, match="GB/T 4754"):
        make_rule(cond("scope_industries", "any_in_industry", ["Z99"]))


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

# one code per business-scope phrase, None where a phrase is unread
scope_codes = st.one_of(
    st.none(), st.lists(st.one_of(st.none(), st.sampled_from(INDUSTRIES)), max_size=4)
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
        "scope_industries": draw(scope_codes),
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
        lambda v: cond("scope_industries", "any_in_industry", v),
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


# ------------------------------------------- any condition: refused at load, or agreed on

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 30),
    st.integers(),
    st.integers(min_value=2**62, max_value=2**80),
    st.floats(),  # nan and ±inf included
    st.sampled_from(
        [
            "",
            " ",
            "110000",
            " 110000",
            "中西部",
            "C30",
            "3011",
            "9999",
            "small",
            "medium",
            "in_force",
            "专精特新中小企业",
            "高企",
            "2022-06-28",
            "9999-12-31",
            "0001-01-01",
            "2022-02-30",
            "很多",
            "\x00",
            "[/x]",
            "=1+1",
        ]
    ),
    st.dates(),
    st.datetimes(),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=4),
    st.dictionaries(st.text(max_size=2), SCALARS, max_size=2),
)
HOSTILE_AS_OF = st.sampled_from(
    [AS_OF, dt.date(1, 3, 1), dt.date(1900, 2, 28), dt.date(2024, 2, 29), dt.date(9999, 12, 31)]
)


@st.composite
def any_rows(draw: Any) -> dict[str, Any]:
    """A profile with every rule field, including values intake should never let through."""
    row = draw(rows())
    maybe = st.one_of(st.none(), st.none())
    row |= {
        "revenue": draw(st.one_of(maybe, st.floats(allow_nan=True, allow_infinity=True))),
        "total_assets": draw(st.one_of(maybe, st.sampled_from([0.0, 1e300, float("nan")]))),
        "founded": draw(st.one_of(maybe, st.dates())),
        "business_scope": draw(st.one_of(maybe, st.sampled_from(["x", "集成电路设计", "123"]))),
        "credit_code": draw(st.one_of(maybe, st.just("91110108MA01XXXX0X"))),
        "state_owned": draw(bool_values),
        "founder_is_graduate": draw(bool_values),
        "size_derived": draw(st.one_of(maybe, st.sampled_from(["large", "medium", "micro"]))),
        "grad_hires": draw(int_values),
        "youth_hires": draw(int_values),
        "trainee_posts": draw(int_values),
    }
    return row


CERTS = ["专精特新中小企业", '专精特新"小巨人"企业', "高新技术企业", "高企"]


def plausible(ftype: FieldType, op: Op) -> st.SearchStrategy[Any]:
    """Values of roughly the right kind, so that many conditions load and get evaluated."""
    one: st.SearchStrategy[Any] = {
        FieldType.INT: st.one_of(st.integers(-3, 30), st.floats(-3, 30)),
        FieldType.AMOUNT: st.one_of(st.integers(-10, 5000), st.floats(-10, 5000)),
        FieldType.BOOL: st.booleans(),
        FieldType.DATE: st.one_of(
            st.dates(dt.date(1890, 1, 1), dt.date(2210, 1, 1)),
            st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)).map(dt.date.isoformat),
        ),
        FieldType.LIST: st.sampled_from(CERTS),
        FieldType.SIZE: st.sampled_from(["large", "medium", "small", "micro", "小型"]),
        FieldType.TEXT: st.sampled_from(["x", "集成电路设计", "123", "in_force"]),
        FieldType.REGION: st.sampled_from([*REGIONS, "中西部", "东北", "999999"]),
        FieldType.INDUSTRY: st.sampled_from([*INDUSTRIES, "Z99"]),
        FieldType.INDUSTRY_LIST: st.sampled_from([*INDUSTRIES, "Z99"]),
    }[ftype]
    if op is Op.WITHIN_YEARS:
        one = st.integers(-1, 120)
    if op in (Op.IN, Op.NOT_IN, Op.CONTAINS_ANY, Op.IN_INDUSTRY, Op.ANY_IN_INDUSTRY, Op.IN_REGION):
        return st.lists(one, min_size=1, max_size=3)
    return one


@st.composite
def conditions(draw: Any) -> tuple[str, Op, Any]:
    """A field, an operator (usually one the field accepts) and a value of any kind."""
    field = draw(st.sampled_from(sorted(RULE_FIELDS)))
    ftype = field_type(field)
    # (one_of flattens nested one_ofs, so the odds are set by drawing a choice first)
    any_op = draw(st.integers(0, 3)) == 0
    op = draw(st.sampled_from(list(Op) if any_op else sorted(_OPS_FOR_TYPE[ftype])))
    hostile = draw(st.integers(0, 2)) == 0
    if op in (Op.PRESENT, Op.MISSING):
        return field, op, draw(VALUES) if hostile else None
    value = draw(VALUES if hostile else plausible(ftype, op))
    return field, op, value


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    condition=conditions(),
    shape=st.sampled_from(["leaf", "not", "any"]),
    data=st.lists(any_rows(), min_size=1, max_size=4),
    as_of=HOSTILE_AS_OF,
)
def test_any_condition_is_refused_at_load_or_evaluates_alike(
    condition: tuple[str, Op, Any], shape: str, data: list[dict[str, Any]], as_of: dt.date
) -> None:
    field, op, value = condition
    leaf = {**cond(field, op.value), "value": value}
    criteria = {
        "leaf": leaf,
        "not": {"not": leaf},
        "any": {"any": [leaf, cond("employees", "ge", 3)]},
    }[shape]
    try:
        rule = make_rule(criteria)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            message = pydantic_message(err)
            assert re.search(r"[\u4e00-\u9fff]", message), message  # worded in Chinese
        event("refused")
        return
    event("loaded")
    frame = frame_of(data)
    vec = evaluate_frame(frame, [rule], as_of, lang="en").collect().sort(ROW).to_dicts()
    for row, v in zip(frame.iter_rows(named=True), vec, strict=True):
        o = evaluate(rule, row, as_of)
        assert o.status.value == v["status"]
        assert o.amount_yuan == v["amount_yuan"]
        assert o.missing_fields == [m for m in v["missing"].split("；") if m]
        assert "；".join(c.label for c in o.met) == v["met"]
        assert "；".join(c.label for c in o.unmet) == v["unmet"]


def test_the_reported_cases_are_refused_with_the_value() -> None:
    for field, op, value, words in [
        ("founded", "within_years", 100000, "100000"),
        ("employees", "in", [1, "a"], "第 2 项「'a'」"),
        ("business_scope", "eq", 123, "123"),
        ("certifications", "contains_any", [1], "第 1 项「1」"),
        ("revenue", "ge", float("nan"), "nan"),
        ("revenue", "lt", float("inf"), "inf"),
        ("employees", "ge", 2**64, str(2**64)),
        ("founded", "ge", dt.date(1, 1, 1), "0001-01-01"),
    ]:
        with pytest.raises(ValidationError) as info:
            make_rule(cond(field, op, value))
        (err,) = info.value.errors(include_url=False)
        assert err["loc"][-1] == "value"
        assert words in pydantic_message(err), (field, op, value)


def test_nan_in_a_profile_is_unknown_in_both_evaluators() -> None:
    rule = make_rule(cond("revenue", "le", 300))
    row_out, vec = both(rule, [{"revenue": float("nan")}])
    assert row_out[0].status.value == "unknown" == vec[0]["status"]
    assert row_out[0].missing_fields == ["revenue"]


def test_within_years_near_the_start_of_the_calendar() -> None:
    rule = make_rule(cond("founded", "within_years", 100))
    frame = frame_of([{"founded": dt.date(1, 1, 1)}, {"founded": dt.date(60, 1, 1)}])
    as_of = dt.date(50, 3, 1)
    vec = evaluate_frame(frame, [rule], as_of, "en").collect().sort(ROW)["status"].to_list()
    rows_ = [evaluate(rule, r, as_of).status.value for r in frame.iter_rows(named=True)]
    assert rows_ == vec == ["eligible", "ineligible"]
