"""Domain errors and the Chinese wording of pydantic validation errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic_core import ErrorDetails


class PolicyMatchError(Exception):
    """An error the CLI reports as one line plus a remedy, never a traceback."""

    def __init__(self, message: str, remedy: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy


@dataclass(frozen=True)
class Location:
    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column or 1}"


_TYPE_ZH: dict[str, str] = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的键（拼写错误？）",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true/false",
    "bool_parsing": "应为 true/false",
    "date_type": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "list_type": "应为列表",
    "dict_type": "应为映射（键: 值）",
    "model_type": "应为映射（键: 值）",
    "too_short": "不应为空",
    "greater_than_equal": "应不小于 {ge}",
    "string_pattern_mismatch": "格式不符，应匹配 {pattern}",
    "union_tag_invalid": "节点类型无法识别",
}

_TYPE_EN: dict[str, str] = {
    "missing": "required key is missing",
    "extra_forbidden": "unknown key (typo?)",
}


def pydantic_message(err: ErrorDetails, lang: str = "zh") -> str:
    """One error in the user's language, naming what was found and what was expected."""
    etype = err["type"]
    ctx: dict[str, Any] = dict(err.get("ctx") or {})
    if etype == "value_error":
        msg = str(ctx.get("error", err["msg"]))
    elif etype in ("enum", "literal_error"):
        expected = str(ctx.get("expected", "")).replace("' or '", "', '")
        msg = f"应为 {expected} 之一" if lang == "zh" else f"should be one of {expected}"
    elif lang == "zh" and etype in _TYPE_ZH:
        try:
            msg = _TYPE_ZH[etype].format(**ctx)
        except (KeyError, IndexError):
            msg = _TYPE_ZH[etype]
    elif lang != "zh" and etype in _TYPE_EN:
        msg = _TYPE_EN[etype]
    else:
        msg = err["msg"]
    if (
        etype not in ("missing", "value_error")
        and "input" in err
        and not isinstance(err["input"], dict | list)
    ):
        found = err["input"]
        msg += f"（实际为「{found}」）" if lang == "zh" else f" (found {found!r})"
    return msg
