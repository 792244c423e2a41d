"""Error codes of the intake layer and their wording, in 简体中文 and English.

Every problem the intake layer reports — a cell that cannot be parsed, a row whose
fields do not line up with the header, a file that cannot be read — carries a
stable code from :data:`ERROR_MESSAGES`. The code is what programs and tests look
at; the templates are what people read. Each template has one ``{value}``
placeholder: the offending cell text, file path, sheet name or row detail.
"""

from __future__ import annotations

from pathlib import Path

ERROR_MESSAGES: dict[str, tuple[str, str]] = {
    # ---- cell values -----------------------------------------------------------
    "not_integer": ("「{value}」不是整数", "'{value}' is not an integer"),
    "negative": (
        "「{value}」是负数，应为大于等于 0 的数",
        "'{value}' is negative; expected 0 or more",
    ),
    "fraction_persons": (
        "「{value}」不是整数：人数、岗位数不能有小数",
        "'{value}' is not a whole number: persons and posts cannot be fractional",
    ),
    "too_large": ("「{value}」超出合理范围", "'{value}' is implausibly large"),
    "not_amount": (
        "「{value}」不是金额，应为数字，可带单位，如 3000、3000万元、1.2亿",
        "'{value}' is not an amount; expected a number, optionally with a unit, "
        "e.g. 3000, 3000万元, 1.2亿",
    ),
    "unknown_unit": (
        "「{value}」的金额单位无法识别，可用 元、千元、万元、百万元、千万元、亿元",
        "the unit in '{value}' is not recognised; use 元, 千元, 万元, 百万元, 千万元 or 亿元",
    ),
    "not_bool": (
        "「{value}」不是是/否，应为 是、否、有、无、√、× 等",
        "'{value}' is not a yes/no value; expected 是, 否, yes, no, true, false, 1, 0, ...",
    ),
    "not_date": (
        "「{value}」不是有效日期，应为 2022-06-28、2022/6/28、2022年6月28日 或 20220628",
        "'{value}' is not a valid date; expected 2022-06-28, 2022/6/28, 2022年6月28日 or 20220628",
    ),
    "incomplete_date": (
        "「{value}」缺少月或日，请填写完整日期，如 2022-06-01",
        "'{value}' lacks the month or the day; give a full date such as 2022-06-01",
    ),
    "approximate_number": (
        "「{value}」是约数，按其中的数字计算；有准确数时请填写准确数",
        "'{value}' is approximate; its number is used — give the exact figure if known",
    ),
    "hmt_as_foreign": (
        "「{value}」按外商投资企业计（港澳台投资参照外商投资管理）；如政策另有规定请核实",
        "'{value}' counted as foreign-invested (Hong Kong, Macao and Taiwan investment is "
        "managed like foreign investment); check the policy's own wording",
    ),
    "date_in_future": ("「{value}」晚于今天", "'{value}' is later than today"),
    "not_size": (
        "「{value}」不是企业规模，应为 大型、中型、小型 或 微型",
        "'{value}' is not an enterprise size; expected large, medium, small or micro",
    ),
    "bad_credit_code_length": (
        "统一社会信用代码「{value}」应为 18 位",
        "unified social credit code '{value}' should have 18 characters",
    ),
    "bad_credit_code_chars": (
        "统一社会信用代码「{value}」含有不允许的字符"
        "（只能是数字和除 I、O、Z、S、V 以外的大写字母）",
        "unified social credit code '{value}' contains characters outside 0-9 and "
        "A-Z without I, O, Z, S, V",
    ),
    "bad_credit_code_check": (
        "统一社会信用代码「{value}」校验位不符，可能有错字",
        "unified social credit code '{value}' fails its check digit; probably a typo",
    ),
    "not_finite": (
        "「{value}」不是有效数值（NaN 或无穷大，多为公式或计算出错），按未知处理",
        "'{value}' is not a valid number (NaN or infinity, usually a failed "
        "calculation); treated as unknown",
    ),
    "excel_error": (
        "「{value}」是 Excel 公式的错误值，按未知处理；请在原表中修正公式",
        "'{value}' is an Excel formula error; treated as unknown — fix the formula in the workbook",
    ),
    # ---- files (IntakeError) ---------------------------------------------------
    "file_not_found": ("找不到文件「{value}」", "file '{value}' not found"),
    "not_a_file": ("「{value}」不是文件", "'{value}' is not a file"),
    "empty_file": ("文件「{value}」是空的", "file '{value}' is empty"),
    "binary_file": (
        "文件「{value}」不是表格：内容像是二进制数据。请另存为 CSV 或 xlsx",
        "file '{value}' is not a table: it looks like binary data; save it as CSV or xlsx",
    ),
    "unknown_encoding": (
        "文件「{value}」的文字编码无法识别，请另存为 UTF-8 编码的 CSV",
        "the text encoding of '{value}' is not recognised; save it as UTF-8 CSV",
    ),
    "bad_excel": (
        "文件「{value}」无法按 Excel 表格读取",
        "file '{value}' cannot be read as an Excel workbook",
    ),
    "sheet_not_found": ("找不到工作表「{value}」", "sheet '{value}' not found"),
    "bad_parquet": (
        "文件「{value}」无法按 Parquet 读取",
        "file '{value}' cannot be read as Parquet",
    ),
    "bad_json": (
        "文件「{value}」无法按 JSON Lines 读取",
        "file '{value}' cannot be read as JSON Lines",
    ),
    "no_header": ("文件「{value}」没有表头行", "file '{value}' has no header row"),
    "read_failed": ("读取文件「{value}」失败", "reading file '{value}' failed"),
    "too_many_columns": (
        "文件「{value}」的列数超过上限",
        "file '{value}' has more columns than allowed",
    ),
    "sheet_too_large": (
        "工作表「{value}」超过大小上限",
        "sheet '{value}' exceeds the size limit",
    ),
    "no_visible_sheet": (
        "文件「{value}」没有可见的工作表；请用 --sheet 指定要读取的工作表",
        "file '{value}' has no visible sheet; name the sheet to read with --sheet",
    ),
    "profile_too_large": (
        "企业画像文件「{value}」超过大小上限",
        "profile file '{value}' exceeds the size limit",
    ),
    "yaml_alias": (
        "企业画像文件「{value}」使用了 YAML 锚点或别名（& / *），不支持；请直接写出每个取值",
        "profile file '{value}' uses YAML anchors or aliases (& / *), which are not "
        "supported; write each value out",
    ),
    "too_deep": (
        "企业画像文件「{value}」的列表或映射嵌套层数超过上限",
        "profile file '{value}' nests lists or mappings deeper than allowed",
    ),
    # ---- rows and headers (RawProblem) -----------------------------------------
    "ragged_row": (
        "本行字段数与表头列数不一致（{value}），整行未读入，请检查是否多了或少了分隔符",
        "the number of fields differs from the header ({value}); the row was not read — "
        "check for a missing or extra separator",
    ),
    "blank_header": (
        "第 {value} 列有数据但没有表头，已按列号命名",
        "column {value} has data but no header; it was named by its position",
    ),
    "duplicate_header": (
        "表头「{value}」重复出现，后出现的一列已改名",
        "header '{value}' occurs more than once; later copies were renamed",
    ),
    "rows_before_header": (
        "表头之前的 {value} 行（如标题行）已跳过",
        "{value} row(s) before the header (e.g. a title) were skipped",
    ),
    "undecodable_bytes": (
        "本行有无法解码的字节，已替换为 �（{value}）",
        "this row has bytes that could not be decoded; they were replaced by � ({value})",
    ),
    "undecodable_column": (
        "列「{value}」中有不是 UTF-8 编码的文字，无法逐格读取，整列按未知处理；请用 UTF-8 重新导出，"
        "或安装 pyarrow（pip install 'policy-match[parquet]'）以便逐格读取",
        "column '{value}' holds text that is not UTF-8 and cannot be read cell by cell; "
        "the whole column is treated as unknown — export it again as UTF-8, or install "
        "pyarrow (pip install 'policy-match[parquet]') to read it cell by cell",
    ),
    "undecodable_column_many": (
        "列「{value}」中不是 UTF-8 编码的文字太多，整列按未知处理；请用 UTF-8 重新导出",
        "column '{value}' holds too much text that is not UTF-8; the whole column is "
        "treated as unknown — export it again as UTF-8",
    ),
    "undecodable_cell": (
        "这一格的文字不是 UTF-8 编码（{value}），无法读取，按未知处理；请用 UTF-8 重新导出",
        "this cell's text is not UTF-8 ({value}) and cannot be read; it is treated as "
        "unknown — export the file again as UTF-8",
    ),
    "bad_json_line": (
        "本行不是有效的 JSON（{value}），整行未读入",
        "this line is not valid JSON ({value}); the row was not read",
    ),
    "json_not_object": (
        "本行不是 JSON 对象（{value}），整行未读入",
        "this line is not a JSON object ({value}); the row was not read",
    ),
    "json_too_deep": (
        "本行 JSON 的列表或对象嵌套超过 {value} 层上限，整行未读入",
        "this line nests JSON lists or objects deeper than the limit of {value}; "
        "the row was not read",
    ),
    "renamed_column": (
        "列名与报告列或本工具内部列同名，已改名：{value}",
        "a column is named like a report column or an internal one; renamed: {value}",
    ),
    # ---- header mapping overrides ----------------------------------------------
    "unknown_field": ("没有名为「{value}」的字段", "there is no field named '{value}'"),
    "unknown_header": ("表中没有「{value}」这一列", "the table has no column '{value}'"),
    "strict_headers": (
        "严格表头模式：这些列不能确定对应字段（模糊匹配、有歧义或重复）：{value}；"
        "请用 --map 表头=字段 逐一指定，或用 --map 表头=- 不使用",
        "strict headers: these columns have no certain field (fuzzy, ambiguous or duplicate): "
        "{value}; name each with --map header=field, or --map header=- to leave it out",
    ),
}


def message(code: str, value: str, lang: str = "zh") -> str:
    """Render the message for ``code`` with ``value`` filled in.

    ``lang`` is ``"zh"`` (default) or ``"en"``. An unknown code does not raise —
    this runs while reporting other errors — but yields ``"code: value"``.
    """
    templates = ERROR_MESSAGES.get(code)
    if templates is None:
        return f"{code}: {value}"
    template = templates[1] if lang == "en" else templates[0]
    return template.format(value=value)


class IntakeError(Exception):
    """A file that cannot be read as a table at all.

    ``code`` is a key of :data:`ERROR_MESSAGES`, ``path`` the file, ``detail`` a
    short technical explanation (may be empty). ``str(err)`` is the Chinese
    message followed by the detail.
    """

    def __init__(
        self,
        code: str,
        path: Path | str,
        detail: str = "",
        value: str | None = None,
        *,
        detail_en: str | None = None,
    ):
        self.code = code
        self.path = Path(path)
        self.detail = detail
        self.detail_en = detail_en  # the detail in English, when it is prose
        self.value = str(path) if value is None else value
        super().__init__(self.message("zh"))

    def message(self, lang: str = "zh") -> str:
        text = message(self.code, self.value, lang)
        detail = self.detail_en if lang == "en" and self.detail_en else self.detail
        if detail:
            sep = "：" if lang != "en" else ": "
            text = f"{text}{sep}{detail}"
        return text
