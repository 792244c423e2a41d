"""GB/T 4754-2017 codes: normalisation, containment (row and polars) and text resolution."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from matcher.reference import data, industry
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
from matcher.reference.resolution import Resolution, normalize_text

EVAL = Path(__file__).resolve().parent / "data" / "eval_industry.csv"
# the builder of rules/reference/industry_examples.csv names the development sets the text
# model learns from and the blind sets it must never see
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "rules" / "reference"))
import build_industry_examples as builder  # noqa: E402

EXAMPLE_SETS = builder.SOURCES
FRESH_SETS = builder.FRESH


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


def _rules(text: str) -> Resolution:
    """The keyword rules' reading, before the text model weighs in."""
    return industry._resolve_fast(text) or industry._resolve_fuzzy([text])[text]


def test_trade_and_repair_move_goods_to_services() -> None:
    assert resolve_industry("钢材批发").code == "F51"
    assert resolve_industry("汽车零部件生产").code.startswith("C36")  # type: ignore[union-attr]
    # the rules read 销售 of goods as trade; the text model, which sees 电缆 as a product of
    # C38, does not agree strongly enough, so the combined answer is withheld, never C38
    assert _rules("电缆销售").code == "F51"
    assert resolve_industry("电缆销售").code in {"F51", None}
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
        ("供水工程", "E48"),  # works on utilities are civil engineering
        ("污水处理", "D46"),
        ("网上卖水果给消费者", "F52"),  # sold to people: retail
        ("养鸡卖鸡蛋", "A03"),  # the farm sells what it raises
        ("道路桥梁施工", "E48"),
        ("县商会", "S95"),
        ("给写字楼做保洁", "O82"),  # the customer (写字楼) is not the business
        ("煤炭及制品销售", "F51"),  # 制品 names goods, it does not say they are made
    ],
)
def test_classification_facts(text: str, code: str) -> None:
    assert resolve_industry(text).code == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("宠物零食生产", "C13"),  # pet food of any kind is 宠物饲料加工
        ("矿山技术服务", "B11"),  # technical services to mines: 开采辅助活动
        ("服装铺货", "F51"),  # 铺货 is distribution, not a shop (铺)
    ],
)
def test_rule_facts_the_model_may_withhold(text: str, code: str) -> None:
    """The rules read these right; the combined answer is theirs or withheld, never another."""
    assert _rules(text).code == code
    assert resolve_industry(text).code in {code, None}


def test_rule_readings_the_model_overrules() -> None:
    # 7850 城市绿化管理 covers 附属绿地, a compound's green space: N78 is as defensible as the
    # rules' 物业管理 reading of 小区
    assert _rules("小区绿化养护").code == "K7020"
    assert resolve_industry("小区绿化养护").code in {"K7020", "N78", None}
    # sold to a business is wholesale (F51); the model reads 茶叶 as a tea farm (A01) and the
    # neighbours agree: a known miss of the combination
    assert _rules("茶叶卖给茶楼").code == "F51"


def test_manufacturing_without_product_gives_section() -> None:
    r = resolve_industry("各类零件的生产")
    assert r.code == "C" and r.score < 90


def test_repair_and_shop_words_inside_other_words() -> None:
    # 修造 is shipbuilding, 铺设 is laying: neither a repair shop nor a retail shop
    assert _rules("渔船修造").code is None
    assert resolve_industry("渔船修造").code in {None, "C37", "C43"}  # ships, built or repaired
    assert _rules("铺设地板").code is None
    # the text model then reads 地板 as wood flooring (C20), a known miss: E50 is right
    assert resolve_industry("铺设地板").code not in {"O81", "F52"}


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
    # the text model learns from this set (industry_examples.csv): score it as unseen text
    out = industry.resolve_held_out([t for t, _ in rows], EVAL.name)
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
    assert correct / n >= 0.96
    assert wrong / n < 0.006, misses


HOLDOUTS = {
    # file: (minimum 大类 top-1, maximum confidently wrong), both as fractions.
    # Every set was written by a session from knowledge of real businesses, never from resolver
    # output. Each was measured blind once (some twice), then learnt from: the text model trains
    # on all of them (industry_examples.csv), so each is scored here by the model trained
    # without it (leave one set out). The bounds guard the current figures; only the first,
    # blind measurement of a set estimates accuracy on unseen text:
    #   holdout   160  90.6 / 5.6 %   keyword rules
    #   holdout2  102  87.3 / 4.9 %   keyword rules
    #   holdout3  285  86.3 / 8.8 %   keyword rules
    #   holdout4  472  89.0 / 5.5 %   keyword rules (90.5 / 4.4 % after more rule work)
    #   holdout5  346  90.5 / 3.2 %   rules + naive Bayes on 1,700 examples (rules alone 83.5 / 7.5)
    #   holdout6  270  94.1 / 0.7 %   the same                              (rules alone 91.5 / 4.8)
    #   holdout7  450  89.8 / 3.8 %   + 1,578 training examples             (rules alone 78.9 / 14.7)
    #   holdout8  500  94.8 / 2.8 %   + fillers stripped, 1,282 colloquial examples (82.0 / 10.6)
    #   holdout9  500  95.8 / 0.4 %   + the nearest examples' vote (rapidfuzz) and veto (82.6 / 9.6)
    # holdout9 is not learnt from (build_industry_examples.FRESH): it is scored by the shipped
    # model, and it is the estimate of the shipped resolver on unseen text.
    # Leave-one-set-out before the neighbour vote, holdout4-8 pooled: 96.2 % / 1.2 %; with it
    # 96.1 % / 0.8 % (RULE_WEIGHT, NEIGHBOUR_WEIGHT, CONFIDENCE chosen that way).
    "eval_industry_holdout.csv": (0.97, 0.01),
    "eval_industry_holdout2.csv": (0.94, 0.015),
    "eval_industry_holdout3.csv": (0.975, 0.005),
    "eval_industry_holdout4.csv": (0.96, 0.006),
    "eval_industry_holdout5.csv": (0.96, 0.008),
    "eval_industry_holdout6.csv": (0.97, 0.004),
    "eval_industry_holdout7.csv": (0.95, 0.018),
    "eval_industry_holdout8.csv": (0.94, 0.018),
    "eval_industry_holdout9.csv": (0.95, 0.008),
}


def _score(
    rows: list[tuple[str, str]], out: dict[str, Resolution]
) -> tuple[float, float, list[tuple[str, str, str | None]]]:
    """(top-1, confidently wrong, misses); a 门类 containing the answer is unresolved, not wrong."""
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
    # a set the text model learns from is scored by the model trained without it
    out = industry.resolve_held_out([t for t, _ in rows], name if name in EXAMPLE_SETS else None)
    top1, wrong, misses = _score(rows, out)
    print(f"\n{name}: 大类 top-1 {top1:.3f}, confidently wrong {wrong:.3f} (n={len(rows)})")
    low, high = HOLDOUTS[name]
    assert top1 >= low, misses
    assert wrong < high, misses


def test_examples_are_the_development_sets_and_never_a_fresh_one() -> None:
    """industry_examples.csv is what build_industry_examples.py makes of the development sets;
    no text of a fresh (blind) set is in it, or its measurement would be worthless."""
    with data.reference_path("industry_examples.csv").open(encoding="utf-8", newline="") as f:
        shipped = [(r["text"], r["division"], r["source"]) for r in csv.DictReader(f)]
    assert shipped == builder.examples()
    assert {src for _, _, src in shipped} == set(EXAMPLE_SETS)
    assert not set(EXAMPLE_SETS) & set(FRESH_SETS)
    shipped_texts = {normalize_text(t) for t, _, _ in shipped}
    for name in FRESH_SETS:
        with (EVAL.parent / name).open(encoding="utf-8", newline="") as f:
            fresh = [normalize_text(r["text"]) for r in csv.DictReader(f)]
        assert len(fresh) >= 250
        assert not shipped_texts & set(fresh), name


def test_text_model_scores_batches_like_single_texts() -> None:
    model = industry._model()
    texts = ["做软件的", "", "!!!", "小龙虾外卖店", "量子纠缠态", "钢材批发"]
    together = model.log_likelihoods(texts)
    for i, t in enumerate(texts):
        assert np.allclose(together[i], model.log_likelihoods([t])[0])
    assert not together[1].any() and not together[2].any()  # no n-gram: no evidence
    assert model.classes[int(np.argmax(together[3]))] == "H62"


def test_text_model_answers_and_withholdings_explain_themselves() -> None:
    # the rules read 火车票 as rail transport (G53); the model knows ticket agents (G58)
    assert _rules("代订机票、火车票").code == "G53"
    chosen = resolve_industry("代订机票、火车票")
    assert (chosen.code, chosen.method) == ("G58", "model")
    assert (
        chosen.explain()
        == "「代订机票、火车票」→ G58 多式联运和运输代理业（文本分类，置信度 99.99）"
    )
    assert chosen.explain("en").endswith("(text model, confidence 99.99)")
    # the rules read 商场 as retail (F52); model and neighbours know a drinks shop (H62)
    assert _rules("在商场开了家奶茶店哈").code == "F52"
    assert resolve_industry("在商场开了家奶茶店哈").code == "H62"
    # the rules read 销售 as trade (F51), the model sees 电缆 made in C38: not sure enough
    withheld = resolve_industry("电缆销售")
    assert withheld.code is None and "model" in withheld.tried
    assert withheld.explain() == (
        "「电缆销售」未能识别：已尝试代码、官方名称、别名和关键词、模糊匹配、文本分类；"
        "最接近的是 F51 批发业（置信度 88）、C38 电气机械和器材制造业（置信度 12），未达阈值"
    )
    assert "closest: F51" in withheld.explain("en")


def test_neighbours_vote_with_their_closest_example() -> None:
    model = industry._model()
    texts, _, labels = industry._examples()
    at = texts.index("拖把扫帚厂")
    vote, witness = industry._neighbour_votes(["拖把扫帚厂", "", "量子"], None, len(model.classes))
    assert model.classes[vote[0]] == model.classes[labels[at]] and texts[witness[0]] == "拖把扫帚厂"
    assert vote[1] == -1 and witness[1] == -1  # nothing similar, no vote


def test_model_may_overrule_the_rules_only_with_the_neighbours(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = "代订机票、火车票"  # rules: G53 (火车); model: G58 ticket agents
    assert industry.resolve_held_out([text], None)[text].code == "G58"
    g53 = industry._model().classes.index("G53")

    def against(texts: list[str], without: str | None, n: int) -> tuple[np.ndarray, np.ndarray]:
        return np.full(len(texts), g53), np.zeros(len(texts), dtype=np.intp)

    monkeypatch.setattr(industry, "_neighbour_votes", against)
    r = industry.resolve_held_out([text], None)[text]
    assert r.code is None and r.conflict is not None and r.conflict[0] == "G53"
    first = industry._examples()[0][0]
    assert r.explain() == (
        "「代订机票、火车票」未能识别：已尝试代码、官方名称、别名和关键词、模糊匹配、文本分类；"
        f"文本分类读作 G58 多式联运和运输代理业（置信度 99.99），但相近的已标注描述多属于 G53 铁路运输业"
        f"（如「{first}」），未采用"
    )
    assert "similar labelled descriptions are mostly G53" in r.explain("en")


def test_skipping_the_neighbours_never_changes_an_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = [t for t, _ in _load_eval()][:400]
    texts += ["开了个小厂做螺丝", "量子纠缠态", "卖菜的", "电缆销售", "做直播带货的", "修车"]
    held = EXAMPLE_SETS[0]  # so that the eval texts are unseen and the answers vary
    skipping = industry.resolve_held_out(texts, held)
    monkeypatch.setattr(industry, "_ASK_ALL", True)
    asking = industry.resolve_held_out(texts, held)
    for t in texts:
        assert (skipping[t].code, skipping[t].method) == (asking[t].code, asking[t].method), t


def test_probabilities_near_certainty_keep_their_decimals() -> None:
    cands = (("F51", "批发业", 99.85), ("F52", "零售业", 0.14))
    r = Resolution("服装铺货", None, None, 99.85, "none", None, cands, ("alias", "model"))
    assert r.explain().endswith("最接近的是 F51 批发业（置信度 99.85），未达阈值")
    sure = Resolution("x", "F51", "批发业", 100.0, "model", None, cands[:1], ("model",))
    assert sure.explain().endswith("（文本分类，置信度 100）")


def test_bare_digit_codes_read_as_by_the_general_steps() -> None:
    # normalize_industry_code answers 2–4 ASCII digits at once (issue 16: the catalogue's
    # 1,936 codes at every start); written with a trailing space or in full-width digits the
    # same code goes through every step, and must give the same answer.
    import itertools

    wide = str.maketrans("0123456789", "０１２３４５６７８９")
    for n in (2, 3, 4):
        for digits in itertools.product("0123456789", repeat=n):
            code = "".join(digits)
            expected = normalize_industry_code(code + " ")
            assert normalize_industry_code(code) == expected, code
            assert normalize_industry_code(code.translate(wide)) == expected, code
    assert normalize_industry_code("6513") == "I6513"
    assert normalize_industry_code("99") is None


def test_light_tables_agree_with_the_records() -> None:
    # issue 16: normalising a code and finding its size group read the rows without making
    # the 1,971 IndustryCode records; they must say what the records say
    codes = industry.industry_codes()
    assert len(codes) == len(data.industry_rows())  # every normalised code once
    assert industry.code_levels() == {c.code: c.level for c in codes.values()}
    assert list(industry.code_levels()) == list(codes)
    assert industry._by_digits() == {c.official: c.code for c in codes.values() if c.level > 1}


def test_code_table_file_read_back_and_odd_files_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(industry.CODE_TABLE_OFF_ENV, raising=False)
    industry._code_table.cache_clear()
    try:
        built = industry._code_table()
        (path,) = tmp_path.glob("policy-match/industry-codes-*.txt")
        good = path.read_text(encoding="utf-8")
        back = industry._decode_code_table(good)
        assert back == built and [list(d) for d in back] == [list(d) for d in built]
        odd = [
            good[: len(good) // 2],
            good.replace(industry._CODE_TABLE_TAG, "policy-match industry codes 0"),
            good + "1",  # a level more than codes
            good[:-1] + "x",  # a level that is no digit
            good.replace("\n", "", 1),  # a code fewer
        ]
        for text in odd:
            assert industry._decode_code_table(text) is None
            path.write_text(text, encoding="utf-8")
            industry._code_table.cache_clear()
            assert industry._code_table() == built  # built again from the rows
    finally:
        industry._code_table.cache_clear()


def test_codes_as_written_take_the_short_way_to_the_same_answer() -> None:
    # issue 16: a code as the table writes it is returned without the patterns; the long way
    # (industry._normalize_text) must give every one of them the same answer
    odd = ["c30", "C 30", "C30.11", "A30", "I", "i", "U", "Z30", "C3", "C301111", "Ｃ30", " C30"]
    for raw in [*industry.code_levels(), *odd]:
        assert normalize_industry_code(raw) == industry._normalize_text(raw), raw
    for code in industry.code_levels():
        assert industry._is_normalised(code)
