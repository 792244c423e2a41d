"""Questions are fields: profiles carry answers, both evaluators read them with Kleene logic."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.batch import evaluate_frame
from matcher.evaluate.row import evaluate
from matcher.fields import DTYPES, FIELDS_BY_NAME, PROFILE_FIELDS, QUESTIONS, ROW
from matcher.normalize import normalise, profile_to_raw
from matcher.rule import Rule

AS_OF = dt.date(2022, 7, 1)
BOOL_QS = [q.field for q in QUESTIONS if q.type.value == "bool"][:3]
INT_QS = [q.field for q in QUESTIONS if q.type.value == "int"]

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
    "benefit": {"type": "fixed", "amount_yuan": 1000, "description": "d", "quote": "q"},
}
SCHEMA: dict[str, pl.DataType] = {s.name: DTYPES[s.type] for s in PROFILE_FIELDS} | {
    "region_code": pl.String(),
    "industry_code": pl.String(),
    "size_derived": pl.String(),
    "size_effective": pl.String(),
}


def cond(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value, "label": f"{field} {op}", "quote": "q"}


def test_every_question_is_a_field_with_its_header() -> None:
    for q in QUESTIONS:
        spec = FIELDS_BY_NAME[q.field]
        assert spec.zh == q.header and spec.question == q
        assert q.text and q.text_en and q.quote


def test_answers_are_read_by_header_and_by_name() -> None:
    raw = profile_to_raw({"name": "甲", "创办人为北京生源": "是", "q_hires_hardship_grads": "2"})
    row = normalise(raw).frame.row(0, named=True)
    assert row["q_founder_beijing_origin"] is True
    assert row["q_hires_hardship_grads"] == 2
    assert row["q_covid_hardship"] is None


leaf = st.one_of(
    st.builds(lambda f, v: cond(f, "eq", v), st.sampled_from(BOOL_QS), st.booleans()),
    st.builds(lambda v: cond(INT_QS[0], "ge", v), st.integers(0, 3)),
    st.builds(lambda v: cond("grad_hires_local", "ge", v), st.integers(0, 3)),
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
answers = st.fixed_dictionaries(
    {f: st.one_of(st.none(), st.booleans()) for f in BOOL_QS}
    | {INT_QS[0]: st.one_of(st.none(), st.integers(0, 3))}
    | {"grad_hires_local": st.one_of(st.none(), st.integers(0, 3))}
)


def frame_of(rows: list[dict[str, Any]]) -> pl.DataFrame:
    full = []
    for i, r in enumerate(rows, 1):
        row = dict.fromkeys(SCHEMA)
        row.update(r, id=f"e{i}", name=f"企业{i}")
        full.append({ROW: i, **row})
    return pl.DataFrame(full, schema={ROW: pl.Int64, **SCHEMA})


@settings(max_examples=80, deadline=None)
@given(
    criteria=trees,
    data=st.lists(answers, min_size=1, max_size=6),
    as_of=st.sampled_from(
        [AS_OF, dt.date(2023, 6, 28), dt.date(2023, 6, 29), dt.date(2026, 12, 7)]
    ),
)
def test_row_and_vector_agree_with_questions(
    criteria: dict[str, Any], data: list[dict[str, Any]], as_of: dt.date
) -> None:
    rule = Rule.model_validate({**BASE, "criteria": criteria})
    frame = frame_of(data)
    vec = evaluate_frame(frame, [rule], as_of, lang="en").collect().sort(ROW).to_dicts()
    for r, v in zip(frame.iter_rows(named=True), vec, strict=True):
        o = evaluate(rule, r, as_of)
        assert o.status.value == v["status"]
        assert o.amount_yuan == v["amount_yuan"]
        assert o.missing_fields == [m for m in v["missing"].split("；") if m]


def test_unanswered_question_is_unknown_naming_it_never_eligible() -> None:
    q = BOOL_QS[0]
    rule = Rule.model_validate({**BASE, "criteria": {"all": [cond(q, "eq", True)]}})
    frame = frame_of([{}, {q: True}, {q: False}])
    statuses = [evaluate(rule, r, AS_OF).status.value for r in frame.iter_rows(named=True)]
    assert statuses == ["unknown", "eligible", "ineligible"]
    zh = evaluate_frame(frame, [rule], AS_OF, lang="zh").collect().sort(ROW)
    assert zh.get_column("missing").to_list()[0] == FIELDS_BY_NAME[q].zh


def test_no_stated_end_is_in_force_twelve_months_then_an_open_question() -> None:
    q = BOOL_QS[0]
    rule = Rule.model_validate({**BASE, "criteria": {"all": [cond(q, "eq", True)]}})
    frame = frame_of([{q: True}, {q: False}])
    for as_of, expected in [
        (dt.date(2023, 6, 28), ["eligible", "ineligible"]),
        (dt.date(2023, 6, 29), ["unknown", "ineligible"]),
    ]:
        outs = [evaluate(rule, r, as_of) for r in frame.iter_rows(named=True)]
        assert [o.status.value for o in outs] == expected
    assert outs[0].missing_fields == ["in_force"]
    zh = evaluate_frame(frame, [rule], dt.date(2023, 6, 29)).collect().sort(ROW)
    assert zh.get_column("missing").to_list() == [
        "原文未注明有效期，发布于2022-06-28，请核实是否仍在执行",
        "",
    ]
    longer = Rule.model_validate(
        {
            **BASE,
            "criteria": {"all": [cond(q, "eq", True)]},
            "validity": {"stated": False, "in_force_months": 36},
        }
    )
    assert (
        evaluate(longer, frame.row(0, named=True), dt.date(2024, 6, 1)).status.value == "eligible"
    )


def test_portfolio_columns_named_by_the_question_header(tmp_path: Any) -> None:
    from matcher import api

    path = tmp_path / "p.csv"
    path.write_text(
        "企业名称,所在地区,是否国有企业,是否北京市属国有企业\n"
        "甲,北京市西城区,是,是\n乙,北京市西城区,是,\n丙,北京市西城区,是,否\n",
        encoding="utf-8",
    )
    portfolio = api.load_portfolio(path)
    assert portfolio.frame.get_column("q_beijing_municipal_soe").to_list() == [True, None, False]
    assert portfolio.frame.get_column("state_owned").to_list() == [True, True, True]
    rule = api.load_ruleset().by_id("bj-soe-grad-hiring-stable")
    assert rule is not None
    result = api.results(portfolio, [rule], AS_OF, lang="en").sort(ROW)
    assert result.get_column("status").to_list() == ["eligible", "unknown", "ineligible"]
    assert result.get_column("missing").to_list() == ["", "q_beijing_municipal_soe", ""]
