"""Domain errors and the Chinese wording of pydantic validation errors."""

from __future__ import annotations

import errno
import re
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails


class PolicyMatchError(Exception):
    """An error the CLI reports as one line plus a remedy, never a traceback."""

    def __init__(self, message: str, remedy: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy


class Location(NamedTuple):
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
    "less_than_equal": "应不大于 {le}",
    "greater_than": "应大于 {gt}",
    "less_than": "应小于 {lt}",
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


# What a user can do about an operating-system error, by errno.
_OS_ZH: dict[int, tuple[str, str]] = {
    errno.ENOENT: ("文件或文件夹「{path}」不存在", "请检查路径和文件名"),
    errno.EISDIR: ("「{path}」是文件夹，不是文件", "请写出文件名，如 {path}/report.csv"),
    errno.ENOTDIR: ("「{path}」的上级路径不是文件夹", "请检查路径"),
    errno.EACCES: ("没有权限读写「{path}」", "请换一个有权限的位置，或修改文件权限"),
    errno.EPERM: ("没有权限读写「{path}」", "请换一个有权限的位置，或修改文件权限"),
    errno.EROFS: ("「{path}」所在的文件系统只读，无法写入", "请把结果写到可写的位置，如当前目录"),
    errno.ENOSPC: (
        "磁盘已满，写入「{path}」失败",
        "请腾出磁盘空间，或写到另一块磁盘；--brief 或 --only 可缩小结果",
    ),
    errno.EDQUOT: ("磁盘配额已用完，写入「{path}」失败", "请腾出空间，或写到另一个位置"),
    errno.EFBIG: (
        "文件「{path}」超过了文件系统允许的大小",
        "请用 --brief 或 --only 缩小结果，或写到另一个文件系统",
    ),
    errno.ENAMETOOLONG: ("文件名「{path}」太长", "请用较短的文件名"),
    errno.ELOOP: ("「{path}」的符号链接形成了循环", "请检查这个链接"),
    errno.EIO: ("读写「{path}」时发生输入输出错误", "请检查磁盘或网络驱动器，然后重试"),
}
_OS_EN: dict[int, tuple[str, str]] = {
    errno.ENOENT: ("'{path}' does not exist", "check the path and file name"),
    errno.EISDIR: ("'{path}' is a folder, not a file", "name a file, e.g. {path}/report.csv"),
    errno.EACCES: (
        "permission denied on '{path}'",
        "use a location you can write, or fix the permissions",
    ),
    errno.EPERM: (
        "permission denied on '{path}'",
        "use a location you can write, or fix the permissions",
    ),
    errno.EROFS: ("'{path}' is on a read-only file system", "write the result somewhere writable"),
    errno.ENOSPC: (
        "the disk is full: writing '{path}' failed",
        "free some space or write elsewhere; --brief or --only make the result smaller",
    ),
}


def os_errno(exc: OSError) -> int | None:
    """The errno, also when a library (polars) only wrote it into the text: "(os error 28)",
    or "[Errno 28]" when polars re-raises what a Python file object's write() raised."""
    if exc.errno is not None:
        return exc.errno
    hit = re.search(r"os error (\d+)|^\[Errno (\d+)\]", str(exc))
    return int(hit.group(1) or hit.group(2)) if hit else None


def os_error(exc: OSError, lang: str = "zh", path: str | None = None) -> PolicyMatchError:
    """An OSError as one line naming the file and a remedy."""
    where = str(path or exc.filename or "?")
    table = _OS_EN if lang == "en" else _OS_ZH
    code = os_errno(exc)
    if code in table:
        message, remedy = table[code]
        return PolicyMatchError(message.format(path=where), remedy.format(path=where))
    reason = exc.strerror or type(exc).__name__
    if lang == "en":
        return PolicyMatchError(f"reading or writing '{where}' failed: {reason}", "check the path")
    return PolicyMatchError(f"读写「{where}」失败：{reason}", "请检查路径、权限和磁盘")


def user_error(exc: BaseException, lang: str = "zh") -> PolicyMatchError | None:
    """The one-line form of an error the user caused (bad file, bad path), or None for a defect."""
    if isinstance(exc, PolicyMatchError):
        return exc
    if isinstance(exc, OSError) and os_errno(exc) is not None:
        return os_error(exc, lang)
    if isinstance(exc, UnicodeError):
        return PolicyMatchError(
            f"文件编码无法识别（{exc}）" if lang == "zh" else f"unreadable text encoding ({exc})",
            "请另存为 UTF-8 编码后重试" if lang == "zh" else "save the file as UTF-8 and retry",
        )
    code = getattr(exc, "code", None)
    if type(exc).__name__ == "HeaderMappingError" and isinstance(code, str):
        render = getattr(exc, "message", None)
        text = render(lang) if callable(render) else str(exc)
        return PolicyMatchError(
            f"--map：{text}" if lang == "zh" else f"--map: {text}",
            "用 policy-match profile check 查看表头与字段"
            if lang == "zh"
            else "see the headers and fields with policy-match profile check",
        )
    if type(exc).__module__.startswith("polars") and type(exc).__name__ in (
        "ComputeError",
        "NoDataError",
    ):
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return PolicyMatchError(
            f"无法读取输入文件：{first}"
            if lang == "zh"
            else f"cannot read the input file: {first}",
            "请确认文件是 CSV / Excel / Parquet / JSON Lines 且内容完整"
            if lang == "zh"
            else "check that the file is complete CSV / Excel / Parquet / JSON Lines",
        )
    return None
