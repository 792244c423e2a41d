"""The bundled reference tables equal the public source tables, and carry their metadata."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest

from matcher.reference import data
from matcher.reference.industry import industry_codes, industry_name, normalize_industry_code
from matcher.reference.regions import divisions, region_level, region_name

SHARED = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(scope="module")
def shared_reference() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"public source tables not found at {SHARED} (no ../shared in this checkout)")
    return SHARED


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_data_dir_points_at_rules_reference() -> None:
    assert (data.data_dir() / "rules" / "reference").is_dir()
    assert data.reference_path("gbt4754_2017.csv").is_file()
    assert data.reference_path("adcodes_2024.csv").is_file()


@pytest.mark.parametrize("meta", ["gbt4754_2017.meta.yaml", "adcodes_2024.meta.yaml"])
def test_tables_have_edition_and_source(meta: str) -> None:
    m = data.load_yaml(meta)
    assert m["edition"] and m["source"] and m["generated_by"]


@pytest.mark.parametrize(
    "name",
    ["region_groups.yaml", "region_aliases.yaml", "industry_aliases.yaml",
     "sme_size_standard_2011.yaml"],
)  # fmt: skip
def test_yaml_files_have_edition_and_source(name: str) -> None:
    m = data.load_yaml(name)
    assert m["edition"]
    assert m.get("source") or all(g.get("source") for g in m["groups"].values())


def test_codes_are_read_as_text() -> None:
    rows = data.industry_rows()
    assert rows[1]["code"] == "01"
    assert data.adcode_rows()[0]["adcode"] == "110000"


def test_industry_level_counts() -> None:
    levels = [c.level for c in industry_codes().values()]
    assert [levels.count(i) for i in (1, 2, 3, 4)] == [20, 97, 473, 1381]


def test_every_industry_code_and_name_equals_public_table(shared_reference: Path) -> None:
    public = _rows(shared_reference / "gbt4754_2017_codes.csv")
    shipped = {(r["level"], r["code"]): r for r in data.industry_rows()}
    assert len(shipped) == len(public)
    for r in public:
        mine = shipped[(r["level"], r["code"])]
        assert mine["name"] == r["name"].strip(), r["code"]
        assert mine["section"] == r["section"], r["code"]
        norm = r["code"] if r["level"] == "1" else r["section"] + r["code"]
        assert normalize_industry_code(norm) == norm
        assert industry_name(norm) == r["name"].strip()


def test_sections_and_divisions_complete(shared_reference: Path) -> None:
    public = _rows(shared_reference / "gbt4754_2017_codes.csv")
    for level, count in (("1", 20), ("2", 97)):
        pub = {(r["code"], r["name"].strip()) for r in public if r["level"] == level}
        mine = {(r["code"], r["name"]) for r in data.industry_rows() if r["level"] == level}
        assert pub == mine
        assert len(mine) == count


def test_every_adcode_and_name_equals_public_table(shared_reference: Path) -> None:
    public = _rows(shared_reference / "mca_adcodes_2024_flat.csv")
    table = divisions()
    assert len(table) == len(public) == 3213
    for r in public:
        d = table[r["adcode"]]
        assert (d.name, d.level, d.full_name) == (r["name"], r["level"], r["full_name"])
        assert d.province_code == r["province_code"]
        assert d.city_code == (r["city_code"] or "")
        assert region_name(r["adcode"]) == r["full_name"]


def test_all_provinces_and_prefectures_present() -> None:
    levels = [d.level for d in divisions().values()]
    assert levels.count("province") == 34
    assert levels.count("prefecture") == 333
    assert levels.count("county") == 2846
    assert region_level("110000") == "province"
    assert region_level("130100") == "prefecture"
    assert region_level("110108") == "county"


# --- the JSON copies of the tables (issue 16) -------------------------------------------


def _csv_reader(path: Path, calls: list[int]) -> Callable[[], tuple[dict[str, str], ...]]:
    def parse() -> tuple[dict[str, str], ...]:
        calls.append(1)
        return tuple(dict(r) for r in _rows(path))

    return parse


def test_table_copy_is_read_back_and_follows_its_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(data.TABLE_CACHE_OFF_ENV, raising=False)
    src = tmp_path / "codes.csv"
    src.write_text("code,name\n01,农业\n110105,朝阳区\n", encoding="utf-8")
    calls: list[int] = []
    first = data._kept(src, _csv_reader(src, calls), data._rows_json)
    assert first == ({"code": "01", "name": "农业"}, {"code": "110105", "name": "朝阳区"})
    again = data._kept(src, _csv_reader(src, calls), data._rows_json)
    assert again == first and len(calls) == 1  # read back, not parsed
    assert [list(r) for r in again] == [["code", "name"]] * 2  # column order kept
    # a changed source is parsed again, never answered from the old copy
    src.write_text("code,name\n01,农、林、牧、渔业\n", encoding="utf-8")
    changed = data._kept(src, _csv_reader(src, calls), data._rows_json)
    assert changed == ({"code": "01", "name": "农、林、牧、渔业"},) and len(calls) == 2
    # a damaged copy is ignored: parsed afresh
    for kept in (tmp_path / "cache" / "policy-match").glob("table-codes-*.json"):
        kept.write_text("{", encoding="utf-8")
    assert data._kept(src, _csv_reader(src, calls), data._rows_json) == changed
    assert len(calls) == 3
    # switched off: parsed every time
    monkeypatch.setenv(data.TABLE_CACHE_OFF_ENV, "1")
    data._kept(src, _csv_reader(src, calls), data._rows_json)
    assert len(calls) == 4


def test_yaml_dates_and_odd_keys_are_kept_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(data.TABLE_CACHE_OFF_ENV, raising=False)
    src = tmp_path / "t.yaml"
    src.write_text(
        "1: a\nsince: 2022-07-01\nat: 2022-07-01 08:30:00\n"
        "nested: {$date: x, 2: [2021-01-01, 'b']}\nflag: true\nn: 1.0\n",
        encoding="utf-8",
    )
    expected = {
        1: "a",
        "since": dt.date(2022, 7, 1),
        "at": dt.datetime(2022, 7, 1, 8, 30),
        "nested": {"$date": "x", 2: [dt.date(2021, 1, 1), "b"]},
        "flag": True,
        "n": 1.0,
    }
    first = data.read_yaml(src)
    assert first == expected
    assert list((tmp_path / "cache" / "policy-match").glob("table-t-*.json"))
    again = data.read_yaml(src)  # from the JSON copy: the same types, not strings
    assert again == expected and type(again["at"]) is dt.datetime and type(again["n"]) is float
    assert type(again["nested"]["$date"]) is str and type(again["flag"]) is bool


def test_yaml_that_json_cannot_hold_is_never_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(data.TABLE_CACHE_OFF_ENV, raising=False)
    src = tmp_path / "s.yaml"
    src.write_text("codes: !!set {a, b}\nblob: !!binary aGk=\n", encoding="utf-8")
    for _ in range(2):
        assert data.read_yaml(src) == {"codes": {"a", "b"}, "blob": b"hi"}
    assert not list((tmp_path / "cache" / "policy-match").glob("table-s-*.json"))


def test_bundled_tables_read_back_equal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    for name in ("adcodes_2024.csv", "gbt4754_2017.csv", "header_aliases.csv"):
        monkeypatch.setenv(data.TABLE_CACHE_OFF_ENV, "1")
        parsed = data._read_csv(name)
        monkeypatch.delenv(data.TABLE_CACHE_OFF_ENV)
        assert data._read_csv(name) == parsed  # parsed and kept
        assert list((tmp_path / "cache" / "policy-match").glob(f"table-{Path(name).stem}-*"))
        kept = data._read_csv(name)  # read back
        assert kept == parsed and [list(r) for r in kept] == [list(r) for r in parsed]


def test_file_digest_follows_the_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # issue 16: each file is hashed once per process while it is unchanged
    import hashlib

    from matcher.reference import model_cache

    def expected(data: bytes) -> bytes:
        return hashlib.sha256(len(data).to_bytes(8, "little") + data).digest()

    path = tmp_path / "table.csv"
    path.write_bytes(b"code\n01\n")
    assert model_cache.file_digest(path) == expected(b"code\n01\n")
    path.write_bytes(b"code\n02\n")  # same size, at once: a file changed just now is not kept
    assert model_cache.file_digest(path) == expected(b"code\n02\n")
    assert not [k for k in model_cache._DIGESTS if k[0] == str(path)]
    monkeypatch.setattr(model_cache, "_SETTLED_NS", -(10**18))  # as if long unchanged
    assert model_cache.file_digest(path) == expected(b"code\n02\n")
    assert [k for k in model_cache._DIGESTS if k[0] == str(path)]  # kept
    path.write_bytes(b"code\n0003\n")
    assert model_cache.file_digest(path) == expected(b"code\n0003\n")
    with pytest.raises(FileNotFoundError):
        model_cache.file_digest(tmp_path / "missing.csv")
