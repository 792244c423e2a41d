"""What policies commonly say, each as one rule: keywords in text, tiers, computed amounts,
a field that must be known, exact date boundaries; both evaluators agree."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from test_evaluators import AS_OF, both, cond, make_rule, rows, trees

from matcher.authoring.casetest import run_cases
from matcher.authoring.lint import format_issues, lint_paths
from matcher.evaluate.text import contains_text, matches_text
from matcher.loader import load_rules

PATTERNS = Path(__file__).parent / "data" / "patterns"


def test_each_pattern_is_one_rule_whose_cases_pass_in_both_evaluators() -> None:
    ruleset = load_rules([PATTERNS], replace=True)
    assert ruleset.errors == []
    assert {r.id for r in ruleset.rules} == {
        "pat-size-tiers",
        "pat-srdi-tiers",
        "pat-revenue-rate",
        "pat-scope-keyword",
        "pat-founded-window",
        "pat-must-know",
        "pat-absorb-employment",
        "pat-expansion",
        "pat-scope-manufacturing",
    }
    results = run_cases(ruleset.rules)
    assert len(results) >= 20
    assert [(r.rule_id, r.case, r.problems) for r in results if not r.passed] == []


def test_pattern_rules_lint_clean_with_every_quote_verified() -> None:
    issues, n = lint_paths([PATTERNS], PATTERNS, require_sources=True)
    assert n == 9
    assert issues == [], format_issues(issues)


@pytest.mark.parametrize(
    ("text", "value", "every", "expected"),
    [
        ("人工智能软件开发", ["人工智能"], False, True),
        ("ＡＩ训练", [["人工智能", "ai"]], False, True),  # full width and case folded
        ("软件开发；大数据服务", ["人工智能", "大数据"], True, False),
        ("人工智能、大数据服务", ["人工智能", ["大数据", "数据要素"]], True, True),
        ("餐饮服务", ["人工智能"], False, False),
        (None, ["人工智能"], False, None),
    ],
)
def test_contains_on_text(text: str | None, value: list[Any], every: bool, expected: Any) -> None:
    assert contains_text(text, value, every) is expected


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        ("人工智能技术服务", "人工智能*服务", True),
        ("服务人工智能", "人工智能*服务", False),
        ("a.b(c)", "a.b(c)", True),  # regex characters are literal
        ("axb(c)", "a.b(c)", False),
        ("x" * 50_000 + "y", "x*x*x*x*x*x*x*x*z", False),  # no backtracking blow-up
        (None, "人工智能", None),
    ],
)
def test_matches_is_a_literal_glob(text: str | None, pattern: str, expected: Any) -> None:
    assert matches_text(text, pattern) is expected
    rule = make_rule(cond("business_scope", "matches", pattern))
    row_out, vec = both(rule, [{"business_scope": text}])
    assert row_out[0].status.value == vec[0]["status"]


@pytest.mark.parametrize(
    ("op", "value", "problem"),
    [
        ("contains_any", [], "非空的关键词列表"),
        ("contains_all", ["人工智能", []], "同义词列表不应为空"),
        ("contains_any", ["  "], "关键词不应为空白"),
        ("matches", "***", "至少有一个字"),
        ("matches", ["a"], "文本式样"),
        ("known", True, "不带 value"),
    ],
)
def test_bad_text_conditions_are_refused(op: str, value: Any, problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        make_rule(cond("business_scope", op, value))


def test_known_is_unknown_when_missing_never_ineligible() -> None:
    rule = make_rule(cond("employees", "known"))
    row_out, vec = both(rule, [{"employees": 3}, {}])
    assert [o.status.value for o in row_out] == [v["status"] for v in vec]
    assert [o.status.value for o in row_out] == ["eligible", "unknown"]
    assert row_out[1].missing_fields == ["employees"]


@pytest.mark.parametrize(
    ("op", "inside"),
    [
        ("after", [False, True]),
        ("on_or_after", [True, True]),
        ("before", [False, False]),
        ("on_or_before", [True, False]),
    ],
)
def test_date_boundaries_are_exact(op: str, inside: list[bool]) -> None:
    rule = make_rule(cond("founded", op, "2022-07-01"))
    days = [dt.date(2022, 7, 1), dt.date(2022, 7, 2)]
    row_out, vec = both(rule, [{"founded": d} for d in days])
    expected = ["eligible" if i else "ineligible" for i in inside]
    assert [o.status.value for o in row_out] == [v["status"] for v in vec] == expected


def test_within_years_excludes_the_anniversary() -> None:
    # At 2022-07-01, 成立不满3年 means founded after 2019-07-01.
    rule = make_rule(cond("founded", "within_years", 3))
    days = [dt.date(2019, 7, 1), dt.date(2019, 7, 2), AS_OF, AS_OF + dt.timedelta(days=1)]
    row_out, vec = both(rule, [{"founded": d} for d in days])
    expected = ["ineligible", "eligible", "eligible", "ineligible"]
    assert [o.status.value for o in row_out] == [v["status"] for v in vec] == expected


# ---------------------------------------------------------------- hypothesis

SCOPES = ["人工智能软件开发", "大数据服务；ＡＩ训练", "餐饮服务", "Ai 平台；技术咨询", ""]
KEYWORDS = ["人工智能", "大数据", "ai", "服务", "技术"]

text_leaf = st.one_of(
    st.builds(
        lambda op, v: cond("business_scope", op, v),
        st.sampled_from(["contains_any", "contains_all"]),
        st.lists(
            st.one_of(st.sampled_from(KEYWORDS), st.lists(st.sampled_from(KEYWORDS), min_size=1)),
            min_size=1,
            max_size=3,
        ),
    ),
    st.builds(
        lambda v: cond("business_scope", "matches", v),
        st.sampled_from(["人工智能*开发", "*服务", "ai*训练", "数据"]),
    ),
    st.builds(lambda f: cond(f, "known"), st.sampled_from(["business_scope", "employees"])),
    st.builds(
        lambda op, d: cond("founded", op, d.isoformat()),
        st.sampled_from(["after", "on_or_after", "before", "on_or_before"]),
        st.dates(dt.date(2015, 1, 1), dt.date(2022, 12, 31)),
    ),
)


@st.composite
def text_rows(draw: Any) -> dict[str, Any]:
    row = draw(rows())
    row["business_scope"] = draw(st.one_of(st.none(), st.sampled_from(SCOPES)))
    return row


BENEFITS = [
    {
        "type": "tiered",
        "description": "d",
        "tiers": [
            {"when": cond("employees", "ge", 10), "amount_yuan": 5000, "quote": "q"},
            {
                "when": {"any": [cond("revenue", "ge", 300), cond("foreign_invested", "eq", True)]},
                "formula": {"per_head_yuan": 100, "field": "employees", "max_yuan": 900},
                "quote": "q",
            },
        ],
    },
    {
        "type": "computed",
        "description": "d",
        "quote": "q",
        "formula": {
            "rate": 0.013,
            "field": "revenue",
            "min_yuan": 10,
            "max_yuan": 30000,
            "round_down_to_yuan": 7,
        },
        "cap_yuan": 25000,
    },
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    criteria=st.one_of(trees, text_leaf, st.builds(lambda a, b: {"all": [a, b]}, text_leaf, trees)),
    benefit=st.sampled_from(BENEFITS),
    data=st.lists(text_rows(), min_size=1, max_size=8),
)
def test_new_conditions_and_amounts_agree(
    criteria: dict[str, Any], benefit: dict[str, Any], data: list[dict[str, Any]]
) -> None:
    rule = make_rule(criteria, benefit=benefit)
    row_out, vec = both(rule, data)
    for o, v in zip(row_out, vec, strict=True):
        assert o.status.value == v["status"]
        assert o.amount_yuan == v["amount_yuan"]
        assert o.missing_fields == [m for m in v["missing"].split("；") if m]
        assert "；".join(c.label for c in o.met) == v["met"]


# ---------------------------------------------------------------- --only-rules


def _cli(*args: str) -> tuple[int, str]:
    from typer.testing import CliRunner

    from matcher.cli import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


ROOT = Path(__file__).resolve().parents[1]
SOFTWARE = str(ROOT / "profiles" / "examples" / "beijing_software.yaml")


def test_report_explain_find_accept_only_rules() -> None:
    only = ["--rules", str(PATTERNS), "--only-rules", "--lang", "en"]
    code, text = _cli("report", SOFTWARE, "--format", "json", *only)
    assert code == 0, text
    assert "pat-size-tiers" in text and "bj-grad-expansion-subsidy" not in text
    code, text = _cli("explain", SOFTWARE, "bj-grad-expansion-subsidy", *only)
    assert code == 1 and "bj-grad-expansion-subsidy" in text  # the bundled rules are not loaded
    code, text = _cli("explain", SOFTWARE, "pat-scope-keyword", *only)
    assert code == 0, text
    demo = str(ROOT / "profiles" / "demo.csv")
    code, text = _cli("find", "pat-size-tiers", demo, *only)
    assert code == 0, text
    code, text = _cli("find", "bj-grad-expansion-subsidy", demo, *only)
    assert code == 1


def test_rule_docs_show_tiers_formulas_and_exclusivity() -> None:
    from matcher.authoring.ruledoc import render_rule

    rules = {r.id: r for r in load_rules([PATTERNS], replace=True).rules}
    tiers = render_rule(rules["pat-size-tiers"])
    assert "- 中型：100,000 元 —「对中型企业给予10万元补助」" in tiers
    assert "原文未量化金额" not in tiers
    formula = render_rule(rules["pat-revenue-rate"])
    assert "金额：5% × `revenue`，向下取整到 100 元，最高 1,000,000 元" in formula
    assert "不可同时享受（组 `pat-hiring-subsidy`）" in render_rule(rules["pat-expansion"])
