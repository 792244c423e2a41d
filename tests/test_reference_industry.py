"""GB/T 4754-2017 codes: normalisation, containment (row and polars) and text resolution."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from matcher.reference import data
from matcher.reference.industry import (
    industry_codes,
    industry_contains,
    industry_contains_expr,
    industry_exists,
    industry_name,
    industry_parent,
    normalize_industry_code,
    resolve_industries,
    resolve_industry,
)
from matcher.reference.resolution import Resolution

EVAL = Path(__file__).resolve().parent / "data" / "eval_industry.csv"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3011", "C3011"), ("C3011", "C3011"), ("c30", "C30"), ("30", "C30"), ("C", "C"),
        ("301", "C301"), (" I65 ", "I65"), ("Ｉ６５", "I65"), ("01", "A01"), ("0111", "A0111"),
        ("7010", "K7010"), ("c 30.11", "C3011"),
        ("A30", None), ("99", None), ("Z", None), ("3", None), ("30111", None), ("", None),
        ("软件", None),
    ],
)  # fmt: skip
def test_normalize_industry_code(raw: str, expected: str | None) -> None:
    assert normalize_industry_code(raw) == expected


def test_exists_name_parent() -> None:
    assert industry_exists("6513") and not industry_exists("6598")
    assert industry_name("I65") == "软件和信息技术服务业"
    assert industry_name("K7010") == "房地产开发经营"
    assert industry_name("nope") is None
    assert industry_parent("C3011") == "C301"
    assert industry_parent("C30") == "C"
    assert industry_parent("C") is None


@pytest.mark.parametrize(
    ("container", "code", "expected"),
    [
        ("C", "C3011", True), ("C30", "C3011", True), ("C3011", "C3011", True),
        ("C3011", "C30", None), ("C3011", "C", None), ("C30", "C31", False), ("C", "I65", False),
        ("3011", "C301", None), ("C30", None, None), ("C30", "bogus", None),
    ],
)  # fmt: skip
def test_industry_contains(container: str, code: str | None, expected: bool | None) -> None:
    assert industry_contains(container, code) is expected


def test_unknown_container_is_an_error() -> None:
    with pytest.raises(ValueError, match="C99"):
        industry_contains("C99", "C30")


@pytest.mark.parametrize("container", ["C", "C30", "C3011", "K70", "I65", "A0111"])
def test_contains_expr_agrees_with_rows(container: str) -> None:
    codes = [*industry_codes(), None, "bogus", "30"]
    df = pl.DataFrame({"code": codes}, schema={"code": pl.String})
    got = df.select(industry_contains_expr(container, pl.col("code")).alias("r"))["r"].to_list()
    expected = [industry_contains(container, c) if c != "30" else None for c in codes]
    assert got == expected


@pytest.mark.parametrize(
    ("text", "code", "method"),
    [
        ("做软件的", "I65", "alias"),
        ("软件开发", "I651", "exact"),
        ("互联网", "I64", "alias"),
        ("新能源汽车", "C36", "alias"),
        ("锂电池", "C3841", None),
        ("餐馆", "H62", "alias"),
        ("房地产开发", "K7010", "alias"),
        ("物业", "K7020", "alias"),
        ("快递", "G60", "alias"),
        ("C3011", "C3011", "code"),
        ("6513", "I6513", "code"),
        ("软件和信息技术服务业", "I65", "exact"),
        ("主要从事锂离子电池的研发、生产和销售", "C3841", "alias"),
    ],
)
def test_resolve_examples(text: str, code: str, method: str | None) -> None:
    r = resolve_industry(text)
    assert r.code is not None and r.code.startswith(code[:3]), r
    if method:
        assert r.method == method
        assert r.code == code


def test_resolution_fields_and_explain() -> None:
    r = resolve_industry("做软件的")
    assert isinstance(r, Resolution)
    assert (r.code, r.name, r.score, r.method) == ("I65", "软件和信息技术服务业", 100.0, "alias")
    assert r.explain() == "「做软件的」→ I65 软件和信息技术服务业（别名，相似度 100）"
    assert "I65" in r.explain("en")
    miss = resolve_industry("量子纠缠态")
    assert miss.code is None and miss.method == "none"
    assert "未能识别" in miss.explain() and "模糊匹配" in miss.explain()
    assert "not resolved" in miss.explain("en")


def test_trade_and_repair_move_goods_to_services() -> None:
    assert resolve_industry("钢材批发").code == "F51"
    assert resolve_industry("汽车零部件生产").code.startswith("C36")  # type: ignore[union-attr]
    assert resolve_industry("电缆销售").code == "F51"
    assert resolve_industry("手机销售").code == "F52"
    assert resolve_industry("手机维修").code == "O81"
    assert resolve_industry("挖掘机租赁").code == "L71"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("医用级硅胶制品生产", "C29"),  # 医用级 is a grade, not 医疗
        ("广告创意设计", "L72"),  # an activity keyword is not overridden by a later head
        ("期货投资咨询", "J67"),  # financial advice stays in finance
        ("在电商平台开网店卖服装", "F52"),  # a shop on a platform is online retail
        ("宠物零食生产", "C13"),  # pet food of any kind is 宠物饲料加工
        ("矿山技术服务", "B11"),  # technical services to mines: 开采辅助活动
        ("供水工程", "E48"),  # works on utilities are civil engineering
        ("污水处理", "D46"),
        ("茶叶卖给茶楼", "F51"),  # sold to a business: wholesale
        ("网上卖水果给消费者", "F52"),  # sold to people: retail
        ("服装铺货", "F51"),  # 铺货 is distribution, not a shop (铺)
        ("养鸡卖鸡蛋", "A03"),  # the farm sells what it raises
        ("道路桥梁施工", "E48"),
        ("县商会", "S95"),
        ("给写字楼做保洁", "O82"),  # the customer (写字楼) is not the business
        ("煤炭及制品销售", "F51"),  # 制品 names goods, it does not say they are made
        ("小区绿化养护", "K7020"),
    ],
)
def test_classification_facts(text: str, code: str) -> None:
    assert resolve_industry(text).code == code


def test_manufacturing_without_product_gives_section() -> None:
    r = resolve_industry("各类零件的生产")
    assert r.code == "C" and r.score < 90


def test_repair_and_shop_words_inside_other_words() -> None:
    # 修造 is shipbuilding, 铺设 is laying: neither a repair shop nor a retail shop
    assert resolve_industry("渔船修造").code is None
    assert resolve_industry("铺设地板").code is None


def test_empty_and_batch() -> None:
    assert resolve_industry("").code is None
    texts = ["做软件的", "餐馆", "做软件的", None, "量子纠缠态", "锂电池"]
    out = resolve_industries(texts)
    assert list(out) == ["做软件的", "餐馆", "量子纠缠态", "锂电池"]
    for t, r in out.items():
        assert r == resolve_industry(t)


def test_aliases_are_valid_codes() -> None:
    spec = data.load_yaml("industry_aliases.yaml")
    for code in [*spec["aliases"], *spec["heads"], *spec["consumer_goods"]]:
        assert normalize_industry_code(str(code)) == str(code), code


def _load_eval() -> list[tuple[str, str]]:
    with EVAL.open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["expected"]) for r in csv.DictReader(f)]


def test_eval_set_labels_are_divisions() -> None:
    rows = _load_eval()
    assert len(rows) >= 300
    assert len({t for t, _ in rows}) == len(rows)
    for _, expected in rows:
        assert len(expected) == 3 and industry_exists(expected), expected


def test_industry_resolution_accuracy() -> None:
    """大类 top-1 accuracy and the rate of confidently wrong answers on the labelled set.

    Correct: the resolved code lies in the expected 大类. Confidently wrong: a code was given
    and it is neither in the expected 大类 nor a coarser code containing it (a bare 门类 that
    contains the answer counts as unresolved, not wrong).
    """
    rows = _load_eval()
    out = resolve_industries(t for t, _ in rows)
    correct = wrong = 0
    misses = []
    for text, expected in rows:
        code = out[text].code
        if code is not None and code.startswith(expected):
            correct += 1
        elif code is not None and not expected.startswith(code):
            wrong += 1
            misses.append((text, expected, code))
    n = len(rows)
    print(f"\nindustry 大类 top-1 {correct / n:.3f}, confidently wrong {wrong / n:.3f} (n={n})")
    assert correct / n >= 0.90
    assert wrong / n < 0.02, misses


HOLDOUTS = {
    # file: (minimum 大类 top-1, maximum confidently wrong). Both sets were written from the
    # 说明 of GB/T 4754-2017, not from resolver output. holdout.csv was measured before the
    # resolver was changed (90.6 % top-1, 5.6 % wrong) and then used to improve it;
    # holdout2.csv was measured once, fresh (87.3 % / 4.9 %; 88.2 % / 3.9 % after one label was
    # corrected against the standard), and then also used. The bounds guard against regressions;
    # they are not an estimate on unseen text.
    # holdout3.csv (285 rows, colloquial and business-scope text) was written blind and measured
    # once before any change: 86.3 % top-1, 8.8 % confidently wrong (246 / 25 of 285).
    # The resolver was then changed using only the misses of the three older sets, and
    # holdout3 measured once more: 87.0 % / 8.4 % (248 / 24). The older sets went from
    # 96.0 / 98.8 / 93.1 % to 99.4 / 99.4 / 99.0 % top-1 meanwhile: fixes of seen misses
    # barely carry over to unseen text, so the issue 6 target is still not met on fresh text.
    # One label was then corrected against the standard (网络安全服务 is 6440 互联网安全服务,
    # I64, not I65): 87.4 % / 8.1 % (249 / 23). Its misses have since been read, so it is a
    # development set now, no longer blind: cue mechanisms learnt from them (shop, trade,
    # customer, repair, works-object and transport-mode cues) took it to 98.2 % / 0.7 %.
    "eval_industry_holdout.csv": (0.95, 0.03),
    "eval_industry_holdout2.csv": (0.90, 0.02),
    "eval_industry_holdout3.csv": (0.97, 0.015),
    # holdout4.csv (472 rows) was written by a session that never ran or read the resolver and
    # measured once, blind, at the resolver of holdout3's final measurement: 89.0 % top-1,
    # 5.5 % confidently wrong (420 / 26). After the holdout3 cue mechanisms (tuned on holdout3,
    # the older sets and self-written probes only; holdout4 neither read nor scored between)
    # it was measured a second time: 90.5 % / 4.4 % (427 / 21). Still the best estimate on
    # unseen text; the < 2 % confidently-wrong target is not met.
    "eval_industry_holdout4.csv": (0.90, 0.045),
}


def _score(rows: list[tuple[str, str]]) -> tuple[float, float, list[tuple[str, str, str | None]]]:
    """(top-1, confidently wrong, misses); a 门类 containing the answer is unresolved, not wrong."""
    out = resolve_industries(t for t, _ in rows)
    correct = wrong = 0
    misses: list[tuple[str, str, str | None]] = []
    for text, expected in rows:
        code = out[text].code
        if code is not None and code.startswith(expected):
            correct += 1
            continue
        misses.append((text, expected, code))
        if code is not None and not expected.startswith(code):
            wrong += 1
    return correct / len(rows), wrong / len(rows), misses


@pytest.mark.parametrize("name", sorted(HOLDOUTS))
def test_industry_holdout_accuracy(name: str) -> None:
    with (EVAL.parent / name).open(encoding="utf-8", newline="") as f:
        rows = [(r["text"], r["expected"]) for r in csv.DictReader(f)]
    assert len({t for t, _ in rows}) == len(rows) >= 100
    for _, expected in rows:
        assert len(expected) == 3 and industry_exists(expected), expected
    top1, wrong, misses = _score(rows)
    print(f"\n{name}: 大类 top-1 {top1:.3f}, confidently wrong {wrong:.3f} (n={len(rows)})")
    low, high = HOLDOUTS[name]
    assert top1 >= low, misses
    assert wrong < high, misses
