"""Locating and loading the bundled reference tables.

The tables live in the repository at ``rules/reference/``. A non-editable install copies
``rules/`` to ``matcher/_data/rules/`` (hatch force-include), so :func:`data_dir` looks there
first. Nothing here reads ``../shared``: the public source tables are only used by the tests
and by ``rules/reference/build_reference_tables.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import yaml

import matcher

__all__ = [
    "adcode_rows",
    "data_dir",
    "header_alias_rows",
    "header_latin_rows",
    "header_precedence_rows",
    "header_qualifier_rows",
    "industry_rows",
    "load_yaml",
    "read_yaml",
    "reference_path",
]


@functools.cache
def data_dir() -> Path:
    """Folder that holds ``rules/`` (the installed package data, else the repository root)."""
    package = Path(matcher.__file__).resolve().parent
    bundled = package / "_data"
    if bundled.is_dir():
        return bundled
    return package.parent


def reference_path(name: str) -> Path:
    """Path of one reference file, e.g. ``reference_path("adcodes_2024.csv")``."""
    return data_dir() / "rules" / "reference" / name


# A one-enterprise report reads a dozen reference tables, and csv and PyYAML rebuild them at
# every start (~20 ms of it, issue 16); json reads the same values back in a third of the
# time. So each table read here is also kept as JSON in the cache folder, keyed by the
# file's bytes and this module's code, and written only when it reads back equal (YAML's
# dates and non-string keys are written tagged, see _tagged; a value json cannot hold
# exactly is never kept). Where the folder cannot be written the file is parsed each time.
TABLE_CACHE_OFF_ENV = "POLICY_MATCH_NO_TABLE_CACHE"
_TABLE_FORMAT = "3"  # 3: keyed by model_cache.input_key


def _kept(path: Path, parse: Callable[[], Any], encode: Callable[[Any], Any]) -> Any:
    """``parse()`` of ``path``, or the same value read back from its JSON copy; ``encode``
    gives the JSON form (:func:`_decode` turns it back)."""
    import json
    import os

    from matcher.reference import model_cache

    if os.environ.get(TABLE_CACHE_OFF_ENV):
        return parse()
    # input_key: each file hashed once per process, however many caches it keys
    key = model_cache.input_key([Path(__file__), path], _TABLE_FORMAT)
    try:
        target = model_cache.cache_dir() / f"table-{path.stem}-{key[:32]}.json"
    except RuntimeError:  # no home folder to find the cache in
        return parse()
    try:
        return _decode(json.loads(target.read_text(encoding="utf-8"), object_hook=_untagged))
    except Exception:  # missing, damaged or foreign: parse instead
        pass
    value = parse()
    try:
        text = json.dumps(encode(value), ensure_ascii=False)
        same = _decode(json.loads(text, object_hook=_untagged)) == value
    except (TypeError, ValueError):  # sets, binary…: not kept
        same = False
    if same:

        def write(f: IO[str]) -> None:
            f.write(text)

        model_cache.write_atomic(target, write, keep=3)
    return value


def _decode(raw: Any) -> Any:
    if raw["kind"] == "rows":
        columns = raw["columns"]
        return tuple(dict(zip(columns, row, strict=True)) for row in raw["rows"])
    return raw["value"]


def _tagged(value: Any) -> Any:
    """A YAML value as JSON can hold it: a date as {"$date": …}, a mapping with a key that
    is not a string (or starts with $) as {"$items": [[key, value], …]}."""
    if isinstance(value, dict):
        if all(isinstance(k, str) and not k.startswith("$") for k in value):
            return {k: _tagged(v) for k, v in value.items()}
        return {"$items": [[_tagged(k), _tagged(v)] for k, v in value.items()]}
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    return value


def _untagged(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$date" in obj:
            return dt.date.fromisoformat(obj["$date"])
        if "$datetime" in obj:
            return dt.datetime.fromisoformat(obj["$datetime"])
        if "$items" in obj:
            return {_hashable(k): v for k, v in obj["$items"]}
    return obj


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def _yaml_json(value: Any) -> dict[str, Any]:
    return {"kind": "value", "value": _tagged(value)}


def _rows_json(rows: tuple[dict[str, str], ...]) -> dict[str, Any]:
    columns = list(rows[0]) if rows else []
    return {"kind": "rows", "columns": columns, "rows": [list(r.values()) for r in rows]}


def _read_csv(name: str) -> tuple[dict[str, str], ...]:
    path = reference_path(name)
    if not path.is_file():
        raise FileNotFoundError(
            f"reference table {name!r} not found at {path}; "
            "reinstall policy-match or run from a checkout that has rules/reference/"
        )

    def parse() -> tuple[dict[str, str], ...]:
        # csv keeps every value a string: "01" and "110105" must not become integers.
        with path.open(encoding="utf-8", newline="") as f:
            return tuple(
                {k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)
            )

    rows: tuple[dict[str, str], ...] = _kept(path, parse, _rows_json)
    return rows


@functools.cache
def industry_rows() -> tuple[dict[str, str], ...]:
    """Rows of ``gbt4754_2017.csv``: level, code, section, name, description (all strings)."""
    return _read_csv("gbt4754_2017.csv")


@functools.cache
def adcode_rows() -> tuple[dict[str, str], ...]:
    """Rows of ``adcodes_2024.csv`` (all strings; empty string for a missing city)."""
    return _read_csv("adcodes_2024.csv")


@functools.cache
def header_alias_rows() -> tuple[dict[str, str], ...]:
    """Rows of ``header_aliases.csv`` (header, field, flag, match, note); comment rows dropped."""
    return tuple(r for r in _read_csv("header_aliases.csv") if not r["header"].startswith("#"))


def header_qualifier_rows() -> tuple[dict[str, str], ...]:
    """Rows of ``header_qualifiers.csv`` (word, blocks, except, note); comment rows dropped."""
    return tuple(r for r in _read_csv("header_qualifiers.csv") if not r["word"].startswith("#"))


def header_precedence_rows() -> tuple[dict[str, str], ...]:
    """Rows of ``header_precedence.csv`` (winner, loser, note); comment rows dropped."""
    return tuple(r for r in _read_csv("header_precedence.csv") if not r["winner"].startswith("#"))


def header_latin_rows() -> tuple[dict[str, str], ...]:
    """Rows of ``header_latin.csv`` (latin, zh, note); comment rows dropped."""
    return tuple(r for r in _read_csv("header_latin.csv") if not r["latin"].startswith("#"))


@functools.cache
def load_yaml(name: str) -> Any:
    """Parsed YAML reference file (cached; treat the result as read-only)."""
    path = reference_path(name)
    if not path.is_file():
        raise FileNotFoundError(f"reference file {name!r} not found at {path}")
    return read_yaml(path)


def read_yaml(path: Path) -> Any:
    """:func:`safe_load` of a YAML file, or the same value read back from its JSON copy in
    the cache folder (errors reading or parsing the file are raised as safe_load raises them)."""

    def parse() -> Any:
        with path.open(encoding="utf-8") as f:
            return safe_load(f)

    return _kept(path, parse, _yaml_json)


def safe_load(stream: Any) -> Any:
    """yaml.safe_load through libyaml when PyYAML has it: the same data, ~10x faster
    (the reference tables are a large part of a one-enterprise report's start-up)."""
    return yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
