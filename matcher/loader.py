"""Load and validate rule files, reporting errors as file:line:column."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml
from pydantic import ValidationError

from matcher.errors import Location, PolicyMatchError, pydantic_message
from matcher.records import record
from matcher.reference.data import data_dir
from matcher.rule import Rule


@record
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


# Rule files are small hand-written data: anything far outside that is refused before it
# can cost time or memory (a 525-byte alias bomb once took 60 s and 3.6 GB).
MAX_RULE_FILE_BYTES = 256 * 1024  # the largest bundled rule is about 12 KB
MAX_YAML_DEPTH = 40  # nested mappings and lists; a deep criteria tree needs about 20
MAX_YAML_NODES = 20_000  # scalars, lists and mappings together; a bundled rule has < 1,000


class RuleFileRefused(yaml.YAMLError):
    """A rule file refused before construction, with a Chinese message and a real position."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _NoDuplicateKeys:
    """Refuse a key written twice in one mapping (YAML would silently keep the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, yaml.Node] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<` merges follow their own override rule
            key = self.construct_object(key_node, deep=True)  # type: ignore[attr-defined]
            try:
                first = seen.setdefault(key, key_node)
            except TypeError:
                continue  # an unhashable key: SafeConstructor reports it
            if first is not key_node:
                raise RuleFileRefused(
                    f"键「{key}」重复（第 {first.start_mark.line + 1} 行已有）："
                    "YAML 只保留最后一个值，请删去或合并其一",
                    key_node.start_mark.line + 1,
                    key_node.start_mark.column + 1,
                )
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc]


class RuleLoader(_NoDuplicateKeys, yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so pydantic reports a bad date with its location."""


RuleLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# libyaml parses the rule files about 10× faster and gives the node positions; the
# pure-Python parser only rewords a syntax error (libyaml words some differently).
_FastLoader: type[Any] = RuleLoader
if getattr(yaml, "__with_libyaml__", False):

    class _CRuleLoader(_NoDuplicateKeys, yaml.CSafeLoader):
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


def load_rules(
    dirs: list[Path] | None = None, *, replace: bool = False, include_drafts: bool = False
) -> RuleSet:
    """Load the bundled rules plus `dirs` (later files override earlier ids).

    With replace=True only `dirs` are loaded. Drafts (status: draft) are left out unless
    include_drafts.
    """
    folders = ([] if replace and dirs else [bundled_rules_dir()]) + list(dirs or [])
    result = RuleSet()
    by_id: dict[str, Rule] = {}
    for folder in folders:
        if not folder.exists():
            result.errors.append(RuleFileError(Location(str(folder)), None, None, "规则目录不存在"))
            continue
        files = [folder] if folder.is_file() else _rule_files(folder) if folder.is_dir() else []
        if not files:  # an option that silently adds nothing would look like a match
            what = "目录中没有规则文件（*.yaml）" if folder.is_dir() else "不是规则文件或目录"
            result.errors.append(RuleFileError(Location(str(folder)), None, None, what))
            continue
        for path in files:
            rule, errors = load_rule_file(path)
            result.errors.extend(errors)
            if rule is not None:
                by_id[rule.id] = rule
                result.files[rule.id] = path
    kept = [r for r in by_id.values() if include_drafts or r.status != "draft"]
    result.rules = sorted(kept, key=lambda r: r.id)
    return result


def load_rule_file(path: Path) -> tuple[Rule | None, list[RuleFileError]]:
    try:
        data, node = parse_rule_text(read_rule_text(path))
    except RuleFileRefused as exc:
        return None, [
            RuleFileError(Location(str(path), exc.line, exc.column), None, None, exc.message)
        ]
    if not isinstance(data, dict):
        return None, [RuleFileError(Location(str(path), 1, 1), None, None, "规则文件应为映射")]
    rule_id = data.get("id") if isinstance(data.get("id"), str) else None
    try:
        rule = Rule.model_validate(data)
    except ValidationError as exc:
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
        return rule, [
            RuleFileError(
                Location(str(path), *_locate(node, ("id",))),
                rule.id,
                "id",
                f"文件名「{path.name}」应与规则编号一致：{rule.id}.yaml",
            )
        ]
    return rule, []


def read_rule_text(path: Path) -> str:
    """The file as text: UTF-8 (a BOM is allowed), at most MAX_RULE_FILE_BYTES."""
    try:
        with path.open("rb") as f:
            raw = f.read(MAX_RULE_FILE_BYTES + 1)
    except OSError as exc:
        raise RuleFileRefused(f"无法读取规则文件：{exc.strerror or exc}") from exc
    if len(raw) > MAX_RULE_FILE_BYTES:
        raise RuleFileRefused(
            f"规则文件超过 {MAX_RULE_FILE_BYTES // 1024} KB 的上限（从此处起超出）："
            "一条政策一个文件，请拆分规则或精简文字",
            *_byte_position(raw, MAX_RULE_FILE_BYTES),
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleFileRefused(
            f"文件不是 UTF-8 编码（字节 0x{raw[exc.start]:02X} 无法解码）：请以 UTF-8 另存",
            *_byte_position(raw, exc.start),
        ) from None
    return text.removeprefix("\ufeff")


def _byte_position(raw: bytes, index: int) -> tuple[int, int]:
    """1-based line and column (in characters) of a byte offset."""
    start = raw.rfind(b"\n", 0, index) + 1
    column = len(raw[start:index].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, index) + 1, column


def parse_rule_text(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and its node tree; the tree is checked for size before anything is built."""
    try:
        loader = _FastLoader(text)  # the pure-Python reader checks characters here
    except yaml.YAMLError as exc:
        raise _syntax_error(exc, text) from None
    try:
        try:
            node = loader.get_single_node()
        except (yaml.YAMLError, UnicodeError) as exc:
            raise _syntax_error(exc, text) from None
        except RecursionError:  # the pure-Python composer recurses (no libyaml)
            raise RuleFileRefused(_TOO_DEEP, *_too_deep_at(text)) from None
        if node is None:
            return None, None
        _check_shape(node, text)
        try:
            return loader.construct_document(node), node
        except RuleFileRefused:
            raise
        except yaml.YAMLError as exc:
            raise _syntax_error(exc, text) from None
    finally:
        loader.dispose()


_TOO_DEEP = f"嵌套超过 {MAX_YAML_DEPTH} 层的上限：请把条件树写平，或拆成几条规则"


def _check_shape(root: yaml.Node, text: str) -> None:
    """Refuse aliases (each would repeat a whole subtree), deep nesting and huge trees."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if id(node) in seen:
            raise RuleFileRefused(
                "规则文件不允许使用 YAML 锚点与别名（&name、*name）：请把内容直接写出",
                *_first_alias(text),
            )
        seen.add(id(node))
        where = (node.start_mark.line + 1, node.start_mark.column + 1)
        if len(seen) > MAX_YAML_NODES:
            raise RuleFileRefused(
                f"YAML 节点数超过 {MAX_YAML_NODES} 个的上限（从此处起超出）：请拆分规则", *where
            )
        if depth > MAX_YAML_DEPTH:
            raise RuleFileRefused(_TOO_DEEP, *where)
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, depth + 1) for child in reversed(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.extend([(value, depth + 1), (key, depth + 1)])


def _too_deep_at(text: str) -> tuple[int | None, int | None]:
    """Where nesting first passes the limit, from the parser's events (not recursive)."""
    depth = 0
    for event in yaml.parse(text, Loader=RuleLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH and event.start_mark is not None:
                return event.start_mark.line + 1, event.start_mark.column + 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None, None


def _first_alias(text: str) -> tuple[int | None, int | None]:
    for event in yaml.parse(text, Loader=_FastLoader):
        if isinstance(event, yaml.AliasEvent) and event.start_mark is not None:
            return event.start_mark.line + 1, event.start_mark.column + 1
    return None, None


# Common YAML problems in Chinese; the parser's own words follow in brackets.
_PROBLEMS_ZH: tuple[tuple[str, str], ...] = (
    ("expected ',' or ']'", "缺少「,」或「]」：方括号未闭合？"),
    ("expected ',' or '}'", "缺少「,」或「}」：花括号未闭合？"),
    ("mapping values are not allowed", "此处不能有「: 」：含冒号的文字请加引号"),
    ("'\\t'", "不能用制表符缩进，请改用空格"),
    ("tab character", "不能用制表符缩进，请改用空格"),
    ("unexpected end of stream", "文件意外结束：引号未闭合？"),
    ("alias", "规则文件不允许使用 YAML 锚点与别名（&name、*name）"),
    ("anchor", "规则文件不允许使用 YAML 锚点与别名（&name、*name）"),
    ("another document", "一个规则文件只能有一个 YAML 文档：请删去多余的「---」"),
    ("constructor for the tag", "不支持的 YAML 标签（!!…）"),
    ("unhashable key", "键不能是列表或映射"),
    ("block end", "缩进不一致"),
    ("expected '-' indicator", "缩进不一致"),
    ("could not find expected ':'", "缺少「:」"),
)


def _syntax_error(exc: BaseException, text: str) -> RuleFileRefused:
    """One Chinese message at the parser's position; the pure-Python parser words it."""
    if isinstance(exc, yaml.reader.ReaderError):
        line, column = _char_position(text, exc.position)
        return RuleFileRefused(f"含不允许的控制字符 #x{exc.character:04x}：请删去", line, column)
    problem = str(getattr(exc, "problem", None) or exc)
    mark = getattr(exc, "problem_mark", None)
    if "nesting depth" in problem and mark is not None:  # libyaml stops at 1,000 levels
        return RuleFileRefused(_TOO_DEEP, mark.line + 1, mark.column + 1)
    if isinstance(exc, yaml.MarkedYAMLError):
        try:
            yaml.compose(text, Loader=RuleLoader)  # compose only: never builds a bomb
        except yaml.MarkedYAMLError as reference:
            exc, problem = reference, str(reference.problem or reference)
        except (yaml.YAMLError, RecursionError):
            pass
    mark = getattr(exc, "problem_mark", None)
    zh = next((z for key, z in _PROBLEMS_ZH if key in problem), "无法解析")
    message = f"YAML 语法错误：{zh}（{problem}）"
    if mark is None:
        return RuleFileRefused(message)
    return RuleFileRefused(message, mark.line + 1, mark.column + 1)


def _char_position(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


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


# --------------------------------------------------------------------------- the rule cache

# Matching (load_ruleset) keeps the validated rule set in a JSON file, so that a one-profile
# report neither parses the YAML nor reads the reference tables the value checks need.
# Keyed by the bytes of every rule file, of the reference tables and of the code that
# validates, so a file there is only ever read back by the code that wrote it; lint and
# `rules list` use load_rules, never the cache, and so see the real files.
NO_CACHE_ENV = "POLICY_MATCH_NO_RULE_CACHE"
_RULE_CACHE = "ruleset"
_RULE_CACHE_FORMAT = "2"  # 2: with the rules' sha256


def _cache_path(dirs: list[Path] | None, replace: bool, include_drafts: bool) -> Path | None:
    """The cache file for this load, or None where a folder is missing or empty (the
    uncached load reports that)."""
    import json

    import pydantic

    import matcher
    from matcher.reference import model_cache
    from matcher.reference.data import reference_path

    folders = ([] if replace and dirs else [bundled_rules_dir()]) + list(dirs or [])
    files: list[Path] = []
    for folder in folders:
        found = [folder] if folder.is_file() else _rule_files(folder) if folder.is_dir() else []
        if not found:
            return None
        files.extend(found)
    package = Path(matcher.__file__).parent
    # sorted by text: comparing Path objects costs ten times more
    code = sorted([*package.glob("*.py"), *package.glob("reference/*.py")], key=str)
    code += sorted(package.glob("evaluate/*.py"), key=str)
    tables = sorted(
        (p for p in reference_path("certifications.yaml").parent.iterdir() if p.is_file()),
        key=str,
    )
    # the field definitions rules are checked against
    questions = bundled_rules_dir() / "questions.yaml"
    tables += [questions] if questions.is_file() else []
    # as given and as resolved: the file map read back must be the one this load would make
    names = json.dumps(
        [(str(p), real) for p, real in zip(files, _resolved(files), strict=True)],
        ensure_ascii=False,
    )
    key = model_cache.input_key(
        [*files, *tables, *code],
        _RULE_CACHE_FORMAT,
        names,
        str(replace),
        str(include_drafts),
        pydantic.VERSION,  # importlib.metadata would cost 10 ms
        yaml.__version__,
    )
    return model_cache.cache_dir() / f"{_RULE_CACHE}-{key[:32]}.json"


def _resolved(paths: list[Path]) -> list[str]:
    """``str(p.resolve())`` of each path, each folder resolved once for all its files (a
    rule folder holds dozens; resolving each path walks every part of it again)."""
    folders: dict[Path, str] = {}
    found = []
    for p in paths:
        if p.is_symlink():
            found.append(str(p.resolve()))
            continue
        folder = folders.get(p.parent)
        if folder is None:
            folder = folders[p.parent] = str(p.parent.resolve())
        found.append(os.path.join(folder, p.name))
    return found


def _read_cached(path: Path) -> RuleSet | None:
    return _read_pickled(path.with_suffix(_PICKLED)) or _read_json(path)


def _read_json(path: Path) -> RuleSet | None:
    import json

    from matcher.rule import TRUSTED

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        rules = [Rule.model_validate(r, context={TRUSTED: True}) for r in data["rules"]]
        files = {str(k): Path(v) for k, v in data["files"].items()}
        sha256 = data["sha256"]
    except Exception:  # missing, damaged or foreign: load the files instead
        return None
    return _checked(rules, files, sha256)


def _checked(rules: list[Rule], files: dict[str, Path], sha256: object) -> RuleSet | None:
    if not rules or any(r.id not in files for r in rules):
        return None
    if isinstance(sha256, str) and len(sha256) == 64:
        from matcher.report.meta import remember_sha256

        remember_sha256(rules, sha256)  # the rule-set identity every report prints
    return RuleSet(rules=rules, files=files)


# Beside the JSON, the same rules pickled: restored without validation, so a warm report
# neither builds the models' validators (defer_build, matcher/rule.py) nor runs them. Only a
# file of our own is read (a regular file owned by this user, written by no one else) and it
# may name no class but the rule models and dates; anything else reads the JSON instead.
_PICKLED = ".pickle"
_PICKLE_FORMAT = "rules-1"


def _read_pickled(path: Path) -> RuleSet | None:
    from matcher.reference.model_cache import read_own_pickle

    try:
        fmt, name, rules, files, sha256 = read_own_pickle(path, _unpickler())
        if fmt != _PICKLE_FORMAT or name != path.stem:
            return None
        if not isinstance(rules, list) or not all(type(r) is Rule for r in rules):
            return None
        if not isinstance(files, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in files.items()
        ):
            return None
    except Exception:  # damaged, foreign, of another version, no geteuid (Windows)
        return None
    return _checked(rules, {k: Path(v) for k, v in files.items()}, sha256)


def _unpickler() -> type[Any]:
    import datetime

    import matcher.rule
    from matcher.reference.model_cache import restricted_unpickler

    allowed: dict[tuple[str, str], type] = {("datetime", "date"): datetime.date}
    allowed.update(
        {
            ("matcher.rule", k): v
            for k, v in vars(matcher.rule).items()
            if isinstance(v, type) and v.__module__ == "matcher.rule"
        }
    )
    return restricted_unpickler(allowed, "a rule class")


def _write_cached(path: Path, ruleset: RuleSet) -> None:
    """Atomically; nothing where the folder cannot be written, or where the rules would not
    read back as they are (a value JSON cannot carry)."""
    import io
    import json
    import pickle

    from matcher.reference.model_cache import write_atomic
    from matcher.rule import TRUSTED

    rules = [r.model_dump(mode="json", by_alias=True, exclude_unset=True) for r in ruleset.rules]
    try:
        back = [Rule.model_validate(r, context={TRUSTED: True}) for r in rules]
    except ValidationError:
        return
    if back != ruleset.rules or any(
        b.model_fields_set != r.model_fields_set for b, r in zip(back, ruleset.rules, strict=True)
    ):
        return
    from matcher.report.meta import rules_sha256

    files = {k: str(v) for k, v in ruleset.files.items()}
    sha256 = rules_sha256(ruleset.rules)
    body = {"rules": rules, "files": files, "sha256": sha256}
    if not write_atomic(
        path, lambda f: json.dump(body, f, ensure_ascii=False), keep=_RULE_CACHE_KEEP
    ):
        return
    # the pickle holds the rules as a JSON read gives them, and only if they restore equal
    pickled = path.with_suffix(_PICKLED)
    blob = pickle.dumps((_PICKLE_FORMAT, pickled.stem, back, files, sha256), protocol=5)
    try:
        again = _unpickler()(io.BytesIO(blob)).load()[2]
    except Exception:
        return
    if again != back or any(
        a.model_fields_set != b.model_fields_set for a, b in zip(again, back, strict=True)
    ):
        return

    def write(f: IO[Any]) -> None:
        f.write(blob)

    write_atomic(pickled, write, binary=True, keep=_RULE_CACHE_KEEP)


_RULE_CACHE_KEEP = 8  # rule sets kept (bundled, with --rules folders, several checkouts)


def _load_for_matching(dirs: list[Path] | None, replace: bool, include_drafts: bool) -> RuleSet:
    import os

    if os.environ.get(NO_CACHE_ENV):
        return load_rules(dirs, replace=replace, include_drafts=include_drafts)
    try:
        path = _cache_path(dirs, replace, include_drafts)
    except (OSError, RuntimeError):  # RuntimeError: no home folder to find the cache in
        path = None
    cached = _read_cached(path) if path is not None else None
    if cached is not None:
        return cached
    ruleset = load_rules(dirs, replace=replace, include_drafts=include_drafts)
    if path is not None and not ruleset.errors and ruleset.rules:
        _write_cached(path, ruleset)
    return ruleset


def load_ruleset(
    extra: Sequence[Path] = (), *, replace: bool = False, include_drafts: bool = False
) -> RuleSet:
    ruleset = _load_for_matching(list(extra) or None, replace, include_drafts)
    if ruleset.errors:
        lines = "\n".join(str(e) for e in ruleset.errors)
        raise PolicyMatchError(f"规则文件有错误，未进行匹配：\n{lines}", "修正上述规则文件后重试")
    if not ruleset.rules:
        raise PolicyMatchError(
            "没有可用的规则", "用 --rules 指定规则目录；草稿（status: draft）需加 --include-drafts"
        )
    return ruleset
