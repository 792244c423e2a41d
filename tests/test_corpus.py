"""The rule corpus: every rule loads, lints clean against its source, and carries its cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.authoring.lint import format_issues, lint_rules
from matcher.loader import load_rules
from matcher.rule import Rule

REPO = Path(__file__).resolve().parents[1]
RULES_DIR = REPO / "rules"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"

RULESET = load_rules([RULES_DIR], replace=True)
RULES = {r.id: r for r in RULESET.rules}


def test_every_rule_file_loads() -> None:
    assert [str(e) for e in RULESET.errors] == []
    files = sorted(
        p.stem
        for p in RULES_DIR.glob("*.yaml")
        if p.name not in ("omissions.yaml", "questions.yaml")
    )
    assert files == sorted(RULES)


def test_lint_clean_against_the_seed() -> None:
    if not SEEDS.is_dir():
        pytest.skip(f"no source texts at {SEEDS} (../shared/seeds is absent in this checkout)")
    issues = lint_rules(RULESET.rules, SEEDS, files=RULESET.files, require_sources=True)
    assert issues == [], format_issues(issues)


def test_issue_two_policies_exist() -> None:
    required = {
        "bj-grad-expansion-subsidy",
        "bj-grad-social-insurance-subsidy",
        "xs-srdi-sme-chain",
        "xs-little-giant-matching",
        "xs-large-enterprise-lead",
        "fdi-encouraged-catalogue",
    }
    assert required <= set(RULES)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_has_eligible_ineligible_unknown_cases(rule_id: str) -> None:
    rule: Rule = RULES[rule_id]
    statuses = {c.expect_status for c in rule.cases}
    missing = {"eligible", "ineligible", "unknown"} - statuses
    explained = {s for s in missing if s in " ".join(rule.notes)}
    assert missing == explained, f"{rule_id} lacks {sorted(missing - explained)} cases"
    for case in rule.cases:
        if case.expect_status == "unknown":
            assert case.expect_missing, f"{rule_id} / {case.name}: name the missing fields"


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_rule_cases_pass(rule_id: str) -> None:
    from matcher.authoring.casetest import run_cases

    failed = [(r.case, r.problems) for r in run_cases([RULES[rule_id]]) if not r.passed]
    assert failed == []


def test_individual_measures_are_not_enterprise_money() -> None:
    personal = [r for r in RULES.values() if r.audience.value != "enterprise"]
    assert {r.id for r in personal} >= {
        "bj-grad-job-search-subsidy",
        "bj-grad-remote-tuition-compensation",
        "bj-grad-flexible-employment-si-subsidy",
        "bj-grad-rental-housing",
    }


def test_no_2022_measure_without_stated_end_is_eligible_years_later() -> None:
    import datetime as dt

    from matcher.batch import match_row
    from matcher.normalize import normalise, profile_to_raw

    later = dt.date(2026, 12, 7)
    open_ended = [r for r in RULES.values() if r.validity.until is None]
    assert open_ended
    for rule in open_ended:
        for case in rule.cases:
            if case.expect_status != "eligible":
                continue
            row = normalise(profile_to_raw(case.profile), today=later).frame.row(0, named=True)
            (out,) = match_row(row, [rule], later)
            assert out.status.value == "unknown", (rule.id, case.name)
            assert out.missing_fields[-1] == "in_force"


def test_every_question_quotes_the_seed_and_is_used() -> None:
    from matcher.authoring.texts import collapse_page_breaks, normalise
    from matcher.fields import QUESTIONS

    if not SEEDS.is_dir():
        pytest.skip(f"no source texts at {SEEDS}")
    (seed,) = SEEDS.glob("000_*.txt")
    text = normalise(collapse_page_breaks(seed.read_text(encoding="utf-8")))
    used = {c.field for r in RULES.values() for c in r.leaves()}
    for q in QUESTIONS:
        assert normalise(q.quote) in text, q.id
        assert q.field in used, f"{q.id} is asked by no rule"


def test_issue_13_proxies_are_gone() -> None:
    import datetime as dt

    from matcher.batch import match_row
    from matcher.normalize import normalise, profile_to_raw

    day = dt.date(2022, 7, 1)

    def status(rule_id: str, profile: dict[str, object]) -> str:
        row = normalise(profile_to_raw(profile), today=day).frame.row(0, named=True)
        return match_row(row, [RULES[rule_id]], day)[0].status.value

    restaurant = {
        "name": "乙餐饮",
        "foreign_invested": "是",
        "industry": "H6210",
        "region": "四川省成都市",
        "business_scope": "餐饮服务",
    }
    assert status("fdi-encouraged-catalogue", restaurant) != "eligible"
    employer = {"name": "甲科技", "region": "北京市海淀区", "grad_hires": 3, "grad_hires_local": 3}
    assert status("bj-grad-job-search-subsidy", employer) != "eligible"
    founder = {"name": "丙工作室", "region": "北京市朝阳区", "founder_is_graduate": "是"}
    assert status("bj-grad-flexible-employment-si-subsidy", founder) == "unknown"
