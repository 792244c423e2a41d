"""The thirteen rules of bench/rules_ordinary/, hand-written in polars (issue 16).

What a competent analyst would write without policy-match: read the CSV as text,
parse the columns the rules read (units, 是/否 spellings, five date spellings,
certification aliases; regions and industries mapped once per distinct value),
evaluate each rule with Kleene logic (polars ``&`` / ``all_horizontal``), rank
each enterprise's results, write one CSV row per enterprise × rule.

Simplifications a hand-written script makes, so its results are close to but not
identical with policy-match's (`compare_handwritten.py` prints both counts):
size when not given is derived with the industrial size standard for every
industry; region text is matched by its longest known prefix; an ambiguous
region name (朝阳区) takes its first reading instead of being unknown; no row is
checked beyond parsing, and no problem is reported.

    python bench/handwritten.py IN.csv OUT.csv [--as-of 2022-07-01]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
import time
from pathlib import Path

import polars as pl
import yaml

REF = Path(__file__).resolve().parent.parent / "rules" / "reference"
STATUS_ORDER = {"eligible": 0, "unknown": 1, "ineligible": 2}


def region_table() -> dict[str, str]:
    """Every way the generator writes a place (code, full name, short name) → adcode."""
    names: dict[str, str] = {}
    with (REF / "adcodes_2024.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            code = r["adcode"]
            for n in (r["full_name"], r["name"], r["name"].rstrip("省市区县")):
                if n and n not in names:
                    names[n] = code
            names[code] = code
    return names


def region_code(value: str | None, names: dict[str, str]) -> str | None:
    if value is None:
        return None
    for end in range(len(value), 1, -1):  # longest known prefix: 北京市海淀区中关村… → 110108
        code = names.get(value[:end])
        if code is not None:
            return code
    return None


def industry_table() -> dict[str, str]:
    """GB/T 4754 code or name → section letter plus code (C3011 → 'C3011', 软件开发 → 'I6513')."""
    table: dict[str, str] = {}
    with (REF / "gbt4754_2017.csv").open(encoding="utf-8") as f:
        for r in csv.DictReader(f):
            full = r["code"] if r["code"][:1].isalpha() else r["section"] + r["code"]
            table[r["code"]] = table[r["name"]] = table[full] = full
    return table


def certification_table() -> dict[str, str]:
    data = yaml.safe_load((REF / "certifications.yaml").read_text(encoding="utf-8"))
    table = {}
    for canonical, aliases in data["canonical"].items():
        for a in [canonical, *aliases]:
            table[a] = canonical
    return table


def number(column: str) -> pl.Expr:
    """万元 from 1.2亿 / 3,000万元 / 500000元 / 153.7."""
    text = pl.col(column).str.replace_all(",", "").str.strip_chars()
    value = text.str.extract(r"^([0-9]+(?:\.[0-9]+)?)", 1).cast(pl.Float64, strict=False)
    scale = (
        pl.when(text.str.ends_with("亿"))
        .then(10_000.0)
        .when(text.str.ends_with("元") & ~text.str.ends_with("万元"))
        .then(0.0001)
        .otherwise(1.0)
    )
    return value * scale


def boolean(column: str) -> pl.Expr:
    return pl.col(column).replace_strict(
        {
            "是": True,
            "√": True,
            "1": True,
            "Y": True,
            "否": False,
            "×": False,
            "0": False,
            "N": False,
        },
        default=None,
        return_dtype=pl.Boolean,
    )


def date(column: str) -> pl.Expr:
    c = pl.col(column)
    serial = c.cast(pl.Int32, strict=False)
    return pl.coalesce(
        c.str.to_date("%Y-%m-%d", strict=False),
        c.str.to_date("%Y/%m/%d", strict=False),
        c.str.to_date("%Y年%m月%d日", strict=False),
        pl.when(c.str.len_chars() == 8).then(c.str.to_date("%Y%m%d", strict=False)),
        pl.when(serial.is_between(1, 80_000)).then(
            pl.lit(dt.date(1899, 12, 30)) + pl.duration(days=serial)
        ),
    )


def per_distinct(column: str, mapping: dict[str, str | None]) -> pl.Expr:
    return pl.col(column).replace_strict(mapping, default=None, return_dtype=pl.String)


def parse(raw: pl.DataFrame) -> pl.DataFrame:
    names, industries, certs = region_table(), industry_table(), certification_table()
    regions = {v: region_code(v, names) for v in raw["所在地区"].drop_nulls().unique()}
    inds = {v: industries.get(v.strip()) for v in raw["所属行业"].drop_nulls().unique()}
    size_zh = {"大型": "large", "中型": "medium", "小型": "small", "微型": "micro"}
    emp = pl.col("从业人员").str.replace_all(r"[人,\s]", "").cast(pl.Int64, strict=False)
    frame = raw.filter(pl.col("企业名称").str.strip_chars().str.len_chars() > 0).select(
        pl.col("企业编号").alias("id"),
        pl.col("企业名称").alias("name"),
        pl.col("联系人"),
        per_distinct("所在地区", regions).alias("region"),
        per_distinct("所属行业", inds).alias("industry"),
        emp.alias("employees"),
        number("营业收入（万元）").alias("revenue"),
        number("资产总额（万元）").alias("assets"),
        pl.col("企业规模").replace_strict(size_zh, default=None).alias("size"),
        boolean("是否外商投资企业").alias("foreign"),
        date("成立日期").alias("founded"),
        pl.col("资质认定")
        .str.replace_all("、", "；")
        .str.split("；")
        .list.eval(pl.element().str.strip_chars().replace_strict(certs, default=None))
        .list.drop_nulls()
        .alias("certs"),
        pl.col("就业见习岗位数").cast(pl.Int64, strict=False).alias("trainees"),
    )
    derived = (
        pl.when(pl.col("employees").is_null() | pl.col("revenue").is_null())
        .then(None)
        .when((pl.col("employees") < 20) | (pl.col("revenue") < 300))
        .then(pl.lit("micro"))
        .when((pl.col("employees") < 300) | (pl.col("revenue") < 2000))
        .then(pl.lit("small"))
        .when((pl.col("employees") < 1000) | (pl.col("revenue") < 40000))
        .then(pl.lit("medium"))
        .otherwise(pl.lit("large"))
    )
    return frame.with_columns(pl.coalesce("size", derived).alias("size"))


def rules() -> list[tuple[str, str, pl.Expr, pl.Expr]]:
    """(rule id, title, Kleene condition, amount if eligible)."""
    groups = yaml.safe_load((REF / "region_groups.yaml").read_text(encoding="utf-8"))
    midwest = [m[:2] for m in groups["groups"]["中西部"]["members"]]
    region, emp = pl.col("region"), pl.col("employees")

    def has(cert: str) -> pl.Expr:
        return pl.col("certs").list.contains(cert)

    def per_head(n: pl.Expr, each: float, cap: float) -> pl.Expr:
        return pl.min_horizontal(n * each, pl.lit(cap))

    def const(v: float) -> pl.Expr:
        return pl.lit(v, pl.Float64)

    return [
        (
            "ord-sme-tier-micro",
            "中小企业分档奖励（微型企业）",
            pl.col("size") == "micro",
            const(5000),
        ),
        (
            "ord-sme-tier-small",
            "中小企业分档奖励（小型企业）",
            pl.col("size") == "small",
            const(10000),
        ),
        (
            "ord-sme-tier-medium",
            "中小企业分档奖励（中型企业）",
            pl.col("size") == "medium",
            const(20000),
        ),
        (
            "ord-bj-per-head",
            "北京市稳岗补贴（按从业人数）",
            region.str.starts_with("11") & (emp >= 1),
            per_head(emp, 500, 500000),
        ),
        ("ord-cert-gaoqi", "高新技术企业认定奖励", has("高新技术企业"), const(100000)),
        ("ord-cert-srdi", "专精特新中小企业奖励", has("专精特新中小企业"), const(200000)),
        (
            "ord-cert-little-giant",
            "专精特新“小巨人”企业奖励",
            has('专精特新"小巨人"企业'),
            const(500000),
        ),
        (
            "ord-fdi-manufacturing",
            "外商投资制造业企业稳岗奖励（封顶）",
            (pl.col("foreign") == True) & pl.col("industry").str.starts_with("C"),  # noqa: E712
            per_head(emp, 1000, 200000),
        ),
        (
            "ord-midwest-headcount",
            "中西部地区吸纳就业补贴",
            region.str.slice(0, 2).is_in(midwest) & (emp >= 10),
            per_head(emp, 300, 100000),
        ),
        (
            "ord-founded-window",
            "新设企业开办补贴（2019-07-01至2022-06-30成立）",
            pl.col("founded").is_between(dt.date(2019, 7, 1), dt.date(2022, 6, 30)),
            const(20000),
        ),
        (
            "ord-haidian-gaoqi",
            "海淀区高新技术企业奖励",
            (region == "110108") & has("高新技术企业"),
            const(300000),
        ),
        (
            "ord-software-scope",
            "软件企业扶持（行业代替经营范围关键词）",
            pl.col("industry").str.starts_with("I65"),
            const(50000),
        ),
        (
            "ord-four-limits",
            "小微企业普惠奖励（四项限额）",
            pl.all_horizontal(
                emp <= 300,
                pl.col("revenue") <= 20000,
                pl.col("assets") <= 10000,
                pl.col("trainees") >= 1,
            ),
            const(30000),
        ),
    ]


def evaluate(frame: pl.DataFrame) -> pl.DataFrame:
    """One row per enterprise × rule: status, amount, rank within the enterprise."""
    structs = []
    for rule_id, title, cond, amount in rules():
        status = (
            pl.when(cond).then(pl.lit("eligible")).when(~cond).then(pl.lit("ineligible"))
        ).otherwise(pl.lit("unknown"))
        structs.append(
            pl.struct(
                pl.lit(rule_id).alias("rule_id"),
                pl.lit(title).alias("rule_title"),
                status.alias("status"),
                pl.when(cond).then(amount).alias("amount_yuan"),
            ).alias(rule_id)
        )
    wide = frame.select("id", "name", "联系人", *structs)
    long = wide.unpivot(index=["id", "name", "联系人"], value_name="r").unnest("r")
    order = pl.col("status").replace_strict(STATUS_ORDER, return_dtype=pl.Int8)
    return (
        long.sort(["id", order, "amount_yuan"], descending=[False, False, True], nulls_last=True)
        .with_columns(pl.int_range(1, pl.len() + 1).over("id").alias("rank"))
        .select(
            pl.col("id").alias("enterprise_id"),
            pl.col("name").alias("enterprise_name"),
            "rule_id",
            "rule_title",
            "status",
            "amount_yuan",
            "rank",
            "联系人",
        )
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", type=Path)
    ap.add_argument("out", type=Path)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    raw = pl.read_csv(args.src, infer_schema=False)
    result = evaluate(parse(raw))
    result.write_csv(args.out, include_bom=True)
    counts = result.group_by("status").len().sort("status").rows()
    print(f"{result.height} rows in {time.perf_counter() - t0:.2f} s; {counts}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
