"""Certifications as advisors write them: names in a list column, and yes/no columns.

A certification list holds canonical names (``rules/reference/certifications.yaml``), names
kept as written (other certifications), and three kinds of marker that keep what is *not*
known from becoming a definite "no":

* ``待确认:<name>`` — a written name that could be this certification (拟认定专精特新,
  a near-miss spelling): a condition on it is unknown, never false;
* ``否:<name>`` — a yes/no column said 否: the certification is definitely absent;
* ``其余未知`` — the list is incomplete (only yes/no columns were given): a condition on a
  certification that no column decided is unknown.

:func:`contains_any` and :func:`contains_any_expr` are the one definition of ``contains_any``
on such a list, for the row and the vectorised evaluators.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

from matcher.lazy import lazy_pattern
from matcher.reference.data import load_yaml

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import polars as pl
else:
    from matcher.frame import pl


__all__ = [
    "ABSENT",
    "MAYBE",
    "OTHERS_UNKNOWN",
    "CertReading",
    "FlagReading",
    "canonical_certs",
    "canonical_names",
    "cert_problem_expr",
    "contains_any",
    "contains_any_expr",
    "merge_flag_columns",
    "read_certification",
    "read_flag",
    "unknown_reason",
]

MAYBE = "待确认:"
ABSENT = "否:"
OTHERS_UNKNOWN = "其余未知"

#: rapidfuzz ``ratio`` from which a near-miss spelling is taken as the certification.
SURE_CUTOFF = 90.0
#: … and from which it is only a possibility (the condition becomes unknown).
MAYBE_CUTOFF = 60.0

_STRIP_RE = re.compile(r"[\"'“”‘’「」『』《》\s()（）\[\]【】〔〕]")
_PLACE_RE = lazy_pattern(r"^[\u4e00-\u9fff]{2,7}?(?:省|市|自治区)(?=[^级])")
_YEAR_RE = lazy_pattern(r"(?:19|20)[0-9]{2}年?度?(?:认定|入库|获得|获批)?")
_LEVEL_PREFIX_RE = lazy_pattern(r"^(国家级|国家|省级|市级|区级)")
_LEVEL_SUFFIX_RE = lazy_pattern(r"(国家级|省级|市级|区级)$")
_LEVEL_NORM = {"国家": "国家级"}
_SEP = "\x1f"


def _key(text: str) -> str:
    return _STRIP_RE.sub("", unicodedata.normalize("NFKC", text)).lower()


class _Table(NamedTuple):
    aliases: dict[str, str]  # key -> canonical
    levels: dict[str, dict[str, tuple[str, ...]]]  # canonical -> level -> canonicals
    others: frozenset[str]  # keys
    families: tuple[tuple[str, tuple[str, ...]], ...]
    yes: frozenset[str]
    no: frozenset[str]
    denies: dict[str, tuple[str, ...]]  # a 否 for the key also denies these


@functools.cache
def _table() -> _Table:
    data = load_yaml("certifications.yaml")
    aliases: dict[str, str] = {}
    for canonical, names in data["canonical"].items():
        for name in [canonical, *names]:
            aliases[_key(name)] = canonical
    levels = {
        c: {lv: tuple(v) for lv, v in by_level.items()} for c, by_level in data["levels"].items()
    }
    for c, by_level in levels.items():
        unknown = {n for v in by_level.values() for n in v} - set(data["canonical"]) | (
            {c} - set(data["canonical"])
        )
        if unknown:
            raise ValueError(f"certifications.yaml levels: unknown names {sorted(unknown)}")
    return _Table(
        aliases=aliases,
        levels=levels,
        others=frozenset(_key(o) for o in data["others"]),
        families=tuple((_key(w), tuple(c)) for w, c in data["families"].items()),
        yes=frozenset(_key(str(w)) for w in data["yes_words"]),
        no=frozenset(_key(str(w)) for w in data["no_words"]),
        denies={c: (c, *others) for c, others in data.get("denies", {}).items()},
    )


def canonical_names() -> tuple[str, ...]:
    """The canonical certification names, in table order."""
    return tuple(dict.fromkeys(_table().aliases.values()))


class CertReading(NamedTuple):
    """What one written certification name was read as."""

    text: str
    names: tuple[str, ...]  # canonical names it certainly is
    maybe: tuple[str, ...]  # canonical names it could be (conditions on them: unknown)
    method: str  # exact / level / fuzzy / other / maybe / unknown / none (否)
    score: float = 100.0

    @property
    def items(self) -> list[str]:
        """What it contributes to a certification list."""
        if self.names:
            return list(self.names)
        if self.method == "none":
            return []
        return [self.text, *(MAYBE + m for m in self.maybe)]


def _split_level(key: str) -> tuple[str | None, str]:
    rest = _PLACE_RE.sub("", key)
    m = _LEVEL_PREFIX_RE.match(rest) or _LEVEL_SUFFIX_RE.search(rest)
    if m is None:
        return None, rest
    level = _LEVEL_NORM.get(m.group(1), m.group(1))
    return level, (rest[: m.start()] + rest[m.end() :]) or rest


def _with_level(text: str, canonical: str, level: str | None, method: str) -> CertReading:
    if level is None:
        return CertReading(text, (canonical,), (), method)
    tiers = _table().levels.get(canonical, {})
    if level in tiers:
        return CertReading(text, tiers[level], (), "level")
    # A level this certification does not have (区级高新技术企业): it may not be the real one.
    return CertReading(text, (), (canonical,), "maybe")


@functools.cache
def read_certification(text: str) -> CertReading:
    """Read one written name: alias, level words (市级专精特新, 国家级小巨人, 北京市…),
    known other certifications, near-miss spellings (rapidfuzz), family words."""
    t = _table()
    key = _key(text)
    if key in t.aliases:
        return CertReading(text, (t.aliases[key],), (), "exact")
    if key in t.others:
        return CertReading(text, (), (), "other")
    if key in t.yes:  # 是 in a list column: a yes to some certification, which one unknown
        return CertReading(text, (), canonical_names(), "maybe", 0.0)
    if key in t.no:  # 否 in a list column: no certification
        return CertReading(text, (), (), "none")
    level, rest = _split_level(_YEAR_RE.sub("", key) or key)
    if rest in t.others:
        return CertReading(text, (), (), "other")
    if rest in t.aliases:
        return _with_level(text, t.aliases[rest], level, "level")
    from rapidfuzz import fuzz, process  # on first use: most names are read exactly (issue 16)

    keys = list(t.aliases)
    hit = process.extractOne(rest, keys, scorer=fuzz.ratio, score_cutoff=MAYBE_CUTOFF)
    if hit is not None and hit[1] >= SURE_CUTOFF:
        reading = _with_level(text, t.aliases[hit[0]], level, "fuzzy")
        return CertReading(reading.text, reading.names, reading.maybe, reading.method, hit[1])
    maybe = [c for word, cs in t.families if word in rest for c in cs]
    if hit is not None:
        maybe.append(t.aliases[hit[0]])
    if maybe:
        score = hit[1] if hit is not None else 0.0
        return CertReading(text, (), tuple(dict.fromkeys(maybe)), "maybe", score)
    return CertReading(text, (), (), "unknown", 0.0)


def _canonical_series(s: pl.Series) -> pl.Series:
    items = s.explode().drop_nulls().unique().to_list()
    if not items:
        return s
    readings = {i: read_certification(i).items for i in items}
    # A name kept as written may hold any character, \x1f too: join with one none holds.
    sep = _unused_char(x for names in readings.values() for x in names)
    table = {i: sep.join(names) for i, names in readings.items()}
    # A reading of nothing (否 in a list) joins to "": dropped, so 否 alone is [] like 无.
    names = pl.element().replace_strict(table, return_dtype=pl.String).str.split(sep).explode()
    return s.list.eval(names.filter(names != "")).list.unique(maintain_order=True)


def _unused_char(texts: Iterable[str]) -> str:
    """_SEP, or else the first private-use character, none of which ``texts`` holds."""
    used = set().union(*texts)
    if _SEP not in used:
        return _SEP
    return next(c for c in map(chr, range(0xE000, 0x110000)) if c not in used)


def canonical_certs(col: pl.Expr) -> pl.Expr:
    """A parsed certification list column with each written name read (see
    :func:`read_certification`); each distinct name is read once."""
    return col.map_batches(_canonical_series, return_dtype=pl.List(pl.String))


def cert_problem_expr(canonical: pl.Expr) -> pl.Expr:
    """Per row, the problem with a read list, or null: ``uncertain_certification`` (a name
    that could be a certification; its conditions are unknown) or ``unknown_certification``
    (a name in no table, kept as written)."""
    t = _table()
    known = [*canonical_names(), OTHERS_UNKNOWN]
    uncertain = canonical.list.eval(pl.element().str.starts_with(MAYBE)).list.any()
    plain = pl.element().str.starts_with(MAYBE) | pl.element().str.starts_with(ABSENT)
    unknown = canonical.list.eval(
        ~plain
        & ~pl.element().is_in(known)
        & ~pl.element()
        .str.replace_all(_STRIP_RE.pattern, "")
        .str.to_lowercase()
        .is_in(list(t.others))
    ).list.any()
    return (
        pl.when(uncertain)
        .then(pl.lit("uncertain_certification"))
        .when(unknown)
        .then(pl.lit("unknown_certification"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


# ----------------------------------------------------------------------------- yes/no columns


class FlagReading(NamedTuple):
    present: tuple[str, ...] = ()  # certifications the cell says the firm has
    absent: tuple[str, ...] = ()  # certifications the cell denies (否)
    ok: bool = True  # False: the cell could not be read (it stays unknown)


def read_flag(cell: str | None, canonical: str) -> FlagReading:
    """One cell of a yes/no column answering ``canonical``: 是/√ → present, 否/无 → absent,
    a level word (市级, 国家级) → the tier it names, a certification name → that name,
    blank → unknown (nothing)."""
    if cell is None:
        return FlagReading()
    key = _key(cell)
    t = _table()
    if key in ("", "-", "/", "—", "不详", "未知", "待定", "待确认"):
        return FlagReading()
    if key in t.yes:
        return FlagReading((canonical,))
    if key in t.no:
        return FlagReading(absent=t.denies.get(canonical, (canonical,)))
    level = _LEVEL_NORM.get(key, key)
    tiers = t.levels.get(canonical, {})
    if level in tiers:
        return FlagReading(tiers[level])
    reading = read_certification(cell)
    if reading.names:
        return FlagReading(reading.names)
    return FlagReading(ok=False)


def _flag_series(canonical: str) -> Any:
    def run(s: pl.Series) -> pl.Series:
        values = s.unique().drop_nulls().to_list()
        table: dict[str, str | None] = {}
        for v in values:
            r = read_flag(v, canonical)
            parts = [*r.present, *(ABSENT + a for a in r.absent)]
            table[v] = _SEP.join(parts) if r.ok else "\x00"
        if not table:
            return pl.Series(s.name, [None] * len(s), dtype=pl.String)
        return s.replace_strict(table, default=None, return_dtype=pl.String)

    return run


def merge_lists(
    listed: Sequence[str] | None, flagged: Sequence[Sequence[str] | None]
) -> list[str] | None:
    """One row's merge (see :func:`merge_flag_columns`); ``flagged`` holds, per yes/no
    column, what its cell said (names and ``否:`` markers) or None when it was blank."""
    said = [x for f in flagged if f is not None for x in f]
    if listed is None and not any(f is not None for f in flagged):
        return None
    items = [*(listed if listed is not None else []), *said]
    if listed is None:
        items.append(OTHERS_UNKNOWN)
    have = set(items)
    out: list[str] = []
    for x in items:
        if x.startswith(MAYBE) and ABSENT + x[len(MAYBE) :] in have:
            continue  # a 否 settles a 待确认 of the same certification
        if ABSENT + x in have:
            x = MAYBE + x  # given and denied
        if x.startswith(ABSENT) and x[len(ABSENT) :] in have:
            continue
        if x not in out:
            out.append(x)
    return out


def _merge_series(s: pl.Series) -> pl.Series:
    frame = s.struct.unnest()
    names = frame.columns
    distinct = frame.unique(maintain_order=True)
    merged = [
        merge_lists(row[0], [None if v is None else v.split(_SEP) if v else [] for v in row[1:]])
        for row in distinct.iter_rows()
    ]
    table = distinct.with_columns(pl.Series("__merged", merged, dtype=pl.List(pl.String)))
    out = frame.join(table, on=names, how="left", nulls_equal=True, maintain_order="left")
    return out.get_column("__merged")


def merge_flag_columns(
    listed: pl.Expr | None, flags: dict[str, str]
) -> tuple[pl.Expr, list[tuple[str, pl.Expr]]]:
    """The certification list merged with yes/no columns (header → certification), and
    per flag column an expression true where its cell could not be read.

    A known list (even empty) is the full answer, completed by the columns; without one, the
    columns decide only their own certifications and ``其余未知`` marks the rest unknown. A
    certification both given and denied (是 in one column, 否 in another or in the list) is
    ``待确认``; a 否 settles a ``待确认`` of the same certification. Each distinct
    combination of cells is merged once.
    """
    decoded = [
        pl.col(h).map_batches(_flag_series(c), return_dtype=pl.String).alias(f"__f{i}")
        for i, (h, c) in enumerate(flags.items())
    ]
    bad = [(h, (e == "\x00").fill_null(False)) for h, e in zip(flags, decoded, strict=True)]
    readable = [
        pl.when(e == "\x00").then(None).otherwise(e).alias(f"__f{i}") for i, e in enumerate(decoded)
    ]
    base = listed if listed is not None else pl.lit(None, dtype=pl.List(pl.String))
    merged = pl.struct([base.alias("__list"), *readable]).map_batches(
        _merge_series, return_dtype=pl.List(pl.String)
    )
    return merged, bad


# ----------------------------------------------------------------------------- evaluation


def contains_any(actual: Sequence[str] | None, values: Iterable[str]) -> bool | None:
    """Kleene ``contains_any`` on a certification list with markers (see the module doc)."""
    if actual is None:
        return None
    wanted = list(values)
    have = set(actual)
    if any(v in have for v in wanted):
        return True
    if any(MAYBE + v in have for v in wanted):
        return None
    if OTHERS_UNKNOWN in have and any(ABSENT + v not in have for v in wanted):
        return None
    return False


def contains_any_expr(col: pl.Expr, values: Iterable[str]) -> pl.Expr:
    """Vectorised :func:`contains_any` (null list → null)."""
    wanted = list(values)
    hit = pl.any_horizontal([col.list.contains(pl.lit(v)) for v in wanted])
    maybe = pl.any_horizontal([col.list.contains(pl.lit(MAYBE + v)) for v in wanted])
    open_ = col.list.contains(pl.lit(OTHERS_UNKNOWN)) & pl.any_horizontal(
        [~col.list.contains(pl.lit(ABSENT + v)) for v in wanted]
    )
    return (
        pl.when(col.is_null())
        .then(pl.lit(None, dtype=pl.Boolean))
        .when(hit)
        .then(pl.lit(True))
        .when(maybe | open_)
        .then(pl.lit(None, dtype=pl.Boolean))
        .otherwise(pl.lit(False))
    )


def unknown_reason(actual: Sequence[str] | None, values: Iterable[str], lang: str = "zh") -> str:
    """Why :func:`contains_any` is unknown here (one line for explanations), or ""."""
    if actual is None or contains_any(actual, values) is not None:
        return ""
    wanted = list(values)
    maybe = [v for v in wanted if MAYBE + v in actual]
    zh = lang != "en"
    if maybe:
        names = "、".join(maybe) if zh else ", ".join(maybe)
        return (
            f"资质中有无法确定的名称，可能是 {names}，请核实后写规范名称"
            if zh
            else f"a certification name could be {names}; check it and write the standard name"
        )
    return (
        "只有是/否资质列，未回答这些认定；请补充资质认定列或对应的是/否列"
        if zh
        else "only yes/no certification columns were given and none answers these; "
        "add the certification list or a yes/no column for them"
    )
