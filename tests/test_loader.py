"""Malformed rule files are refused with file:line:column, rule id, field and expectation."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from matcher.loader import bundled_rules_dir, load_rule_file, load_rules

BAD = Path(__file__).parent / "data" / "bad_rules"
GOLDEN = Path(__file__).parent / "golden" / "bad_rules.txt"


def _messages() -> str:
    lines = []
    for path in sorted(BAD.glob("*.yaml")):
        _, errors = load_rule_file(path)
        lines += [str(e).replace(str(BAD) + os.sep, "") for e in errors]
    return "\n".join(lines) + "\n"


def test_bad_rule_messages_match_golden() -> None:
    text = _messages()
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_bad_rules_name_line_and_field() -> None:
    _, errors = load_rule_file(BAD / "bad-field.yaml")
    by_field = {e.field: e for e in errors}
    unknown = by_field["criteria.all.0.field"]
    assert unknown.location.line == 16
    assert "grad_hire_local" in unknown.message and "grad_hires_local" in unknown.message
    assert all(e.rule_id == "bad-field" for e in errors)


def test_broken_yaml_points_at_line() -> None:
    _, errors = load_rule_file(BAD / "broken-yaml.yaml")
    assert len(errors) == 1
    assert errors[0].location.line == 3
    assert "YAML" in errors[0].message


def test_bundled_rules_load_cleanly() -> None:
    ruleset = load_rules()
    assert ruleset.errors == []
    assert ruleset.by_id("bj-grad-expansion-subsidy") is not None


def test_extra_dir_with_bad_rules_reports_and_keeps_good_ones() -> None:
    ruleset = load_rules([BAD])
    assert {e.rule_id for e in ruleset.errors} >= {"bad-field", "bad-kind"}
    assert ruleset.by_id("bj-grad-expansion-subsidy") is not None


def test_fast_yaml_loader_reads_rules_like_the_reference_loader() -> None:
    """libyaml (when present) and the pure-Python loader give the same data, dates as text."""
    from matcher.loader import RuleLoader, _FastLoader

    files = sorted(bundled_rules_dir().glob("*.yaml"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=_FastLoader) == yaml.load(text, Loader=RuleLoader), path
    assert yaml.load("d: 2022-06-28", Loader=_FastLoader) == {"d": "2022-06-28"}


def test_rule_with_too_many_conditions_is_refused(tmp_path: Path) -> None:
    source = (bundled_rules_dir() / "bj-grad-expansion-subsidy.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(source)
    data["criteria"] = {
        "all": [
            {"field": "employees", "op": "ge", "value": i, "label": f"≥{i}", "assumption": True}
            for i in range(65)
        ]
    }
    path = tmp_path / "bj-grad-expansion-subsidy.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    rule, errors = load_rule_file(path)
    assert rule is None
    assert "最多 64 个条件" in str(errors[0])
