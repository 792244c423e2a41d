"""Raw table (every cell a string) → normalised profiles + row errors, vectorised.

Policy for bad cells: a row without a name (or a 合计 totals row) is rejected; any other cell that
fails to parse or validate becomes unknown (null) for that row and is listed
as an error, so no result can rest on a value that failed to parse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from matcher.fields import DTYPES, PROFILE_FIELDS, ROW, SIZE_ZH, FieldType, col
from matcher.intake.certifications import canonical_certs, cert_problem_expr, merge_flag_columns
from matcher.intake.credit_code import credit_code_errors
from matcher.intake.errors import ERROR_MESSAGES
from matcher.intake.headers import HeaderMapping, map_headers
from matcher.intake.readers import RawProblem
from matcher.intake.values import parse_expr
from matcher.reference.industry import resolve_industries
from matcher.reference.regions import ambiguous_names, resolve_regions
from matcher.reference.resolution import Resolution
from matcher.reference.size import size_expr, size_group_expr
from matcher.rule import Op, Rule

# Checks made after parsing, in the same (zh, en) template form as intake's.
MESSAGES: dict[str, tuple[str, str]] = {
    "missing_name": ("缺少企业名称，该行未处理", "no enterprise name; row rejected"),
    "total_row": (
        "「{value}」是合计行，不是企业，该行未处理",
        "'{value}' is a totals row, not an enterprise; row rejected",
    ),
    "local_exceeds_total": (
        "本地高校毕业生人数「{value}」超过招用高校毕业生总数，两项均按未知处理",
        "local graduate hires '{value}' exceed total graduate hires; both treated as unknown",
    ),
    "founded_in_future": (
        "成立日期「{value}」晚于今天，按未知处理",
        "founding date '{value}' is in the future; treated as unknown",
    ),
    "unknown_region": (
        "无法识别地区「{value}」，按未知处理",
        "region '{value}' not recognised; treated as unknown",
    ),
    "ambiguous_region": (
        "地区有歧义（{value}），按未知处理；请写完整名称（含省市），或用 --region-context 指定所在省市",
        "ambiguous region ({value}); treated as unknown; write the full name with its province "
        "or city, or give --region-context",
    ),
    "uncertain_certification": (
        "资质「{value}」中有无法确定的认定名称，涉及的认定条件按未知处理；请写规范名称，如 专精特新中小企业",
        "certifications '{value}' include a name that cannot be settled; conditions on the "
        "certifications it could be are unknown; write the standard name, e.g. 专精特新中小企业",
    ),
    "unknown_certification": (
        "资质「{value}」中有不在认定名称表中的名称，按原文保留",
        "certifications '{value}' include a name not in the certification table; kept as written",
    ),
    "bad_certification_flag": (
        "是/否资质列「{value}」无法识别，该认定按未知处理；请写 是、否 或 市级、省级、国家级",
        "yes/no certification column '{value}' not understood; that certification is unknown; "
        "write 是, 否 or a level (市级, 省级, 国家级)",
    ),
    "unknown_industry": (
        "无法识别行业「{value}」，按未知处理",
        "industry '{value}' not recognised; treated as unknown",
    ),
    "size_mismatch": (
        "企业规模填写与按划型标准推算不一致：{value}；按填写值匹配",
        "given size disagrees with the size standard: {value}; the given size is used",
    ),
}


def all_messages() -> dict[str, tuple[str, str]]:
    return {**ERROR_MESSAGES, **MESSAGES}


# Columns with few distinct spellings are parsed once per spelling, not per row.
PARSE_PER_DISTINCT = frozenset(
    {
        FieldType.INT,
        FieldType.AMOUNT,
        FieldType.BOOL,
        FieldType.DATE,
        FieldType.LIST,
        FieldType.SIZE,
    }
)

# Checks that reject the whole row (the row reached the frame but is not an enterprise).
REJECTING_CODES = ("missing_name", "total_row")
# What a totals row writes where the name goes (spaces and colons removed, lower case).
TOTAL_ROW_NAMES = ["合计", "总计", "小计", "总合计", "共计", "汇总", "total", "sum", "subtotal"]

# Reader problems that mean the row never reached the frame.
EXCLUDED_ROW_CODES = ("ragged_row", "bad_json_line", "json_not_object")

ERROR_COLUMNS = ["row", "id", "column", "field", "value", "code", "rejected"]


@dataclass
class Portfolio:
    frame: pl.DataFrame  # canonical fields, derived columns, ROW, passthrough columns
    errors: pl.DataFrame  # ERROR_COLUMNS
    mapping: HeaderMapping
    read: int
    rejected: int
    passthrough: list[str] = field(default_factory=list)
    regions: dict[str, Resolution] = field(default_factory=dict)
    industries: dict[str, Resolution] = field(default_factory=dict)

    @property
    def matched(self) -> int:
        return self.frame.height


def _canonical_certs(col: pl.Expr) -> pl.Expr:
    """Certification names read as advisors write them (matcher/intake/certifications.py)."""
    return canonical_certs(col)


# What each rule-visible column is computed from.
_DERIVED_FROM: dict[str, tuple[str, ...]] = {
    "region_code": ("region",),
    "industry_code": ("industry",),
    "size_derived": ("industry", "employees", "revenue", "total_assets"),
    "size_effective": ("size", "industry", "employees", "revenue", "total_assets"),
    "size": ("size", "industry", "employees", "revenue", "total_assets"),
    # The check that local hires do not exceed total hires makes both unknown.
    "grad_hires": ("grad_hires", "grad_hires_local"),
    "grad_hires_local": ("grad_hires", "grad_hires_local"),
}


def input_fields(rules: Sequence[Rule]) -> frozenset[str]:
    """The profile fields that can change these rules' results (and id, name)."""
    needed = {"id", "name"}
    for rule in rules:
        used = [c.field for c in rule.leaves()] + rule.benefit.amount_fields()
        if any(c.op is Op.IN_CATALOGUE for c in rule.leaves()):
            used += ["business_scope", "region"]  # regional entries count in their province
        for name in used:
            needed.update(_DERIVED_FROM.get(name, (name,)))
    return frozenset(needed)


def normalise(
    raw: pl.DataFrame,
    *,
    overrides: dict[str, str] | None = None,
    today: dt.date | None = None,
    problems: Sequence[RawProblem] = (),
    fields: Collection[str] | None = None,
    region_context: str | None = None,
) -> Portfolio:
    """Map headers, parse every column, validate, resolve, derive size.

    With ``fields`` (see :func:`input_fields`) only those fields are parsed and
    checked; the others are unknown and their cells are not reported.
    ``region_context`` (e.g. 北京市) settles ambiguous region names inside it.
    """
    today = today or dt.date.today()
    # A BOM or stray spaces around a header must not hide the column.
    raw = raw.rename({c: c.strip().lstrip("\ufeff").strip() for c in raw.columns if c != ROW})
    headers = [c for c in raw.columns if c != ROW]
    mapping = map_headers(headers, overrides)
    by_field = {f: h for h, f in mapping.columns.items() if fields is None or f in fields}
    passthrough = [h for h in headers if h not in mapping.columns]

    values: list[pl.Expr] = []
    errors: list[pl.Expr] = []
    base = raw.lazy()
    for spec in PROFILE_FIELDS:
        header = by_field.get(spec.name)
        if header is None:
            values.append(pl.lit(None, dtype=DTYPES[spec.type]).alias(spec.name))
            continue
        # A unit in the header (营业收入(元)) applies to the bare numbers below it.
        value, error = parse_expr(spec.type, header, unit=mapping.units.get(spec.name))
        if spec.name == "certifications":
            value = _canonical_certs(value)  # per distinct spelling, below
            error = pl.coalesce(error, cert_problem_expr(value))
        if spec.type in PARSE_PER_DISTINCT:
            # Few distinct spellings (12, 是, 2015-03-12…): parse each once and join back.
            table = (
                raw.lazy()
                .select(col(header).unique())
                .select(
                    col(header).alias(f"__key_{spec.name}"),
                    value.alias(f"__val_{spec.name}"),
                    error.alias(f"__err_{spec.name}"),
                )
            )
            base = base.join(
                table,
                left_on=header,
                right_on=f"__key_{spec.name}",
                how="left",
                nulls_equal=True,
                maintain_order="left",
            )
            value, error = pl.col(f"__val_{spec.name}"), pl.col(f"__err_{spec.name}")
        values.append(value.alias(spec.name))
        errors.append(error.alias(f"__err_{spec.name}"))
        errors.append(col(header).alias(f"__raw_{spec.name}"))
    parsed = base.select(pl.col(ROW), *values, *errors, *[col(h) for h in passthrough])

    checks: list[tuple[str, pl.Expr, list[str]]] = []  # (code, condition, fields made unknown)
    checks.append(
        (
            "local_exceeds_total",
            pl.col("grad_hires_local") > pl.col("grad_hires"),
            ["grad_hires_local", "grad_hires"],
        )
    )
    checks.append(("founded_in_future", pl.col("founded") > pl.lit(today), ["founded"]))

    frame = parsed.with_columns(
        # The row number stands in for a missing id, in errors and results alike.
        pl.col("id").fill_null(pl.col(ROW).cast(pl.String)),
        *[cond.fill_null(False).alias(f"__chk_{code}") for code, cond, _ in checks],
    ).collect()
    if "credit_code" in by_field:
        frame = frame.with_columns(
            credit_code_errors(frame.get_column("credit_code")).alias("__cc")
        )
    # Yes/no certification columns (是否专精特新, 是否高企) complete the certification list.
    flags = mapping.flags if fields is None or "certifications" in fields else {}
    flag_errors: list[tuple[str, pl.Expr]] = []
    if flags:
        listed = pl.col("certifications") if "certifications" in by_field else None
        merged, flag_errors = merge_flag_columns(listed, flags)
        frame = frame.with_columns(merged.alias("certifications"))

    # Free text is resolved once per distinct value, then joined back.
    regions = resolve_regions(_distinct(frame, "region"), context=region_context)
    industries = resolve_industries(_distinct(frame, "industry"))
    frame = frame.join(_resolution_frame(regions, "region", "region_code"), on="region", how="left")
    frame = frame.join(
        _resolution_frame(industries, "industry", "industry_code"), on="industry", how="left"
    )

    error_frames: list[pl.DataFrame] = []
    # Each (mask, field, value, code) becomes error rows in one unpivot at the end.
    error_specs: list[tuple[pl.Expr, str, pl.Expr, pl.Expr]] = []

    def collect_errors(mask: pl.Expr, field_name: str, value: pl.Expr, code: pl.Expr) -> None:
        error_specs.append((mask, field_name, value, code))

    for spec in PROFILE_FIELDS:
        if spec.name in by_field:
            err = pl.col(f"__err_{spec.name}")
            collect_errors(err.is_not_null(), spec.name, pl.col(f"__raw_{spec.name}"), err)
    if "credit_code" in by_field:
        collect_errors(
            pl.col("__cc").is_not_null(), "credit_code", pl.col("__raw_credit_code"), pl.col("__cc")
        )
    for code, _, fields_ in checks:
        written = pl.col(f"__raw_{fields_[0]}") if fields_[0] in by_field else pl.lit(None)
        collect_errors(pl.col(f"__chk_{code}"), fields_[0], written, pl.lit(code))
    # An ambiguous name (通州区: 北京 or 南通) is reported with its candidates.
    ambiguous = {
        t: f"{t}：{' / '.join(n)}" for t, r in regions.items() if (n := ambiguous_names(r))
    }
    unresolved = pl.col("region").is_not_null() & pl.col("region_code").is_null()
    is_ambiguous = pl.col("region").is_in(list(ambiguous))
    collect_errors(unresolved & ~is_ambiguous, "region", pl.col("region"), pl.lit("unknown_region"))
    collect_errors(
        unresolved & is_ambiguous,
        "region",
        pl.col("region").replace_strict(ambiguous, default=None, return_dtype=pl.String),
        pl.lit("ambiguous_region"),
    )
    for header, bad in flag_errors:
        written = pl.format("{}：{}", pl.lit(header), col(header))
        collect_errors(bad, "certifications", written, pl.lit("bad_certification_flag"))
    collect_errors(
        pl.col("industry").is_not_null() & pl.col("industry_code").is_null(),
        "industry",
        pl.col("industry"),
        pl.lit("unknown_industry"),
    )
    name_missing = (
        pl.col("name").is_null() & pl.col("__err_name").is_null()
        if ("name" in by_field)
        else pl.lit(True)
    )
    collect_errors(name_missing, "name", pl.lit(""), pl.lit("missing_name"))
    if "name" in by_field:
        # Spreadsheets often end with a totals row: its "name" is 合计 and its numbers are
        # sums over the enterprises above; matched as an enterprise it would be wrong.
        squeezed = pl.col("name").str.replace_all(r"[\s:：]", "").str.to_lowercase()
        collect_errors(
            squeezed.is_in(TOTAL_ROW_NAMES).fill_null(False),
            "name",
            pl.col("name"),
            pl.lit("total_row"),
        )

    # Values that failed a check become unknown.
    nulling: list[pl.Expr] = []
    for code, _, fields_ in checks:
        for f in fields_:
            nulling.append(
                pl.when(pl.col(f"__chk_{code}")).then(None).otherwise(pl.col(f)).alias(f)
            )
    frame = frame.with_columns(nulling)
    if "credit_code" in by_field:
        frame = frame.with_columns(
            pl.when(pl.col("__cc").is_not_null())
            .then(None)
            .otherwise(pl.col("credit_code"))
            .alias("credit_code")
        )

    frame = frame.with_columns(size_group_expr(pl.col("industry_code")).alias("__size_group"))
    derived = size_expr(
        pl.col("industry_code"),
        pl.col("employees"),
        pl.col("revenue"),
        pl.col("total_assets"),
        group=pl.col("__size_group"),
    )
    frame = (
        frame.with_columns(derived.alias("size_derived"))
        .drop("__size_group")
        .with_columns(pl.coalesce("size", "size_derived").alias("size_effective"))
    )

    mismatch = (
        pl.col("size").is_not_null()
        & pl.col("size_derived").is_not_null()
        & (pl.col("size") != pl.col("size_derived"))
    )
    size_text = pl.format(
        "填写{}，推算{}",
        pl.col("size").replace_strict(SIZE_ZH, default=pl.col("size")),
        pl.col("size_derived").replace_strict(SIZE_ZH, default=pl.col("size_derived")),
    )
    collect_errors(mismatch, "size", size_text, pl.lit("size_mismatch"))
    if error_specs:
        error_frames.append(_error_rows(frame, error_specs, by_field))

    dropped = [p for p in problems if p.message_code in EXCLUDED_ROW_CODES]
    if problems:
        # Rows the reader could not split into cells never reach the frame: they are
        # rejected here so that read = matched + rejected still holds.
        error_frames.append(
            pl.DataFrame(
                {
                    "row": [p.row for p in problems],
                    "id": [None] * len(problems),
                    "column": [""] * len(problems),
                    "field": [""] * len(problems),
                    "value": [p.detail for p in problems],
                    "code": [p.message_code for p in problems],
                },
                schema={c: pl.String for c in ERROR_COLUMNS[:-1]} | {"row": pl.Int64},
            )
        )
    errors_df = (
        pl.concat(error_frames, how="vertical_relaxed")
        if error_frames
        else pl.DataFrame(schema={c: pl.String for c in ERROR_COLUMNS[:-1]})
    )
    errors_df = errors_df.with_columns(
        pl.col("row").cast(pl.Int64),
        pl.col("code").is_in([*REJECTING_CODES, *EXCLUDED_ROW_CODES]).alias("rejected"),
    ).sort("row", "field", maintain_order=True, nulls_last=False)

    rejected_rows = (
        errors_df.filter(pl.col("rejected") & pl.col("code").is_in(REJECTING_CODES))
        .get_column("row")
        .unique()
    )
    helper_cols = [
        c for c in frame.columns if c.startswith(("__err_", "__chk_", "__raw_")) or c == "__cc"
    ]
    kept = frame.filter(~pl.col(ROW).is_in(rejected_rows.implode())).drop(helper_cols)
    return Portfolio(
        frame=kept,
        errors=errors_df,
        mapping=mapping,
        read=raw.height + len(dropped),
        rejected=rejected_rows.len() + len(dropped),
        passthrough=passthrough,
        regions=regions,
        industries=industries,
    )


def _error_rows(
    frame: pl.DataFrame,
    specs: list[tuple[pl.Expr, str, pl.Expr, pl.Expr]],
    by_field: dict[str, str],
) -> pl.DataFrame:
    """All error rows in one pass: a struct per check, unpivoted, nulls dropped."""
    columns = [
        pl.when(mask)
        .then(
            pl.struct(
                pl.col(ROW).alias("row"),
                pl.col("id"),
                pl.lit(by_field.get(field_name, field_name)).alias("column"),
                pl.lit(field_name).alias("field"),
                value.cast(pl.String).alias("value"),
                code.cast(pl.String).alias("code"),
            )
        )
        .alias(f"__e{i}")
        for i, (mask, field_name, value, code) in enumerate(specs)
    ]
    return (
        frame.select(columns)
        .unpivot(variable_name="__k", value_name="__v")
        .drop("__k")
        .drop_nulls("__v")
        .unnest("__v")
    )


def _distinct(frame: pl.DataFrame, column: str) -> list[str]:
    return frame.get_column(column).drop_nulls().unique().to_list()


def _resolution_frame(res: dict[str, Resolution], key: str, out: str) -> pl.DataFrame:
    return pl.DataFrame(
        {key: list(res), out: [r.code for r in res.values()]},
        schema={key: pl.String, out: pl.String},
    )


def error_messages(errors: pl.DataFrame, lang: str = "zh") -> pl.Series:
    """Render each error row's message from its code and value, vectorised."""
    table = all_messages()
    idx = 0 if lang == "zh" else 1
    templates = {code: pair[idx] for code, pair in table.items()}
    template = pl.col("code").replace_strict(templates, default=pl.col("code"))
    return errors.select(
        template.str.replace_all("{value}", pl.col("value").fill_null(""), literal=True)
    ).to_series()


def profile_to_raw(data: dict[str, Any], row: int = 1) -> pl.DataFrame:
    """One profile given as a mapping (YAML/JSON, a rule's test case) → a one-row raw table."""
    cells: dict[str, str | None] = {}
    for key, value in data.items():
        cells[str(key)] = _cell(value)
    return pl.DataFrame(
        {ROW: [row], **{k: [v] for k, v in cells.items()}},
        schema={ROW: pl.Int64, **{k: pl.String for k in cells}},
    )


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list | tuple):
        return "；".join(str(v) for v in value) if value else "无"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
