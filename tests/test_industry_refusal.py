"""Industry resolution refuses text that names no industry, and bounds the cost of long cells."""

from __future__ import annotations

import csv
import datetime as dt
import string
import time
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from matcher.fields import ROW
from matcher.normalize import error_messages, normalise
from matcher.reference import industry, industry_refusal
from matcher.reference.industry import (
    MAX_TEXT_CHARS,
    normalize_industry_code,
    resolve_industries,
    resolve_industry,
)
from matcher.reference.resolution import split_phrases

DATA = Path(__file__).resolve().parent / "data"
CATEGORIES = {"number", "latin", "placeholder", "place", "person", "punctuation", "date", "amount"}


#: the sets written blind with their own categories (fresh4; dev2 has the seven of the
#: issue 11 follow-up: number, gibberish, placeholder, place, person, record, other)
OWN_CATEGORIES = {
    "garbage_industry_fresh4.csv": {"number", "place"},
    "garbage_industry_dev2.csv": {
        "number", "gibberish", "placeholder", "place", "person", "record", "other"
    },
}  # fmt: skip
SEVEN = {"number", "gibberish", "placeholder", "place", "person", "record", "other"}
OWN_CATEGORIES |= {f"garbage_industry_blind{k}.csv": SEVEN for k in (5, 6, 7, 8, 9)}
OWN_CATEGORIES["garbage_industry_dev3.csv"] = SEVEN
#: cells of the blind sets still resolved, each on purpose or documented in bench/RESULTS.md
#: (2026-12-07 14:00): two disputed labels (a 街道办事处 is a 国家机构; the cell does say 设计).
#: blind8's four notes to a colleague resolve no more since the evidence guard and the note
#: refusal (bench/RESULTS.md, 2026-12-07 15:06); blind9, written after that guard, resolved 0.
KNOWN_RESOLVED = {
    "garbage_industry_blind6.csv": {"朝阳门街道办事处"},
    "garbage_industry_blind7.csv": {"梁工 / 设计"},
}  # fmt: skip


def _garbage(name: str) -> list[tuple[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["category"]) for r in csv.DictReader(f)]


@pytest.mark.parametrize(
    ("name", "reasons"),
    [
        ("garbage_industry_dev.csv", 0.97),
        ("garbage_industry_dev2.csv", 0.9),
        ("garbage_industry_fresh.csv", 0.7),
        ("garbage_industry_fresh2.csv", 0.65),
        ("garbage_industry_fresh3.csv", 0.65),
        ("garbage_industry_fresh4.csv", 0.65),
        ("garbage_industry_blind5.csv", 0.85),
        ("garbage_industry_blind6.csv", 0.85),
        ("garbage_industry_blind7.csv", 0.85),
        ("garbage_industry_blind8.csv", 0.85),
        ("garbage_industry_blind9.csv", 0.9),
        ("garbage_industry_dev3.csv", 0.75),
    ],
)
def test_garbage_sets_are_never_resolved(name: str, reasons: float) -> None:
    """Sets of text that names no industry: every row unknown, most with a reason.

    The dev set is what the refusal was tuned on. Each fresh set was written after the
    refusal of its day, measured once (fresh 3 of 412 resolved, fresh2 2 of 313, fresh3 1 of
    244; see bench/RESULTS.md). The misses of fresh and fresh2 were then fixed, so those guard
    against regressions only. fresh4 was written by a session that never saw the resolver and
    measured once: 3 of 320 (-56, 有限合伙, 微信号：…); a leading sign, legal forms and labelled
    record fields were then refused in general. dev2 (912 cells in seven categories) drove the
    refusal of other facts about a firm (size, status, certifications, departments, generic
    words), of labelled and contact cells, streets and buildings, titled persons; fresh3's
    miss (客服电话) went with it. blind5–8 were written blind and scored once each (3, 5, 5
    and 4 of 350 resolved); each round's misses but blind8's were then refused by class.
    blind8's notes went with a general guard (the weak readings need evidence of a trade,
    notes are refused) tuned on dev3 (415 cells, 10 resolved before it); blind9, written
    blind after the guard and scored once, resolved 0 of 350."""
    rows = _garbage(name)
    assert len(rows) >= 240 and len({t for t, _ in rows}) == len(rows)
    assert {c for _, c in rows} >= OWN_CATEGORIES.get(name, CATEGORIES)
    out = industry.resolve_held_out([t for t, _ in rows], None)
    resolved = {t for t, _ in rows if out[t].code is not None}
    assert resolved == KNOWN_RESOLVED.get(name, set())
    without_reason = [t for t, _ in rows if out[t].refusal is None]
    assert len(without_reason) <= (1.0 - reasons) * len(rows), without_reason


@pytest.mark.parametrize(
    ("text", "explanation"),
    [
        ("9999", "「9999」不是行业代码，也不像行业描述"),
        ("0000", "「0000」不是行业代码，也不像行业描述"),
        ("1.5", "「1.5」不是行业代码，也不像行业描述"),
        ("-56", "「-56」不是行业代码，也不像行业描述"),
        ("asdf", "「asdf」不是行业代码，也不是已知的行业英文名称或缩写"),
        ("beijing", "「beijing」不是行业代码，也不是已知的行业英文名称或缩写"),
        ("other", "「other」是占位内容，不是行业描述"),
        ("测试数据", "「测试数据」是占位内容，不是行业描述"),
        ("详见营业执照", "「详见营业执照」是占位内容，不是行业描述"),
        ("N/A", "「N/A」是占位内容，不是行业描述"),
        ("中华人民共和国", "「中华人民共和国」是地名，不是行业描述"),
        ("北京市海淀区", "「北京市海淀区」是地名，不是行业描述"),
        ("注册资本100万元", "「注册资本100万元」是日期、金额或联系方式等登记信息，不是行业描述"),
        ("张伟", "「张伟」像是人名或称呼，不是行业描述"),
        ("---", "「---」只有标点符号，不是行业描述"),
        ("小微企业", "「小微企业」是企业类型、规模、资质、状态或部门等其他信息，不是行业描述"),
        ("专精特新", "「专精特新」是企业类型、规模、资质、状态或部门等其他信息，不是行业描述"),
        ("存续", "「存续」是企业类型、规模、资质、状态或部门等其他信息，不是行业描述"),
        ("财务部", "「财务部」是企业类型、规模、资质、状态或部门等其他信息，不是行业描述"),
        ("销售一部", "「销售一部」是企业类型、规模、资质、状态或部门等其他信息，不是行业描述"),
        ("税务局", "「税务局」是企业类型、规模、资质、状态或部门等其他信息，不是行业描述"),
        ("服务", "「服务」是企业类型、规模、资质、状态或部门等其他信息，不是行业描述"),
        (
            "科技有限公司",
            "「科技有限公司」是企业类型、规模、资质、状态或部门等其他信息，不是行业描述",
        ),
        ("法人：王五", "「法人：王五」像是人名或称呼，不是行业描述"),
        ("周律师", "「周律师」像是人名或称呼，不是行业描述"),
        ("财务：王会计", "「财务：王会计」像是人名或称呼，不是行业描述"),
        ("邮箱 a@b.cn", "「邮箱 a@b.cn」是日期、金额或联系方式等登记信息，不是行业描述"),
        ("www.abc.com.cn", "「www.abc.com.cn」是日期、金额或联系方式等登记信息，不是行业描述"),
        ("专利10项", "「专利10项」是日期、金额或联系方式等登记信息，不是行业描述"),
        ("软件园二期", "「软件园二期」是地名，不是行业描述"),
        ("世纪公园", "「世纪公园」是地名，不是行业描述"),
        ("例：软件", "「例：软件」是占位内容，不是行业描述"),
        ("以系统为准", "「以系统为准」是占位内容，不是行业描述"),
        ("B-", "「B-」不是行业代码，也不是已知的行业英文名称或缩写"),
        ("20.1", "「20.1」不是行业代码，也不像行业描述"),
        # notes to a colleague: speech, statuses, remark labels, questions (blind8's class)
        ("客户说回头告诉我", "「客户说回头告诉我」像是备注、状态或问话，不是行业描述"),
        ("2023年度已报税", "「2023年度已报税」像是备注、状态或问话，不是行业描述"),
        ("备注：客户不愿透露", "「备注：客户不愿透露」像是备注、状态或问话，不是行业描述"),
        ("工商注册地址变更中", "「工商注册地址变更中」像是备注、状态或问话，不是行业描述"),
        ("待审核", "「待审核」像是备注、状态或问话，不是行业描述"),
        ("哪个行业？", "「哪个行业？」像是备注、状态或问话，不是行业描述"),
        ("说明：客户未告知", "「说明：客户未告知」像是备注、状态或问话，不是行业描述"),
        ("会计讲过会尽快确认", "「会计讲过会尽快确认」像是备注、状态或问话，不是行业描述"),
        ("有贷款需求", "「有贷款需求」像是备注、状态或问话，不是行业描述"),
        ("咨询过高企认定", "「咨询过高企认定」像是备注、状态或问话，不是行业描述"),
        ("装修暂停营业", "「装修暂停营业」像是备注、状态或问话，不是行业描述"),
        (
            "跟进记录：会计反馈没时间",
            "「跟进记录：会计反馈没时间」像是备注、状态或问话，不是行业描述",
        ),
        # sure by the text model alone, with no trade word of the tables and no close example
        ("满意度高", "「满意度高」不像行业描述：没有可作为行业依据的词语"),
    ],
)
def test_garbage_is_refused_with_a_reason(text: str, explanation: str) -> None:
    r = resolve_industry(text)
    assert r.code is None and r.refusal is not None
    remedy = "，请填写行业代码（如 I65）或主营业务（如 软件开发）"
    assert r.explain() == explanation + remedy
    assert "industry" in r.explain("en")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("6513", "I6513"), ("C3011", "C3011"), ("30.11", "C3011"), ("I65", "I65"), ("15", "C15"),
        ("软件和信息技术服务业", "I65"), ("KTV", "R90"), ("CRM SaaS", "I65"), ("saas", "I65"),
        ("海淀区餐馆", "H62"), ("张记面馆", "H62"), ("王记烧烤", "H62"), ("美国进口红酒批发", "F51"),
        ("长三角物流运输", "G54"), ("上海软件开发", "I65"), ("中国石油天然气开采", "B07"),
        # real trades that contain words refused alone (服务, 技术, 批发, 科技, 路, 社区…)
        ("餐饮服务", "H62"), ("批发业", "F51"), ("科技推广和应用服务业", "M75"),
        ("房地产中介", "K70"), ("汽车维修", "O81"), ("企业邮箱服务", "I64"), ("港口经营", "G55"),
        ("铁路货物运输", "G53"), ("集成电路设计", "I65"), ("主题公园", "R90"), ("互联网问答社区", "I64"),
        ("街道办事处", "S92"), ("B", "B"), ("C3011", "C3011"), ("邮政局", "G60"), ("税务代理", "L72"),
        # an aside beside the trade is an aside; trades the tables do not spell stand on
        # a close labelled description (清吧), single activity cues (吉他厂) on the cue
        ("私募股权投资基金管理（已在中基协登记备案）", "J67"), ("吉他厂", "C24"), ("清吧", "H62"),
        ("产品说明书印刷", "C23"), ("法律顾问", "L72"), ("市场调研和问卷调查公司", "L72"),
        ("未封口玻璃外壳及其他玻璃制品制造", "C30"), ("竹林培育", "A02"), ("企业邮箱服务", "I64"),
        ("创业指导，给大学生讲创业课、做创业辅导", "L72"), ("楼宇对讲布线", "E49"),
        ("行车记录仪销售", "F52"), ("计划生育服务", "Q84"), ("二手房买卖双方签合同办过户", "K70"),
        ("书法老师讲课，少儿书法培训", "P83"), ("想象力美术培训", "P83"),
        # a cell labelled as the industry is read without its label
        ("行业：餐饮", "H62"), ("所属行业:软件开发", "I65"), ("行业: 批发业", "F51"),
        ("主营：汽车维修", "O81"), ("其他：软件开发", "I65"), ("行业类别：房地产中介", "K70"),
    ],
)  # fmt: skip
def test_codes_names_and_aliases_still_resolve(text: str, code: str) -> None:
    r = resolve_industry(text)
    assert r.code is not None and r.code.startswith(code), r.explain()
    assert r.refusal is None


def test_refused_cells_are_named_in_the_problem_list() -> None:
    raw = pl.DataFrame(
        {
            ROW: [2, 3, 4],
            "企业名称": ["甲", "乙", "丙"],
            "行业": ["9999", "软件开发", "量子纠缠态"],
        },
        schema={ROW: pl.Int64, "企业名称": pl.String, "行业": pl.String},
    )
    portfolio = normalise(raw, today=dt.date(2026, 1, 1))
    errors = portfolio.errors.filter(pl.col("field") == "industry").sort("row")
    assert errors["code"].to_list() == ["not_an_industry", "unknown_industry"]
    messages = error_messages(errors).to_list()
    assert messages[0].startswith("「9999」不是行业代码，也不像行业描述，按未知处理")
    assert messages[1] == "无法识别行业「量子纠缠态」，按未知处理"
    assert "neither an industry code" in error_messages(errors, "en").to_list()[0]


# Strings made of what never names an industry: digits, Latin letters, punctuation, spaces.
_MARKS = "-_.,;:/\\|!?*#@&%+=()[]{}<>~'\"，。、；：？！…—（）【】《》"
_ALPHABET = string.digits + string.ascii_letters + _MARKS + " \t"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=_ALPHABET, min_size=1, max_size=24))
@example("9999")
@example("asdf")
@example("1.5")
@example("shanghai")  # 'ai' is an alias inside it
@example("A:I")  # letters kept apart are not joined into an abbreviation
@example("A.I.")
def test_random_non_industry_strings_stay_unknown(text: str) -> None:
    if normalize_industry_code(text) is not None:
        return  # a real code (C, 30, c30.11) is not garbage
    r = resolve_industries([text])[text]
    known = {k for k in industry._index().aliases} | set(industry._index().names)
    phrases_known = all(p in known for p in split_phrases(text)) and text.strip()
    if phrases_known:
        return  # every word a known English name or abbreviation (app, KTV, saas)
    assert r.code is None, r.explain()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    number=st.integers(0, 10**12),
    unit=st.sampled_from(["", "元", "万元", "年", "号", "%", "人", "项", "个", "㎡", "kg"]),
    place=st.sampled_from(["", "北京市", "海淀区", "美国", "长三角", "一线城市", "专利", "员工"]),
)
def test_places_numbers_and_amounts_stay_unknown(number: int, unit: str, place: str) -> None:
    text = f"{place}{number}{unit}"
    if normalize_industry_code(text) is not None:
        return
    assert resolve_industries([text])[text].code is None


# The classes of the issue 11 follow-up, built from parts: other facts about a firm, fields
# pasted in with their label, titled persons, streets and buildings. (科技 is left out of
# _OTHER: 科技服务 is a trade.)
# fmt: off
_OTHER = ["小微企业", "有限合伙", "国有企业", "专精特新", "高新技术企业", "存续", "吊销", "已注销",
          "是", "否", "企业", "公司", "服务", "一般纳税人", "规上企业", "中外合资", "上市公司", "集团"]
_DEPARTMENT = ["财务", "人事", "销售", "研发", "采购", "行政", "客服", "法务", "IT", "生产"]
_FIELD_LABEL = ["电话", "手机", "邮箱", "法人", "联系人", "注册资本", "地址", "微信", "QQ", "网址",
                "负责人", "开户行", "税号", "统一社会信用代码", "成立日期", "经办人"]
_VALUE = ["王五", "13800138000", "a@b.cn", "100万元", "2020-01-01", "wx_abc123", "北京市海淀区",
          "91110108MA01ABCD2X", "www.abc.cn", "工商银行", "张经理", "12345678"]
_TITLE = ["经理", "总", "工", "工程师", "律师", "会计", "老师", "先生", "女士", "总监", "主任", "某"]
_STREET = ["中山", "人民", "解放", "建设", "科技园", "南京东", "长安", "幸福", "阳光", "世纪"]
_SUFFIX = ["路", "大街", "大道", "广场", "大厦", "公园", "小区", "花园", "二期", "产业园"]
# fmt: on


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.one_of(
        st.lists(st.sampled_from(_OTHER), min_size=1, max_size=3).map("".join),
        st.builds(lambda f, n, s: f"{f}{n}{s}", st.sampled_from(_DEPARTMENT),
                  st.sampled_from(["", "一"]), st.sampled_from(["部", "部门", "科", "处", "室"])),
        st.builds(lambda lab, sep, v: f"{lab}{sep}{v}", st.sampled_from(_FIELD_LABEL),
                  st.sampled_from(["：", ":", " ", "： "]), st.sampled_from(_VALUE)),
        st.builds(lambda s, t: s + t, st.sampled_from("王李张刘陈杨黄赵周吴"), st.sampled_from(_TITLE)),
        st.builds(lambda a, b, n: f"{a}{b}{n}", st.sampled_from(_STREET), st.sampled_from(_SUFFIX),
                  st.sampled_from(["", "1号", "88号"])),
        st.builds(lambda u, d: f"{u}@{d}", st.from_regex(r"[a-z][a-z0-9._]{1,8}", fullmatch=True),
                  st.sampled_from(["qq.com", "163.com", "abc.cn", "company.com.cn"])),
    )
)  # fmt: skip
@example("行业：")
@example("其他：无")
def test_other_facts_fields_persons_and_streets_stay_unknown(text: str) -> None:
    r = resolve_industries([text])[text]
    assert r.code is None, r.explain()


def test_an_overlong_cell_is_read_on_its_head_and_says_so() -> None:
    long_text = "主要从事软件开发，" + "提供技术服务、" * 200
    r = resolve_industry(long_text)
    assert r.input == long_text and r.head == MAX_TEXT_CHARS
    assert r.explain().endswith(
        f"（原文 {len(long_text)} 字，超过 {MAX_TEXT_CHARS} 字，只按前 {MAX_TEXT_CHARS} 字识别）"
    )
    assert len(r.explain()) < 400  # the quote is shortened
    head = industry._head(long_text)
    assert len(head) <= MAX_TEXT_CHARS and long_text.startswith(head)
    assert head.endswith("提供技术服务")  # cut between phrases, not inside one


def test_cells_of_800_characters_and_of_5_mb_are_fast() -> None:
    """An 800-character cell crashed the neighbour vote; a 5 MB one ran past 180 s."""
    noise = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年"
    texts = [(noise * 20)[:800], (noise * 200_000)[:5_000_000], "x" * 1000, "9" * 10_000]
    start = time.perf_counter()
    out = industry.resolve_held_out(texts, None)
    assert time.perf_counter() - start < 10.0
    assert [out[t].code for t in texts] == [None, None, None, None]
    assert all(out[t].head == MAX_TEXT_CHARS for t in texts)


def test_quick_character_check_covers_every_listed_word() -> None:
    """The check that spares most texts the word cover must never pass over a listed word."""
    words, _ = industry_refusal._words()
    assert set("".join(words)) <= industry_refusal._letters()


# Characters that occur in no trade word of the reference tables nor as an activity cue, so
# that a string of them carries no evidence of a trade (checked in the test itself).
_NO_TRADE = (
    "的了吗呢吧啊哦嗯呀我你他她您们说讲问告诉回头稍后再下次明天今年月日已未待中备注这那哪谁么怎样"
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(alphabet=_NO_TRADE + "，。？ 0123456789", min_size=1, max_size=16))
@example("客户说回头告诉我")
def test_cells_without_a_trade_word_never_resolve_through_the_model(text: str) -> None:
    """The weak readings (the text model's own answer, a fuzzy match) need positive evidence:
    a text none of whose characters is covered by a trade word of the tables never gets a
    code from them, however sure the model is."""
    if industry.trade_share(text) > 0.0:
        return  # a pair of these characters happens to be a trade word
    r = resolve_industries([text])[text]
    assert r.code is None or r.method not in ("model", "fuzzy"), r.explain()


@pytest.mark.parametrize(
    ("text", "share"),
    [("吉他厂", 1 / 3), ("清吧", 0.0), ("软件开发", 1.0), ("客户自己", 0.0), ("9999", 0.0)],
)
def test_trade_share_counts_table_words_and_activity_cues(text: str, share: float) -> None:
    """Evidence is drawn from the reference tables: 软件开发 is covered whole, 吉他厂 by its
    cue 厂; 清吧 has none (it resolves on a labelled description instead), nor has 客户自己
    (客户 is a listed non-trade word)."""
    assert industry.trade_share(text) == pytest.approx(share)


def test_notes_are_refused_only_when_no_plain_phrase_names_a_trade() -> None:
    trade = lambda p: industry.trade_share(p) > 0.0  # noqa: E731
    assert industry_refusal.note("客户说回头告诉我", trade)
    assert industry_refusal.note("备注信息", trade)
    assert industry_refusal.note("工商注册地址变更中", trade)
    assert not industry_refusal.note("私募股权投资基金管理（已在中基协登记备案）", trade)
    assert not industry_refusal.note("说明：软件开发", trade)
    assert not industry_refusal.note("法律顾问", trade)
    assert not industry_refusal.note("社保中心，负责待遇发放", trade)
