"""Administrative divisions: containment (row and polars), groups and address resolution."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.reference import data
from matcher.reference.regions import (
    ambiguous_names,
    divisions,
    group_contains,
    group_contains_expr,
    province_of,
    region_contains,
    region_contains_expr,
    region_context_code,
    region_exists,
    region_group,
    region_groups,
    region_level,
    region_name,
    resolve_region,
    resolve_regions,
    suggest_region_context,
)

EVAL = Path(__file__).resolve().parent / "data" / "eval_region.csv"


def test_lookup() -> None:
    assert region_exists("110108") and not region_exists("110199")
    assert region_name("110108") == "北京市海淀区"
    assert region_name("999999") is None
    assert region_level("110000") == "province"
    assert province_of("110108") == "110000"
    assert province_of("429004") == "420000"  # 仙桃市: county-level, under the province directly
    with pytest.raises(ValueError, match="999999"):
        region_level("999999")


@pytest.mark.parametrize(
    ("container", "code", "expected"),
    [
        ("110000", "110108", True), ("110108", "110108", True), ("110108", "110000", None),
        ("110108", "120000", False), ("130100", "130102", True), ("130100", "130000", None),
        ("130100", "130200", False), ("420000", "429004", True), ("429004", "420000", None),
        ("110000", None, None), ("110000", "999999", None), ("441900", "441900", True),
    ],
)  # fmt: skip
def test_region_contains(container: str, code: str | None, expected: bool | None) -> None:
    assert region_contains(container, code) is expected


def test_unknown_container_is_an_error() -> None:
    with pytest.raises(ValueError):
        region_contains("119999", "110108")


SAMPLE = [
    "110000", "110108", "110105", "120000", "130000", "130100", "130102", "420000", "429004",
    "441900", "500000", "500101", "650000", "659001", "810000",
]  # fmt: skip


@pytest.mark.parametrize("container", SAMPLE)
def test_contains_expr_agrees_with_rows(container: str) -> None:
    codes = [*SAMPLE, *list(divisions())[::37], None, "999999", "11"]
    df = pl.DataFrame({"code": codes}, schema={"code": pl.String})
    got = df.select(region_contains_expr(container, pl.col("code")).alias("r"))["r"].to_list()
    assert got == [region_contains(container, c) for c in codes]


def test_groups_members_exist_and_have_sources() -> None:
    spec = data.load_yaml("region_groups.yaml")
    groups = region_groups()
    assert set(groups) == set(spec["groups"])
    for name, members in groups.items():
        assert members, name
        assert all(region_exists(m) for m in members), name
        assert spec["groups"][name]["source"] and spec["groups"][name]["note"]
    four = [groups[g] for g in ("东部", "中部", "西部", "东北")]
    assert [len(g) for g in four] == [10, 6, 12, 3]
    assert frozenset().union(*four) | {"710000", "810000", "820000"} == {
        d.code for d in divisions().values() if d.level == "province"
    }
    assert groups["中西部"] == groups["中部"] | groups["西部"]
    assert groups["北京城六区"] == {"110101", "110102", "110105", "110106", "110107", "110108"}
    assert "110114" not in groups["北京生态涵养区"] and "110111" not in groups["北京生态涵养区"]
    assert groups["北京"] == {"110000"}


def test_region_group_unknown_suggests() -> None:
    with pytest.raises(KeyError, match="中西部"):
        region_group("中西部地区")
    with pytest.raises(KeyError) as e:
        region_group("火星")
    assert "是否想写" not in str(e.value)


@pytest.mark.parametrize(
    ("group", "code", "expected"),
    [
        ("东部", "110108", True), ("东部", "510100", False), ("北京城六区", "110108", True),
        ("北京城六区", "110000", None), ("北京城六区", "110114", False), ("京津冀", "130100", True),
        ("北京生态涵养区", "110116", True), ("中西部", "420000", True), ("东北", None, None),
    ],
)  # fmt: skip
def test_group_contains(group: str, code: str | None, expected: bool | None) -> None:
    assert group_contains(group, code) is expected


@pytest.mark.parametrize("group", sorted(data.load_yaml("region_groups.yaml")["groups"]))
def test_group_expr_agrees_with_rows(group: str) -> None:
    codes = [*SAMPLE, "110101", "110114", "110116", "210000", "230100", None, "999999"]
    df = pl.DataFrame({"code": codes}, schema={"code": pl.String})
    got = df.select(group_contains_expr(group, pl.col("code")).alias("r"))["r"].to_list()
    assert got == [group_contains(group, c) for c in codes]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("北京海淀中关村", "110108"), ("上海市浦东新区张江", "310115"), ("成都高新区", "510100"),
        ("海淀区", "110108"), ("110108", "110108"), ("110108000000", "110108"),
        ("吉林", "220000"), ("吉林市", "220200"), ("吉林省吉林市船营区", "220204"),
        ("长春市朝阳区", "220104"), ("北京市朝阳区", "110105"), ("朝阳区望京", "110105"),
        ("恩施州", "422800"), ("内蒙古", "150000"), ("广西南宁", "450100"),
        ("北京市崇文区", "110101"), ("中国（上海）自由贸易试验区", "310000"),
        ("注册地址：北京市西城区", "110102"), ("ＢＪ北京市东城区", "110101"),
    ],
)  # fmt: skip
def test_resolve_examples(text: str, code: str) -> None:
    assert resolve_region(text).code == code, resolve_region(text)


def test_ambiguous_and_unknown() -> None:
    r = resolve_region("朝阳区")
    assert r.code is None and {c[0] for c in r.candidates} == {"110105", "220104"}
    assert "110105" in r.explain() and "无法确定" in r.explain()
    assert resolve_region("鼓楼区").code is None
    assert resolve_region("火星基地").code is None
    assert resolve_region("999999").code is None
    assert resolve_region("").code is None
    hit = resolve_region("北京市海淀区")
    assert hit.explain().startswith("「北京市海淀区」→ 110108 北京市海淀区")


def test_batch_equals_single() -> None:
    texts = ["北京市海淀区", "海淀区", None, "朝阳区", "北京市海淀区", "海定区", "上海"]
    out = resolve_regions(texts)
    assert list(out) == ["北京市海淀区", "海淀区", "朝阳区", "海定区", "上海"]
    for t, r in out.items():
        assert r == resolve_region(t)


def _load_eval() -> list[tuple[str, str]]:
    with EVAL.open(encoding="utf-8", newline="") as f:
        return [(r["text"], r["expected"]) for r in csv.DictReader(f)]


def test_eval_set_labels_exist() -> None:
    rows = _load_eval()
    assert len(rows) >= 200
    assert all(region_exists(code) for _, code in rows)


def test_region_resolution_accuracy() -> None:
    """Province-level top-1 on every row; district-level top-1 on the Beijing district rows."""
    rows = _load_eval()
    out = resolve_regions(t for t, _ in rows)
    province_ok = sum(
        1 for t, e in rows if out[t].code is not None and province_of(out[t].code) == province_of(e)
    )  # type: ignore[arg-type]
    bj = [(t, e) for t, e in rows if e.startswith("11") and region_level(e) == "county"]
    bj_ok = sum(1 for t, e in bj if out[t].code == e)
    wrong = sum(
        1 for t, e in rows
        if out[t].code is not None and region_contains(out[t].code, e) is not True  # type: ignore[arg-type]
        and region_contains(e, out[t].code) is not True
    )  # fmt: skip
    n = len(rows)
    print(
        f"\nregion province top-1 {province_ok / n:.3f} (n={n}), Beijing district top-1 "
        f"{bj_ok / len(bj):.3f} (n={len(bj)}), confidently wrong {wrong / n:.3f}"
    )
    assert len(bj) >= 100
    assert province_ok / n >= 0.98
    assert bj_ok / len(bj) >= 0.95


# --------------------------------------------------------------------------- context


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("海淀", "110108"), ("延庆区", "110119"), ("中关村", "110108"), ("回龙观", "110114"),
        ("亦庄镇", "110115"), ("亦庄", "110000"), ("北京经济技术开发区", "110000"),
        ("中关村科技园区丰台园", "110106"), ("城市副中心", "110112"), ("怀柔科学城", "110116"),
    ],
)  # fmt: skip
def test_unique_names_and_zones_resolve_without_context(text: str, code: str) -> None:
    assert resolve_region(text).code == code


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("通州区", ("北京市通州区", "江苏省南通市通州区")),
        ("朝阳区", ("北京市朝阳区", "吉林省长春市朝阳区")),
        ("通州区马驹桥镇", ("北京市通州区", "江苏省南通市通州区")),
    ],
)
def test_ambiguous_names_are_listed(text: str, names: tuple[str, ...]) -> None:
    res = resolve_region(text)
    assert res.code is None
    assert ambiguous_names(res) == names


def test_unknown_is_not_ambiguous() -> None:
    assert ambiguous_names(resolve_region("火星基地")) == ()
    assert ambiguous_names(resolve_region("海淀")) == ()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("通州区", "110112"), ("朝阳区", "110105"), ("朝阳", "110105"), ("经开区", "110000"),
        ("开发区", "110000"), ("副中心", "110112"), ("通州区马驹桥镇", "110112"),
        ("海淀", "110108"),
        # The context settles ambiguity only; a text that resolves on its own is kept.
        ("浦东新区", "310115"), ("长春市朝阳区", "220104"),
        # Not in the context and not certain: still unknown, never a guess.
        ("鼓楼区", None), ("火星基地", None),
    ],
)  # fmt: skip
def test_region_context_settles_ambiguous_names(text: str, code: str | None) -> None:
    assert resolve_region(text, "北京市").code == code
    assert resolve_region(text, "110000").code == code
    assert resolve_regions([text], context="北京").get(text).code == code  # type: ignore[union-attr]


def test_context_only_zones_need_their_context() -> None:
    assert resolve_region("经开区").code is None
    assert resolve_region("经开区", "上海市").code is None
    assert resolve_region("经开区", "北京市海淀区").code == "110000"


def test_region_context_must_be_one_division() -> None:
    assert region_context_code("北京") == "110000" and region_context_code("110108") == "110108"
    with pytest.raises(ValueError, match="朝阳区"):
        region_context_code("朝阳区")
    with pytest.raises(ValueError, match="不是一个确定的行政区划"):
        resolve_region("通州区", "朝阳区")
    with pytest.raises(ValueError):
        resolve_region("通州区", "火星")


def test_zones_have_notes_and_valid_codes() -> None:
    spec = data.load_yaml("region_aliases.yaml")
    for kind in ("former", "zones"):
        for name, item in spec[kind].items():
            assert region_exists(str(item["code"])) and item["note"], name
    for ctx, names in spec["context_zones"].items():
        assert region_exists(str(ctx))
        for name, item in names.items():
            assert region_exists(str(item["code"])) and item["note"], name


def test_suggest_region_context() -> None:
    texts = ["北京市海淀区", "西城区", "昌平", "北京市东城区", "通州区", "朝阳区", "上海市浦东新区"]
    out = resolve_regions(texts)
    hint = suggest_region_context([r.code for r in out.values()], out.values())
    assert hint is not None and hint.code == "110000"
    assert hint.rows == 5 and hint.share == pytest.approx(0.8)
    assert hint.settles == ("通州区", "朝阳区")
    assert "--region-context 北京市" in hint.message("zh") and "不会自动采用" in hint.message()
    assert "not applied" in hint.message("en")
    # No majority, or too few rows: no suggestion.
    assert suggest_region_context(["110108", "310115", "440305", "320106"]) is None
    assert suggest_region_context(["110108", "110105"]) is None


def test_normalise_reports_ambiguity_and_takes_a_context() -> None:
    from matcher.normalize import error_messages, normalise

    raw = pl.DataFrame({"__row": [2, 3, 4], "企业名称": ["甲", "乙", "丙"]})
    raw = raw.with_columns(pl.Series("所在区", ["通州区", "海淀", "火星"]))
    plain = normalise(raw)
    assert plain.frame["region_code"].to_list() == [None, "110108", None]
    msgs = dict(zip(plain.errors["code"], error_messages(plain.errors), strict=True))
    assert msgs["ambiguous_region"].startswith(
        "地区有歧义（通州区：北京市通州区 / 江苏省南通市通州区）"
    )
    assert "无法识别地区「火星」" in msgs["unknown_region"]
    settled = normalise(raw, region_context="北京市")
    assert settled.frame["region_code"].to_list() == ["110112", "110108", None]
    assert settled.errors["code"].to_list() == ["unknown_region"]


_TEXTS = st.sampled_from(
    ["通州区", "朝阳区", "朝阳", "鼓楼区", "经开区", "开发区", "海淀", "亦庄", "西湖区", "火星基地"]
    + [t for t, _ in _load_eval()[:120]]
)
_CONTEXTS = st.sampled_from(["北京市", "江苏省", "吉林省长春市", "浙江省", "110108", "上海"])


@given(_TEXTS, _CONTEXTS)
@settings(max_examples=200, deadline=None)
def test_context_only_settles_what_the_text_leaves_open(text: str, context: str) -> None:
    plain = resolve_region(text)
    ctx = region_context_code(context)
    got = resolve_region(text, context)
    if plain.code is not None and plain.method != "fuzzy":
        assert got.code == plain.code  # a certain reading is never changed
    elif got.code is not None and got.code != plain.code:
        # A new reading lies inside the context, or contains it (a context-only zone).
        assert region_contains(ctx, got.code) or region_contains(got.code, ctx)
