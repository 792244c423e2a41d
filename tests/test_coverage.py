"""Coverage: articles, sentences, flags, and the corpus's completeness against the seed."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path
from typing import Any

import pytest

from matcher.authoring.coverage import (
    Omission,
    coverage_report,
    flag_reasons,
    load_omissions,
    render_coverage,
    split_sentences,
)
from matcher.authoring.texts import parse_toc, split_articles
from matcher.rule import Rule

REPO = Path(__file__).resolve().parents[1]
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SEED_SHA = "3566bd3294bc310f96a8521d6b0b2d49ba6c8557cdd5fd767cdf9525998e5699"


def _seed_text() -> str:
    path = SEEDS / "000_09f8efcab19704e2.txt"
    if not path.is_file():
        pytest.skip(f"no source text at {path} (../shared/seeds is absent in this checkout)")
    return path.read_text(encoding="utf-8")


# ------------------------------------------------------------------ a small synthetic source

TOY = textwrap.dedent(
    """\
    本期要目

    - 1、甲文章
    (来源：甲)
    - 2、乙：文章 二
    (来源：乙)

    甲文章

    对招用毕业生的企业给予每人1500元补助。去年发放补贴2000万元。政府将优先支持

    持试点企业，推动协同。

    乙：文章二

    严禁新建燃煤自备电厂。
    来源：乙
    附录：支持单位名单
    """
)


def _rule(rule_id: str, article: int, quotes: list[str], sha: str) -> Rule:
    data: dict[str, Any] = {
        "id": rule_id,
        "title": "测试",
        "title_en": "test",
        "authority": "测试",
        "kind": "cash_subsidy",
        "published": "2022-06-28",
        "source": {
            "document": "测试",
            "sha256": sha,
            "article": article,
            "article_title": "测试",
            "quotes": quotes,
        },
        "validity": {"stated": False},
        "criteria": {
            "all": [
                {
                    "field": "employees",
                    "op": "ge",
                    "value": 1,
                    "label": "有员工",
                    "assumption": True,
                }
            ]
        },
        "benefit": {"type": "unquantified", "description": "测试"},
    }
    return Rule.model_validate(data)


def test_toc_titles() -> None:
    assert parse_toc(TOY) == [(1, "甲文章"), (2, "乙：文章 二")]


def test_articles_found_by_title_ignoring_punctuation_and_spaces() -> None:
    arts = split_articles(TOY)
    assert [(a.number, a.text.splitlines()[0]) for a in arts] == [(1, "甲文章"), (2, "乙：文章二")]
    assert "附录" not in arts[1].text  # the last article ends at its 来源 line


def test_sentences_rejoin_page_breaks() -> None:
    sentences = split_sentences(split_articles(TOY)[0].text)
    assert "政府将优先支持试点企业，推动协同。" in sentences
    assert "对招用毕业生的企业给予每人1500元补助。" in sentences


def test_flags() -> None:
    assert flag_reasons("给予每人1500元的一次性扩岗补助") == ["1500元", "补助", "给予"]
    assert flag_reasons("推动船舶靠港使用岸电") == ["推动"]
    assert flag_reasons("党中央高度重视高校毕业生就业") == []


def test_toy_report() -> None:
    sha = hashlib.sha256(TOY.encode("utf-8")).hexdigest()
    rules = [_rule("toy-subsidy", 1, ["给予每人1500元补助"], sha)]
    omissions = [
        Omission(article=1, quote="去年发放补贴2000万元", reason="统计数据"),
        Omission(article=2, quote="这句话不存在", reason="过时"),
    ]
    cov = coverage_report(rules, TOY, omissions)
    one, two = cov.articles
    assert one.rules == ["toy-subsidy"] and two.rules == []
    assert [s.text for s in one.quoted] == ["对招用毕业生的企业给予每人1500元补助。"]
    assert [s.omission for s in one.omitted] == ["统计数据"]
    assert [s.text for s in one.unaccounted] == ["政府将优先支持试点企业，推动协同。"]
    assert [s.text for s in two.unaccounted] == ["严禁新建燃煤自备电厂。"]
    assert [om.quote for om in cov.stale_omissions] == ["这句话不存在"]
    assert not cov.complete
    zh = render_coverage(cov)
    assert "[1.4] 政府将优先支持试点企业，推动协同。" in zh
    assert "覆盖未完成。" in zh
    en = render_coverage(cov, "en")
    assert "flagged 3: quoted 1, omitted 1, unaccounted 1" in en
    assert "Coverage incomplete." in en


def test_rules_of_another_source_are_ignored() -> None:
    rules = [_rule("elsewhere", 1, ["给予每人1500元补助"], "0" * 64)]
    cov = coverage_report(rules, TOY, [])
    assert all(a.rules == [] for a in cov.articles)


# ----------------------------------------------------------------------- the real corpus


@pytest.fixture(scope="module")
def corpus_coverage() -> Any:
    text = _seed_text()
    from matcher.loader import load_rules

    ruleset = load_rules([REPO / "rules"], replace=True)
    assert not ruleset.errors, [str(e) for e in ruleset.errors]
    omissions = load_omissions(REPO / "rules" / "omissions.yaml")
    assert omissions.source_sha256 == SEED_SHA
    return coverage_report(ruleset.rules, text, omissions)


def test_seed_has_nine_articles() -> None:
    arts = split_articles(_seed_text())
    assert [a.number for a in arts] == list(range(1, 10))
    assert arts[4].title.startswith("《工业和信息化部等十一部门关于开展“携手行动”")


def test_every_article_has_a_rule_except_the_statistics_bulletin(corpus_coverage: Any) -> None:
    assert [a.number for a in corpus_coverage.articles if not a.rules] == [9]
    nine = corpus_coverage.articles[8]
    assert nine.settled and len(nine.omitted) == len(nine.flagged) > 0


# Every measure issue 13 named without a rule: each is a rule quote or a named omission.
ISSUE_13_MEASURES = {
    1: [
        "数据分类分级",
        "重要数据出境",
        "等级保护",
        "密码应用",
        "算法",
        "追溯",
        "企事业单位拓展",
        "智慧应急",
        "雪亮工程",
        "智能感知",
        "一张图",
        "地理信息",
        "数字档案",
    ],
    3: ["一次性创业补贴", "创业担保贷款"],
    6: ["招聘信息共享", "一网通办", "科研助理", "养老服务", "社会工作"],
    7: ["冬季清洁取暖", "VOCs", "节能降耗", "水泥窑"],
    8: ["先上岗、再考证"],
}


def test_issue_13_measures_are_rules_or_named_omissions(corpus_coverage: Any) -> None:
    from matcher.loader import load_rules

    rules = load_rules([REPO / "rules"], replace=True).rules
    for article, words in ISSUE_13_MEASURES.items():
        art = corpus_coverage.articles[article - 1]
        texts = [q for r in rules if r.source.article == article for q in r.source.quotes]
        texts += [f"{m.measure} {m.quote}" for m in art.measures]
        for word in words:
            assert any(word in t for t in texts), (article, word)


def test_named_measures_are_listed_with_reasons(corpus_coverage: Any) -> None:
    text = render_coverage(corpus_coverage)
    assert "省略的措施" in text and "北方地区冬季清洁取暖：" in text


def test_no_flagged_sentence_unaccounted(corpus_coverage: Any) -> None:
    left = [
        f"[{s.article}.{s.index}] {s.text}" for a in corpus_coverage.articles for s in a.unaccounted
    ]
    assert left == []


def test_no_stale_omission(corpus_coverage: Any) -> None:
    assert [om.quote for om in corpus_coverage.stale_omissions] == []
    assert corpus_coverage.complete
    assert "覆盖完整" in render_coverage(corpus_coverage)
