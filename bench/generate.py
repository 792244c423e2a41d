"""Seeded generator of realistic synthetic enterprise portfolios for the benchmark.

    python bench/generate.py N OUT [--seed 42] [--format csv|parquet]

Writes N enterprise profiles with the Chinese headers of ``matcher.fields.PROFILE_FIELDS``
(plus a free ``联系人`` column, passed through to reports) as CSV (UTF-8 with BOM) or Parquet
(every column a string, as a spreadsheet export would be).

The mix imitates the spreadsheets SME advisors keep:

* regions drawn from a pool of a few thousand distinct values built from the adcode table:
  6-digit adcodes, full names, full street addresses and short names ("海淀区", "成都"),
  about 45% in Beijing, with some unknown codes and places;
* industries drawn from a pool of a few hundred GB/T 4754-2017 codes in every spelling
  ("6513", "C3011", "I65", "65") and names ("软件开发", "餐饮业"), with some unknown codes;
* employees log-normal; revenue and assets in 万元, correlated with employees, sometimes
  with units ("1.2亿", "3,000万元", "5000000元");
* booleans as 是/否, √/×, 1/0, Y/N; dates in five spellings; certifications joined by "；";
  graduate hires with local hires never above total hires;
* every column empty at the rate in :data:`MISSING_RATES` (an empty cell or a placeholder
  such as "-" or "暂无"), and about :data:`BAD_RATE` of the parsed cells bad (text in a
  number column, impossible dates, wrong credit-code check characters).

Everything is vectorised (numpy draws, polars string expressions) and generated in chunks
of :data:`CHUNK` rows, each from its own seeded stream, so the output depends only on
(N, seed): 1M rows take a few seconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 250_000

# Canonical field → Chinese header, as in matcher/fields.py (checked by the tests).
HEADERS: dict[str, str] = {
    "id": "企业编号",
    "name": "企业名称",
    "credit_code": "统一社会信用代码",
    "region": "所在地区",
    "industry": "所属行业",
    "business_scope": "经营范围",
    "employees": "从业人员",
    "revenue": "营业收入（万元）",
    "total_assets": "资产总额（万元）",
    "size": "企业规模",
    "foreign_invested": "是否外商投资企业",
    "state_owned": "是否国有企业",
    "founded": "成立日期",
    "certifications": "资质认定",
    "grad_hires": "招用毕业年度高校毕业生人数",
    "grad_hires_local": "其中本地高校毕业生人数",
    "youth_hires": "招用35岁以下失业青年人数",
    "trainee_posts": "就业见习岗位数",
    "founder_is_graduate": "创办人为高校毕业生",
    "contact": "联系人",  # not a profile field: passed through to the report
}

#: Share of empty cells per column (an empty string or an "unknown" placeholder).
#: The name is required, so it is empty only rarely (those rows are rejected).
MISSING_RATES: dict[str, float] = {
    "id": 0.05,
    "name": 0.002,
    "credit_code": 0.15,
    "region": 0.05,
    "industry": 0.10,
    "business_scope": 0.20,
    "employees": 0.10,
    "revenue": 0.15,
    "total_assets": 0.25,
    "size": 0.40,
    "foreign_invested": 0.15,
    "state_owned": 0.15,
    "founded": 0.10,
    "certifications": 0.30,
    "grad_hires": 0.35,
    "grad_hires_local": 0.40,  # empty whenever grad_hires is, and some more
    "youth_hires": 0.40,
    "trainee_posts": 0.40,
    "founder_is_graduate": 0.35,
    "contact": 0.30,
}

#: Share of bad cells in each parsed column (text in numbers, impossible dates…).
BAD_RATE = 0.005
#: Share of region and industry cells holding an unknown code or place.
UNKNOWN_RATE = 0.005
#: Share of missing cells written as a placeholder rather than left empty.
PLACEHOLDER_RATE = 0.15
#: Share of Beijing enterprises.
BEIJING_SHARE = 0.45

PLACEHOLDERS = ["-", "/", "暂无", "无数据", "N/A", "待补充", "不详"]

BAD_INT = ["约50人", "若干", "五十", "50-100", "保密", "见附表", "12.5"]
BAD_AMOUNT = ["保密", "见附件", "12..5", "一千万", "约三千万", "未统计", "3000万美金"]
BAD_DATE = [
    "2019-02-30",
    "2021-13-01",
    "2022年2月31日",
    "2018-06",
    "2020/00/12",
    "二〇一五年",
    "2031-01-01",
]
BAD_BOOL = ["不确定", "部分", "可能", "待定中", "合资"]
BAD_SIZE = ["中小型", "小微", "规上", "一般"]
UNKNOWN_REGIONS = ["119999", "990101", "火星市", "北京市未来区", "海外", "000000", "新区某街道"]
UNKNOWN_INDUSTRIES = ["9999", "Z99", "C9999", "X1234", "其他行业", "综合", "99"]

CERTIFICATIONS = [
    "专精特新中小企业",
    '专精特新"小巨人"企业',
    "高新技术企业",
    "科技型中小企业",
    "创新型中小企业",
    "专精特新",
    "国家高新技术企业",
    "小巨人",
    "高企",
    "市级专精特新中小企业",
]
CERT_WEIGHTS = [0.18, 0.05, 0.25, 0.2, 0.1, 0.06, 0.06, 0.03, 0.04, 0.03]

BRAND_CHARS = list(
    "智码云栖精芯京能顺意青禾远航星辰新航向浦江纳微北仑湾区两江天府北方冀东皖江晋阳冰城滇池"
    "华宇恒泰安达盛世鼎信诚德瑞祥和美博通中科联创汇丰金源宏图百川东方长城龙腾凯旋"
)
TRADES = [
    "软件科技",
    "数据服务",
    "微电子",
    "热力装备",
    "餐饮管理",
    "创客科技",
    "生态农业",
    "人力资源服务",
    "直播电商",
    "职业技能培训学校",
    "新能源汽车零部件",
    "新材料",
    "港航物流",
    "通信技术",
    "智能装备",
    "信息技术",
    "精密机床配件",
    "钢铁",
    "水泥",
    "焦化",
    "重型机械",
    "绿能公交客运",
    "商贸",
    "建筑工程",
    "物业管理",
    "文化传媒",
    "医疗器械",
    "生物科技",
    "食品",
    "环保科技",
    "管理咨询",
    "快递服务",
    "电子商务",
    "网络科技",
    "教育科技",
    "建材",
    "服装",
    "家具",
    "汽车销售",
    "酒店管理",
]
SUFFIXES = ["有限公司", "股份有限公司", "有限责任公司", "集团有限公司"]
SUFFIX_WEIGHTS = [0.8, 0.1, 0.07, 0.03]
STREETS = [
    "中关村大街",
    "上地信息路",
    "望京街道",
    "金融街",
    "建国路",
    "长安街",
    "学院路",
    "科技园路",
    "人民路",
    "解放路",
    "中山路",
    "新华路",
    "和平路",
    "滨河路",
    "工业园区",
    "经济开发区",
    "高新区创新大道",
    "文化路",
    "光明路",
    "幸福街",
]
SURNAMES = list("张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭")
TITLES = ["经理", "总", "主任", "工", "处长", "店长", "校长", "会计", "老师", "总监"]
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015 credit-code characters
WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)


def reference_file(name: str, fallback: str) -> Path:
    """The project's table when present, else the shared one."""
    local = ROOT / "rules" / "reference" / name
    return local if local.exists() else ROOT.parent / "shared" / "reference" / fallback


# --------------------------------------------------------------------------------------
# Pools of free-text values (built once per seed; the same for every N)
# --------------------------------------------------------------------------------------


@cache
def region_pool(seed: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(Beijing pool, rest-of-China pool): value, adcode for the credit code, city prefix."""
    rng = np.random.default_rng([seed, 1])
    table = pl.read_csv(
        reference_file("adcodes_2024.csv", "mca_adcodes_2024_flat.csv"), infer_schema=False
    )
    rows = table.to_dicts()
    bj, other = [], []
    for r in rows:
        code, name, level, full = r["adcode"], r["name"], r["level"], r["full_name"]
        city = (r["city"] or r["province"]).removesuffix("市").removesuffix("省")
        city = city.removesuffix("壮族自治区").removesuffix("回族自治区").removesuffix("自治区")
        short = name.removesuffix("市") if level == "prefecture" else name
        is_bj = code.startswith("11")
        forms = [code, full, short]
        if level == "county":
            # a few street addresses per county; more for Beijing's districts
            k = 40 if is_bj else 1
            for _ in range(k):
                street = STREETS[int(rng.integers(len(STREETS)))]
                forms.append(f"{full}{street}{int(rng.integers(1, 200))}号")
            if is_bj:
                forms += [f"{name}{s}" for s in STREETS[:6]] + [name.removesuffix("区")]
        target = bj if is_bj else other
        for form in forms:
            target.append((form, code, "北京" if is_bj else city))
    if not bj:
        raise SystemExit("no Beijing rows in the adcode table")
    bj.append(("北京", "110000", "北京"))
    bj_df = pl.DataFrame(bj, schema=["value", "adcode", "city"], orient="row").unique(
        "value", keep="first", maintain_order=True
    )
    # rest of China: a random subset, so the whole pool is a few thousand values
    other_df = pl.DataFrame(other, schema=["value", "adcode", "city"], orient="row").unique(
        "value", keep="first", maintain_order=True
    )
    keep = np.sort(rng.choice(other_df.height, size=min(2500, other_df.height), replace=False))
    other_df = other_df[keep]
    return bj_df, other_df


@cache
def industry_pool(seed: int) -> pl.DataFrame:
    """A few hundred industry spellings: codes at every level and names."""
    rng = np.random.default_rng([seed, 2])
    table = pl.read_csv(
        reference_file("gbt4754_2017.csv", "gbt4754_2017_codes.csv"), infer_schema=False
    )
    table = table.select("level", "code", "section", "name")
    common = set("CFGHIKLMO")  # manufacturing, construction, trade, services…
    values: list[str] = []
    for level, code, section, name in table.iter_rows():
        p = 0.25 if section in common else 0.06
        if rng.random() > p:
            continue
        if level == "4":
            form = rng.choice(["code", "letter", "name"], p=[0.45, 0.3, 0.25])
        elif level == "3":
            form = rng.choice(["code", "name"], p=[0.3, 0.7])
        elif level == "2":
            form = rng.choice(["code", "letter", "name"], p=[0.3, 0.3, 0.4])
        else:
            form = rng.choice(["code", "name"], p=[0.5, 0.5])
        if form == "code":
            values.append(code)
        elif form == "letter":
            values.append(section + code)
        else:
            values.append(name)
    values += [
        "软件开发",
        "餐饮业",
        "汽车零部件及配件制造",
        "互联网数据服务",
        "C3011",
        "I65",
        "6513",
    ]
    return pl.DataFrame({"value": values}).unique(maintain_order=True)


@cache
def scope_phrases(seed: int) -> list[str]:
    table = pl.read_csv(
        reference_file("gbt4754_2017.csv", "gbt4754_2017_codes.csv"), infer_schema=False
    )
    names = table.filter(pl.col("level") == "4").get_column("name").to_list()
    rng = np.random.default_rng([seed, 3])
    picked = rng.choice(len(names), size=min(400, len(names)), replace=False)
    return [names[i] for i in sorted(picked)]


def _zipf_weights(n: int, rng: np.random.Generator) -> np.ndarray:
    """Heavy-headed weights over a shuffled pool: a few values are very common."""
    w = 1.0 / (np.arange(n) + 5.0)
    rng.shuffle(w)
    return w / w.sum()


# --------------------------------------------------------------------------------------
# Vectorised helpers
# --------------------------------------------------------------------------------------


def _take(pool: list[str] | pl.Series, idx: np.ndarray) -> pl.Series:
    s = pool if isinstance(pool, pl.Series) else pl.Series(pool, dtype=pl.String)
    return s.gather(idx)


def _thousands(x: pl.Expr) -> pl.Expr:
    """1234567 → "1,234,567" (non-negative integers below 10^12)."""
    v = x.cast(pl.Int64)

    def group(div: int) -> pl.Expr:
        return ((v // div) % 1000).cast(pl.String).str.zfill(3)

    return (
        pl.when(v >= 1_000_000_000)
        .then(pl.format("{},{},{},{}", v // 1_000_000_000, group(1_000_000), group(1000), group(1)))
        .when(v >= 1_000_000)
        .then(pl.format("{},{},{}", v // 1_000_000, group(1000), group(1)))
        .when(v >= 1000)
        .then(pl.format("{},{}", v // 1000, group(1)))
        .otherwise(v.cast(pl.String))
    )


def _round_text(x: pl.Expr, decimals: int) -> pl.Expr:
    """A float as text with at most `decimals` decimals and no trailing ".0"."""
    r = x.round(decimals)
    return (
        pl.when(r == r.floor()).then(r.cast(pl.Int64).cast(pl.String)).otherwise(r.cast(pl.String))
    )


def _credit_codes(rng: np.random.Generator, adcodes: np.ndarray) -> np.ndarray:
    """Valid 18-character codes: 9 1 + adcode + 9 random characters + the check character."""
    n = len(adcodes)
    digits = np.frombuffer("".join(adcodes).encode(), dtype=np.uint8).reshape(n, 6) - 48
    body = np.empty((n, 17), dtype=np.int64)
    body[:, 0] = 9
    body[:, 1] = 1
    body[:, 2:8] = digits
    body[:, 8:16] = rng.integers(0, 10, size=(n, 8))  # organisation code digits
    body[:, 16] = rng.integers(0, 31, size=n)
    check = (31 - (body * WEIGHTS).sum(axis=1) % 31) % 31
    chars = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    codes = np.empty((n, 18), dtype=np.uint8)
    codes[:, :17] = chars[body]
    codes[:, 17] = chars[check]
    return codes.view("S18").ravel()


# --------------------------------------------------------------------------------------
# One chunk
# --------------------------------------------------------------------------------------


def generate_chunk(n: int, start: int, seed: int, chunk_index: int) -> pl.DataFrame:
    """Rows start+1 .. start+n, from the stream (seed, chunk_index)."""
    rng = np.random.default_rng([seed, 1000 + chunk_index])
    bj, other = region_pool(seed)
    industries = industry_pool(seed).get_column("value")
    phrases = scope_phrases(seed)

    # --- region (and the city prefix of the name, the adcode of the credit code)
    in_bj = rng.random(n) < BEIJING_SHARE
    bj_idx = rng.choice(
        bj.height, size=n, p=_zipf_weights(bj.height, np.random.default_rng([seed, 4]))
    )
    ot_idx = rng.choice(
        other.height, size=n, p=_zipf_weights(other.height, np.random.default_rng([seed, 5]))
    )
    reg = pl.concat([bj, other])[np.where(in_bj, bj_idx, bj.height + ot_idx)]

    # --- numbers
    employees = np.clip(np.round(np.exp(rng.normal(np.log(15), 1.4, n))), 1, 300_000).astype(
        np.int64
    )
    revenue = employees * np.exp(rng.normal(np.log(40), 1.0, n))  # 万元
    assets = revenue * np.exp(rng.normal(0.0, 0.8, n))
    lam = np.clip(employees * 0.04, 0.2, 60)
    grad = rng.poisson(lam)
    local = rng.binomial(grad, 0.6)
    youth = rng.poisson(np.clip(employees * 0.02, 0.1, 30))
    trainee = rng.poisson(np.clip(employees * 0.03, 0.1, 40))
    age_days = np.clip(rng.exponential(9 * 365, n), 30, 70 * 365).astype(np.int64)
    founded = np.datetime64("2022-06-30") - age_days.astype("timedelta64[D]")

    size_true = np.select(
        [employees >= 1000, employees >= 300, employees >= 20], [0, 1, 2], default=3
    )
    size_idx = np.where(rng.random(n) < 0.1, rng.integers(0, 4, n), size_true)

    cert_count = rng.choice(4, size=n, p=[0.35, 0.4, 0.18, 0.07])
    cert_idx = rng.choice(len(CERTIFICATIONS), size=(n, 3), p=CERT_WEIGHTS)

    n_phr = rng.choice([1, 2, 3], size=n, p=[0.4, 0.4, 0.2])
    phr_idx = rng.integers(0, len(phrases), size=(n, 3))

    frame = pl.DataFrame(
        {
            "row": np.arange(start + 1, start + n + 1, dtype=np.int64),
            "emp": employees,
            "rev": revenue,
            "ast": assets,
            "grad": grad,
            "local": local,
            "youth": youth,
            "trainee": trainee,
            "founded": founded,
            "size_i": size_idx,
            "cert_n": cert_count,
            "phr_n": n_phr,
            # format choices, one uniform draw per column
            **{
                f"u_{k}": rng.random(n)
                for k in ("emp", "rev", "ast", "date", "bool", "cert", "phr")
            },
            "fi": rng.random(n) < 0.08,
            "so": rng.random(n) < 0.05,
            "fg": rng.random(n) < 0.10,
        }
    ).with_columns(
        region=reg["value"],
        adcode=reg["adcode"],
        city=reg["city"],
        industry=_take(
            industries,
            rng.choice(
                len(industries),
                size=n,
                p=_zipf_weights(len(industries), np.random.default_rng([seed, 6])),
            ),
        ),
        brand=_take(BRAND_CHARS, rng.integers(0, len(BRAND_CHARS), n))
        + _take(BRAND_CHARS, rng.integers(0, len(BRAND_CHARS), n)),
        trade=_take(TRADES, rng.integers(0, len(TRADES), n)),
        suffix=_take(SUFFIXES, rng.choice(len(SUFFIXES), size=n, p=SUFFIX_WEIGHTS)),
        contact=_take(SURNAMES, rng.integers(0, len(SURNAMES), n))
        + _take(TITLES, rng.integers(0, len(TITLES), n)),
        credit=pl.Series(_credit_codes(rng, reg["adcode"].to_numpy().astype("U6"))).cast(pl.String),
        c0=_take(CERTIFICATIONS, cert_idx[:, 0]),
        c1=_take(CERTIFICATIONS, cert_idx[:, 1]),
        c2=_take(CERTIFICATIONS, cert_idx[:, 2]),
        p0=_take(phrases, phr_idx[:, 0]),
        p1=_take(phrases, phr_idx[:, 1]),
        p2=_take(phrases, phr_idx[:, 2]),
    )

    col = pl.col
    y, m, d = col("founded").dt.year(), col("founded").dt.month(), col("founded").dt.day()
    frame = frame.with_columns(
        emp_text=_mixed(
            frame,
            "u_emp",
            col("emp").cast(pl.String),
            [
                (0.88, 0.95, col("emp").cast(pl.String) + pl.lit("人")),
                (0.95, 1.0, _thousands(col("emp"))),
            ],
        ),
        rev_text=_mixed(frame, "u_rev", *_amount_spellings(col("rev"))),
        ast_text=_mixed(frame, "u_ast", *_amount_spellings(col("ast"))),
        date_text=_mixed(
            frame,
            "u_date",
            col("founded").dt.strftime("%Y-%m-%d"),
            [
                (0.6, 0.75, pl.format("{}/{}/{}", y, m, d)),
                (0.75, 0.9, pl.format("{}年{}月{}日", y, m, d)),
                (0.9, 0.95, col("founded").dt.strftime("%Y%m%d")),
                (
                    0.95,
                    1.0,
                    (col("founded").cast(pl.Int64) + 25_569).cast(pl.String),
                ),  # Excel serial
            ],
        ),
    )

    def bool_text(flag: str) -> pl.Expr:
        u = col("u_bool")
        yes = col(flag)
        return (
            pl.when(u < 0.7)
            .then(pl.when(yes).then(pl.lit("是")).otherwise(pl.lit("否")))
            .when(u < 0.8)
            .then(pl.when(yes).then(pl.lit("√")).otherwise(pl.lit("×")))
            .when(u < 0.95)
            .then(pl.when(yes).then(pl.lit("1")).otherwise(pl.lit("0")))
            .otherwise(pl.when(yes).then(pl.lit("Y")).otherwise(pl.lit("N")))
            .alias(flag)
        )

    sep = pl.when(col("u_cert") < 0.85).then(pl.lit("；")).otherwise(pl.lit("、"))
    certs = (
        pl.when(col("cert_n") == 0)
        .then(pl.lit("无"))
        .when(col("cert_n") == 1)
        .then(col("c0"))
        .when(col("cert_n") == 2)
        .then(pl.concat_str(col("c0"), sep, col("c1")))
        .otherwise(pl.concat_str(col("c0"), sep, col("c1"), sep, col("c2")))
    )
    scope = (
        pl.when(col("phr_n") == 1)
        .then(col("p0"))
        .when(col("phr_n") == 2)
        .then(pl.concat_str(col("p0"), pl.lit("；"), col("p1")))
        .otherwise(pl.concat_str(col("p0"), pl.lit("；"), col("p1"), pl.lit("；"), col("p2")))
    )
    name = pl.concat_str(col("city"), col("brand"), col("trade"), col("suffix"))
    sizes = pl.Series(["大型", "中型", "小型", "微型"])

    out = frame.select(
        pl.format("E{}", col("row").cast(pl.String).str.zfill(8)).alias("id"),
        name.alias("name"),
        col("credit"),
        col("region"),
        col("industry"),
        scope.alias("business_scope"),
        col("emp_text").alias("employees"),
        col("rev_text").alias("revenue"),
        col("ast_text").alias("total_assets"),
        col("size_i")
        .replace_strict(list(range(4)), sizes.to_list(), return_dtype=pl.String)
        .alias("size"),
        bool_text("fi").alias("foreign_invested"),
        bool_text("so").alias("state_owned"),
        col("date_text").alias("founded"),
        certs.alias("certifications"),
        col("grad").cast(pl.String).alias("grad_hires"),
        col("local").cast(pl.String).alias("grad_hires_local"),
        col("youth").cast(pl.String).alias("youth_hires"),
        col("trainee").cast(pl.String).alias("trainee_posts"),
        bool_text("fg").alias("founder_is_graduate"),
        col("contact"),
    ).rename({"credit": "credit_code"})

    out = _damage(out, rng)
    return out.rename(HEADERS)


def _amount_spellings(x: pl.Expr) -> tuple[pl.Expr, list[tuple[float, float, pl.Expr]]]:
    """万元 amounts as advisors write them: 6000, 6000.5, 3,000, 3,000万元, 1.2亿, 500000元."""
    return _round_text(x, 0), [
        (0.65, 0.75, _round_text(x, 1)),
        (0.75, 0.83, _thousands(x.round(0))),
        (0.83, 0.89, _thousands(x.round(0)) + pl.lit("万元")),
        (
            0.89,
            0.94,
            pl.when(x >= 10_000)
            .then(_round_text(x / 10_000, 2) + pl.lit("亿"))
            .otherwise(_round_text(x, 0) + pl.lit("万")),
        ),
        (0.94, 1.0, _round_text(x * 10_000, 0) + pl.lit("元")),
    ]


def _mixed(
    frame: pl.DataFrame, u: str, common: pl.Expr, rare: list[tuple[float, float, pl.Expr]]
) -> pl.Series:
    """`common` spelling, except on rows where lo <= frame[u] < hi, which take that one.

    Each rare spelling is computed on its own rows only (a when/then chain would compute
    every spelling for every row)."""
    draws = frame.get_column(u).to_numpy()
    out = frame.select(common).to_series()
    for lo, hi, expr in rare:
        idx = np.flatnonzero((draws >= lo) & (draws < hi))
        if len(idx):
            out = out.scatter(idx, frame[idx].select(expr).to_series())
    return out


def _damage(frame: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    """Empty cells, placeholders, bad cells, unknown codes, duplicated names."""
    n = frame.height
    columns: dict[str, pl.Series] = {}
    grad_missing = rng.random(n) < MISSING_RATES["grad_hires"]
    for name in frame.columns:
        s = frame.get_column(name)
        rate = MISSING_RATES[name]
        if name == "grad_hires":
            missing = grad_missing
        elif name == "grad_hires_local":
            # local is reported only with the total, and not always then
            extra = (MISSING_RATES[name] - MISSING_RATES["grad_hires"]) / (
                1 - MISSING_RATES["grad_hires"]
            )
            missing = grad_missing | (rng.random(n) < extra)
        else:
            missing = rng.random(n) < rate
        bad_pool = _bad_pool(name)
        if bad_pool is not None:
            bad = (
                rng.random(n) < (UNKNOWN_RATE if name in {"region", "industry"} else BAD_RATE)
            ) & ~missing
            if name == "credit_code":
                s = _bad_credit_codes(s, bad, rng)
            else:
                s = pl.select(
                    pl.when(pl.Series(bad))
                    .then(_take(bad_pool, rng.integers(0, len(bad_pool), n)))
                    .otherwise(s)
                ).to_series()
        if name == "name":
            # a few enterprises listed twice under the same name (different rows)
            dup = rng.random(n) < 0.001
            src = np.where(dup, rng.integers(0, n, n), np.arange(n))
            s = s.gather(src)
        placeholder = missing & (rng.random(n) < PLACEHOLDER_RATE) & (name not in {"id", "name"})
        s = pl.select(
            pl.when(pl.Series(placeholder))
            .then(_take(PLACEHOLDERS, rng.integers(0, len(PLACEHOLDERS), n)))
            .when(pl.Series(missing))
            .then(pl.lit(None, dtype=pl.String))
            .otherwise(s)
        ).to_series()
        columns[name] = s.alias(name)
    return pl.DataFrame(list(columns.values()))


def _bad_pool(name: str) -> list[str] | None:
    return {
        "credit_code": [],
        "region": UNKNOWN_REGIONS,
        "industry": UNKNOWN_INDUSTRIES,
        "employees": BAD_INT,
        "revenue": BAD_AMOUNT,
        "total_assets": BAD_AMOUNT,
        "size": BAD_SIZE,
        "foreign_invested": BAD_BOOL,
        "state_owned": BAD_BOOL,
        "founded": BAD_DATE,
        "grad_hires": BAD_INT,
        "youth_hires": BAD_INT,
        "trainee_posts": BAD_INT,
        "founder_is_graduate": BAD_BOOL,
    }.get(name)


def _bad_credit_codes(s: pl.Series, bad: np.ndarray, rng: np.random.Generator) -> pl.Series:
    """Two thirds with a wrong check character, one third an old 15-digit registration number."""
    n = len(s)
    old = pl.Series(rng.integers(10**14, 10**15, n)).cast(pl.String)
    wrong = s.str.slice(0, 17) + pl.Series(np.array(list(ALPHABET))[rng.integers(0, 31, n)])
    # a "wrong" check character is right one time in 31: shift it by one when it is
    right = s.str.slice(17, 1)
    wrong = pl.select(
        pl.when(wrong.str.slice(17, 1) == right)
        .then(s.str.slice(0, 17) + pl.lit("X"))
        .otherwise(wrong)
    ).to_series()
    wrong = pl.select(
        pl.when(wrong == s).then(s.str.slice(0, 17) + pl.lit("Y")).otherwise(wrong)
    ).to_series()
    kind = rng.random(n) < 2 / 3
    return pl.select(
        pl.when(pl.Series(bad & kind)).then(wrong).when(pl.Series(bad)).then(old).otherwise(s)
    ).to_series()


# --------------------------------------------------------------------------------------
# Whole portfolios
# --------------------------------------------------------------------------------------


def iter_chunks(n: int, seed: int = 42) -> Iterator[pl.DataFrame]:
    for index, start in enumerate(range(0, n, CHUNK)):
        yield generate_chunk(min(CHUNK, n - start), start, seed, index)


def generate(n: int, seed: int = 42) -> pl.DataFrame:
    """N profiles as one frame, every column a string, Chinese headers."""
    chunks = list(iter_chunks(n, seed))
    if not chunks:
        return pl.DataFrame(schema=dict.fromkeys(HEADERS.values(), pl.String))
    return pl.concat(chunks, rechunk=False)


def write(n: int, out: Path, seed: int = 42, fmt: str = "csv") -> Path:
    """Write N profiles to `out` (CSV UTF-8 with BOM, or Parquet), chunk by chunk."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    if fmt == "csv":
        with tmp.open("wb") as fh:
            first = True
            for chunk in iter_chunks(n, seed):
                chunk.write_csv(fh, include_bom=first, include_header=first)
                first = False
            if first:  # n == 0: a header only
                generate(0, seed).write_csv(fh, include_bom=True)
    elif fmt == "parquet":
        generate(n, seed).write_parquet(tmp, row_group_size=CHUNK)
    else:
        raise ValueError(f"format {fmt!r}: expected csv or parquet")
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write N synthetic enterprise profiles (Chinese headers) for the benchmark.",
        epilog="Example: python bench/generate.py 100000 bench/data/p100k.csv --seed 42",
    )
    parser.add_argument("n", type=int, help="number of enterprises (rows)")
    parser.add_argument("out", type=Path, help="output file (.csv or .parquet)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--format",
        choices=["csv", "parquet"],
        default=None,
        help="output format (default: from the file suffix, else csv)",
    )
    args = parser.parse_args(argv)
    if args.n < 0:
        parser.error("N must be ≥ 0")
    fmt = args.format or ("parquet" if args.out.suffix.lower() == ".parquet" else "csv")
    t0 = time.perf_counter()
    write(args.n, args.out, args.seed, fmt)
    size = args.out.stat().st_size / 1e6
    print(
        f"wrote {args.n:,} rows to {args.out} ({size:,.1f} MB) in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
