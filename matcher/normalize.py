"""Raw table (every cell a string) → normalised profiles + row errors, vectorised.

Policy for bad cells: a row without a name (or a 合计 totals row) is rejected; any other cell that
fails to parse or validate becomes unknown (null) for that row and is listed
as an error, so no result can rest on a value that failed to parse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from matcher.fields import (
    DTYPES,
    PROFILE_FIELDS,
    ROW,
    SIZE_ZH,
    FieldType,
    col,
)
from matcher.frame import pl
from matcher.intake.certifications import canonical_certs, cert_problem_expr, merge_flag_columns
from matcher.intake.credit_code import credit_code_errors
from matcher.intake.headers import HeaderMapping, map_headers
from matcher.intake.limits import Limits
from matcher.intake.limits import resolve as resolve_limits
from matcher.intake.readers import RENAMED_PREFIX, RawProblem
from matcher.intake.values import (
    APPROX_PATTERN,
    DATE_HI_SUFFIX,
    HMT_WORDS,
    date_hi_expr,
    parse_expr,
    plain_text_expr,
)
from matcher.normalize_shared import ERROR_COLUMNS as ERROR_COLUMNS
from matcher.normalize_shared import EXCLUDED_ROW_CODES as EXCLUDED_ROW_CODES
from matcher.normalize_shared import MESSAGES as MESSAGES
from matcher.normalize_shared import NOTE_CODES as NOTE_CODES
from matcher.normalize_shared import REJECTING_CODES as REJECTING_CODES
from matcher.normalize_shared import SCOPE_PHRASE as SCOPE_PHRASE
from matcher.normalize_shared import TOTAL_ROW_NAMES as TOTAL_ROW_NAMES
from matcher.normalize_shared import _cell, all_messages, clean_header_names, passthrough_names
from matcher.normalize_shared import input_fields as input_fields
from matcher.reference.industry import resolve_industries
from matcher.reference.regions import ambiguous_names, resolve_regions
from matcher.reference.resolution import Resolution
from matcher.reference.size import group_enum, size_expr, size_group_expr

# Columns with few distinct spellings are parsed once per spelling, not per row; so are
# free text columns, whose Unicode normalisation costs more per row than the join back
# (regions and industries repeat; names and ids pay about as much either way).
PARSE_PER_DISTINCT = frozenset(
    {
        FieldType.TEXT,
        FieldType.REGION,
        FieldType.INDUSTRY,
        FieldType.INT,
        FieldType.AMOUNT,
        FieldType.BOOL,
        FieldType.DATE,
        FieldType.LIST,
        FieldType.SIZE,
    }
)

# Frames this small (a web request's profile, the server's coalesced batch, a one-firm
# report) are normalised row by row in Python (matcher/normalize_rows.py): planning the
# polars queries costs more than parsing a few rows. Proved equal in test_normalize_rows.
SMALL_MAX_ROWS = 64

# Spellings a cache keeps per field: a portfolio repeats its amounts, counts, flags and
# certification lists from chunk to chunk, but a field with more spellings than this
# (names, ids) would only grow the cache.
CACHE_MAX_ROWS = 500_000


class ParseCache:
    """The per-spelling tables of :func:`_parse_field`, kept across the chunks of one
    portfolio: a later chunk parses only the spellings no earlier chunk had. A table
    depends only on the field, its header and unit, so chunks may fill it in any order,
    from several threads."""

    def __init__(self) -> None:
        import threading

        self._lock = threading.Lock()
        self._tables: dict[tuple[Any, ...], pl.DataFrame] = {}

    def get(self, key: tuple[Any, ...]) -> pl.DataFrame | None:
        with self._lock:
            return self._tables.get(key)

    def add(self, key: tuple[Any, ...], new: pl.DataFrame, on: str) -> None:
        """``new`` rows (spellings not in the table when it was read) appended, each
        spelling once: another chunk may have added some of them meanwhile."""
        with self._lock:
            table = self._tables.get(key)
            if table is None:
                merged = new
            elif table.schema != new.schema or table.height >= CACHE_MAX_ROWS:
                return
            else:
                fresh = new.join(table.select(on), on=on, how="anti", nulls_equal=True)
                merged = pl.concat([table, fresh]).rechunk()
            if merged.height <= CACHE_MAX_ROWS:
                self._tables[key] = merged


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
    # Filled by api (issue 12): the column report, non-data rows, repeated firms, region hint.
    account: Any = None  # intake.columns.ColumnAccount
    skipped: Any = None  # readers.SkippedRows
    duplicates: list[Any] = field(default_factory=list)  # duplicates.Duplicate
    region_hint: Any = None  # regions.RegionContextHint
    # api.run_batch: api.wide_frame of the chunk, computed ahead by the reader thread
    wide: Any = None

    @property
    def matched(self) -> int:
        return self.frame.height


def _canonical_certs(col: pl.Expr) -> pl.Expr:
    """Certification names read as advisors write them (matcher/intake/certifications.py)."""
    return canonical_certs(col)


def normalise(
    raw: pl.DataFrame,
    *,
    overrides: dict[str, str] | None = None,
    today: dt.date | None = None,
    problems: Sequence[RawProblem] = (),
    fields: Collection[str] | None = None,
    limits: Limits | None = None,
    report_headers: bool = True,
    region_context: str | None = None,
    cache: ParseCache | None = None,
) -> Portfolio:
    """Map headers, parse every column, validate, resolve, derive size.

    With ``fields`` (see :func:`input_fields`) only those fields are parsed and
    checked; the others are unknown and their cells are not reported. Header
    problems (columns renamed here) are reported when ``report_headers``: a
    portfolio read in chunks reports them with its first chunk only.
    ``region_context`` (e.g. 北京市) settles ambiguous region names inside it.
    ``cache`` keeps the spellings parsed for the next chunks of the same portfolio.
    """
    today = today or dt.date.today()
    if raw.height <= SMALL_MAX_ROWS and all(
        t in (pl.String, pl.Null) for c, t in raw.schema.items() if c != ROW
    ):
        return _normalise_small(
            raw,
            overrides=overrides,
            today=today,
            problems=problems,
            fields=fields,
            limits=limits,
            report_headers=report_headers,
            region_context=region_context,
        )
    lim = resolve_limits(limits)
    raw, header_problems = _clean_headers(raw)
    # Raw cells are text; a column with no value at all arrives typed Null.
    raw = raw.with_columns(
        col(c).cast(pl.String) for c, t in raw.schema.items() if c != ROW and t == pl.Null
    )
    headers = [c for c in raw.columns if c != ROW]
    mapping = map_headers(headers, overrides)
    by_field = {f: h for h, f in mapping.columns.items() if fields is None or f in fields}
    raw, passthrough, renamed = _protect_passthrough(raw, headers, mapping)
    raw, long_cells = _cut_long_cells(raw, by_field, lim.max_cell_chars)
    checks = _checks(today)
    frame = _parse_fields(raw, by_field, mapping, passthrough, checks, cache)
    frame, flag_errors = _merge_flags(frame, mapping, by_field, fields)
    frame, regions, industries = _resolve(frame, region_context)
    if fields is None or "scope_industries" in fields:
        frame = _scope_industries(frame)
    specs = _error_specs(by_field, checks)
    specs += _resolution_specs(regions, industries, flag_errors)
    frame = _derive_size(_null_failed(frame, checks, by_field))
    specs.append(_size_mismatch())
    reported = [*problems, *header_problems, *renamed] if report_headers else list(problems)
    errors = _error_frame(frame, specs, by_field, reported, long_cells)
    dropped = [p for p in problems if p.message_code in EXCLUDED_ROW_CODES]
    rejected_rows = (
        errors.filter(pl.col("rejected") & pl.col("code").is_in(REJECTING_CODES))
        .get_column("row")
        .unique()
    )
    helper_cols = [
        c for c in frame.columns if c.startswith(("__err_", "__chk_", "__raw_")) or c == "__cc"
    ]
    kept = frame.filter(~pl.col(ROW).is_in(rejected_rows.implode())).drop(helper_cols)
    return Portfolio(
        frame=kept,
        errors=errors,
        mapping=mapping,
        read=raw.height + len(dropped),
        rejected=rejected_rows.len() + len(dropped),
        passthrough=passthrough,
        regions=regions,
        industries=industries,
    )


def _normalise_small(raw: pl.DataFrame, **options: Any) -> Portfolio:
    """:func:`normalise` by :func:`matcher.normalize_rows.normalise_rows`, as frames."""
    from matcher.normalize_rows import normalise_rows

    headers = [c for c in raw.columns if c != ROW]
    res = normalise_rows(raw.to_dicts(), headers, **options)
    specs = {s.name: s for s in PROFILE_FIELDS}
    schema: dict[str, Any] = {}
    for c in res.columns:
        if c == ROW:
            schema[c] = raw.schema[ROW]
        elif c in specs:
            schema[c] = DTYPES[specs[c].type]
        elif c.endswith(DATE_HI_SUFFIX) and c[: -len(DATE_HI_SUFFIX)] in specs:
            schema[c] = pl.Date
        elif c == "scope_industries":
            schema[c] = pl.List(pl.String)
        else:
            schema[c] = pl.String
    frame = pl.DataFrame(res.rows, schema=schema, orient="row") if res.rows else None
    if frame is None:
        frame = pl.DataFrame(schema=schema)
    errors = pl.DataFrame(
        res.errors,
        schema={"row": pl.Int64, **{c: pl.String for c in ERROR_COLUMNS[1:-1]}}
        | {"rejected": pl.Boolean},
        orient="row",
    )
    return Portfolio(
        frame=frame,
        errors=errors,
        mapping=res.mapping,
        read=res.read,
        rejected=res.rejected,
        passthrough=res.passthrough,
        regions=res.regions,
        industries=res.industries,
    )


# (code, condition, fields made unknown): checks across fields, made after parsing.
Check = tuple[str, pl.Expr, list[str]]
# (mask, field, value, code): each becomes error rows in one unpivot at the end.
ErrorSpec = tuple[pl.Expr, str, pl.Expr, pl.Expr]


def _clean_headers(raw: pl.DataFrame) -> tuple[pl.DataFrame, list[RawProblem]]:
    """Headers without a BOM or stray spaces, which must not hide a column; two that
    become equal (「x」 and 「x 」 in a Parquet file) are told apart as the readers do."""
    names = [c for c in raw.columns if c != ROW]
    cleaned, problems = clean_header_names(names)
    if not problems and cleaned == names:
        return raw, []
    return raw.rename(dict(zip(names, cleaned, strict=True))), problems


def _protect_passthrough(
    raw: pl.DataFrame, headers: list[str], mapping: HeaderMapping
) -> tuple[pl.DataFrame, list[str], list[RawProblem]]:
    """Pass-through columns named like a report or internal column (a previous report
    fed back in) are renamed 原表·<name>, and the renaming reported."""
    renames, passthrough, problems = passthrough_names(headers, mapping, set(raw.columns))
    return raw.rename(renames), passthrough, problems


def _cut_long_cells(
    raw: pl.DataFrame, by_field: dict[str, str], max_chars: int
) -> tuple[pl.DataFrame, pl.DataFrame | None]:
    """Cells longer than ``max_chars`` become unknown, each reported as a bad cell of
    its row; they would cost far more than their worth further on."""
    headers = [c for c in raw.columns if c != ROW]
    if not headers or raw.height == 0:
        return raw, None
    widest = raw.select(col(h).str.len_bytes().max() for h in headers).row(0)
    # bytes ≥ characters: only columns over the limit in bytes are counted in characters
    suspects = [h for h, n in zip(headers, widest, strict=True) if n is not None and n > max_chars]
    if not suspects:
        return raw, None
    field_of = {h: f for f, h in by_field.items()}
    id_expr = col(by_field["id"]) if "id" in by_field else pl.lit(None, pl.String)
    parts = []
    for h in suspects:
        n = col(h).str.len_chars()
        parts.append(
            raw.filter(n > max_chars).select(
                pl.col(ROW).alias("row"),
                id_expr.fill_null(pl.col(ROW).cast(pl.String)).alias("id"),
                pl.lit(h).alias("column"),
                pl.lit(field_of.get(h, "")).alias("field"),
                pl.format(
                    "「{}…」共 {} 字符，上限 {}", col(h).str.slice(0, 20), n, pl.lit(max_chars)
                ).alias("value"),
                pl.lit("cell_too_long").alias("code"),
            )
        )
    raw = raw.with_columns(
        pl.when(col(h).str.len_chars() > max_chars).then(None).otherwise(col(h)).alias(h)
        for h in suspects
    )
    return raw, pl.concat(parts)


def _checks(today: dt.date) -> list[Check]:
    return [
        (
            "local_exceeds_total",
            pl.col("grad_hires_local") > pl.col("grad_hires"),
            ["grad_hires_local", "grad_hires"],
        ),
        ("founded_in_future", pl.col("founded") > pl.lit(today), ["founded"]),
    ]


def _parse_fields(
    raw: pl.DataFrame,
    by_field: dict[str, str],
    mapping: HeaderMapping,
    passthrough: list[str],
    checks: list[Check],
    cache: ParseCache | None = None,
) -> pl.DataFrame:
    """Every field parsed (value, error code, cell as written), the cross-field checks
    evaluated and the credit codes verified."""
    values: list[pl.Expr] = []
    errors: list[pl.Expr] = []
    base = raw.lazy()
    for spec in PROFILE_FIELDS:
        header = by_field.get(spec.name)
        extra: dict[str, pl.Expr] = {}
        if spec.type is FieldType.DATE:  # the last day 2019年3月 or 2019 can mean (issue 12)
            hi = spec.name + DATE_HI_SUFFIX
            if header is None:
                values.append(pl.lit(None, dtype=pl.Date).alias(hi))
            else:
                extra[hi] = date_hi_expr(header)
        if header is None:
            values.append(pl.lit(None, dtype=DTYPES[spec.type]).alias(spec.name))
            continue
        if spec.type in (FieldType.INT, FieldType.AMOUNT):  # per spelling, see _error_specs
            extra[_APPROX + spec.name] = _approx(col(header))
        base, value, error, extras = _parse_field(base, raw, spec, header, mapping, extra, cache)
        values.extend(e.alias(name) for name, e in extras.items())
        values.append(value.alias(spec.name))
        errors.append(error.alias(f"__err_{spec.name}"))
        errors.append(col(header).alias(f"__raw_{spec.name}"))
    parsed = base.select(pl.col(ROW), *values, *errors, *[col(h) for h in passthrough])
    frame = parsed.with_columns(
        # The row number stands in for a missing id, in errors and results alike.
        pl.col("id").fill_null(pl.col(ROW).cast(pl.String)),
        *[cond.fill_null(False).alias(f"__chk_{code}") for code, cond, _ in checks],
    ).collect()
    if "credit_code" in by_field:
        frame = frame.with_columns(
            credit_code_errors(frame.get_column("credit_code")).alias("__cc")
        )
    return frame


def _parse_field(
    base: pl.LazyFrame,
    raw: pl.DataFrame,
    spec: Any,
    header: str,
    mapping: HeaderMapping,
    extra: dict[str, pl.Expr],
    cache: ParseCache | None = None,
) -> tuple[pl.LazyFrame, pl.Expr, pl.Expr, dict[str, pl.Expr]]:
    """(frame, value, error, extra) for one field; columns with few distinct spellings
    (12, 是, 2015-03-12…) are parsed once per spelling and joined back, and so are
    the ``extra`` expressions of the same cell (a date's last day)."""
    # A unit in the header (营业收入(元)) applies to the bare numbers below it.
    value, error = parse_expr(spec.type, header, unit=mapping.units.get(spec.name), field=spec.name)
    if spec.name == "certifications":
        value = _canonical_certs(value)  # per distinct spelling, below
        error = pl.coalesce(error, cert_problem_expr(value))
    if spec.type not in PARSE_PER_DISTINCT:
        return base, value, error, extra
    cells = raw.lazy()
    plain = None
    if spec.type is FieldType.TEXT and not extra:
        # Names, ids and codes are nearly all distinct: a cell that parses as itself is
        # found without normalising it, and only the others are parsed (once each).
        plain = f"__plain_{spec.name}"
        base = base.with_columns(plain_text_expr(header).alias(plain))
        cells = cells.filter(~plain_text_expr(header))

    def spellings(cells: pl.LazyFrame) -> pl.LazyFrame:
        return cells.select(col(header).unique()).select(
            col(header).alias(f"__key_{spec.name}"),
            value.alias(f"__val_{spec.name}"),
            error.alias(f"__err_{spec.name}"),
            *[e.alias(f"__x_{name}") for name, e in extra.items()],
        )

    if cache is not None and plain is None:
        table = _cached_table(cache, raw, spec, header, mapping, spellings).lazy()
    else:
        table = spellings(cells)
    base = base.join(
        table,
        left_on=header,
        right_on=f"__key_{spec.name}",
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )
    extras = {name: pl.col(f"__x_{name}") for name in extra}
    value, error = pl.col(f"__val_{spec.name}"), pl.col(f"__err_{spec.name}")
    if plain is not None:
        value = pl.when(plain).then(col(header)).otherwise(value)
        error = pl.when(plain).then(pl.lit(None, pl.String)).otherwise(error)
    return base, value, error, extras


def _cached_table(
    cache: ParseCache,
    raw: pl.DataFrame,
    spec: Any,
    header: str,
    mapping: HeaderMapping,
    spellings: Callable[[pl.LazyFrame], pl.LazyFrame],
) -> pl.DataFrame:
    """``spellings(raw)`` (one row per spelling of ``header``) from the spellings an
    earlier chunk parsed, parsing only the others; the cache gets those."""
    key_col = f"__key_{spec.name}"
    key = (spec.name, spec.type, header, mapping.units.get(spec.name))
    known = cache.get(key)
    if known is None:
        parsed = spellings(raw.lazy()).collect()
        cache.add(key, parsed, key_col)
        return parsed
    cells = raw.lazy().select(col(header).unique().alias(key_col))
    missing = cells.join(known.lazy().select(key_col), on=key_col, how="anti", nulls_equal=True)
    new = spellings(missing.select(pl.col(key_col).alias(header))).collect()
    if new.schema != known.schema:
        return spellings(raw.lazy()).collect()
    if new.height:
        cache.add(key, new, key_col)
        return pl.concat([known, new])
    return known


def _merge_flags(
    frame: pl.DataFrame,
    mapping: HeaderMapping,
    by_field: dict[str, str],
    fields: Collection[str] | None,
) -> tuple[pl.DataFrame, list[tuple[str, pl.Expr]]]:
    """Yes/no certification columns (是否专精特新, 是否高企) complete the certification list."""
    flags = mapping.flags if fields is None or "certifications" in fields else {}
    if not flags:
        return frame, []
    listed = pl.col("certifications") if "certifications" in by_field else None
    merged, flag_errors = merge_flag_columns(listed, flags)
    return frame.with_columns(merged.alias("certifications")), flag_errors


def _resolve(
    frame: pl.DataFrame, region_context: str | None
) -> tuple[pl.DataFrame, dict[str, Resolution], dict[str, Resolution]]:
    """Free text is resolved once per distinct value, then joined back."""
    regions = resolve_regions(_distinct(frame, "region"), context=region_context)
    industries = resolve_industries(_distinct(frame, "industry"))
    frame = frame.join(_resolution_frame(regions, "region", "region_code"), on="region", how="left")
    frame = frame.join(
        _resolution_frame(industries, "industry", "industry_code"), on="industry", how="left"
    )
    return _industry_from_scope(frame), regions, industries


_SCOPE_NOTE = "__raw_scope_note"  # "phrase → code name" for the problem list
_COARSE = pl.col("industry_code").str.len_chars() <= 3  # a 门类 (C) or a 大类 (C30)


def _industry_from_scope(frame: pl.DataFrame) -> pl.DataFrame:
    """A blank industry is derived from the scope's main activity, a coarse one refined when
    the scope agrees with it; a contradiction keeps the given code (and is reported).
    The main piece of each distinct scope is found vectorised, and read once per distinct
    piece (portfolios have many scopes but few main activities), then joined back."""
    from matcher.reference.scope import main_piece_expr, read_main_pieces

    blank = pl.col("industry").is_null() & pl.col("industry_code").is_null()
    needs = (blank | _COARSE.fill_null(False)) & pl.col("business_scope").is_not_null()
    scopes = (
        frame.lazy()
        .filter(needs)
        .select(pl.col("business_scope").unique())
        .with_columns(main_piece_expr(pl.col("business_scope")).alias("__piece"))
        .drop_nulls("__piece")
        .collect()
    )
    main = {
        p: m for p, m in read_main_pieces(scopes.get_column("__piece").unique()).items() if m.code
    }
    table = scopes.join(
        pl.DataFrame(
            {
                "__piece": list(main),
                "__scope_code": [m.code for m in main.values()],
                "__scope_note": [f"{m.phrase} → {m.code} {m.name}" for m in main.values()],
                "__scope_phrase": [m.phrase for m in main.values()],
            },
            schema={
                k: pl.String for k in ("__piece", "__scope_code", "__scope_note", "__scope_phrase")
            },
        ),
        on="__piece",
        how="inner",
    ).drop("__piece")
    frame = frame.join(table, on="business_scope", how="left")
    scope = pl.col("__scope_code")
    inside = scope.str.starts_with(pl.col("industry_code")) & (
        scope.str.len_chars() > pl.col("industry_code").str.len_chars()
    )
    use = (blank | (_COARSE & inside)).fill_null(False) & scope.is_not_null()
    return frame.with_columns(
        pl.when(use).then(scope).otherwise(pl.col("industry_code")).alias("industry_code"),
        pl.when(use).then(pl.col("__scope_phrase")).otherwise(None).alias(SCOPE_PHRASE),
        pl.col("__scope_note").alias(_SCOPE_NOTE),
        # a contradiction: neither code within the other (a scope read only to its 门类, M,
        # agrees with a given M73)
        (_COARSE & ~inside & ~pl.col("industry_code").str.starts_with(scope))
        .fill_null(False)
        .alias("__chk_scope_conflict"),
    ).drop("__scope_code", "__scope_note", "__scope_phrase")


def _scope_industries(frame: pl.DataFrame) -> pl.DataFrame:
    """Each business-scope phrase's industry code, in order, None where a phrase is not read
    (rules test "any phrase in 制造业", tree.any_phrase_in); each distinct scope read once.
    A scope with no phrase (only boilerplate) gives null: it names no activity."""
    from matcher.reference.scope import read_scopes

    scopes = (
        frame.get_column("business_scope").drop_nulls().unique().to_list()
        if "business_scope" in frame.columns
        else []
    )
    readings = read_scopes(scopes)
    table = pl.DataFrame(
        {
            "__scope_key": list(readings),
            "scope_industries": [[p.code for p in r.phrases] or None for r in readings.values()],
        },
        schema={"__scope_key": pl.String, "scope_industries": pl.List(pl.String)},
    )
    if "business_scope" not in frame.columns:
        return frame.with_columns(pl.lit(None, dtype=pl.List(pl.String)).alias("scope_industries"))
    return frame.join(
        table, left_on="business_scope", right_on="__scope_key", how="left", maintain_order="left"
    )


# A number written as approximate (约80): found once per spelling with the parsing.
_APPROX = "__chk_approx_"


def _approx(raw: pl.Expr) -> pl.Expr:
    return raw.cast(pl.String).str.normalize("NFKC").str.contains(APPROX_PATTERN).fill_null(False)


def _error_specs(by_field: dict[str, str], checks: list[Check]) -> list[ErrorSpec]:
    """Every per-cell and per-row problem, as masks over the parsed frame."""
    specs: list[ErrorSpec] = []
    for spec in PROFILE_FIELDS:
        if spec.name in by_field:
            err = pl.col(f"__err_{spec.name}")
            specs.append((err.is_not_null(), spec.name, pl.col(f"__raw_{spec.name}"), err))
        if spec.name in by_field and spec.type in (FieldType.INT, FieldType.AMOUNT):
            # 约80, 80左右, 80+: the number is used, the cell reported (issue 12)
            raw = pl.col(f"__raw_{spec.name}").cast(pl.String)
            approx = pl.col(spec.name).is_not_null() & pl.col(_APPROX + spec.name)
            specs.append((approx, spec.name, raw, pl.lit("approximate_number")))
    if "foreign_invested" in by_field:  # 港资, 台资: read as 外商投资, with a note
        raw = pl.col("__raw_foreign_invested").cast(pl.String)
        hmt = raw.str.strip_chars().str.to_lowercase().is_in(list(HMT_WORDS)).fill_null(False)
        specs.append((hmt, "foreign_invested", raw, pl.lit("hmt_as_foreign")))
    if "credit_code" in by_field:
        cc = pl.col("__cc")
        specs.append((cc.is_not_null(), "credit_code", pl.col("__raw_credit_code"), cc))
    for code, _, fields_ in checks:
        written = pl.col(f"__raw_{fields_[0]}") if fields_[0] in by_field else pl.lit(None)
        specs.append((pl.col(f"__chk_{code}"), fields_[0], written, pl.lit(code)))
    # A name that failed to parse (an Excel error value) is no name either.
    specs.append((pl.col("name").is_null(), "name", pl.lit(""), pl.lit("missing_name")))
    if "name" in by_field:
        # Spreadsheets often end with a totals row: its "name" is 合计 and its numbers are
        # sums over the enterprises above; matched as an enterprise it would be wrong.
        squeezed = pl.col("name").str.replace_all(r"[\s:：]", "").str.to_lowercase()
        total = squeezed.is_in(TOTAL_ROW_NAMES).fill_null(False)
        specs.append((total, "name", pl.col("name"), pl.lit("total_row")))
    return specs


def _resolution_specs(
    regions: dict[str, Resolution],
    industries: dict[str, Resolution],
    flag_errors: list[tuple[str, pl.Expr]],
) -> list[ErrorSpec]:
    """Free text that resolved to nothing, told apart by why: an ambiguous region (通州区:
    北京 or 南通) with its candidates, a cell that names no industry (9999, 详见营业执照)."""
    ambiguous = {
        t: f"{t}：{' / '.join(n)}" for t, r in regions.items() if (n := ambiguous_names(r))
    }
    unresolved = pl.col("region").is_not_null() & pl.col("region_code").is_null()
    is_ambiguous = pl.col("region").is_in(list(ambiguous))
    region_text = pl.col("region").replace_strict(ambiguous, default=None, return_dtype=pl.String)
    refused = [t for t, r in industries.items() if r.refusal is not None]
    specs: list[ErrorSpec] = [
        (unresolved & ~is_ambiguous, "region", pl.col("region"), pl.lit("unknown_region")),
        (unresolved & is_ambiguous, "region", region_text, pl.lit("ambiguous_region")),
        (
            pl.col("industry").is_not_null() & pl.col("industry_code").is_null(),
            "industry",
            pl.col("industry"),
            pl.when(pl.col("industry").is_in(refused))
            .then(pl.lit("not_an_industry"))
            .otherwise(pl.lit("unknown_industry")),
        ),
    ]
    derived = pl.col(SCOPE_PHRASE).is_not_null()
    specs += [
        (
            derived & pl.col("industry").is_null(),
            "industry",
            pl.col(_SCOPE_NOTE),
            pl.lit("industry_from_scope"),
        ),
        (
            derived & pl.col("industry").is_not_null(),
            "industry",
            pl.format("「{}」；{}", pl.col("industry"), pl.col(_SCOPE_NOTE)),
            pl.lit("industry_refined_by_scope"),
        ),
        (
            pl.col("__chk_scope_conflict"),
            "industry",
            pl.format(
                "{}（{}） / {}", pl.col("industry"), pl.col("industry_code"), pl.col(_SCOPE_NOTE)
            ),
            pl.lit("industry_scope_conflict"),
        ),
    ]
    for header, bad in flag_errors:
        written = pl.format("{}：{}", pl.lit(header), col(header))
        specs.append((bad, "certifications", written, pl.lit("bad_certification_flag")))
    return specs


def _null_failed(
    frame: pl.DataFrame, checks: list[Check], by_field: dict[str, str]
) -> pl.DataFrame:
    """Values that failed a check become unknown."""
    nulling = [
        pl.when(pl.col(f"__chk_{code}")).then(None).otherwise(pl.col(f)).alias(f)
        for code, _, fields_ in checks
        for f in fields_
    ]
    frame = frame.with_columns(nulling)
    if "credit_code" in by_field:
        frame = frame.with_columns(
            pl.when(pl.col("__cc").is_not_null())
            .then(None)
            .otherwise(pl.col("credit_code"))
            .alias("credit_code")
        )
    return frame


def _derive_size(frame: pl.DataFrame) -> pl.DataFrame:
    """The size by the standard, and the size matched: the given one, else that."""
    group = size_group_expr(pl.col("industry_code")).cast(group_enum())
    frame = frame.with_columns(group.alias("__size_group"))
    derived = size_expr(
        pl.col("industry_code"),
        pl.col("employees"),
        pl.col("revenue"),
        pl.col("total_assets"),
        group=pl.col("__size_group"),
    )
    return (
        frame.with_columns(derived.alias("size_derived"))
        .drop("__size_group")
        .with_columns(pl.coalesce("size", "size_derived").alias("size_effective"))
    )


def _size_mismatch() -> ErrorSpec:
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
    return (mismatch, "size", size_text, pl.lit("size_mismatch"))


def _error_frame(
    frame: pl.DataFrame,
    specs: list[ErrorSpec],
    by_field: dict[str, str],
    problems: Sequence[RawProblem],
    long_cells: pl.DataFrame | None,
) -> pl.DataFrame:
    """All problems, sorted by row: the checks', the reader's, the over-long cells'."""
    frames = [_error_rows(frame, specs, by_field)] if specs else []
    if long_cells is not None:
        frames.append(long_cells)
    header_field = {h: f for f, h in by_field.items()}
    if problems:
        # Rows the reader could not split into cells never reach the frame: they are
        # rejected here so that read = matched + rejected still holds.
        frames.append(
            pl.DataFrame(
                {
                    "row": [p.row for p in problems],
                    "id": [None] * len(problems),
                    "column": [p.column for p in problems],
                    "field": [header_field.get(p.column, "") for p in problems],
                    "value": [p.detail for p in problems],
                    "code": [p.message_code for p in problems],
                },
                schema={c: pl.String for c in ERROR_COLUMNS[:-1]} | {"row": pl.Int64},
            )
        )
    errors = (
        pl.concat(frames, how="vertical_relaxed")
        if frames
        else pl.DataFrame(schema={c: pl.String for c in ERROR_COLUMNS[:-1]})
    )
    return errors.with_columns(
        pl.col("row").cast(pl.Int64),
        pl.col("code").is_in([*REJECTING_CODES, *EXCLUDED_ROW_CODES]).alias("rejected"),
    ).sort("row", "field", maintain_order=True, nulls_last=False)


def _error_rows(
    frame: pl.DataFrame,
    specs: list[tuple[pl.Expr, str, pl.Expr, pl.Expr]],
    by_field: dict[str, str],
) -> pl.DataFrame:
    """All error rows, check by check: each check reads only the rows it flags (few),
    where a struct per check over every row cost more than the parsing itself."""
    base = frame.lazy()
    parts = [
        base.filter(mask).select(
            pl.col(ROW).alias("row"),
            pl.col("id"),
            pl.lit(by_field.get(field_name, field_name), dtype=pl.String).alias("column"),
            pl.lit(field_name, dtype=pl.String).alias("field"),
            value.cast(pl.String).alias("value"),
            code.cast(pl.String).alias("code"),
        )
        for mask, field_name, value, code in specs
    ]
    # concat keeps the checks' order, as the sort by row after it relies on.
    return pl.concat(parts).collect()


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
        # the row number's own name is taken: kept renamed, reported by normalise
        name = RENAMED_PREFIX + ROW if str(key) == ROW else str(key)
        cells[name] = _cell(value)
    return pl.DataFrame(
        {ROW: [row], **{k: [v] for k, v in cells.items()}},
        schema={ROW: pl.Int64, **{k: pl.String for k in cells}},
    )
