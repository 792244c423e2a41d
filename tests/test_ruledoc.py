"""Rule documentation: rules/README.md is generated, never hand-edited."""

from __future__ import annotations

from pathlib import Path

import pytest

from matcher.authoring.ruledoc import HEADINGS, main, render_rule, render_rules_readme
from matcher.loader import load_rules
from matcher.rule import Rule

REPO = Path(__file__).resolve().parents[1]
RULES_DIR = REPO / "rules"


@pytest.fixture(scope="module")
def rules() -> list[Rule]:
    ruleset = load_rules([RULES_DIR], replace=True)
    assert not ruleset.errors, [str(e) for e in ruleset.errors]
    return ruleset.rules


def test_readme_is_the_generated_output(rules: list[Rule]) -> None:
    """CI check: regenerate with `python -m matcher.authoring.ruledoc --write` after editing a rule."""
    current = (RULES_DIR / "README.md").read_text(encoding="utf-8")
    assert current == render_rules_readme(rules), (
        "rules/README.md is stale or hand-edited: run python -m matcher.authoring.ruledoc --write"
    )


def test_check_mode_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check", "--rules", str(RULES_DIR)]) == 0


def test_deterministic_and_order_independent(rules: list[Rule]) -> None:
    assert render_rules_readme(rules) == render_rules_readme(list(reversed(rules)))


def test_every_rule_has_the_fixed_headings_in_order(rules: list[Rule]) -> None:
    readme = render_rules_readme(rules)
    for rule in rules:
        start = readme.index(f'<a id="{rule.id}"></a>')
        end = readme.find('<a id="', start + 1)
        section = readme[start : end if end > 0 else len(readme)]
        positions = [section.index(f"#### {h}\n") for h in HEADINGS["zh"]]
        assert positions == sorted(positions), rule.id
        assert f"| [{rule.id}](#{rule.id}) |" in readme


def test_show_zh_and_en(rules: list[Rule]) -> None:
    by_id = {r.id: r for r in rules}
    zh = render_rule(by_id["bj-grad-expansion-subsidy"])
    assert zh.startswith("# bj-grad-expansion-subsidy：")
    for heading in HEADINGS["zh"]:
        assert f"## {heading}\n" in zh
    assert "金额：每人 1,500 元 × 其中本地高校毕业生人数（`grad_hires_local`）" in zh
    assert "未注明有效期" in zh
    assert "> 对招用毕业年度本市高校毕业生的用人单位给予每人1500元的一次性扩岗补助" in zh
    en = render_rule(by_id["bj-grad-expansion-subsidy"], "en")
    for heading in HEADINGS["en"]:
        assert f"## {heading}\n" in en
    assert "1,500 yuan per head × `grad_hires_local`" in en


def test_assumptions_and_audience_are_marked(rules: list[Rule]) -> None:
    by_id = {r.id: r for r in rules}
    fee = render_rule(by_id["bj-startup-guarantee-fee-waiver"])
    # Issue 13: who is targeted is a condition or a question, never an assumption.
    assert not any(r.assumed_conditions() for r in rules)
    assert "- 申请或持有创业担保贷款 — `q_startup_guarantee_loan` 等于 是" in fee
    assert "问题（画像无此字段，须询问企业）：企业（或创办人）是否申请或持有创业担保贷款？" in fee
    assert "按发布后12个月内有效判定" in fee
    hires = render_rule(by_id["bj-grad-job-search-subsidy"])
    assert "您的员工（由员工本人享受，不计入企业可得金额）" in hires
    assert "该待遇由员工本人享受，不计入企业可得金额。" in hires
    dated = render_rule(by_id["mohrss-2022-grad-youth-campaign"])
    assert "2022-07-01至2022-12-31" in dated
    assert "原文：「人力资源和社会保障部近日部署于7月至12月」" in dated
