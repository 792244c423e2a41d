"""The normaliser for a few rows, in plain Python: one web request's profile, a
one-enterprise report, the server's coalesced batch.

:func:`normalise_rows` gives, cell for cell, what :func:`matcher.normalize.normalise`
gives on the same table (values, derived columns, problems and their order), from the
scalar twins of the vectorised parsers. Planning the ~25 polars queries of the frame
path costs 40+ ms whatever the row count; this costs well under a millisecond a row.
``tests/test_normalize_rows.py`` proves the two equal under Hypothesis; without that
proof this path must not be used.
"""

from __future__ import annotations

import datetime as dt
import functools
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from typing import Any, NamedTuple

from matcher.fields import PROFILE_FIELDS, ROW, SIZE_ZH, FieldType
from matcher.intake.certifications import (
    _STRIP_RE,
    ABSENT,
    MAYBE,
    OTHERS_UNKNOWN,
    _table,
    canonical_names,
    merge_lists,
    read_certification,
    read_flag,
)
from matcher.intake.credit_code import check_credit_code
from matcher.intake.headers import HeaderMapping, map_headers
from matcher.intake.limits import Limits
from matcher.intake.limits import resolve as resolve_limits
from matcher.intake.raw import RENAMED_PREFIX, RawProblem
from matcher.intake.values import (
    APPROX_PATTERN,
    DATE_HI_SUFFIX,
    HMT_WORDS,
    ValueParseError,
    cell_to_str,
    parse_date_range,
    parse_value,
)
from matcher.lazy import lazy_pattern
from matcher.normalize_shared import (
    EXCLUDED_ROW_CODES,
    REJECTING_CODES,
    SCOPE_PHRASE,
    TOTAL_ROW_NAMES,
    _cell,
    all_messages,
    clean_header_names,
    passthrough_names,
)
from matcher.reference.regions import ambiguous_names, resolve_regions
from matcher.reference.resolution import Resolution
from matcher.reference.size import derive_size

# Python's `$` also matches before a final newline; polars' (Rust's) does not.
# On first use: plain digits are never approximate (see _field_errors).
_APPROX_RE = lazy_pattern(APPROX_PATTERN.replace("$", r"\Z"))
# Rust's white space (char::is_whitespace), which polars' strip_chars() and `\s` use.
_RUST_WS = "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_RUST_WS_CHARS = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
_NAME_SQUEEZE_RE = lazy_pattern(f"[{_RUST_WS}:：]")  # a name of letters alone needs none


class RowsResult(NamedTuple):
    """What :func:`normalise_rows` found: the kept rows (dicts keyed as the frame path's
    columns, in its order), every problem (dicts keyed as ``ERROR_COLUMNS``), and what
    :class:`matcher.normalize.Portfolio` reports beside them."""

    columns: list[str]  # the frame's columns, in order
    rows: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    mapping: HeaderMapping
    read: int
    rejected: int
    passthrough: list[str]
    regions: dict[str, Resolution]
    industries: dict[str, Resolution]


def normalise_rows(
    cells: Sequence[Mapping[str, Any]],
    headers: Sequence[str],
    *,
    overrides: dict[str, str] | None = None,
    today: dt.date | None = None,
    problems: Sequence[RawProblem] = (),
    fields: Collection[str] | None = None,
    limits: Limits | None = None,
    report_headers: bool = True,
    region_context: str | None = None,
) -> RowsResult:
    """:func:`matcher.normalize.normalise` of a table given as rows: each a mapping from
    header to cell text (or None) and ``ROW`` to its row number; ``headers`` in column order.
    """

    today = today or dt.date.today()
    lim = resolve_limits(limits)
    names, header_problems = clean_header_names(list(headers))
    mapping = map_headers(names, overrides) if overrides else _mapping(tuple(names))
    by_field = {f: h for h, f in mapping.columns.items() if fields is None or f in fields}
    renames, passthrough, renamed = passthrough_names(names, mapping, {ROW, *names})
    table = _raw_table(cells, headers, names, renames)
    final_names = [renames.get(n, n) for n in names]
    long_cells = _cut_long_cells(table, final_names, by_field, lim.max_cell_chars)
    flags = mapping.flags if fields is None or "certifications" in fields else {}
    rows = [_parse_row(raw, by_field, mapping, passthrough, flags, today) for raw in table]
    regions, industries = _resolve(rows, region_context)
    with_phrases = fields is None or "scope_industries" in fields
    if with_phrases:
        _scope_industries(rows)
    for r in rows:
        _null_failed(r, by_field)
        _derive_size(r)
    errors = _field_errors(rows, by_field)
    errors += _resolution_errors(rows, by_field, regions, industries, flags)
    errors += _size_mismatch(rows, by_field)
    reported = [*problems, *header_problems, *renamed] if report_headers else list(problems)
    errors = _error_list(errors, by_field, reported, long_cells, final_names)
    dropped = [p for p in problems if p.message_code in EXCLUDED_ROW_CODES]
    rejected_rows = {e["row"] for e in errors if e["rejected"] and e["code"] in REJECTING_CODES}
    columns = _columns(passthrough, with_phrases=with_phrases)
    kept = [{c: r.v[c] for c in columns} for r in rows if r.v[ROW] not in rejected_rows]
    return RowsResult(
        columns=columns,
        rows=kept,
        errors=errors,
        mapping=mapping,
        read=len(table) + len(dropped),
        rejected=len(rejected_rows) + len(dropped),
        passthrough=passthrough,
        regions=regions,
        industries=industries,
    )


@functools.lru_cache(maxsize=256)
def _mapping(names: tuple[str, ...]) -> HeaderMapping:
    """Headers mapped once per set of headers (a form sends the same few again and again);
    the mapping is shared, and nothing changes it after mapping."""
    return map_headers(list(names), None)


# The cross-field checks of normalize._checks, with the fields each makes unknown.
_CHECK_FIELDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("local_exceeds_total", ("grad_hires_local", "grad_hires")),
    ("founded_in_future", ("founded",)),
)


class _Row:
    """One row being normalised: its values, its cells as written, and what went wrong.
    (A plain class: a dataclass would compile its methods at every start.)"""

    __slots__ = ("bad_flags", "cc", "chk", "err", "raw", "scope_conflict", "scope_note", "v")

    def __init__(
        self,
        v: dict[str, Any],  # the frame's columns
        raw: dict[str, Any],  # field -> cell as written (fields read only)
        err: dict[str, str | None],  # field -> parse error code
        chk: dict[str, bool],
    ) -> None:
        self.v, self.raw, self.err, self.chk = v, raw, err, chk
        self.cc: str | None = None  # credit code problem
        self.bad_flags: set[str] = set()  # yes/no columns not understood
        self.scope_note: str | None = None
        self.scope_conflict = False


def _raw_table(
    cells: Sequence[Mapping[str, Any]],
    headers: Sequence[str],
    names: list[str],
    renames: dict[str, str],
) -> list[dict[str, Any]]:
    """Each row's cells keyed by its cleaned header, pass-through columns renamed."""
    renamed_header = dict(zip(headers, names, strict=True))
    table: list[dict[str, Any]] = []
    for source in cells:
        raw = {ROW: source[ROW]}
        for h in headers:
            name = renames.get(renamed_header[h], renamed_header[h])
            raw[name] = source.get(h)
        table.append(raw)
    return table


def _cut_long_cells(
    table: list[dict[str, Any]],
    final_names: list[str],
    by_field: dict[str, str],
    max_chars: int,
) -> dict[str, list[dict[str, Any]]]:
    """Cells longer than ``max_chars`` made unknown in ``table``; their problems by column."""
    field_of = {h: f for f, h in by_field.items()}
    id_header = by_field.get("id")
    long_cells: dict[str, list[dict[str, Any]]] = {}
    cut: list[tuple[dict[str, Any], str]] = []
    for name in final_names:
        for raw in table:
            text = raw[name]
            if text is not None and len(text) > max_chars:
                rid = raw[id_header] if id_header is not None else None
                long_cells.setdefault(name, []).append(
                    {
                        "row": raw[ROW],
                        "id": rid if rid is not None else str(raw[ROW]),
                        "column": name,
                        "field": field_of.get(name, ""),
                        "value": f"「{text[:20]}…」共 {len(text)} 字符，上限 {max_chars}",
                        "code": "cell_too_long",
                    }
                )
                cut.append((raw, name))
    # after the scan, so a problem still names the id as written; and this row's cell, not
    # the first with its number (callers may repeat numbers)
    for raw, name in cut:
        raw[name] = None
    return long_cells


def _parse_row(
    raw: dict[str, Any],
    by_field: dict[str, str],
    mapping: HeaderMapping,
    passthrough: list[str],
    flags: dict[str, str],
    today: dt.date,
) -> _Row:
    """One row's fields parsed, its cross-field checks made, its yes/no flags merged."""
    v: dict[str, Any] = {ROW: raw[ROW]}
    cells: dict[str, Any] = {}
    errs: dict[str, str | None] = {}
    for spec in PROFILE_FIELDS:
        header = by_field.get(spec.name)
        hi = spec.name + DATE_HI_SUFFIX
        if header is None:
            if spec.type is FieldType.DATE:
                v[hi] = None
            v[spec.name] = None
            continue
        cell = raw[header]
        cells[spec.name] = cell
        try:
            value = parse_value(spec.type, cell, unit=mapping.units.get(spec.name), field=spec.name)
            code = None
        except ValueParseError as exc:
            value, code = None, exc.code
        if spec.type is FieldType.DATE:
            bounds = parse_date_range(cell_to_str(cell)) if value is not None else None
            v[hi] = None if bounds is None else bounds[1]
        if spec.name == "certifications":
            value = _canonical_certs(value)
            code = code if code is not None else _cert_problem(value)
        v[spec.name] = value
        errs[spec.name] = code
    for h in passthrough:
        v[h] = raw[h]
    if v["id"] is None:
        v["id"] = str(raw[ROW])
    local, total, founded = v["grad_hires_local"], v["grad_hires"], v["founded"]
    chk = {
        "local_exceeds_total": local is not None and total is not None and local > total,
        "founded_in_future": founded is not None and founded > today,
    }
    row = _Row(v, cells, errs, chk)
    if "credit_code" in by_field:
        row.cc = check_credit_code(v["credit_code"])
    if flags:
        _merge_flags(row, flags, listed="certifications" in by_field)
    return row


def _canonical_certs(items: list[str] | None) -> list[str] | None:
    """normalize._canonical_certs for one list: each name read, the readings joined
    (a reading of nothing, 否, adds nothing: 否 alone is [] like 无)."""
    if items is None:
        return None
    out: list[str] = []
    for item in items:
        out += read_certification(item).items
    return list(dict.fromkeys(out))


def _cert_problem(canonical: list[str] | None) -> str | None:
    """intake.certifications.cert_problem_expr for one list: uncertain, unknown or None."""
    if canonical is None:
        return None
    if any(x.startswith(MAYBE) for x in canonical):
        return "uncertain_certification"
    known = {*canonical_names(), OTHERS_UNKNOWN}
    others = _table().others
    for x in canonical:
        plain = x.startswith(MAYBE) or x.startswith(ABSENT)
        if not plain and x not in known and _STRIP_RE.sub("", x).lower() not in others:
            return "unknown_certification"
    return None


def _merge_flags(row: _Row, flags: dict[str, str], *, listed: bool) -> None:
    """Yes/no certification columns complete the row's list (normalize._merge_flags)."""
    said: list[list[str] | None] = []
    for header, canonical in flags.items():
        reading = read_flag(row.v[header], canonical)
        if not reading.ok:
            row.bad_flags.add(header)
            said.append(None)
        elif row.v[header] is None:
            said.append(None)
        else:
            said.append([*reading.present, *(ABSENT + a for a in reading.absent)])
    base = row.v["certifications"] if listed else None
    row.v["certifications"] = merge_lists(base, said)


def _resolve(
    rows: list[_Row], region_context: str | None
) -> tuple[dict[str, Resolution], dict[str, Resolution]]:
    """Regions and industries resolved once per distinct text, the scope's industry applied."""
    regions = resolve_regions(
        list(dict.fromkeys(r.v["region"] for r in rows if r.v["region"] is not None)),
        context=region_context,
    )
    industries = _resolve_industries(rows)
    _industry_from_scope(rows, industries)
    for r in rows:
        r.v["region_code"] = None if r.v["region"] is None else regions[r.v["region"]].code
    return regions, industries


def _resolve_industries(rows: list[_Row]) -> dict[str, Resolution]:
    """Each distinct industry text resolved once, its code set on every row."""
    from matcher.reference.industry import resolve_industries

    industries = resolve_industries(
        list(dict.fromkeys(r.v["industry"] for r in rows if r.v["industry"] is not None))
    )
    for r in rows:
        r.v["industry_code"] = None if r.v["industry"] is None else industries[r.v["industry"]].code
    return industries


def _industry_from_scope(rows: list[_Row], industries: dict[str, Resolution]) -> None:
    """normalize._industry_from_scope, row by row."""
    from matcher.reference.scope import main_piece, read_main_pieces

    def coarse(code: str | None) -> bool | None:
        return None if code is None else len(code) <= 3

    pieces: dict[str, str] = {}
    for r in rows:
        v = r.v
        blank = v["industry"] is None and v["industry_code"] is None
        if (blank or coarse(v["industry_code"]) is True) and v["business_scope"] is not None:
            piece = main_piece(v["business_scope"])
            if piece is not None:
                pieces[v["business_scope"]] = piece
    main = {p: m for p, m in read_main_pieces(dict.fromkeys(pieces.values())).items() if m.code}
    for r in rows:
        v = r.v
        v[SCOPE_PHRASE] = None
        piece = pieces.get(v["business_scope"]) if v["business_scope"] is not None else None
        reading = main.get(piece) if piece is not None else None
        if reading is None:
            continue
        scope_code = reading.code
        assert scope_code is not None
        code = v["industry_code"]
        blank = v["industry"] is None and code is None
        is_coarse = coarse(code)
        inside = (
            None if code is None else scope_code.startswith(code) and len(scope_code) > len(code)
        )
        r.scope_note = f"{reading.phrase} → {reading.code} {reading.name}"
        if blank or (is_coarse is True and inside is True):
            v["industry_code"] = scope_code
            v[SCOPE_PHRASE] = reading.phrase
        # neither code within the other (a scope read only to its 门类 agrees with M73)
        r.scope_conflict = bool(
            is_coarse and inside is False and code is not None and not code.startswith(scope_code)
        )


def _scope_industries(rows: list[_Row]) -> None:
    """normalize._scope_industries, row by row: each phrase's code, None where not read."""
    from matcher.reference.scope import read_scopes

    scopes = list(dict.fromkeys(r.v["business_scope"] for r in rows))
    readings = read_scopes([s for s in scopes if s is not None])
    for r in rows:
        scope = r.v["business_scope"]
        reading = readings.get(scope) if scope is not None else None
        r.v["scope_industries"] = (reading and [p.code for p in reading.phrases]) or None


def _null_failed(row: _Row, by_field: dict[str, str]) -> None:
    """Values that failed a check become unknown."""
    for code, fields_ in _CHECK_FIELDS:
        if row.chk[code]:
            for f in fields_:
                row.v[f] = None
    if "credit_code" in by_field and row.cc is not None:
        row.v["credit_code"] = None


def _derive_size(row: _Row) -> None:
    """The size by the standard, and the size matched: the given one, else that."""
    v = row.v
    v["size_derived"] = derive_size(
        v["industry_code"], v["employees"], v["revenue"], v["total_assets"]
    )
    v["size_effective"] = v["size"] if v["size"] is not None else v["size_derived"]


def _problem(
    row: _Row, by_field: dict[str, str], field_name: str, value: Any, code: str
) -> dict[str, Any]:
    """One problem of one row, keyed as ``ERROR_COLUMNS`` but for ``rejected``."""
    return {
        "row": row.v[ROW],
        "id": row.v["id"],
        "column": by_field.get(field_name, field_name),
        "field": field_name,
        "value": value,
        "code": code,
    }


def _field_errors(rows: list[_Row], by_field: dict[str, str]) -> list[dict[str, Any]]:
    """Every per-cell and per-row problem, check by check (normalize._error_specs)."""
    out: list[dict[str, Any]] = []
    for spec in PROFILE_FIELDS:
        if spec.name not in by_field:
            continue
        for r in rows:
            if (code := r.err[spec.name]) is not None:
                out.append(_problem(r, by_field, spec.name, r.raw[spec.name], code))
        if spec.type in (FieldType.INT, FieldType.AMOUNT):
            for r in rows:
                text = r.raw[spec.name]
                if r.v[spec.name] is None or text is None:
                    continue
                norm = unicodedata.normalize("NFKC", text)
                # plain digits match no alternative of the pattern (约…, …左右, 8余/8多/8+)
                if not (norm.isascii() and norm.isdigit()) and _APPROX_RE.search(norm):
                    out.append(_problem(r, by_field, spec.name, text, "approximate_number"))
    if "foreign_invested" in by_field:
        for r in rows:
            text = r.raw["foreign_invested"]
            if text is not None and text.strip(_RUST_WS_CHARS).lower() in HMT_WORDS:
                out.append(_problem(r, by_field, "foreign_invested", text, "hmt_as_foreign"))
    if "credit_code" in by_field:
        for r in rows:
            if r.cc is not None:
                out.append(_problem(r, by_field, "credit_code", r.raw["credit_code"], r.cc))
    for code, fields_ in _CHECK_FIELDS:
        for r in rows:
            if r.chk[code]:
                written = r.raw[fields_[0]] if fields_[0] in by_field else None
                out.append(_problem(r, by_field, fields_[0], written, code))
    for r in rows:
        if r.v["name"] is None:
            out.append(_problem(r, by_field, "name", "", "missing_name"))
    if "name" in by_field:
        for r in rows:
            name = r.v["name"]
            if name is None:
                continue
            squeezed = name if name.isalnum() else _NAME_SQUEEZE_RE.sub("", name)
            if squeezed.lower() in TOTAL_ROW_NAMES:
                out.append(_problem(r, by_field, "name", name, "total_row"))
    return out


def _resolution_errors(
    rows: list[_Row],
    by_field: dict[str, str],
    regions: dict[str, Resolution],
    industries: dict[str, Resolution],
    flags: dict[str, str],
) -> list[dict[str, Any]]:
    """Free text resolved to nothing, told apart by why (normalize._resolution_specs)."""
    ambiguous = {
        t: f"{t}：{' / '.join(n)}" for t, res in regions.items() if (n := ambiguous_names(res))
    }
    refused = {t for t, res in industries.items() if res.refusal is not None}
    out: list[dict[str, Any]] = []
    unresolved = [r for r in rows if r.v["region"] is not None and r.v["region_code"] is None]
    for r in unresolved:
        if r.v["region"] not in ambiguous:
            out.append(_problem(r, by_field, "region", r.v["region"], "unknown_region"))
    for r in unresolved:
        if r.v["region"] in ambiguous:
            text = ambiguous[r.v["region"]]
            out.append(_problem(r, by_field, "region", text, "ambiguous_region"))
    for r in rows:
        industry = r.v["industry"]
        if industry is not None and r.v["industry_code"] is None:
            code = "not_an_industry" if industry in refused else "unknown_industry"
            out.append(_problem(r, by_field, "industry", industry, code))
    out += _scope_errors(rows, by_field)
    for header in flags:
        for r in rows:
            if header in r.bad_flags:
                text = f"{header}：{r.v[header]}"
                out.append(_problem(r, by_field, "certifications", text, "bad_certification_flag"))
    return out


def _scope_errors(rows: list[_Row], by_field: dict[str, str]) -> list[dict[str, Any]]:
    """The industries the business scope gave, refined or contradicted, each noted."""
    out: list[dict[str, Any]] = []
    for r in rows:
        if r.v[SCOPE_PHRASE] is not None and r.v["industry"] is None:
            out.append(_problem(r, by_field, "industry", r.scope_note, "industry_from_scope"))
    for r in rows:
        if r.v[SCOPE_PHRASE] is not None and r.v["industry"] is not None:
            note = None if r.scope_note is None else f"「{r.v['industry']}」；{r.scope_note}"
            out.append(_problem(r, by_field, "industry", note, "industry_refined_by_scope"))
    for r in rows:
        if r.scope_conflict:
            v = r.v
            note = (
                None
                if r.scope_note is None
                else f"{v['industry']}（{v['industry_code']}） / {r.scope_note}"
            )
            out.append(_problem(r, by_field, "industry", note, "industry_scope_conflict"))
    return out


def _size_mismatch(rows: list[_Row], by_field: dict[str, str]) -> list[dict[str, Any]]:
    """A size given that is not the size the standard derives."""
    out: list[dict[str, Any]] = []
    for r in rows:
        size, derived = r.v["size"], r.v["size_derived"]
        if size is not None and derived is not None and size != derived:
            text = f"填写{SIZE_ZH.get(size, size)}，推算{SIZE_ZH.get(derived, derived)}"
            out.append(_problem(r, by_field, "size", text, "size_mismatch"))
    return out


def _error_list(
    errors: list[dict[str, Any]],
    by_field: dict[str, str],
    reported: Sequence[RawProblem],
    long_cells: dict[str, list[dict[str, Any]]],
    final_names: list[str],
) -> list[dict[str, Any]]:
    """All problems sorted by row, stably: the checks', the over-long cells', the reader's."""
    field_of = {h: f for f, h in by_field.items()}
    for name in final_names:
        errors += long_cells.get(name, [])
    for p in reported:
        errors.append(
            {"row": p.row, "id": None, "column": p.column, "field": field_of.get(p.column, "")}
            | {"value": p.detail}
            | {"code": p.message_code}
        )
    for e in errors:
        e["rejected"] = e["code"] in (*REJECTING_CODES, *EXCLUDED_ROW_CODES)
    errors.sort(
        key=lambda e: (
            e["row"] is not None,
            e["row"] or 0,
            e["field"] is not None,
            e["field"] or "",
        )
    )
    return errors


def _columns(passthrough: list[str], *, with_phrases: bool) -> list[str]:
    """The result frame's columns, in the frame path's order."""
    columns = [ROW]
    for spec in PROFILE_FIELDS:
        if spec.type is FieldType.DATE:
            columns.append(spec.name + DATE_HI_SUFFIX)
        columns.append(spec.name)
    columns += [*passthrough, "region_code", "industry_code", SCOPE_PHRASE]
    columns += ["scope_industries"] if with_phrases else []
    columns += ["size_derived", "size_effective"]
    return columns


def render_message(code: str, value: str | None, lang: str = "zh") -> str:
    """One problem's message (the scalar twin of normalize.error_messages)."""

    pair = all_messages().get(code)
    template = code if pair is None else pair[0 if lang == "zh" else 1]
    return template.replace("{value}", value or "")


def cells_of(profile: Mapping[str, Any], row: int) -> dict[str, Any]:
    """One profile mapping (YAML/JSON, a form) → the raw cells of one row, as
    :func:`matcher.normalize.profile_to_raw` makes them."""

    out: dict[str, Any] = {ROW: row}
    for key, value in profile.items():
        out[RENAMED_PREFIX + ROW if str(key) == ROW else str(key)] = _cell(value)
    return out
