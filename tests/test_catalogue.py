"""鼓励外商投资产业目录: edition files, dates in force, the importer, matching, the evaluation set, CLI."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
from dataclasses import replace
from pathlib import Path

import pytest
import typer
from kept_pickles import assert_odd_files_ignored
from typer.testing import CliRunner

from matcher.authoring.catalogue_cmd import catalogue_app
from matcher.reference.catalogue import (
    MATCH_CUTOFF,
    CatalogueError,
    Edition,
    check_numbering,
    edition_in_force,
    editions,
    match_scope,
    match_scopes,
    parse_official_text,
    province_code,
    write_edition,
)
from matcher.reference.data import reference_path

DATA = Path(__file__).resolve().parent / "data"
SAMPLE = DATA / "catalogue_sample.txt"
EVAL = DATA / "eval_catalogue.csv"
BUNDLED = reference_path("catalogue")
D = dt.date.fromisoformat


def bundled() -> dict[str, Edition]:
    return {e.key: e for e in editions()}


def adcodes() -> dict[str, str]:
    with reference_path("adcodes_2024.csv").open(encoding="utf-8", newline="") as f:
        return {r["adcode"]: r["level"] for r in csv.DictReader(f)}


# --------------------------------------------------------------------------- edition files


def test_bundled_editions_and_files() -> None:
    eds = bundled()
    assert sorted(eds) == ["2020", "2022", "2025"]
    assert sorted(p.name for p in BUNDLED.glob("*.yaml")) == [
        f"fdi_encouraged_{k}.yaml" for k in ("2020", "2022", "2025")
    ]
    for key, ed in eds.items():
        assert ed.path is not None and ed.path.name == f"fdi_encouraged_{key}.yaml"
        assert ed.title == f"《鼓励外商投资产业目录（{key}年版）》"
        assert ed.authority == "国家发展改革委、商务部"


@pytest.mark.parametrize(
    ("key", "national", "regional", "start", "until"),
    [
        ("2020", 480, 755, "2021-01-27", "2022-12-31"),
        ("2022", 519, 955, "2023-01-01", "2026-01-31"),
        ("2025", 619, 1060, "2026-02-01", None),
    ],
)
def test_edition_dates_and_totals(
    key: str, national: int, regional: int, start: str, until: str | None
) -> None:
    ed = bundled()[key]
    assert (ed.official_national, ed.official_regional) == (national, regional)
    assert ed.valid_from == D(start)
    assert ed.valid_until == (D(until) if until else None)
    assert ed.valid_until is None or ed.valid_from < ed.valid_until
    assert ed.partial  # the bundled lists are partial, and say so
    assert 0 < ed.national_count < national and 0 < ed.regional_count < regional


def test_editions_follow_each_other() -> None:
    eds = editions()
    for a, b in itertools.pairwise(eds):
        assert a.valid_until is not None
        assert a.valid_until + dt.timedelta(days=1) == b.valid_from


@pytest.mark.parametrize("key", ["2020", "2022", "2025"])
def test_entries_structure(key: str) -> None:
    ed = bundled()[key]
    codes = adcodes()
    seen: set[tuple[str, str | None, str]] = set()
    for e in ed.entries:
        assert e.edition == key and e.text.strip() and e.section
        ident = (e.scope, e.province, e.number)
        assert ident not in seen, f"duplicate number {e.number}"
        seen.add(ident)
        if e.scope == "national":
            assert e.province is None
            assert re.fullmatch(r"暂\d+" if not e.number_official else r"\d+", e.number)
        else:
            assert e.province in codes and codes[e.province] == "province", e.province
            assert re.fullmatch(r"\S+ (暂)?\d+", e.number)
        assert ("暂" in e.number) != e.number_official


@pytest.mark.parametrize("key", ["2020", "2022", "2025"])
def test_file_header_states_the_counts(key: str) -> None:
    ed = bundled()[key]
    head = (BUNDLED / f"fdi_encouraged_{key}.yaml").read_text(encoding="utf-8")[:600]
    m = re.search(r"收录：全国鼓励外商投资产业目录 (\d+) / (\d+) 条；\S+ (\d+) / (\d+) 条", head)
    assert m, "the header must say how many of the official total the file holds"
    assert [int(x) for x in m.groups()] == [
        ed.national_count,
        ed.official_national,
        ed.regional_count,
        ed.official_regional,
    ]
    assert "不是全文" in head and "catalogue import" in head


@pytest.mark.parametrize(
    ("day", "key"),
    [
        ("2021-01-26", None),
        ("2021-01-27", "2020"),
        ("2022-12-31", "2020"),
        ("2023-01-01", "2022"),
        ("2026-01-31", "2022"),
        ("2026-02-01", "2025"),
        ("2035-06-30", "2025"),
    ],
)
def test_edition_in_force(day: str, key: str | None) -> None:
    ed = edition_in_force(D(day))
    assert (ed.key if ed else None) == key


# --------------------------------------------------------------------------- importer

SAMPLE_EXPECTED = [
    ("1", "national", None, "农、林、牧、渔业", None, "木本食用油料、调料和工业原料的种植、开发、生产"),
    ("2", "national", None, "农、林、牧、渔业", None,
     "绿色、有机蔬菜（含食用菌、西甜瓜）、干鲜果品、茶叶栽培技术开发及产品生产"),
    ("3", "national", None, "农、林、牧、渔业", None, "中药材种植、养殖"),
    ("4", "national", None, "采矿业", None,
     "石油、天然气（含油页岩、油砂、页岩气、煤层气等非常规油气）的勘探、开发和矿井瓦斯利用"),
    ("5", "national", None, "制造业", "农副食品加工业", "水产品加工、贝类净化及加工、海藻保健食品开发"),
    ("6", "national", None, "制造业", "计算机、通信和其他电子设备制造业",
     "集成电路设计，线宽28纳米及以下大规模数字集成电路制造，0.11微米及以下模拟、数模集成电路制造，"
     "MEMS和化合物半导体集成电路制造及BGA、PGA、FPGA、CSP、MCM等先进封装与测试"),
    ("7", "national", None, "科学研究和技术服务业", None, "研究开发中心"),
    ("山西省 1", "regional", "140000", "中西部地区外商投资优势产业目录", None, "煤层气勘探、开发和利用"),
    ("山西省 2", "regional", "140000", "中西部地区外商投资优势产业目录", None,
     "旱地、山地中小农业机械及配套机具制造"),
    ("内蒙古自治区 1", "regional", "150000", "中西部地区外商投资优势产业目录", None, "乳制品生产"),
    ("新疆维吾尔自治区 1", "regional", "650000", "中西部地区外商投资优势产业目录", None,
     "棉花种植及棉纺织品生产"),
    ("新疆维吾尔自治区 2", "regional", "650000", "中西部地区外商投资优势产业目录", None,
     "旅游景区（点）保护、开发和经营及其配套设施建设"),
]  # fmt: skip


def parse_sample() -> Edition:
    text = SAMPLE.read_text(encoding="utf-8")
    return parse_official_text(text, "2022", "《测试》", D("2023-01-01"), D("2026-01-31"))


def test_importer_reads_the_sample_entry_by_entry() -> None:
    ed = parse_sample()
    got = [(e.number, e.scope, e.province, e.section, e.subsection, e.text) for e in ed.entries]
    assert got == SAMPLE_EXPECTED
    assert all(e.number_official and e.edition == "2022" for e in ed.entries)
    assert ed.official_national is None and not ed.partial
    assert ed.regional_part == "中西部地区外商投资优势产业目录"
    assert check_numbering(ed) == []


def test_importer_handles_page_junk_and_lost_numbers() -> None:
    text = "\n".join(
        [
            "三、制造业",
            "１．工业机器人",
            "第 12 页 共 80 页",
            "12/80",
            "鼓励外商投资产业目录（2022年版）",
            "-------",
            "制造",
            "9．线宽",
            "0.11微米",
            "2．新型药用辅料的开发及生产",
            "6．海洋药物的开发及生产",  # 3, 4, 5 lost in the paste: still taken as an entry
            "40．不是编号，是续行",
            "注：以下略。",
            "这一行不属于任何条目",
        ]
    )
    ed = parse_official_text(text, "x", "x", D("2020-01-01"), None)
    assert [(e.number, e.text) for e in ed.entries] == [
        ("1", "工业机器人制造9．线宽0.11微米"),
        ("2", "新型药用辅料的开发及生产"),
        ("6", "海洋药物的开发及生产40．不是编号，是续行"),
    ]
    assert check_numbering(ed) == ["全国目录缺少第 3、4、5 条"]


def test_importer_refuses_text_without_entries() -> None:
    with pytest.raises(CatalogueError, match="没有读到任何编号条目"):
        parse_official_text("只是一段说明文字", "x", "x", D("2020-01-01"), None)


def test_write_and_reload_replaces_the_bundled_edition(tmp_path: Path) -> None:
    ed = parse_sample()
    path = write_edition(ed, tmp_path / "fdi_encouraged_2022.yaml")
    assert path.read_text(encoding="utf-8").startswith("# 《测试》")
    loaded = {e.key: e for e in editions([tmp_path])}
    assert sorted(loaded) == ["2020", "2022", "2025"]
    again = loaded["2022"]
    assert again.entries == ed.entries
    assert replace(again, path=None) == ed
    assert edition_in_force(D("2024-01-01"), [tmp_path]) == again


# --------------------------------------------------------------------------- loader errors


def write(tmp_path: Path, body: str) -> Path:
    (tmp_path / "bad.yaml").write_text(body, encoding="utf-8")
    return tmp_path


GOOD_HEAD = "key: x\ntitle: t\nvalid_from: 2020-01-01\nentries:\n"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("key: [\n", "YAML 格式错误"),
        (GOOD_HEAD + "  - {number: '1', text: a, section: s, scope: national, colour: x}\n",
         r"entries\[0\]\.colour"),
        (GOOD_HEAD + "  - {number: '1', text: a, section: s, scope: local}\n", "national"),
        (GOOD_HEAD + "  - {number: 四川省 1, text: a, section: s, scope: regional, province: '519999'}\n",
         "不是省级行政区划代码"),
        (GOOD_HEAD + "  - {number: 四川 1, text: a, section: s, scope: regional, province: '510000'}\n",
         "应以「四川省 」开头"),
        (GOOD_HEAD + "  - {number: '1', text: a, section: s, scope: national}\n"
         "  - {number: '1', text: b, section: s, scope: national}\n", "重复"),
        (GOOD_HEAD + "  - {number: 暂1, text: a, section: s, scope: national}\n", "number_official"),
        ("key: x\ntitle: t\nvalid_from: 2020-01-01\nvalid_until: 2019-01-01\nentries: []\n",
         "早于"),
    ],
)  # fmt: skip
def test_bad_edition_files_are_refused(tmp_path: Path, body: str, message: str) -> None:
    folder = write(tmp_path, body)
    with pytest.raises(CatalogueError, match=message) as info:
        editions([folder])
    assert "bad.yaml" in info.value.message


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="不存在"):
        editions([tmp_path / "nope"])


# --------------------------------------------------------------------------- matching


def ed2022() -> Edition:
    return bundled()["2022"]


def test_match_scope_finds_the_main_business_and_explains_it() -> None:
    scope = "新能源汽车电池管理系统研发；货物进出口；技术服务、技术开发、技术咨询"
    (m,) = match_scope(scope, None, ed2022(), k=3)
    assert m.entry.number == "暂14" and m.score == 100.0
    assert m.clause == "新能源汽车电池管理系统研发"
    assert m.explain().startswith(
        "经营范围「新能源汽车电池管理系统研发」匹配目录条目「新能源汽车关键零部件"
    )
    assert "暂编号 暂14，官方编号待核；相似度 100" in m.explain()
    assert "provisional no. 暂14" in m.explain("en")


def test_explanation_with_an_official_number() -> None:
    ed = parse_sample()
    (m,) = match_scope("集成电路设计；软件开发", None, ed, k=1)
    assert m.explain() == (
        "经营范围「集成电路设计」匹配目录第 6 条「集成电路设计，线宽28纳米及以下大规模数字集成电路制造，"
        "0.11微米及以下模拟、数模集成电路制造，MEMS和化合物半导…」(相似度 100)"
    )
    (r,) = match_scope("乳制品生产、销售", "150102", ed, k=1)
    assert "匹配目录内蒙古自治区第 1 条「乳制品生产」" in r.explain()


def test_regional_entries_apply_only_in_their_province() -> None:
    scope = "职业院校教育"
    assert [m.entry.number for m in match_scope(scope, "430104", ed2022())] == ["湖南省 暂1"]
    assert [m.entry.number for m in match_scope(scope, "430000", ed2022())] == ["湖南省 暂1"]
    assert match_scope(scope, "440106", ed2022()) == []
    assert match_scope(scope, None, ed2022()) == []


@pytest.mark.parametrize(
    "scope",
    [
        "",
        "技术服务、技术开发、技术咨询、技术交流、技术转让、技术推广；货物进出口",
        "（除依法须经批准的项目外，凭营业执照依法自主开展经营活动）",
        "保健食品（预包装）销售；婴幼儿配方乳粉销售",  # selling is not making
        "餐饮服务；住宿服务；美容美发",
        "asdfgh qwerty 123456",
        "的的的的的的",
        "高新技术企业",
    ],
)
def test_nonsense_and_boilerplate_never_match(scope: str) -> None:
    assert match_scope(scope, "110105", ed2022()) == []


def test_modifier_in_the_entry_is_not_ignored() -> None:
    # 汽车零部件 appears in 新能源汽车关键零部件: without 新能源 it is not that entry.
    assert match_scope("汽车零部件及配件制造", None, ed2022()) == []
    # sensors are in brackets under 汽车电子装置: a sensor maker is not an auto-electronics maker.
    assert match_scope("传感器研发生产", None, ed2022()) == []


def test_k_and_order() -> None:
    scope = "海洋药物的研发与生产；保健食品生产；水产品加工"
    got = match_scope(scope, None, ed2022(), k=5)
    assert [m.entry.number for m in got][:3] == ["暂11", "暂9", "暂8"]
    assert all(m.score >= MATCH_CUTOFF for m in got)
    assert len({m.entry.number for m in got}) == len(got)
    assert len(match_scope(scope, None, ed2022(), k=1)) == 1


def test_province_code() -> None:
    assert province_code("510107") == "510000"
    assert province_code("５１００００") == "510000"
    assert province_code(None) is None
    for bad in ("51", "990000", "成都"):
        with pytest.raises(CatalogueError, match="不是行政区划代码"):
            province_code(bad)


def read_eval() -> list[dict[str, str]]:
    with EVAL.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_match_scopes_agrees_with_match_scope() -> None:
    rows = read_eval()
    pairs = [(r["scope"], r["region"] or None) for r in rows] * 2
    batch = match_scopes(pairs, ed2022())
    assert len(batch) == len(rows)
    for s, p in pairs:
        assert batch[(s, p)] == match_scope(s, p, ed2022())


# --------------------------------------------------------------------------- evaluation set

#: bounds the evaluation must stay within (measured 40/50 top-1 correct, 0 confidently wrong).
MIN_TOP1 = 0.80
MAX_CONFIDENT_WRONG = 0.04  # i.e. at most 2 of 50


def test_eval_set_is_well_formed() -> None:
    rows = read_eval()
    assert len(rows) == 50
    numbers = {e.number for e in ed2022().entries}
    codes = adcodes()
    for r in rows:
        assert r["region"] == "" or r["region"] in codes, r
        for want in r["expected"].split("|"):
            assert want == "none" or want in numbers, r


def test_eval_top1_accuracy_and_confident_errors(capsys: pytest.CaptureFixture[str]) -> None:
    rows = read_eval()
    results = match_scopes([(r["scope"], r["region"] or None) for r in rows], ed2022())
    correct = wrong = unknown = 0
    misses = []
    for r in rows:
        want = set(r["expected"].split("|"))
        got = results[(r["scope"], r["region"] or None)]
        top = got[0].entry.number if got else "none"
        if top in want:
            correct += 1
        elif top == "none":
            unknown += 1
            misses.append(f"  {r['id']}: 未匹配（应为 {r['expected']}）")
        else:
            wrong += 1
            misses.append(f"  {r['id']}: {top}（应为 {r['expected']}）← 确信但错误")
    n = len(rows)
    with capsys.disabled():
        print(
            f"\n目录匹配评测：{n} 条经营范围，top-1 正确 {correct}（{correct / n:.0%}），"
            f"确信但错误 {wrong}（{wrong / n:.0%}），未匹配 {unknown}"
        )
        print("\n".join(misses))
    assert correct / n >= MIN_TOP1
    assert wrong / n <= MAX_CONFIDENT_WRONG


# --------------------------------------------------------------------------- CLI

runner = CliRunner()
app = typer.Typer()
app.add_typer(catalogue_app, name="catalogue")


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200", "NO_COLOR": "1"})
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("cmd", [[], ["import"], ["list"], ["match"]])
def test_every_command_has_chinese_help_with_an_example(cmd: list[str]) -> None:
    code, out, _ = run("catalogue", *cmd, "--help")
    assert code == 0
    assert "Example: policy-match catalogue" in out
    assert re.search(r"[\u4e00-\u9fff]{4}", out)


def test_cli_import_list_match(tmp_path: Path) -> None:
    folder = tmp_path / "cat"
    code, out, _ = run(
        "catalogue", "import", str(SAMPLE), "--edition", "2022", "--out", str(folder)
    )
    assert code == 0, out
    assert "全国目录 7 / 519 条，地区目录 5 / 955 条" in out  # totals carried from the bundled file
    assert (folder / "fdi_encouraged_2022.yaml").is_file()
    loaded = {e.key: e for e in editions([folder])}["2022"]
    assert loaded.valid_from == D("2023-01-01") and loaded.valid_until == D("2026-01-31")
    assert loaded.order == "国家发展改革委 商务部令 第52号"

    code, out, _ = run("catalogue", "list", "--catalogue", str(folder))
    assert code == 0
    assert "全国 7 / 519" in out and "全国 38 / 480" in out and "部分条目" in out

    code, out, _ = run(
        "catalogue", "match", "乳制品生产；预包装食品销售", "--region", "150102",
        "--as-of", "2024-05-01", "--catalogue", str(folder),
    )  # fmt: skip
    assert code == 0
    assert "匹配目录内蒙古自治区第 1 条「乳制品生产」(相似度 100)" in out


def test_cli_match_bundled_and_no_match() -> None:
    code, out, _ = run("catalogue", "match", "工业机器人制造；货物进出口", "--as-of", "2023-06-01")
    assert code == 0
    assert "《鼓励外商投资产业目录（2022年版）》" in out and "工业机器人" in out
    assert "未匹配不代表不属于鼓励类" in out
    code, out, _ = run("catalogue", "match", "餐饮服务", "--as-of", "2023-06-01")
    assert code == 0 and "未匹配到目录条目" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["match", "x", "--as-of", "2023-02-30"], "--as-of「2023-02-30」不是日期"),
        (["match", "x", "--as-of", "2019-01-01"], "没有施行中的目录版本"),
        (["match", "x", "--region", "99"], "「99」不是行政区划代码"),
        (["list", "--catalogue", "/nonexistent/cat"], "不存在"),
        (["import", "/nonexistent/x.txt", "--edition", "2022"], "不存在"),
        (["import", str(SAMPLE), "--edition", "2030"], "缺少 --from"),
        (["import", str(SAMPLE), "--edition", "20 22"], "不是版本代号"),
    ],
)
def test_cli_errors_are_one_chinese_line(args: list[str], message: str) -> None:
    code, out, err = run("catalogue", *args)
    assert code == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1 and err.startswith("错误：")
    assert "Traceback" not in out + err


def test_short_entries_still_match() -> None:
    ed = bundled()["2025"]
    got = match_scope("露营地服务；餐饮服务", None, ed)
    assert [m.entry.number for m in got] == ["暂5"]


@pytest.mark.parametrize("key", ["2020", "2022", "2025"])
def test_bundled_editions_round_trip_through_write_edition(key: str, tmp_path: Path) -> None:
    ed = bundled()[key]
    write_edition(ed, tmp_path / f"fdi_encouraged_{key}.yaml")
    again = {e.key: e for e in editions([tmp_path])}[key]
    assert replace(again, path=None) == replace(ed, path=None)


def test_pinned_editions_are_looked_up_once_per_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve` pins the editions: the same edition as reading the folders, which are then
    not read again for that date."""
    import matcher.reference.catalogue as catalogue

    day = dt.date(2022, 7, 1)
    expected = catalogue.edition_in_force(day)
    assert expected is not None
    monkeypatch.setattr(catalogue, "_pinned", None)
    reads: list[int] = []
    real = catalogue.editions
    monkeypatch.setattr(catalogue, "editions", lambda dirs=(): reads.append(1) or real(dirs))
    catalogue.edition_in_force(day)
    catalogue.edition_in_force(day)
    assert len(reads) == 2  # not pinned: the folders are read every time
    catalogue.pin_editions()
    assert [catalogue.edition_in_force(day) for _ in range(3)] == [expected] * 3
    assert catalogue.edition_in_force(dt.date(1990, 1, 1)) is None
    assert catalogue.edition_in_force(dt.date(1990, 1, 1)) is None
    assert len(reads) == 4  # one read for each date


def test_bundled_editions_kept_pickled_and_odd_files_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # issue 16: a warm run restores the bundled editions without validating them again;
    # a file that is not our own pickle of the edition records is never believed
    from matcher.reference import catalogue

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv(catalogue.EDITION_CACHE_OFF_ENV, raising=False)
    catalogue._load_cached.cache_clear()
    try:
        cold = catalogue.editions()
        kept = sorted(tmp_path.glob("policy-match/catalogue-edition-*.pickle"))
        assert len(kept) == len(cold)
        catalogue._load_cached.cache_clear()
        calls: list[int] = []
        real = catalogue._load_file

        def counting(path: Path) -> catalogue.Edition:
            calls.append(1)
            return real(path)

        monkeypatch.setattr(catalogue, "_load_file", counting)
        warm = catalogue.editions()
        assert not calls
        assert warm == cold and [e.path for e in warm] == [e.path for e in cold]
        assert [vars(e) for e in warm] == [vars(e) for e in cold]
        path = catalogue._edition_pickle(cold[0].path)  # type: ignore[arg-type]
        assert path is not None and path.is_file()
        assert_odd_files_ignored(
            path,
            catalogue._read_edition,
            "catalogue-edition-1",
            cold[0],
            cold[0].entries[0],
            monkeypatch,
        )
    finally:
        catalogue._load_cached.cache_clear()
