"""Locating and loading the bundled reference tables.

The tables live in the repository at ``rules/reference/``. A non-editable install copies
``rules/`` to ``matcher/_data/rules/`` (hatch force-include), so :func:`data_dir` looks there
first. Nothing here reads ``../shared``: the public source tables are only used by the tests
and by ``rules/reference/build_reference_tables.py``.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path
from typing import Any

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


def _read_csv(name: str) -> tuple[dict[str, str], ...]:
    path = reference_path(name)
    if not path.is_file():
        raise FileNotFoundError(
            f"reference table {name!r} not found at {path}; "
            "reinstall policy-match or run from a checkout that has rules/reference/"
        )
    # csv keeps every value a string: "01" and "110105" must not become integers.
    with path.open(encoding="utf-8", newline="") as f:
        return tuple({k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f))


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
    with path.open(encoding="utf-8") as f:
        return safe_load(f)


def safe_load(stream: Any) -> Any:
    """yaml.safe_load through libyaml when PyYAML has it: the same data, ~10x faster
    (the reference tables are a large part of a one-enterprise report's start-up)."""
    return yaml.load(stream, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
