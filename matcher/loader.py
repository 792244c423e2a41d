"""Load and validate rule files, reporting errors as file:line:column."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from matcher.errors import Location, pydantic_message
from matcher.reference.data import data_dir
from matcher.rule import Rule


@dataclass(frozen=True)
class RuleFileError:
    location: Location
    rule_id: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        head = f"{self.location}: "
        if self.rule_id:
            head += f"规则 {self.rule_id} "
        if self.field:
            head += f"字段 {self.field}："
        return head + self.message


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    errors: list[RuleFileError] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)  # rule id → file

    def by_id(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


class RuleLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so pydantic reports a bad date with its location."""


RuleLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# libyaml parses the rule files about 10× faster; the pure-Python loader stays the
# reference for error messages and node positions (libyaml words some errors differently).
_FastLoader: type[Any] = RuleLoader
if getattr(yaml, "__with_libyaml__", False):

    class _CRuleLoader(yaml.CSafeLoader):
        pass

    _CRuleLoader.yaml_implicit_resolvers = RuleLoader.yaml_implicit_resolvers
    _FastLoader = _CRuleLoader


def bundled_rules_dir() -> Path:
    return data_dir() / "rules"


def _rule_files(directory: Path) -> list[Path]:
    # Reference tables and the omissions list live beside the rules but are not rules.
    return sorted(
        p
        for p in directory.glob("*.yaml")
        if p.is_file()
        and p.name not in {"omissions.yaml", "questions.yaml"}
        and not p.name.startswith("_")
    )


def load_rules(dirs: list[Path] | None = None, *, replace: bool = False) -> RuleSet:
    """Load the bundled rules plus `dirs` (later files override earlier ids).

    With replace=True only `dirs` are loaded.
    """
    folders = ([] if replace and dirs else [bundled_rules_dir()]) + list(dirs or [])
    result = RuleSet()
    by_id: dict[str, Rule] = {}
    for folder in folders:
        if not folder.exists():
            result.errors.append(RuleFileError(Location(str(folder)), None, None, "规则目录不存在"))
            continue
        files = [folder] if folder.is_file() else _rule_files(folder)
        for path in files:
            rule, errors = load_rule_file(path)
            result.errors.extend(errors)
            if rule is not None:
                by_id[rule.id] = rule
                result.files[rule.id] = path
    result.rules = sorted(by_id.values(), key=lambda r: r.id)
    return result


def load_rule_file(path: Path) -> tuple[Rule | None, list[RuleFileError]]:
    text = path.read_text(encoding="utf-8")
    try:
        try:
            data = yaml.load(text, Loader=_FastLoader)
        except yaml.YAMLError:
            data = yaml.load(text, Loader=RuleLoader)  # the same error, in its usual words
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        loc = Location(str(path), mark.line + 1, mark.column + 1) if mark else Location(str(path))
        problem = getattr(exc, "problem", None) or str(exc)
        return None, [RuleFileError(loc, None, None, f"YAML 语法错误：{problem}")]
    if not isinstance(data, dict):
        return None, [RuleFileError(Location(str(path), 1, 1), None, None, "规则文件应为映射")]
    rule_id = data.get("id") if isinstance(data.get("id"), str) else None
    try:
        rule = Rule.model_validate(data)
    except ValidationError as exc:
        node = yaml.compose(text, Loader=RuleLoader)  # positions, only when needed
        errors = []
        for err in exc.errors(include_url=False):
            line, col = _locate(node, err["loc"])
            dotted = _dotted(err["loc"])
            errors.append(
                RuleFileError(
                    Location(str(path), line, col), rule_id, dotted, pydantic_message(err)
                )
            )
        return None, errors
    if path.stem != rule.id:
        node = yaml.compose(text, Loader=RuleLoader)
        return rule, [
            RuleFileError(
                Location(str(path), *_locate(node, ("id",))),
                rule.id,
                "id",
                f"文件名「{path.name}」应与规则编号一致：{rule.id}.yaml",
            )
        ]
    return rule, []


def _dotted(loc: tuple[Any, ...]) -> str:
    """criteria.all.all.1.condition.value → criteria.all.1.value (union tags dropped)."""
    parts: list[str] = []
    for part in loc:
        text = str(part)
        if text == "condition" or (parts and parts[-1] == text and text in {"all", "any", "not"}):
            continue
        parts.append(text)
    return ".".join(parts)


def _locate(node: Any, loc: tuple[Any, ...]) -> tuple[int | None, int | None]:
    """Walk the composed YAML node along a pydantic loc; discriminator tags are skipped."""
    current = node
    for part in loc:
        if isinstance(current, yaml.MappingNode):
            match = next(
                (
                    (k, v)
                    for k, v in current.value
                    if isinstance(k, yaml.ScalarNode) and k.value == part
                ),
                None,
            )
            if match is None:
                continue  # a union tag, or a key that is missing here
            current = match[1]
        elif isinstance(current, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(current.value):
                break
            current = current.value[part]
    if current is None:
        return None, None
    return current.start_mark.line + 1, current.start_mark.column + 1
