"""`policy-match interview`: a golden transcript for a Beijing firm whose hiring numbers are blank."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from matcher import api
from matcher.cli import app
from matcher.interview import interview, parse_answer, record_answer

REPO = Path(__file__).resolve().parents[1]
BLANK = REPO / "profiles" / "examples" / "beijing_hiring_blank.yaml"
GOLDEN = REPO / "tests" / "golden" / "interview_beijing_hiring_blank.txt"
DAY = dt.date(2022, 7, 1)
# The advisor's answers, in the order the questions come; then Enter (skip) for the rest.
ANSWERS = ["4", "否", "是", "6", "否", "2", "0", "大概吧", "否"]


def _run(tmp_path: Path) -> tuple[str, Path]:
    profile = tmp_path / "p.yaml"
    shutil.copy(BLANK, profile)
    answers = iter(ANSWERS)
    transcript: list[str] = []

    def ask(prompt: str) -> str:
        answer = next(answers, "")
        transcript.append(prompt + answer)
        return answer

    interview(profile, api.load_ruleset().rules, DAY, ask, transcript.append)
    return "\n".join(transcript) + "\n", profile


def test_interview_transcript_golden(tmp_path: Path) -> None:
    text, _ = _run(tmp_path)
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text, encoding="utf-8")
    assert text == GOLDEN.read_text(encoding="utf-8")


def test_interview_records_answers_and_the_first_question_is_the_money(tmp_path: Path) -> None:
    text, profile = _run(tmp_path)
    assert text.startswith("问题 1：请填写「其中本地高校毕业生人数」")
    assert "bj-grad-expansion-subsidy：待补充信息 → 符合，6,000 元" in text
    data = yaml.safe_load(profile.read_text(encoding="utf-8"))
    assert data["其中本地高校毕业生人数"] == 4
    assert data["与金砖国家有贸易投资往来"] == "否"
    assert "# 北京朝阳一家小型科技企业" in profile.read_text(encoding="utf-8")
    assert text.rstrip().endswith("没有能改变结果的待答问题了。")


def test_bad_answer_is_asked_again(tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    shutil.copy(BLANK, profile)
    answers = iter(["很多", "3", "q"])
    said: list[str] = []
    interview(profile, api.load_ruleset().rules, DAY, lambda _: next(answers), said.append)
    assert any("不是整数" in s and "请重新回答" in s for s in said)
    assert yaml.safe_load(profile.read_text(encoding="utf-8"))["其中本地高校毕业生人数"] == 3


def test_parse_and_record(tmp_path: Path) -> None:
    assert parse_answer("q_covid_hardship", "是") == "是"
    assert parse_answer("q_covid_hardship", "") is None
    assert parse_answer("grad_hires", "12人") == 12
    path = tmp_path / "x.yaml"
    path.write_text("企业名称: 甲\n# 备注\n受疫情影响暂时性经营困难: 否\n", encoding="utf-8")
    record_answer(path, "q_covid_hardship", "是")
    record_answer(path, "grad_hires", 3)
    assert path.read_text(encoding="utf-8") == (
        "企业名称: 甲\n# 备注\n受疫情影响暂时性经营困难: 是\n招用毕业年度高校毕业生人数: 3\n"
    )


def test_without_a_terminal_the_questions_are_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["interview", str(BLANK), "--as-of", "2022-07-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["as_of"] == "2022-07-01"
    assert data["questions"][0]["field"] == "grad_hires_local"
    assert data["questions"][0]["money_yuan"] == 1500
