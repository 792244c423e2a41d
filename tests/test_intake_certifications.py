"""Certifications as advisors write them: names, level words, yes/no columns, unknowns."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcher.normalize as nz
from matcher.batch import evaluate_frame, match_row
from matcher.intake.certifications import (
    ABSENT,
    MAYBE,
    OTHERS_UNKNOWN,
    canonical_names,
    contains_any,
    contains_any_expr,
    merge_lists,
    read_certification,
    read_flag,
    unknown_reason,
)
from matcher.loader import load_rules
from matcher.normalize import error_messages, normalise

SRDI = "专精特新中小企业"
GIANT = '专精特新"小巨人"企业'
HNTE = "高新技术企业"
AS_OF = dt.date(2024, 6, 1)


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("市级专精特新", (SRDI,)), ("省级专精特新", (SRDI,)), ("北京市专精特新中小企业", (SRDI,)),
        ("深圳市专精特新", (SRDI,)), ("专精特新（市级）", (SRDI,)), ("专精特新企业", (SRDI,)),
        ("国家级小巨人", (GIANT,)), ('专精特新"小巨人"', (GIANT,)), ("专精特新“小巨人”企业", (GIANT,)),
        ("国家级专精特新", (SRDI, GIANT)), ("国家高新", (HNTE,)), ("高企", (HNTE,)),
        ("北京市高新技术企业", (HNTE,)), ("高新技术企业（2023年认定）", (HNTE,)),
        ("高新技术企", (HNTE,)), ("科小", ("科技型中小企业",)), ("创新型中小企业", ("创新型中小企业",)),
    ],
)  # fmt: skip
def test_names_as_advisors_write_them(text: str, names: tuple[str, ...]) -> None:
    reading = read_certification(text)
    assert reading.names == names and reading.items == list(names)


@pytest.mark.parametrize(
    ("text", "maybe"),
    [
        ("拟认定专精特新", (SRDI, GIANT)),  # proposed, not yet certified
        ("专精特心", (SRDI,)),  # a typo too far to be sure
        ("区级专精特新", (SRDI,)),  # a tier that does not exist
    ],
)
def test_unsure_names_are_possibilities(text: str, maybe: tuple[str, ...]) -> None:
    reading = read_certification(text)
    assert reading.names == () and reading.maybe == maybe
    assert reading.items == [text, *(MAYBE + m for m in maybe)]


@pytest.mark.parametrize("text", ["中关村高新技术企业", "ISO9001质量管理体系认证", "瞪羚企业"])
def test_other_certifications_are_kept_and_satisfy_nothing_else(text: str) -> None:
    reading = read_certification(text)
    assert reading.method == "other" and reading.items == [text]
    assert contains_any(reading.items, [HNTE, SRDI]) is False


def test_unknown_name_is_kept_and_a_yes_is_no_name() -> None:
    assert read_certification("蓝天企业").items == ["蓝天企业"]
    assert read_certification("蓝天企业").method == "unknown"
    # A 是 in a list column says yes to some certification: every one is unknown.
    assert read_certification("是").maybe == canonical_names()
    assert read_certification("否").items == []  # 否 in a list column: none
    assert read_certification("目前没有").items == []  # "none as of now" is a no too
    # … but a cell that does not say the firm holds none stays unknown (暂无 = 暂无数据 too).
    for cell in ("暂无", "不详", "未知", "N/A", "—", "/"):
        assert read_certification(cell).method == "unknown"


@pytest.mark.parametrize(
    ("cell", "present", "absent"),
    [
        ("是", (SRDI,), ()), ("√", (SRDI,), ()), ("有", (SRDI,), ()), ("市级", (SRDI,), ()),
        ("省级", (SRDI,), ()), ("国家级", (SRDI, GIANT), ()), ("小巨人", (GIANT,), ()),
        ("否", (), (SRDI, GIANT)), ("×", (), (SRDI, GIANT)), ("无", (), (SRDI, GIANT)),
        (None, (), ()), ("", (), ()), ("-", (), ()),
    ],
)  # fmt: skip
def test_flag_cells(cell: str | None, present: tuple[str, ...], absent: tuple[str, ...]) -> None:
    reading = read_flag(cell, SRDI)
    assert reading.ok and reading.present == present and reading.absent == absent


def test_flag_cells_for_other_certifications() -> None:
    assert read_flag("是", HNTE).present == (HNTE,)
    assert read_flag("否", HNTE).absent == (HNTE,)
    assert read_flag("国家级", HNTE).present == (HNTE,)
    assert not read_flag("不清楚", HNTE).ok


def test_merge_rules() -> None:
    assert merge_lists(None, [None, None]) is None  # nothing said: unknown
    assert merge_lists([], [None]) == []  # an empty list is an answer
    assert merge_lists(None, [[SRDI], None]) == [SRDI, OTHERS_UNKNOWN]
    assert merge_lists([HNTE], [[SRDI]]) == [HNTE, SRDI]
    assert merge_lists([SRDI], [[ABSENT + SRDI]]) == [MAYBE + SRDI]  # given and denied
    assert merge_lists(["x", MAYBE + SRDI], [[ABSENT + SRDI]]) == ["x", ABSENT + SRDI]


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (None, None), ([], False), ([SRDI], True), ([HNTE], False), ([MAYBE + SRDI], None),
        ([HNTE, OTHERS_UNKNOWN], None), ([ABSENT + SRDI, ABSENT + GIANT, OTHERS_UNKNOWN], False),
        ([ABSENT + SRDI, OTHERS_UNKNOWN], None), ([GIANT, ABSENT + SRDI], True),
    ],
)  # fmt: skip
def test_contains_any(actual: list[str] | None, expected: bool | None) -> None:
    assert contains_any(actual, [SRDI, GIANT]) is expected


_ITEM = st.sampled_from(
    [*canonical_names(), "瞪羚企业", OTHERS_UNKNOWN]
    + [MAYBE + c for c in canonical_names()]
    + [ABSENT + c for c in canonical_names()]
)


@given(
    st.lists(st.none() | st.lists(_ITEM, max_size=5), min_size=1, max_size=20),
    st.lists(st.sampled_from(canonical_names()), min_size=1, max_size=3, unique=True),
)
@settings(max_examples=150, deadline=None)
def test_row_and_vector_contains_any_agree(
    lists: list[list[str] | None], values: list[str]
) -> None:
    frame = pl.DataFrame({"c": lists}, schema={"c": pl.List(pl.String)})
    got = frame.select(contains_any_expr(pl.col("c"), values).alias("r"))["r"].to_list()
    assert got == [contains_any(x, values) for x in lists]


# ---------------------------------------------------------------------------- through normalise


def _sheet() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "__row": [2, 3, 4, 5, 6, 7, 8],
            "企业名称": ["甲", "乙", "丙", "丁", "戊", "己", "庚"],
            "资质": ["市级专精特新", None, "高新技术企业", None, None, "拟认定专精特新", "是"],
            "是否专精特新": [None, "是", None, "否", None, None, None],
            "是否小巨人": [None, None, None, None, None, None, None],
            "是否高企": [None, "否", "否", "国家级", None, "不清楚", None],
        }
    )


def test_normalise_merges_list_and_yes_no_columns() -> None:
    p = normalise(_sheet())
    assert p.mapping.columns["资质"] == "certifications"
    assert set(p.mapping.flags) == {"是否专精特新", "是否小巨人", "是否高企"}
    got = dict(zip(p.frame["name"], p.frame["certifications"].to_list(), strict=True))
    assert got["甲"] == [SRDI]
    assert got["乙"] == [SRDI, ABSENT + HNTE, OTHERS_UNKNOWN]
    assert got["丙"] == [MAYBE + HNTE]  # the list says 高企, the column says 否
    assert got["丁"] == [ABSENT + SRDI, ABSENT + GIANT, HNTE, OTHERS_UNKNOWN]
    assert got["戊"] is None
    codes = dict(zip(p.errors["row"], p.errors["code"], strict=True))
    assert codes == {7: "bad_certification_flag", 8: "uncertain_certification"}
    msgs = error_messages(p.errors).to_list()
    assert any("是否高企：不清楚" in m for m in msgs)
    unsure = normalise(_sheet().filter(pl.col("__row") == 7).drop("是否高企"))
    assert unsure.errors["code"].to_list() == ["uncertain_certification"]


def test_statuses_never_false_on_what_is_not_known() -> None:
    rule = next(r for r in load_rules().rules if r.id == "xs-srdi-sme-chain")
    frame = normalise(_sheet()).frame
    vector = evaluate_frame(frame, [rule], AS_OF).collect().sort("__row")["status"].to_list()
    rows = [str(match_row(r, [rule], AS_OF)[0].status) for r in frame.sort("__row").iter_rows(named=True)]  # fmt: skip
    assert vector == rows
    by_name = dict(zip(frame.sort("__row")["name"], vector, strict=True))
    assert by_name == {
        "甲": "eligible",
        "乙": "eligible",
        "丙": "ineligible",  # 高企 (unsure) is not what this rule asks for
        "丁": "ineligible",  # 否 for 专精特新 denies 小巨人 too
        "戊": "unknown",
        "己": "unknown",  # 拟认定专精特新: could be, so unknown, never 不符合
        "庚": "unknown",  # 是 in the list column
    }


def test_a_name_in_no_table_is_reported_and_kept() -> None:
    raw = pl.DataFrame({"__row": [2], "企业名称": ["甲"], "资质认定": ["高企；蓝天企业"]})
    p = normalise(raw)
    assert p.frame["certifications"].to_list() == [[HNTE, "蓝天企业"]]
    assert p.errors["code"].to_list() == ["unknown_certification"]
    assert "蓝天企业" in error_messages(p.errors, "en")[0]


@pytest.mark.parametrize("cell", ["\x1f", "蓝\x1f天", "高企；\x1f", f"{chr(0xE000)}；\x1f"])
def test_a_name_holding_the_join_character_is_kept_and_reported(
    cell: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the frame path joins each name's readings with one character and splits them again:
    # a name kept as written that holds it must come back whole, as on the row path
    raw = pl.DataFrame({"__row": [2], "企业名称": ["甲"], "资质认定": [cell]})
    found = []
    for small_max_rows in (1_000_000, -1):  # the row path, then the frame path
        monkeypatch.setattr(nz, "SMALL_MAX_ROWS", small_max_rows)
        p = normalise(raw)
        found.append((p.frame["certifications"].to_list(), p.errors["code"].to_list()))
    assert found[0] == found[1]
    assert found[0][1] == ["unknown_certification"]


def test_unknown_reason() -> None:
    assert unknown_reason([SRDI], [SRDI]) == ""
    assert unknown_reason(None, [SRDI]) == ""
    assert "可能是 专精特新中小企业" in unknown_reason(["x", MAYBE + SRDI], [SRDI, GIANT])
    assert "yes/no" in unknown_reason([HNTE, OTHERS_UNKNOWN], [SRDI], "en")


@pytest.mark.parametrize("rows", [1, 70])  # the row-by-row and the frame normaliser
@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("否", []), ("无", []), ("尚无", []), ("尚未认定", []), ("目前没有", []), ("暂无", None),
        (f"{HNTE}、否", [HNTE]), (f"否；{SRDI}", [SRDI]),
    ],
)  # fmt: skip
def test_a_no_in_a_list_column_is_no_certification(
    rows: int, cell: str, expected: list[str] | None
) -> None:
    """否 in a certification list says the firm holds none: an empty list, no problem,
    never an empty name reported as an unknown certification."""
    raw = pl.DataFrame({"__row": list(range(2, rows + 2)), "企业名称": ["甲"] * rows})
    p = normalise(raw.with_columns(pl.lit(cell).alias("资质认定")))
    assert p.frame.get_column("certifications").to_list() == [expected] * rows
    assert p.errors.filter(pl.col("field") == "certifications").height == 0
