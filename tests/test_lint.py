"""Rule lint: quote normalisation, the checks, and the exact user-facing output."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from matcher.authoring.lint import CODES, format_issues, lint_paths, lint_rules
from matcher.authoring.texts import collapse_page_breaks, normalise

SOURCE = textwrap.dedent(
    """\
    本期要目

    - 1、测试文章
    (来源：测试)

    测试文章

    数字技术在新冠肺炎疫情

    情防控中发挥重要支撑作用。对招用毕业年度本市高校毕业生的用人单位给予每人1500元的一次性扩岗补助。
    """
)


# --------------------------------------------------------------------------- normalisation


def test_whitespace_removed_and_nfkc() -> None:
    assert normalise("数字 政府\n建设，（一）\u3000完") == "数字政府建设,(一)完"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("新冠肺炎疫情\n\n情防控中", "新冠肺炎疫情防控中"),
        ("人民群众获\n\n获得感", "人民群众获得感"),
        ("疫情 \n \n 情防控", "疫情防控"),
        ("疫情\n\n\n情防控", "疫情防控"),
    ],
)
def test_page_break_repeat_collapsed(text: str, expected: str) -> None:
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("常常谢谢人人", "常常谢谢人人"),  # doubled characters inside a line are real
        ("疫情\n情防控", "疫情情防控"),  # a plain line break is not a page break
        ("要求。\n\n。", "要求。。"),  # punctuation is never collapsed
        ("甲乙\n\n丙丁", "甲乙丙丁"),  # a break without a repeat is only joined
    ],
)
def test_only_repeats_across_a_blank_line_collapse(text: str, expected: str) -> None:
    assert normalise(text) == expected


def test_collapse_keeps_the_break() -> None:
    assert collapse_page_breaks("疫情\n\n情防控") == "疫情\n\n防控"


def test_seed_has_exactly_the_two_known_repeats() -> None:
    seeds = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip(f"no source texts at {seeds} (../shared/seeds is absent in this checkout)")
    text = next(seeds.glob("*.txt")).read_text(encoding="utf-8")
    collapsed = collapse_page_breaks(text)
    assert len(text) - len(collapsed) == 2
    assert "疫情防控中发挥重要支撑作用" in normalise(text)
    assert "增强人民群众获得感" in normalise(text)


# --------------------------------------------------------------------------------- a rule


def _rule_yaml(rule_id: str, quotes: list[str], *, cases: str | None = None) -> str:
    quoted = "\n".join(f"    - {q}" for q in quotes)
    sha = hashlib.sha256(SOURCE.encode("utf-8")).hexdigest()
    default_cases = """\
  - name: 有员工
    profile: {name: 甲, employees: 3}
    expect: eligible
  - name: 无员工
    profile: {name: 乙, employees: 0}
    expect: ineligible
"""
    return f"""\
id: {rule_id}
title: 测试规则
title_en: test rule
authority: 测试机关
kind: matchmaking_service
published: 2022-06-28
source:
  document: 测试文档
  sha256: {sha}
  article: 1
  article_title: 测试文章
  quotes:
{quoted}
validity:
  stated: false
  note: 未写明。
criteria:
  all:
    - field: employees
      op: ge
      value: 1
      label: 有从业人员
      quote: 对招用毕业年度本市高校毕业生的用人单位
benefit:
  type: unquantified
  description: 测试。
how_to_apply: 原文未写明申请方式。
cases:
{cases if cases is not None else default_cases}"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "sources").mkdir()
    (tmp_path / "sources" / "newsletter.txt").write_text(SOURCE, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _write(workdir: Path, name: str, text: str) -> None:
    (workdir / "rules" / name).write_text(text, encoding="utf-8")


GOLDEN = """\
rules/fake-rule.yaml:14:7: Q001 引文「数字技术在新冠肺炎疫情防控中发挥关键作用」在来源文本中找不到
  = help: 原文只对得上开头「数字技术在新冠肺炎疫情防控中发挥」，其后不一致；请逐字照录原文
rules/fake-rule.yaml:15:7: Q003 引文「毕业生」只有 3 字，可能有歧义
  = help: 引用至少 6 字、能唯一定位的一个分句
rules/fake-rule.yaml:30:1: R003 规则 fake-rule 没有 expect: unknown 的测试用例
  = help: 补一个 unknown 用例；结构上不可能时在 notes 中写明原因（含“unknown”）
发现 2 个错误，1 个警告。"""


def test_golden_output(workdir: Path) -> None:
    _write(
        workdir,
        "fake-rule.yaml",
        _rule_yaml(
            "fake-rule",
            [
                "数字技术在新冠肺炎疫情防控中发挥重要支撑作用",  # across the page break: fine
                "数字技术在新冠肺炎疫情防控中发挥关键作用",  # wrong
                "毕业生",  # too short
            ],
        ),
    )
    issues, count = lint_paths([Path("rules")], Path("sources"))
    assert count == 1
    assert format_issues(issues) == GOLDEN


def test_wrong_quote_is_an_error_naming_the_quote(workdir: Path) -> None:
    _write(workdir, "r-one.yaml", _rule_yaml("r-one", ["给予每人2000元的一次性扩岗补助"]))
    issues, _ = lint_paths([Path("rules")], Path("sources"))
    wrong = [i for i in issues if i.code == "Q001"]
    assert len(wrong) == 1
    assert wrong[0].severity == "error"
    assert wrong[0].rule_id == "r-one"
    assert wrong[0].message == "引文「给予每人2000元的一次性扩岗补助」在来源文本中找不到"
    assert str(wrong[0]).startswith("rules/r-one.yaml:13:7: Q001 ")


def test_correct_rule_is_clean(workdir: Path) -> None:
    cases = """\
  - name: 有员工
    profile: {name: 甲, employees: 3}
    expect: eligible
  - name: 无员工
    profile: {name: 乙, employees: 0}
    expect: ineligible
  - name: 未填
    profile: {name: 丙}
    expect: unknown
    expect_missing: [employees]
"""
    _write(
        workdir, "r-ok.yaml", _rule_yaml("r-ok", ["给予每人1500元的一次性扩岗补助"], cases=cases)
    )
    issues, _ = lint_paths([Path("rules")], Path("sources"))
    assert issues == []
    assert format_issues(issues) == "全部通过。"


def test_missing_source_warns_or_fails(workdir: Path) -> None:
    _write(workdir, "r-two.yaml", _rule_yaml("r-two", ["给予每人1500元的一次性扩岗补助"]))
    for require, severity in ((False, "warning"), (True, "error")):
        issues, _ = lint_paths([Path("rules")], workdir / "nowhere", require_sources=require)
        missing = [i for i in issues if i.code == "Q002"]
        assert len(missing) == 2  # the source quote and the condition quote
        assert all(i.severity == severity for i in missing)
        assert all("未找到来源文件，无法核对引文" in i.message for i in missing)


def test_file_name_and_duplicate_ids(workdir: Path) -> None:
    _write(workdir, "r-three.yaml", _rule_yaml("r-three", ["给予每人1500元的一次性扩岗补助"]))
    _write(workdir, "other-name.yaml", _rule_yaml("r-three", ["给予每人1500元的一次性扩岗补助"]))
    issues, _ = lint_paths([Path("rules")], Path("sources"))
    codes = {i.code for i in issues}
    assert {"R001", "R002"} <= codes
    r002 = next(i for i in issues if i.code == "R002")
    assert r002.message == "文件名「other-name.yaml」应为 r-three.yaml"


def test_missing_case_excused_by_a_note(workdir: Path) -> None:
    text = _rule_yaml("r-four", ["给予每人1500元的一次性扩岗补助"]).replace(
        "how_to_apply:", "notes:\n  - 结构上不可能出现 unknown：条件字段总有值。\nhow_to_apply:"
    )
    _write(workdir, "r-four.yaml", text)
    issues, _ = lint_paths([Path("rules")], Path("sources"))
    assert not [i for i in issues if i.code == "R003"]


def test_lint_rules_without_files_names_the_rule_file(workdir: Path) -> None:
    from matcher.loader import load_rule_file

    _write(workdir, "r-five.yaml", _rule_yaml("r-five", ["一次性扩岗补助是假的引文"]))
    rule, errors = load_rule_file(workdir / "rules" / "r-five.yaml")
    assert rule is not None and not errors
    issues = lint_rules([rule], Path("sources"))
    q001 = next(i for i in issues if i.code == "Q001")
    assert q001.location == "rules/r-five.yaml"  # no invented line numbers


def test_every_code_is_catalogued() -> None:
    assert all(code[0] in "QR" and len(code) == 4 for code in CODES)
    assert all(sev in ("error", "warning") for sev, _ in CODES.values())


def test_quote_from_another_article_is_flagged() -> None:
    seeds = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    if not seeds.is_dir():
        pytest.skip(f"no source texts at {seeds} (../shared/seeds is absent in this checkout)")
    from matcher.loader import load_rule_file

    repo_rules = Path(__file__).resolve().parents[1] / "rules"
    rule, errors = load_rule_file(repo_rules / "bj-grad-expansion-subsidy.yaml")
    assert rule is not None and not errors
    assert lint_rules([rule], seeds, require_sources=True) == []
    moved = rule.model_copy(update={"source": rule.source.model_copy(update={"article": 6})})
    issues = lint_rules([moved], seeds, require_sources=True)
    assert {i.code for i in issues} == {"Q004"}
    assert "不在第6篇中，而在第3篇" in issues[0].message


# ------------------------------------------------ files the loader refuses are lint errors

BAD_RULES = Path(__file__).parent / "data" / "bad_rules"


def test_files_that_do_not_load_are_r011_with_their_location() -> None:
    issues, count = lint_paths([BAD_RULES], None)
    assert count == 0
    assert issues and all(i.code == "R011" and i.severity == "error" for i in issues)
    assert all(i.line is not None for i in issues)  # file:line:col for each
    by_file: dict[str, list[str]] = {}
    for i in issues:
        by_file.setdefault(Path(i.path).name, []).append(i.message)
    assert set(by_file) == {p.name for p in BAD_RULES.glob("*.yaml")}
    values = "\n".join(by_file["bad-values.yaml"])
    for words in [
        "100000",
        "第 2 项「'a'」",
        "「123」",
        "nan",
        "-inf",
        "9999-12-31",
        "高新技术企业",
    ]:
        assert words in values
    assert "criteria.all.0.value" in values


def test_rules_lint_command_reports_every_refusal_and_fails(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from matcher.cli import app

    for path in BAD_RULES.glob("*.yaml"):
        (tmp_path / path.name).write_bytes(path.read_bytes())
    result = CliRunner().invoke(app, ["rules", "lint", "--rules", str(tmp_path)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    for name in [
        "alias-bomb",
        "deep-flow",
        "deep-block",
        "duplicate-key",
        "non-utf8",
        "bad-values",
    ]:
        assert f"{tmp_path / name}.yaml:" in result.output
    assert "within_years 的 value 应为 1 到 100 之间的整数年数" in result.output


def test_scope_industries_is_type_checked_with_its_location(tmp_path: Path) -> None:
    pattern = Path(__file__).parent / "data" / "patterns" / "pat-scope-manufacturing.yaml"
    text = pattern.read_text(encoding="utf-8")
    (tmp_path / "pat-scope-manufacturing.yaml").write_text(
        text.replace("op: any_in_industry", "op: in_industry"), encoding="utf-8"
    )
    issues, count = lint_paths([tmp_path], None)
    assert count == 0
    (issue,) = issues
    assert issue.code == "R011" and issue.line == 21
    assert "不支持运算「in_industry」" in issue.message and "any_in_industry" in issue.message
    (tmp_path / "pat-scope-manufacturing.yaml").write_text(
        text.replace("  - C\n", "  - C99\n"), encoding="utf-8"
    )
    (issue,) = lint_paths([tmp_path], None)[0]
    assert "GB/T 4754" in issue.message and "C99" in issue.message
