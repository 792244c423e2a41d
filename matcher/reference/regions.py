"""Administrative divisions (民政部 2024-12-31): lookup, containment, groups and address resolution.

Region codes are 6-digit adcode strings. Containment follows the code structure, which the
2024 table obeys throughout: a province contains the codes that share its first two digits, a
prefecture those that share its first four, and a county only itself. Districts of 直辖市 and
county-level units under a province directly have no prefecture row.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from matcher.records import record
from matcher.reference.data import adcode_rows, load_yaml
from matcher.reference.resolution import Resolution, ResolutionCache, normalize_text, resolve_many

# polars and numpy on first use: a one-profile report needs neither (matcher/lazy.py).
if TYPE_CHECKING:
    import numpy as np
    import polars as pl
else:
    from matcher.lazy import lazy_module

    np = lazy_module("numpy")
    from matcher.frame import pl


__all__ = [
    "FUZZY_CUTOFF",
    "Division",
    "RegionContextHint",
    "ambiguous_names",
    "division_names",
    "divisions",
    "group_contains",
    "group_contains_expr",
    "province_of",
    "region_contains",
    "region_contains_expr",
    "region_context_code",
    "region_exists",
    "region_group",
    "region_groups",
    "region_level",
    "region_name",
    "resolve_region",
    "resolve_regions",
    "suggest_region_context",
]

#: rapidfuzz ``ratio`` a fuzzy match of a short text against division names needs.
FUZZY_CUTOFF = 85.0
_FUZZY_MAX_LEN = 12  # only short texts (names, not addresses) are matched fuzzily
_TRIED = ("code", "exact", "prefix", "fuzzy")
_CODE_RE = re.compile(r"^(\d{6})(\d{3}|\d{6})?$")
_LEVELS = ("province", "prefecture", "county")

_SUFFIXES = (
    "特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "特区", "新区",
    "省", "市", "区", "县", "旗", "盟",
)  # fmt: skip
_ETHNIC = (
    "维吾尔", "哈萨克", "柯尔克孜", "塔吉克", "鄂伦春", "鄂温克", "达斡尔", "蒙古", "朝鲜", "土家",
    "布依", "哈尼", "傈僳", "拉祜", "纳西", "景颇", "仫佬", "毛南", "仡佬", "锡伯", "阿昌", "普米",
    "裕固", "独龙", "撒拉", "东乡", "保安", "门巴", "珞巴", "基诺", "壮", "回", "藏", "苗", "彝",
    "侗", "瑶", "白", "傣", "黎", "佤", "畲", "水", "土", "羌", "布朗", "怒", "京", "赫哲", "各",
)  # fmt: skip
_LABELS = (
    "中华人民共和国",
    "中国",
    "注册地址",
    "经营地址",
    "办公地址",
    "地址",
    "住所",
    "注册地",
    "所在地",
)
_SKIP = ("市辖区",)


@record
class Division:
    code: str
    name: str
    level: str  # province / prefecture / county
    province_code: str
    city_code: str  # "" for 直辖市 districts and province-administered county-level units
    full_name: str


class _Divisions(Mapping[str, Division]):
    """All divisions by adcode as the region index file keeps them, each made when it is
    looked up (a one-profile report looks up a few of 3,200: issue 16)."""

    def __init__(self, rows: dict[str, str]) -> None:
        self._rows = rows  # adcode → "name\tlevel\tprovince_code\tcity_code\tfull_name"
        self._made: dict[str, Division] = {}

    def __getitem__(self, code: str) -> Division:
        made = self._made.get(code)
        if made is None:
            name, level, province, city, full = self._rows[code].split("\t")
            made = self._made[code] = Division(code, name, level, province, city, full)
        return made

    def __contains__(self, code: object) -> bool:
        return code in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


# The division table as the region index file holds it, once _index() has read that file.
_kept_divisions: dict[str, str] | None = None


@functools.cache
def _table() -> Mapping[str, Division]:
    if _kept_divisions is not None:
        return _Divisions(_kept_divisions)
    return {
        r["adcode"]: Division(
            r["adcode"], r["name"], r["level"], r["province_code"], r["city_code"], r["full_name"]
        )
        for r in adcode_rows()
    }


def divisions() -> Mapping[str, Division]:
    """All divisions keyed by adcode (read-only)."""
    return _table()


def province_names() -> dict[str, str]:
    """Province adcode → official name (the 34 province rows), without making every division."""
    table = _table()
    if isinstance(table, _Divisions):
        rows = table._rows.items()  # a substring test first: splitting 3,200 lines costs ~2 ms
        found = ((c, r.split("\t", 2)) for c, r in rows if "\tprovince\t" in r)
        return {code: f[0] for code, f in found if f[1] == "province"}
    return {d.code: d.name for d in table.values() if d.level == "province"}


def _clean(code: object) -> str:
    return unicodedata.normalize("NFKC", str(code)).strip()


def region_exists(code: str) -> bool:
    return _clean(code) in _table()


def _get(code: str) -> Division:
    d = _table().get(_clean(code))
    if d is None:
        from matcher.suggest import did_you_mean

        hint = did_you_mean(str(code), [v.full_name for v in _table().values()])
        raise ValueError(f"「{code}」不是民政部2024年县级以上行政区划代码{hint}")
    return d


def region_name(code: str) -> str | None:
    """Full name, e.g. 北京市海淀区; None for an unknown code."""
    d = _table().get(_clean(code))
    return None if d is None else d.full_name


def region_level(code: str) -> str:
    """province / prefecture / county (ValueError for an unknown code)."""
    return _get(code).level


def province_of(code: str) -> str:
    """Adcode of the province-level unit (ValueError for an unknown code)."""
    return _get(code).province_code


def _key(code: str) -> str:
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def region_contains(container: str, code: str | None) -> bool | None:
    """Is ``code`` within ``container``?

    True when it is (110000 contains 110108), False when disjoint, None when ``code`` is coarser
    and overlaps (container 110108, code 110000) or ``code`` is missing or unknown. An unknown
    ``container`` raises ValueError.
    """
    box = _key(_get(container).code)
    if code is None:
        return None
    d = _table().get(_clean(code))
    if d is None:
        return None
    key = _key(d.code)
    if key.startswith(box):
        return True
    if box.startswith(key):
        return None
    return False


def _key_expr(code: pl.Expr) -> pl.Expr:
    return (
        pl.when(code.str.ends_with("0000"))
        .then(code.str.slice(0, 2))
        .when(code.str.ends_with("00"))
        .then(code.str.slice(0, 4))
        .otherwise(code)
    )


def region_contains_expr(container: str, code: pl.Expr) -> pl.Expr:
    """Vectorised :func:`region_contains` over a column of adcode strings."""
    box = _key(_get(container).code)
    key = _key_expr(code)
    return (
        pl.when(code.is_null() | ~code.is_in(list(_table())))
        .then(pl.lit(None, dtype=pl.Boolean))
        .when(key.str.starts_with(box))
        .then(pl.lit(True))
        .when(pl.lit(box).str.starts_with(key))
        .then(pl.lit(None, dtype=pl.Boolean))
        .otherwise(pl.lit(False))
    )


# --------------------------------------------------------------------------- groups


@functools.cache
def _groups() -> dict[str, frozenset[str]]:
    spec = load_yaml("region_groups.yaml")
    out: dict[str, frozenset[str]] = {}
    for name, g in spec["groups"].items():
        members = frozenset(str(m) for m in g["members"])
        unknown = sorted(m for m in members if m not in _table())
        if unknown:
            raise ValueError(f"region_groups.yaml: group {name!r} has unknown adcodes {unknown}")
        out[str(name)] = members
    return out


def region_groups() -> dict[str, frozenset[str]]:
    """All named groups (东部, 中西部, 京津冀, 北京城六区 …) → member adcodes."""
    return dict(_groups())


def region_group(name: str) -> frozenset[str]:
    """Members of a named group; KeyError naming the nearest group when unknown."""
    from rapidfuzz import fuzz, process  # on first use (issue 16)

    groups = _groups()
    if name in groups:
        return groups[name]
    hit = process.extractOne(str(name), list(groups), scorer=fuzz.ratio, score_cutoff=50)
    hint = f"，是否想写「{hit[0]}」？" if hit else ""
    raise KeyError(f"没有名为「{name}」的地区组{hint}可用：{'、'.join(groups)}")


def group_contains(group_name: str, code: str | None) -> bool | None:
    """True if a member contains ``code``; None if ``code`` is coarser than a member and
    overlaps it (or unknown); else False."""
    results = [region_contains(m, code) for m in sorted(region_group(group_name))]
    if any(r is True for r in results):
        return True
    if any(r is None for r in results):
        return None
    return False


def group_contains_expr(group_name: str, code: pl.Expr) -> pl.Expr:
    """Vectorised :func:`group_contains` (Kleene OR over the members)."""
    exprs = [region_contains_expr(m, code) for m in sorted(region_group(group_name))]
    return pl.any_horizontal(exprs) if len(exprs) > 1 else exprs[0]


# --------------------------------------------------------------------------- resolution


def _short_names(d: Division) -> set[str]:
    """Names people write without the suffix: 海淀, 广西, 恩施, 恩施州, 浦东."""
    out: set[str] = set()
    name = d.name
    for suf in _SUFFIXES:
        if name.endswith(suf) and len(name) > len(suf):
            base = name[: -len(suf)]
            if suf.startswith("自治"):
                changed = True
                while changed:
                    changed = False
                    for e in sorted(_ETHNIC, key=len, reverse=True):
                        for ethnic in (e + "族", e):
                            if base.endswith(ethnic) and len(base) - len(ethnic) >= 2:
                                base = base[: -len(ethnic)]
                                changed = True
                                break
                        if changed:
                            break
                if suf == "自治州":
                    out.add(base + "州")
            if len(base) >= 2:
                out.add(base)
            break
    return out


@record
class _Entry:
    code: str
    kind: str  # full / short / former / zone


class _Names(Mapping[str, tuple[_Entry, ...]]):
    """Normalised name → divisions, as read back from the cache file: each name's entries
    are made when it is looked up (a one-profile report looks up a few of 6,000 names)."""

    def __init__(self, raw: dict[str, str]) -> None:
        self._raw = raw  # name → "code:kind,code:kind"
        self._made: dict[str, tuple[_Entry, ...]] = {}

    def __getitem__(self, name: str) -> tuple[_Entry, ...]:
        made = self._made.get(name)
        if made is None:
            pairs = (e.split(":") for e in self._raw[name].split(","))
            made = self._made[name] = tuple(_Entry(c, k) for c, k in pairs)
        return made

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def __len__(self) -> int:
        return len(self._raw)


@record
class _Index:
    names: Mapping[str, tuple[_Entry, ...]]  # normalised name → divisions
    lengths: tuple[int, ...]  # distinct name lengths, longest first
    choices: tuple[str, ...]  # fuzzy choices (full names and names)
    choice_codes: tuple[str, ...]


@functools.cache
def _index() -> _Index:
    global _kept_divisions
    kept = _read_index_file()
    if kept is not None:
        cached, _kept_divisions = kept
        return cached
    idx = _build_index()
    _write_index(idx)
    return idx


# The index takes ~50 ms to build (6,000 names normalised) and a one-profile report needs
# it, so it is kept in a file keyed by the tables and the code that build it. The file is
# text: the format, then each table as one string of lines (fields split by tab, a name's
# entries by comma and colon), the parts split by NUL. It is read back with str.split and
# its objects are made on lookup: the JSON of 16,000 small lists, and checking their types,
# cost a report ~10 ms (issue 16). Each part is checked before the file is believed, and
# the file is written only where it reads back as built.
INDEX_CACHE_OFF_ENV = "POLICY_MATCH_NO_REGION_CACHE"
_INDEX_FORMAT = "3"  # 2: with the division table; 3: text, tables as lines
_INDEX_TAG = f"policy-match region index {_INDEX_FORMAT}"
_PART = r"[^\t\n:,\0]*"  # a code or a kind of a name's entries
_ENTRIES = re.compile(rf"{_PART}:{_PART}(?:[,\n]{_PART}:{_PART})*")


def _index_path() -> Path | None:
    import os

    from matcher.reference import data, model_cache, resolution

    if os.environ.get(INDEX_CACHE_OFF_ENV):
        return None
    files = [
        Path(__file__),
        Path(resolution.__file__),
        Path(data.__file__),
        data.reference_path("adcodes_2024.csv"),
        data.reference_path("region_aliases.yaml"),
    ]
    key = model_cache.input_key(files, _INDEX_FORMAT, unicodedata.unidata_version)
    return model_cache.cache_dir() / f"region-name-index-{key[:32]}.txt"


def _read_index() -> _Index | None:
    kept = _read_index_file()
    return None if kept is None else kept[0]


def _read_index_file() -> tuple[_Index, dict[str, str]] | None:
    """The index and the division table (adcode → its other fields, a line) the file keeps."""
    try:
        path = _index_path()
        if path is None:
            return None
        return _decode_index(path.read_bytes().decode("utf-8"))
    except Exception:  # missing, damaged or foreign (or no home folder): build instead
        return None


def _decode_index(text: str) -> tuple[_Index, dict[str, str]] | None:
    parts = text.split("\0")
    if len(parts) != 8 or parts[0] != _INDEX_TAG:
        return None
    names, entries, lengths, choices, choice_codes, codes, divisions = (
        p.split("\n") for p in parts[1:]
    )
    if len(names) != len(entries) or not _ENTRIES.fullmatch(parts[2]):
        return None
    if len(choices) != len(choice_codes) or len(codes) != len(divisions):
        return None
    if parts[7].count("\t") != 4 * len(divisions) or any(d.count("\t") != 4 for d in divisions):
        return None
    index = _Index(
        names=_Names(dict(zip(names, entries, strict=True))),
        lengths=tuple(int(n) for n in lengths),
        choices=tuple(choices),
        choice_codes=tuple(choice_codes),
    )
    return index, dict(zip(codes, divisions, strict=True))


def _encode_index(idx: _Index) -> str:
    table = _table()
    rows = [[d.name, d.level, d.province_code, d.city_code, d.full_name] for d in table.values()]
    parts = [
        _INDEX_TAG,
        "\n".join(idx.names),
        "\n".join(",".join(f"{e.code}:{e.kind}" for e in v) for v in idx.names.values()),
        "\n".join(str(n) for n in idx.lengths),
        "\n".join(idx.choices),
        "\n".join(idx.choice_codes),
        "\n".join(table),
        "\n".join("\t".join(r) for r in rows),
    ]
    return "\0".join(parts)


def _write_index(idx: _Index) -> None:
    """Atomically, keeping the newest few; nothing where the folder cannot be written, or
    where the file would not read back as built (a separator inside a name)."""
    from matcher.reference.model_cache import write_atomic

    text = _encode_index(idx)
    back = _decode_index(text)
    if back is None or back[0] != idx or list(back[0].names) != list(idx.names):
        return
    if dict(_Divisions(back[1]).items()) != dict(_table().items()):
        return
    data = text.encode("utf-8")
    try:
        path = _index_path()
    except (OSError, RuntimeError):  # RuntimeError: no home folder to find the cache in
        return
    if path is not None:

        def write(f: IO[bytes]) -> None:
            f.write(data)

        write_atomic(path, write, binary=True, keep=3)


def _build_index() -> _Index:
    table = _table()
    names: dict[str, list[_Entry]] = {}

    def put(key: str, entry: _Entry) -> None:
        key = normalize_text(key)
        if len(key) >= 2 and all(e.code != entry.code for e in names.get(key, ())):
            names.setdefault(key, []).append(entry)

    for d in table.values():
        put(d.name, _Entry(d.code, "full"))
        for s in _short_names(d):
            put(s, _Entry(d.code, "short"))
    spec = load_yaml("region_aliases.yaml")
    for kind in ("former", "zones"):
        for name, item in spec[kind].items():
            code = str(item["code"])
            if code not in table:
                raise ValueError(f"region_aliases.yaml {kind}: {name!r} has unknown adcode {code}")
            put(str(name), _Entry(code, "former" if kind == "former" else "zone"))
    choice_map: dict[str, str] = {}
    for d in table.values():
        choice_map.setdefault(normalize_text(d.full_name), d.code)
    return _Index(
        names={k: tuple(v) for k, v in names.items()},
        lengths=tuple(sorted({len(k) for k in names}, reverse=True)),
        choices=tuple(choice_map),
        choice_codes=tuple(choice_map.values()),
    )


def division_names() -> frozenset[str]:
    """Normalised names of every division (full, short, former names and zones), for telling
    a place from other text."""
    return frozenset(_index().names)


def _within(code: str, ctx: str | None) -> bool:
    return ctx is None or (code != ctx and region_contains(ctx, code) is True)


def _match_at(text: str, pos: int, ctx: str | None, idx: _Index) -> tuple[int, list[_Entry]] | None:
    """Longest division name at ``pos`` below ``ctx``: (length, entries)."""
    for length in idx.lengths:
        if pos + length > len(text):
            continue
        entries = idx.names.get(text[pos : pos + length])
        if not entries:
            continue
        # A zone may name the division already read (北京市海淀区中关村): it confirms it.
        cands = [e for e in entries if _within(e.code, ctx) or (e.kind == "zone" and e.code == ctx)]
        if ctx is None:
            # On their own, zones and short names need 3 characters or a unique reading.
            cands = [e for e in cands if e.kind != "zone" or length >= 3]
        if cands:
            return length, cands
    return None


def _scan(
    text: str, pos: int, ctx: str | None, idx: _Index
) -> tuple[int, int, list[_Entry]] | None:
    """First full name or zone further on (an address that names a street before the district)."""
    for start in range(pos + 1, len(text) - 1):
        m = _match_at(text, start, ctx, idx)
        if m is not None:
            length, cands = m
            cands = [e for e in cands if e.kind in {"full", "former", "zone"} and length >= 3]
            if cands:
                return start, length, cands
    return None


def _common(codes: Sequence[str]) -> str | None:
    """The smallest division that contains all ``codes`` (one of them or an ancestor)."""
    table = _table()
    for c in codes:
        if all(region_contains(c, o) is True for o in codes):
            return c
    chains = []
    for c in codes:
        d = table[c]
        chains.append([x for x in (d.city_code, d.province_code) if x and x != c])
    for anc in chains[0]:
        if all(anc in ch or anc == c for ch, c in zip(chains, codes, strict=True)):
            return anc
    return None


def _choose(
    text: str, end: int, cands: list[_Entry], idx: _Index
) -> tuple[str | None, list[_Entry]]:
    """One code from ambiguous candidates: a province on its own, a container of the others,
    the only one under which the rest of the text continues, or their common ancestor."""
    codes = list(dict.fromkeys(e.code for e in cands))
    if len(codes) == 1:
        return codes[0], cands
    provinces = [c for c in codes if _table()[c].level == "province"]
    if len(provinces) == 1:
        return provinces[0], [e for e in cands if e.code == provinces[0]]
    container = _common(codes)
    if container in codes:
        return container, [e for e in cands if e.code == container]
    going_on = [c for c in codes if _match_at(text, end, c, idx) or _scan(text, end - 1, c, idx)]
    if len(going_on) == 1:
        return going_on[0], [e for e in cands if e.code == going_on[0]]
    return container, cands


def _resolution(
    text: str, code: str, score: float, method: str, matched: str | None,
    cands: Sequence[str] = (),
) -> Resolution:  # fmt: skip
    table = _table()
    seen = [(code, table[code].full_name, score)]
    for c in cands:
        if all(c != s[0] for s in seen):
            seen.append((c, table[c].full_name, score))
    return Resolution(
        text, code, table[code].full_name, score, method, matched, tuple(seen[:5]),
        _TRIED[: _TRIED.index(method) + 1] if method in _TRIED else _TRIED[:3],
    )  # fmt: skip


def _strip_labels(norm: str) -> str:
    changed = True
    while changed:
        changed = False
        for label in _LABELS:
            if norm.startswith(label) and len(norm) > len(label):
                norm = norm[len(label) :]
                changed = True
    return norm


def _resolve_parse(text: str) -> Resolution | None:
    """Code, exact name and administrative-prefix stages; None when fuzzy matching is needed."""
    idx = _index()
    table = _table()
    raw = unicodedata.normalize("NFKC", text).strip()
    m = _CODE_RE.match(raw)
    if m:
        if m.group(1) in table:
            return _resolution(text, m.group(1), 100.0, "code", raw)
        return Resolution(text, None, None, 0.0, "none", None, (), ("code",))
    norm = _strip_labels(normalize_text(text))
    if not norm:
        return Resolution(text, None, None, 0.0, "none", None, (), _TRIED)
    if norm in idx.names:
        code, entries = _choose(norm, len(norm), list(idx.names[norm]), idx)
        if code is None:
            codes = [e.code for e in entries]
            return Resolution(
                text, None, None, 0.0, "none", None,
                tuple((c, table[c].full_name, 100.0) for c in dict.fromkeys(codes)), _TRIED,
            )  # fmt: skip
        exact_kinds = {e.kind for e in entries if e.code == code}
        method = "exact" if exact_kinds & {"full", "short"} else "alias"
        score = 100.0 if method == "exact" or "former" in exact_kinds else 90.0
        return _resolution(text, code, score, method, norm, [e.code for e in entries])
    pos, ctx = 0, None
    used: list[str] = []
    kinds: set[str] = set()
    last_kinds: set[str] = set()
    ambiguous: list[str] = []
    while pos < len(norm):
        for skip in _SKIP:
            if norm.startswith(skip, pos):
                pos += len(skip)
        found = _match_at(norm, pos, ctx, idx)
        start = pos
        if found is None:
            scanned = _scan(norm, pos, ctx, idx)
            if scanned is None:
                break
            start, length, cands = scanned
        else:
            length, cands = found
        code, entries = _choose(norm, start + length, cands, idx)
        if code is None:
            ambiguous = [e.code for e in entries]
            break
        if ctx is not None and not _within(code, ctx):
            break
        used.append(norm[start : start + length])
        last_kinds = {e.kind for e in entries if e.code == code}
        kinds |= last_kinds
        if len({e.code for e in entries}) > 1:
            ambiguous = [e.code for e in entries]
        ctx, pos = code, start + length
        if table[code].level == "county":
            break
    if ctx is None:
        if ambiguous:
            return Resolution(
                text, None, None, 0.0, "none", None,
                tuple((c, table[c].full_name, 100.0) for c in dict.fromkeys(ambiguous)), _TRIED,
            )  # fmt: skip
        return None
    method = "alias" if last_kinds <= {"zone", "former"} else "prefix"
    if "zone" in kinds:
        score = 90.0
    elif "short" in kinds:
        score = 95.0
    else:
        score = 100.0
    if ambiguous:
        score = min(score, 80.0)
    return _resolution(text, ctx, score, method, "".join(used), ambiguous)


def _resolve_fuzzy(texts: Sequence[str]) -> dict[str, Resolution]:
    """Fuzzy stage for short texts: rapidfuzz ``ratio`` against every full name, one cdist."""
    from rapidfuzz import fuzz, process  # on first use (issue 16)

    idx = _index()
    table = _table()
    out: dict[str, Resolution] = {}
    queries = [_strip_labels(normalize_text(t)) for t in texts]
    short = [i for i, q in enumerate(queries) if 2 <= len(q) <= _FUZZY_MAX_LEN]
    for t in texts:
        out[t] = Resolution(t, None, None, 0.0, "none", None, (), _TRIED)
    if short:
        scores = process.cdist(
            [queries[i] for i in short], idx.choices, scorer=fuzz.ratio, dtype=np.float32,
            workers=-1,
        )  # fmt: skip
        for row, i in enumerate(short):
            s = scores[row]
            top = np.argsort(-s, kind="stable")[:5]
            cands = tuple(
                (idx.choice_codes[j], table[idx.choice_codes[j]].full_name, round(float(s[j]), 1))
                for j in top
            )
            best = int(top[0])
            t = texts[i]
            if s[best] >= FUZZY_CUTOFF:
                code = idx.choice_codes[best]
                out[t] = Resolution(
                    t, code, table[code].full_name, round(float(s[best]), 1), "fuzzy",
                    idx.choices[best], cands, _TRIED,
                )  # fmt: skip
            else:
                out[t] = Resolution(t, None, None, cands[0][2], "none", None, cands, _TRIED)
    return out


_cache = ResolutionCache()
_remember = _cache.remember


def resolve_region(text: str, context: str | None = None) -> Resolution:
    """Resolve a division name, address or adcode. Cached.

    6-digit (or 9/12-digit statistical) code → exact name → longest administrative prefix
    (province, then city, then district; suffixes 省/市/区/县/自治区 optional) → fuzzy match of a
    short text. An ambiguous name (朝阳区: 北京 or 长春) resolves to the common ancestor, or to
    None with every candidate listed when there is none (see :func:`ambiguous_names`).

    ``context`` (a division name or adcode, e.g. 北京市) settles an ambiguous name: of its
    candidates, the one inside the context is taken; names only advisors of that province use
    (经开区 in Beijing) are read from ``region_aliases.yaml`` ``context_zones``. A text that
    resolves on its own is never changed by the context.
    """
    if context is not None:
        return _resolve_in_context(text, _context_code(context))
    hit = _cache.get(text)
    if hit is not None:
        return hit
    res = _resolve_parse(text)
    if res is None:
        res = _resolve_fuzzy([text])[text]
    return _remember(res)


def resolve_regions(
    texts: Iterable[str | None], context: str | None = None
) -> dict[str, Resolution]:
    """Resolve many texts, each distinct value once; the fuzzy stage in one ``cdist`` call.
    ``context`` as in :func:`resolve_region`."""
    out = resolve_many(
        texts, cached=_cache.get, direct=_resolve_parse, fuzzy=_resolve_fuzzy, remember=_remember
    )
    if context is None:
        return out
    ctx = _context_code(context)
    return {t: _settle(r, ctx) for t, r in out.items()}


# --------------------------------------------------------------------------- context


@functools.cache
def _context_code(context: str) -> str:
    """Adcode of a context given by name or code; ValueError when it is not one division."""
    res = resolve_region(context)
    if res.code is None or res.method == "fuzzy":
        names = "、".join(c[1] for c in res.candidates[:3])
        hint = f"（可能是：{names}）" if names else ""
        raise ValueError(
            f"地区范围「{context}」不是一个确定的行政区划{hint}，请写省市全称或6位代码"
        )
    return res.code


@functools.cache
def _context_zones() -> dict[str, dict[str, tuple[str, str]]]:
    """Context adcode → normalised name → (adcode, note)."""
    spec = load_yaml("region_aliases.yaml").get("context_zones", {})
    out: dict[str, dict[str, tuple[str, str]]] = {}
    for ctx, names in spec.items():
        for name, item in names.items():
            code = str(item["code"])
            if code not in _table() or str(ctx) not in _table():
                raise ValueError(f"region_aliases.yaml context_zones: {name!r} has unknown adcode")
            out.setdefault(str(ctx), {})[normalize_text(str(name))] = (code, str(item["note"]))
    return out


def region_context_code(context: str) -> str:
    """Adcode of a ``--region-context`` value (北京市, 北京, 110000); ValueError with a
    Chinese message naming the candidates when it is not one division. Check it before
    reading a portfolio, so a typo fails at once."""
    return _context_code(context)


def _resolve_in_context(text: str, ctx: str) -> Resolution:
    return _settle(resolve_region(text), ctx)


def _settle(res: Resolution, ctx: str) -> Resolution:
    """Use the context only where the text alone is ambiguous or a context-only zone."""
    if res.code is not None and res.method != "fuzzy":
        if not res.candidates or len({c[0] for c in res.candidates}) < 2:
            return res
        if region_contains(ctx, res.code) is not None:
            return res
    exact = [c[0] for c in res.candidates if c[2] >= 100.0]  # equally good readings only
    inside = [c for c in dict.fromkeys(exact) if region_contains(ctx, c)]
    if res.code is None and len(inside) == 1 and len(exact) > 1:
        return _resolution(res.input, inside[0], 95.0, "exact", res.matched_text, inside)
    for zone_ctx, names in _context_zones().items():
        if (
            region_contains(zone_ctx, ctx) is not True
            and region_contains(ctx, zone_ctx) is not True
        ):
            continue
        hit = names.get(_strip_labels(normalize_text(res.input)))
        if hit is not None:
            return _resolution(res.input, hit[0], 90.0, "alias", res.input, [hit[0]])
    return res


def ambiguous_names(res: Resolution) -> tuple[str, ...]:
    """Full names of the divisions an unresolved text could equally be (empty when it is
    resolved, or unknown rather than ambiguous), e.g. 通州区 → 北京市通州区, 江苏省南通市通州区."""
    if res.code is not None:
        return ()
    exact = [c for c in res.candidates if c[2] >= 100.0]
    names = tuple(dict.fromkeys(name for _, name, _ in exact))
    return names if len(names) > 1 else ()


@record
class RegionContextHint:
    """Most resolved rows lie in one province: a suggestion, never applied silently."""

    code: str  # province adcode
    name: str
    share: float  # of the rows with a resolved region
    rows: int  # rows with a resolved region
    settles: tuple[str, ...]  # ambiguous texts the context would resolve

    def message(self, lang: str = "zh") -> str:
        pct = f"{100 * self.share:.0f}"
        if lang == "en":
            text = f"{pct} % of the {self.rows} rows with a known region are in {self.name}"
            if self.settles:
                text += f"; --region-context {self.name} would settle {len(self.settles)} "
                text += f"ambiguous names ({', '.join(self.settles[:5])})"
            return text + "; not applied unless you give the option"
        text = f"已识别地区的 {self.rows} 行中 {pct}% 位于{self.name}"
        if self.settles:
            text += f"；加 --region-context {self.name} 可确定 {len(self.settles)} 个有歧义的地区名"
            text += f"（{'、'.join(self.settles[:5])}）"
        return text + "；未加该选项时不会自动采用"


def province_counts(codes: Iterable[str | None] | pl.Series) -> Counter[str]:
    """Rows per province of the resolved ``codes``: what a streamed run adds up chunk by chunk.

    A polars Series is counted once per distinct code, in the order of first appearance,
    so provinces enter the counter in the same order as row by row (most_common's ties)."""
    table = _table()
    polars = sys.modules.get("polars")  # a Series means polars is loaded: never load it here
    if polars is None or not isinstance(codes, polars.Series):
        return Counter(table[c].province_code for c in codes if c is not None and c in table)
    distinct = (
        codes.drop_nulls()
        .cast(pl.String)
        .to_frame("code")
        .group_by("code", maintain_order=True)
        .len()
    )
    counts: Counter[str] = Counter()
    for code, n in distinct.iter_rows():
        if code in table:
            counts[table[code].province_code] += n
    return counts


def suggest_region_context(
    codes: Iterable[str | None] | Counter[str],
    unresolved: Iterable[Resolution] = (),
    *,
    share: float = 0.8,
    minimum: int = 3,
) -> RegionContextHint | None:
    """The province holding at least ``share`` of the resolved ``codes`` (one per row, or
    rows per province from :func:`province_counts`; at least ``minimum`` rows), with the
    ``unresolved`` texts that province would settle."""
    table = _table()
    counts = codes if isinstance(codes, Counter) else province_counts(codes)
    total = sum(counts.values())
    if total < minimum:
        return None
    top, count = counts.most_common(1)[0]
    if count / total < share:
        return None
    settles = tuple(
        r.input for r in unresolved if r.code is None and _settle(r, top).code is not None
    )
    return RegionContextHint(top, table[top].name, count / total, total, settles)
