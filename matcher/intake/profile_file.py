"""Reading one YAML/JSON profile file (or a list of profiles), at bounded cost.

A profile is a flat mapping of a few hundred bytes, so anything far beyond is
refused before it is parsed: a file over the size limit, YAML aliases (a 365-byte
alias bomb expands to gigabytes; nothing in a profile needs them), lists or
mappings nested deeper than the depth limit.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from matcher.intake.errors import IntakeError
from matcher.intake.limits import Limits, exceeded
from matcher.intake.raw import nesting_depth

__all__ = ["read_profile_file"]


def read_profile_file(path: Path, limits: Limits) -> Any:
    """The parsed content of a .yaml/.yml/.json profile file; IntakeError when it is
    too large, not UTF-8, not valid, uses aliases or nests too deep."""
    size = path.stat().st_size
    if size > limits.max_profile_bytes:
        found = (f"{size} 字节", f"{size} bytes")
        raise exceeded("profile_too_large", path, "max_profile_bytes", found, limits)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IntakeError(
            "read_failed",
            path,
            f"企业画像文件不是 UTF-8 文本（第 {exc.start + 1} 个字节），请用 UTF-8 编码保存",
            detail_en=f"not UTF-8 text (byte {exc.start + 1}); save it as UTF-8",
        ) from exc
    try:
        data = _load_json(text) if path.suffix.lower() == ".json" else _load_yaml(text, limits)
    except RecursionError as exc:  # JSON nested thousands deep
        raise _too_deep(path, limits) from exc
    except _TooDeep as exc:
        raise _too_deep(path, limits, exc.where) from exc
    except _AliasUsed as exc:
        raise IntakeError("yaml_alias", path, f"第 {exc.line} 行第 {exc.column} 列") from exc
    except (ValueError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise IntakeError("read_failed", path, f"{where}: 无法解析企业画像文件：{exc}") from exc
    if nesting_depth(data, limits.max_depth) > limits.max_depth:
        raise _too_deep(path, limits)
    return data


def _load_json(text: str) -> Any:
    return json.loads(text)


def _too_deep(path: Path, limits: Limits, where: str = "") -> IntakeError:
    found = (f"{where}超过 {limits.max_depth} 层", f"{where}more than {limits.max_depth} levels")
    return exceeded("too_deep", path, "max_depth", found, limits)


class _AliasUsed(Exception):
    def __init__(self, mark: Any) -> None:
        self.line, self.column = mark.line + 1, mark.column + 1


class _TooDeep(Exception):
    def __init__(self, mark: Any) -> None:
        self.where = f"第 {mark.line + 1} 行起 "


def _timestamp_as_text(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> str:
    return str(loader.construct_scalar(node))


def _load_yaml(text: str, limits: Limits) -> Any:
    """yaml.safe_load, refusing aliases and nesting beyond ``limits.max_depth`` while
    composing, before anything is expanded."""

    class Loader(yaml.SafeLoader):
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise _AliasUsed(self.peek_event().start_mark)
            self.depth += 1
            try:
                if self.depth > limits.max_depth + 1:  # the document itself is one level
                    raise _TooDeep(self.peek_event().start_mark)
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    # Dates stay text, parsed by intake like a cell: 2022-02-30 is then one bad field
    # of the profile, reported with the others, not a file that cannot be read.
    Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
    loader = Loader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
