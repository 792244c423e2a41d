"""The benchmark's portfolio generator (bench/generate.py): deterministic, the requested
size, realistic missing rates, and loadable by the matcher with every row accounted for."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import polars as pl
import pytest

from matcher.api import load_portfolio
from matcher.fields import REGISTRY_FIELDS

ROOT = Path(__file__).resolve().parent.parent


def _load_generator():
    path = ROOT / "bench" / "generate.py"
    if not path.exists():
        pytest.skip("bench/generate.py is not in this checkout", allow_module_level=True)
    spec = importlib.util.spec_from_file_location("bench_generate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()

# Placeholders the generator writes for a missing value; the matcher reads them as unknown.
EMPTY = pl.col("*").is_null() | pl.col("*").is_in(gen.PLACEHOLDERS)


@pytest.fixture(scope="module")
def frame() -> pl.DataFrame:
    return gen.generate(20_000, seed=7)


def test_headers_are_the_field_contract():
    assert {f.name: f.zh for f in REGISTRY_FIELDS} == {
        k: v for k, v in gen.HEADERS.items() if k != "contact"
    }


@pytest.mark.parametrize("n", [0, 1, 17, gen.CHUNK + 3])
def test_requested_number_of_rows(n):
    df = gen.generate(n, seed=1)
    assert df.height == n
    assert df.columns == list(gen.HEADERS.values())
    assert all(dtype == pl.String for dtype in df.dtypes)


def test_deterministic_for_a_seed():
    a = gen.generate(3_000, seed=42)
    b = gen.generate(3_000, seed=42)
    c = gen.generate(3_000, seed=43)
    assert a.equals(b)
    assert not a.equals(c)


def test_files_are_deterministic(tmp_path):
    one, two = tmp_path / "a.csv", tmp_path / "b.csv"
    gen.write(2_000, one, seed=5)
    gen.write(2_000, two, seed=5)
    assert one.read_bytes() == two.read_bytes()
    assert one.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel


def test_missing_rates_within_bounds(frame):
    rates = frame.select(EMPTY.mean()).row(0, named=True)
    for field, header in gen.HEADERS.items():
        expected = gen.MISSING_RATES[field]
        assert abs(rates[header] - expected) < 0.02, (header, rates[header], expected)
        if field != "name":
            assert 0.04 <= rates[header] <= 0.42, (header, rates[header])


def test_beijing_share_and_pool_sizes(frame):
    regions = frame.get_column("所在地区").drop_nulls()
    assert 1_000 <= regions.n_unique() <= 6_000
    assert 100 <= frame.get_column("所属行业").drop_nulls().n_unique() <= 1_000
    beijing = regions.str.starts_with("11") | regions.str.contains("北京|海淀|朝阳|东城|西城")
    assert 0.38 <= beijing.mean() <= 0.55


def test_local_hires_never_above_total(frame):
    pair = frame.select(
        pl.col("招用毕业年度高校毕业生人数").cast(pl.Int64, strict=False).alias("total"),
        pl.col("其中本地高校毕业生人数").cast(pl.Int64, strict=False).alias("local"),
    ).drop_nulls()
    assert pair.height > 0
    assert (pair["local"] <= pair["total"]).all()


def test_some_bad_cells_and_duplicates(frame):
    employees = frame.get_column("从业人员").drop_nulls()
    bad = employees.is_in(gen.BAD_INT).mean()
    assert 0.001 < bad < 0.02
    assert frame.get_column("经营范围").drop_nulls().is_duplicated().any()
    assert frame.get_column("所在地区").is_in(gen.UNKNOWN_REGIONS).any()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_loads_with_every_row_accounted_for(tmp_path, fmt):
    path = gen.write(3_000, tmp_path / f"p.{fmt}", seed=11, fmt=fmt)
    portfolio = load_portfolio(path)
    assert portfolio.read == 3_000
    left_out = len(portfolio.duplicates) + len(portfolio.skipped)  # repeated firms, totals
    assert portfolio.read == portfolio.matched + portfolio.rejected + left_out
    assert 0 < portfolio.rejected < 30  # rows without a name
    assert portfolio.matched > 2_900
    # the values were understood: most regions and industries resolve, numbers parse
    frame = portfolio.frame
    assert frame.get_column("region_code").null_count() / frame.height < 0.10
    assert frame.get_column("industry_code").null_count() / frame.height < 0.15
    assert frame.get_column("employees").null_count() / frame.height < 0.13
    assert frame.get_column("revenue").null_count() / frame.height < 0.18
    assert "联系人" in portfolio.passthrough
