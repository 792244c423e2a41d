"""Malformed rule files are refused with file:line:column, rule id, field and expectation."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
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


# ------------------------------------------------------------- hostile rule files

GOOD = bundled_rules_dir() / "bj-grad-expansion-subsidy.yaml"


def _refusal(path: Path) -> str:
    rule, errors = load_rule_file(path)
    assert rule is None and len(errors) == 1
    assert errors[0].location.line is not None  # always file:line:col
    return str(errors[0])


def test_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    from matcher.loader import MAX_RULE_FILE_BYTES

    path = tmp_path / "big.yaml"
    line = "# " + "政" * 40 + "\n"
    path.write_text(line * (MAX_RULE_FILE_BYTES // len(line.encode()) + 2), encoding="utf-8")
    message = _refusal(path)
    assert f"{MAX_RULE_FILE_BYTES // 1024} KB" in message and "拆分" in message
    assert message.startswith(f"{path}:{MAX_RULE_FILE_BYTES // len(line.encode()) + 1}:")


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / GOOD.name
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.read_bytes())
    rule, errors = load_rule_file(path)
    assert errors == [] and rule is not None


def test_any_alias_is_refused_where_it_is_used(tmp_path: Path) -> None:
    path = tmp_path / GOOD.name
    text = GOOD.read_text(encoding="utf-8").replace("title_en:", "x_en: &t 1\ntitle_en:", 1)
    path.write_text(text + "notes: [*t]\n", encoding="utf-8")
    message = _refusal(path)
    last = len(text.splitlines()) + 1
    assert f":{last}:9: " in message and "别名" in message


def test_duplicate_key_deep_in_criteria_is_refused(tmp_path: Path) -> None:
    path = tmp_path / GOOD.name
    text = GOOD.read_text(encoding="utf-8")
    path.write_text(text.replace("op: ge\n", "op: ge\n      op: le\n", 1), encoding="utf-8")
    assert "键「op」重复" in _refusal(path)


def test_yaml_syntax_errors_are_worded_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    for text, words in [
        ("id: x\n\ttitle: y\n", "制表符"),
        ("id: x\ntitle: a: b\n", "加引号"),
        ("id: 'x\n", "引号未闭合"),
        ("id: x\n---\nid: y\n", "一个 YAML 文档"),
        ("id: !!python/object:os.system x\n", "标签"),
    ]:
        path.write_text(text, encoding="utf-8")
        assert words in _refusal(path), text


def test_alias_bomb_is_refused_within_a_memory_cap() -> None:
    """The 9**9 expansion would need gigabytes; under a 1 GB cap the refusal still comes."""
    import subprocess
    import sys

    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from pathlib import Path\n"
        "from matcher.loader import load_rule_file\n"
        "rule, errors = load_rule_file(Path(sys.argv[1]))\n"
        "print(errors[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(BAD / "alias-bomb.yaml")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "别名" in done.stdout and "alias-bomb.yaml:3:8" in done.stdout


def test_wide_but_shallow_file_is_refused_by_node_count(tmp_path: Path) -> None:
    from matcher.loader import MAX_YAML_NODES

    path = tmp_path / "wide.yaml"
    path.write_text("notes: [" + ", ".join(["a"] * MAX_YAML_NODES) + "]\n", encoding="utf-8")
    assert f"{MAX_YAML_NODES} 个" in _refusal(path)


def test_unreadable_path_is_an_error_not_a_crash(tmp_path: Path) -> None:
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    assert "无法读取" in str(load_rule_file(folder)[1][0])


def test_a_rules_path_that_adds_nothing_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    ruleset = load_rules([tmp_path])
    assert [e.message for e in ruleset.errors] == ["目录中没有规则文件（*.yaml）"]
    ruleset = load_rules([Path("/dev/null")])
    assert [e.message for e in ruleset.errors] == ["不是规则文件或目录"]


def test_without_libyaml_the_same_files_are_refused(monkeypatch: Any) -> None:
    """The pure-Python loader (when libyaml is missing) refuses the same files, never
    recursing into a stack overflow."""
    import matcher.loader as loader

    monkeypatch.setattr(loader, "_FastLoader", loader.RuleLoader)
    for path in sorted(BAD.glob("*.yaml")):
        rule, errors = load_rule_file(path)
        assert rule is None and errors, path
        assert all(e.location.line for e in errors), path
    assert "嵌套超过 40 层" in str(load_rule_file(BAD / "deep-flow.yaml")[1][0])


@pytest.mark.parametrize(
    ("field", "op", "value", "words"),
    [
        ("employees", "ge", "!!binary aGVsbG8=", "b'hello'"),
        ("business_scope", "in", "!!set {a, b}", "非空列表"),
        ("founded", "ge", "!!timestamp 2022-01-01T10:00:00", "YYYY-MM-DD"),
        ("size", "in", "!!omap [a: 1]", "第 1 项"),
        ("revenue", "ge", ".NaN", "有限"),
        ("employees", "ge", "!!str 5", "'5'"),
        ("region", "in_region", "[!!int '110000']", "加引号"),
        ("employees", "ge", "0x1F", None),  # YAML's own number forms are fine
        ("founded", "ge", "!!timestamp 2022-01-01", None),
    ],
)
def test_yaml_tags_give_a_sane_value_or_a_refusal(
    tmp_path: Path, field: str, op: str, value: str, words: str | None
) -> None:
    text = (BAD / "bad-values.yaml").read_text(encoding="utf-8").split("criteria:")[0]
    path = tmp_path / "bad-values.yaml"
    condition = f"{{field: {field}, op: {op}, value: {value}, label: c, quote: q}}"
    path.write_text(f"{text}criteria: {condition}\n", encoding="utf-8")
    rule, errors = load_rule_file(path)
    if words is None:
        assert errors == [] and rule is not None
    else:
        assert rule is None and errors[0].field == "criteria.value"
        assert words in errors[0].message
