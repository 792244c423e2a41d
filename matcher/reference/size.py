"""Enterprise size (大型/中型/小型/微型) from the SME size standard, row-wise and with polars.

The thresholds are dated data in ``rules/reference/sme_size_standard_2011.yaml``
(工信部联企业〔2011〕300号), mapped onto GB/T 4754-2017 codes as in 国家统计局《统计上大中小微型
企业划分办法(2017)》. Unknown figures are handled with Kleene three-valued logic: a size is given
only when the known figures decide it, so a missing figure that matters gives None (null).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from matcher.reference.data import load_yaml
from matcher.reference.industry import code_levels, normalize_industry_code

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import polars as pl
else:
    from matcher.frame import pl


__all__ = [
    "INDICATORS",
    "SizeGroup",
    "SizeStandard",
    "Tier",
    "derive_size",
    "size_expr",
    "size_group",
    "size_group_expr",
    "size_standard",
]

Indicator = Literal["employees", "revenue", "total_assets"]
INDICATORS: tuple[Indicator, ...] = ("employees", "revenue", "total_assets")
SIZE_ORDER = ("large", "medium", "small", "micro")


class Tier(BaseModel):
    """One sentence of the standard: 或 (any indicator below) or 且 (all at least)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    join: Literal["或", "且"]
    below: dict[Indicator, float] | None = None
    at_least: dict[Indicator, float] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Tier:
        if self.join == "或" and (self.below is None or self.at_least is not None):
            raise ValueError("a 或 tier lists thresholds under 'below' only")
        if self.join == "且" and (self.at_least is None or self.below is not None):
            raise ValueError("a 且 tier lists thresholds under 'at_least' only")
        return self

    @property
    def bounds(self) -> dict[Indicator, float]:
        return dict(self.below or self.at_least or {})


class SizeGroup(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    id: str
    zh: str
    industries: tuple[str, ...]
    quote: str
    mapping_note: str = ""
    sme: Tier
    medium: Tier
    small: Tier
    micro: Tier

    @model_validator(mode="after")
    def _consistent(self) -> SizeGroup:
        if self.sme.join != "或" or self.micro.join != "或":
            raise ValueError(f"{self.id}: 中小微型 and 微型 are 或 sentences")
        if self.medium.join != "且" or self.small.join != "且":
            raise ValueError(f"{self.id}: 中型 and 小型 are 且 sentences")
        used = set(self.sme.bounds)
        for tier in (self.medium, self.small, self.micro):
            if set(tier.bounds) != used:
                raise ValueError(f"{self.id}: every tier must use the indicators {sorted(used)}")
        if self.micro.bounds != self.small.bounds:
            raise ValueError(f"{self.id}: 微型 must be the complement of the 小型 lower bounds")
        for k in used:
            if not self.sme.bounds[k] >= self.medium.bounds[k] >= self.small.bounds[k]:
                raise ValueError(f"{self.id}: thresholds of {k} must not increase downwards")
        for code in self.industries:
            if normalize_industry_code(code) != code:
                raise ValueError(f"{self.id}: {code!r} is not a normalised GB/T 4754-2017 code")
        return self


class OutOfScope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    industries: tuple[str, ...]
    reason: str


class SizeStandard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    id: str
    title: str
    document: str
    issuers: str
    issued: dt.date
    edition: str
    source: str
    industry_mapping: dict[str, str]
    rule: str
    indicators: dict[str, dict[str, str]]
    groups: tuple[SizeGroup, ...]
    out_of_scope: tuple[OutOfScope, ...]

    def group(self, group_id: str) -> SizeGroup:
        for g in self.groups:
            if g.id == group_id:
                return g
        raise KeyError(group_id)

    def coverage(self) -> dict[str, str | None]:
        """Every listed code → group id (None for the out-of-scope entries)."""
        out: dict[str, str | None] = {}
        entries: list[tuple[str, str | None]] = [
            (c, g.id) for g in self.groups for c in g.industries
        ]
        entries += [(c, None) for o in self.out_of_scope for c in o.industries]
        for code, gid in entries:
            if code in out:
                raise ValueError(f"{code} is listed twice in the size standard")
            out[code] = gid
        return out


@functools.cache
def size_standard() -> SizeStandard:
    """The bundled standard, validated (from the cache when an earlier run validated it)."""
    path = _standard_path()
    cached = _read_standard(path) if path is not None else None
    if cached is not None:
        return cached
    standard = SizeStandard.model_validate(load_yaml(_STANDARD_FILE))
    if path is not None:
        _write_standard(path, standard)
    return standard


# A report validated the bundled standard at every start, and built the four models'
# validators to do it (~10 ms, issue 16). Once validated it is kept pickled, keyed by the
# bytes of the standard, of the code table its validator checks codes against and of the
# code that validates; a warm run restores it without validation (the models' validators
# are built on first use: defer_build). Only a file of this user's own is read, and it may
# name no class but these models (model_cache.read_own_pickle); anything else validates.
STANDARD_CACHE_OFF_ENV = "POLICY_MATCH_NO_SIZE_CACHE"
_STANDARD_FILE = "sme_size_standard_2011.yaml"
_STANDARD_FORMAT = "size-standard-1"


def _standard_path() -> Path | None:
    import os

    import pydantic

    from matcher.reference import data, industry, model_cache

    if os.environ.get(STANDARD_CACHE_OFF_ENV):
        return None
    try:
        files = [
            Path(__file__),
            Path(industry.__file__),
            Path(data.__file__),
            data.reference_path(_STANDARD_FILE),
            data.reference_path("gbt4754_2017.csv"),
        ]
        key = model_cache.input_key(files, _STANDARD_FORMAT, pydantic.VERSION)
        return model_cache.cache_dir() / f"size-standard-{key[:32]}.pickle"
    except (OSError, RuntimeError):  # RuntimeError: no home folder to find the cache in
        return None


def _unpickler() -> type[Any]:
    from matcher.reference.model_cache import unpickler_for

    return unpickler_for((Tier, SizeGroup, OutOfScope, SizeStandard), "a size standard class")


def _read_standard(path: Path) -> SizeStandard | None:
    from matcher.reference.model_cache import read_kept

    standard = read_kept(path, _STANDARD_FORMAT, _unpickler())
    return standard if type(standard) is SizeStandard else None


def _write_standard(path: Path, standard: SizeStandard) -> None:
    """Atomically, and only if it restores equal; nothing where the folder cannot be written."""
    import io
    import pickle

    from matcher.reference.model_cache import write_atomic

    blob = pickle.dumps((_STANDARD_FORMAT, path.stem, standard), protocol=5)
    try:
        again = _unpickler()(io.BytesIO(blob)).load()[2]
    except Exception:
        return
    if again != standard or again.model_dump() != standard.model_dump():
        return

    def write(f: IO[Any]) -> None:
        f.write(blob)

    write_atomic(path, write, binary=True, keep=3)


@functools.cache
def _group_by_code() -> dict[str, str | None]:
    """Each GB/T code → its size group, None when out of scope or when its parts differ."""
    cover = size_standard().coverage()
    # Codes nest as prefixes: look a code's prefixes up rather than compare every pair
    # (this ran at every start, 0.1 s).
    for b in cover:
        for end in range(1, len(b)):
            if b[:end] in cover:
                raise ValueError(f"size standard lists both {b[:end]} and its part {b}")
    codes = code_levels()
    leaf_group: dict[str, str | None] = {}
    for code, level in codes.items():
        if level != 4:
            continue
        owners = [code[:end] for end in range(1, len(code) + 1) if code[:end] in cover]
        if len(owners) != 1:
            raise ValueError(f"{code} is covered {len(owners)} times by the size standard")
        leaf_group[code] = cover[owners[0]]
    # Each code's groups are those of the leaves under it (codes nest as prefixes).
    under: dict[str, set[str | None]] = {code: set() for code in codes}
    for leaf, g in leaf_group.items():
        for end in range(1, len(leaf) + 1):
            if leaf[:end] in under:
                under[leaf[:end]].add(g)
    return {code: gs.pop() if len(gs) == 1 else None for code, gs in under.items()}


def size_group(industry_code: str | None) -> str | None:
    """Size group id (e.g. ``"industry"`` for 工业) of a GB/T 4754-2017 code.

    None when the code is missing or unknown, out of the standard's scope (金融业, 教育 …), or
    coarser than the standard needs (``"K70"`` spans 房地产开发经营 and 物业管理).
    """
    if industry_code is None:
        return None
    norm = normalize_industry_code(industry_code)
    if norm is None:
        return None
    if _group_by_code.cache_info().currsize:  # a table of every code was made already
        return _group_by_code().get(norm)
    return _group_of(norm)


@functools.lru_cache(maxsize=4096)
def _group_of(code: str) -> str | None:
    """``_group_by_code().get(code)`` for one code, without the table of every code: a
    one-profile report asks for one (the table costs ~10 ms)."""
    codes = code_levels()
    if code not in codes:
        return None
    cover = size_standard().coverage()
    groups: set[str | None] = set()
    for leaf, level in codes.items():
        if level == 4 and leaf.startswith(code):
            owners = [leaf[:end] for end in range(1, len(leaf) + 1) if leaf[:end] in cover]
            if len(owners) != 1:
                return _group_by_code().get(code)  # the table says what is wrong
            groups.add(cover[owners[0]])
    return groups.pop() if len(groups) == 1 else None


def size_group_expr(industry_code: pl.Expr) -> pl.Expr:
    """Vectorised :func:`size_group` over normalised codes (``"C3011"``); null otherwise."""
    mapping = {k: v for k, v in _group_by_code().items() if v is not None}
    return industry_code.replace_strict(mapping, default=None, return_dtype=pl.String)


# --------------------------------------------------------------------------- row-wise (Kleene)

Tri = bool | None


def _or(values: Iterable[Tri]) -> Tri:
    vals = list(values)
    if any(v is True for v in vals):
        return True
    return None if any(v is None for v in vals) else False


def _and(values: Iterable[Tri]) -> Tri:
    vals = list(values)
    if any(v is False for v in vals):
        return False
    return None if any(v is None for v in vals) else True


def _not(v: Tri) -> Tri:
    return None if v is None else not v


def _tier(tier: Tier, figures: dict[str, float | None]) -> Tri:
    if tier.join == "或":
        return _or(
            None if figures[k] is None else figures[k] < t  # type: ignore[operator]
            for k, t in tier.bounds.items()
        )
    return _and(
        None if figures[k] is None else figures[k] >= t  # type: ignore[operator]
        for k, t in tier.bounds.items()
    )


def _figure(v: float | None) -> float | None:
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def derive_size(
    industry_code: str | None,
    employees: int | None,
    revenue: float | None,
    total_assets: float | None,
) -> str | None:
    """ "large" / "medium" / "small" / "micro", or None when the known figures do not decide it.

    ``revenue`` and ``total_assets`` are in 万元. NaN counts as unknown.
    """
    gid = size_group(industry_code)
    if gid is None:
        return None
    g = size_standard().group(gid)
    figures = {
        "employees": _figure(employees),
        "revenue": _figure(revenue),
        "total_assets": _figure(total_assets),
    }
    sme = _tier(g.sme, figures)
    medium = _tier(g.medium, figures)
    small = _tier(g.small, figures)
    micro = _tier(g.micro, figures)
    verdicts = (
        ("large", _not(sme)),
        ("medium", _and((sme, medium))),
        ("small", _and((sme, _not(medium), small))),
        ("micro", _and((sme, micro))),
    )
    for size, verdict in verdicts:
        if verdict is True:
            return size
    return None


# --------------------------------------------------------------------------- polars


def group_enum() -> pl.Enum:
    """The size groups as an Enum: thresholds are then a gather by its index, where a
    string lookup per threshold cost a hash per row, a dozen times."""
    return pl.Enum([g.id for g in size_standard().groups])


def _threshold(group: pl.Expr, tier: str, indicator: str) -> pl.Expr:
    values = pl.Series(
        [getattr(g, tier).bounds.get(indicator) for g in size_standard().groups],
        dtype=pl.Float64,
    )
    return pl.lit(values).gather(group.cast(group_enum()).to_physical())


def _tier_expr(group: pl.Expr, tier: str, join: str, figures: dict[str, pl.Expr]) -> pl.Expr:
    terms = []
    for indicator, value in figures.items():
        thr = _threshold(group, tier, indicator)
        if join == "或":  # an indicator the group does not use cannot make the OR true
            terms.append(pl.when(thr.is_null()).then(pl.lit(False)).otherwise(value < thr))
        else:  # nor can it make the AND false
            terms.append(pl.when(thr.is_null()).then(pl.lit(True)).otherwise(value >= thr))
    out = terms[0]
    for t in terms[1:]:
        out = (out | t) if join == "或" else (out & t)
    return out


def size_expr(
    industry_code: pl.Expr,
    employees: pl.Expr,
    revenue: pl.Expr,
    total_assets: pl.Expr,
    *,
    group: pl.Expr | None = None,
) -> pl.Expr:
    """Vectorised :func:`derive_size`: a String expression (null when undecided).

    ``industry_code`` holds normalised codes; the rest are numbers (NaN counts as null).
    ``group``, when given, is ``size_group_expr(industry_code)`` already computed: eager
    polars does not share the (large) code lookup between the dozen uses below.
    """
    if group is None:
        group = size_group_expr(industry_code)
    figures = {
        "employees": employees.cast(pl.Float64).fill_nan(None),
        "revenue": revenue.cast(pl.Float64).fill_nan(None),
        "total_assets": total_assets.cast(pl.Float64).fill_nan(None),
    }
    sme = _tier_expr(group, "sme", "或", figures)
    medium = _tier_expr(group, "medium", "且", figures)
    small = _tier_expr(group, "small", "且", figures)
    micro = _tier_expr(group, "micro", "或", figures)
    return (
        pl.when(group.is_null())
        .then(pl.lit(None, dtype=pl.String))
        .when(~sme)
        .then(pl.lit("large"))
        .when(sme & medium)
        .then(pl.lit("medium"))
        .when(sme & ~medium & small)
        .then(pl.lit("small"))
        .when(sme & micro)
        .then(pl.lit("micro"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
