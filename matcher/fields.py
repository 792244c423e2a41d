"""The profile field contract: canonical names, Chinese headers, types and aliases.

One table drives the pydantic model, the polars schema, header mapping, the
JSON Schema and the report columns, so the names cannot drift apart.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import yaml

if TYPE_CHECKING:
    import polars as pl


class FieldType(StrEnum):
    TEXT = "text"
    INT = "int"  # counts of persons or posts
    AMOUNT = "amount"  # money in 万元
    BOOL = "bool"
    DATE = "date"
    LIST = "list"  # list of strings
    SIZE = "size"  # large/medium/small/micro
    REGION = "region"  # free text or adcode, resolved to region_code
    INDUSTRY = "industry"  # GB/T 4754 code or name, resolved to industry_code
    # one GB/T 4754 code per business-scope phrase, null where a phrase is unread (derived)
    INDUSTRY_LIST = "industry_list"


class FieldSpec(NamedTuple):
    name: str
    zh: str
    type: FieldType
    zh_desc: str
    en_desc: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    # A value the enterprise can change by acting (hire, host trainees, get certified);
    # only these are ever suggested as a way to become eligible.
    actionable: bool = False
    # Set for a question (rules/questions.yaml): a fact no registry field holds.
    question: Question | None = None


class Question(NamedTuple):
    """A fact a rule needs that no registry holds: asked of the enterprise, answered in its profile."""

    id: str
    header: str  # the Chinese column header and short label
    text: str
    text_en: str
    type: FieldType
    quote: str

    @property
    def field(self) -> str:
        return QUESTION_PREFIX + self.id


QUESTION_PREFIX = "q_"
QUESTION_TYPES = {"bool": FieldType.BOOL, "int": FieldType.INT}


REGISTRY_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "id",
        "企业编号",
        FieldType.TEXT,
        "可选；缺省时用行号",
        "optional; row number when absent",
        ("编号", "序号", "企业ID", "ID"),
    ),
    FieldSpec(
        "name",
        "企业名称",
        FieldType.TEXT,
        "必填",
        "required",
        ("名称", "公司名称", "单位名称", "企业名", "公司"),
        required=True,
    ),
    FieldSpec(
        "credit_code",
        "统一社会信用代码",
        FieldType.TEXT,
        "18位，校验码按GB 32100-2015核验",
        "18 characters, check digit per GB 32100-2015",
        ("信用代码", "社会信用代码", "统一代码", "USCC"),
    ),
    FieldSpec(
        "region",
        "所在地区",
        FieldType.REGION,
        "省/市/区县名称、完整地址或6位行政区划代码",
        "province/city/district name, full address or 6-digit division code",
        (
            "地区",
            "所在地",
            "注册地",
            "注册地址",
            "地址",
            "所属地区",
            "行政区划",
            "行政区划代码",
            "所在区县",
            "区域",
        ),
    ),
    FieldSpec(
        "industry",
        "所属行业",
        FieldType.INDUSTRY,
        "GB/T 4754-2017代码（门类字母或2/3/4位数字）或行业名称",
        "GB/T 4754-2017 code (section letter or 2/3/4 digits) or its name",
        ("行业", "行业代码", "行业类别", "国民经济行业", "行业分类", "主营行业"),
    ),
    FieldSpec(
        "business_scope",
        "经营范围",
        FieldType.TEXT,
        "自由文本",
        "free text",
        ("主营业务", "经营范围及方式", "主要业务"),
    ),
    FieldSpec(
        "employees",
        "从业人员",
        FieldType.INT,
        "人数，≥0的整数",
        "persons, integer ≥ 0",
        ("从业人数", "员工人数", "职工人数", "员工数", "人数", "在职人数", "从业人员数"),
    ),
    FieldSpec(
        "revenue",
        "营业收入（万元）",
        FieldType.AMOUNT,
        "万元，≥0",
        "10k yuan, ≥ 0",
        ("营业收入", "营收", "年营业收入", "主营业务收入", "销售收入", "营业收入(万元)"),
    ),
    FieldSpec(
        "total_assets",
        "资产总额（万元）",
        FieldType.AMOUNT,
        "万元，≥0",
        "10k yuan, ≥ 0",
        ("资产总额", "总资产", "资产总计", "资产总额(万元)"),
    ),
    FieldSpec(
        "size",
        "企业规模",
        FieldType.SIZE,
        "大型/中型/小型/微型；缺省时按划型标准推算",
        "large/medium/small/micro; derived when absent",
        ("规模", "企业类型规模", "企业划型", "规模类型"),
    ),
    FieldSpec(
        "foreign_invested",
        "是否外商投资企业",
        FieldType.BOOL,
        "是/否",
        "yes/no",
        ("外商投资企业", "是否外资", "外资企业", "是否外资企业", "外资"),
    ),
    FieldSpec(
        "state_owned",
        "是否国有企业",
        FieldType.BOOL,
        "是/否",
        "yes/no",
        ("国有企业", "是否国企", "国企"),
    ),
    FieldSpec(
        "founded",
        "成立日期",
        FieldType.DATE,
        "日期",
        "date",
        ("成立时间", "注册日期", "成立年月", "设立日期"),
    ),
    FieldSpec(
        "certifications",
        "资质认定",
        FieldType.LIST,
        "列表，如 专精特新中小企业、专精特新\u201c小巨人\u201d企业、高新技术企业",
        "list, e.g. specialised SME, little giant, high-tech enterprise",
        ("资质", "认定资质", "企业资质", "资质荣誉", "认定"),
        actionable=True,
    ),
    FieldSpec(
        "grad_hires",
        "招用毕业年度高校毕业生人数",
        FieldType.INT,
        "本毕业年度计划或实际招用人数",
        "planned or actual hires this graduation year",
        ("招用高校毕业生人数", "高校毕业生人数", "应届毕业生人数", "招聘应届生人数"),
        actionable=True,
    ),
    FieldSpec(
        "grad_hires_local",
        "其中本地高校毕业生人数",
        FieldType.INT,
        "其中来自本省级地区高校的人数（北京：本市高校）",
        "of which from universities in the same province-level region",
        ("本地高校毕业生人数", "本市高校毕业生人数", "本地毕业生人数"),
        actionable=True,
    ),
    FieldSpec(
        "youth_hires",
        "招用35岁以下失业青年人数",
        FieldType.INT,
        "人数",
        "persons",
        ("失业青年人数", "招用失业青年人数"),
        actionable=True,
    ),
    FieldSpec(
        "trainee_posts",
        "就业见习岗位数",
        FieldType.INT,
        "岗位数",
        "posts",
        ("见习岗位数", "见习岗位"),
        actionable=True,
    ),
    FieldSpec(
        "founder_is_graduate",
        "创办人为高校毕业生",
        FieldType.BOOL,
        "是/否",
        "yes/no",
        ("创始人为高校毕业生", "大学生创业", "高校毕业生创办"),
    ),
)


def _questions_path() -> Path:
    # The installed package carries rules/ in _data (see reference/data.py).
    package = Path(__file__).resolve().parent
    bundled = package / "_data" / "rules" / "questions.yaml"
    return bundled if bundled.is_file() else package.parent / "rules" / "questions.yaml"


def load_questions(path: Path | None = None) -> tuple[Question, ...]:
    # libyaml when PyYAML has it: the same data, several times faster
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load((path or _questions_path()).read_text(encoding="utf-8"), Loader=loader)
    return tuple(
        Question(
            str(q["id"]),
            str(q["header"]),
            str(q["text"]),
            str(q["text_en"]),
            QUESTION_TYPES[str(q["type"])],
            str(q["quote"]),
        )
        for q in data["questions"]
    )


QUESTIONS: tuple[Question, ...] = load_questions()
QUESTIONS_BY_FIELD: dict[str, Question] = {q.field: q for q in QUESTIONS}


def _question_spec(q: Question) -> FieldSpec:
    desc = {FieldType.BOOL: ("是/否", "yes/no"), FieldType.INT: ("人数，≥0的整数", "count ≥ 0")}
    zh_desc, en_desc = desc[q.type]
    return FieldSpec(q.field, q.header, q.type, f"问题：{q.text}（{zh_desc}）", en_desc, question=q)


# Registry fields first, then one field per question: profiles, headers, normalisation
# and both evaluators treat an answer exactly like any other field.
PROFILE_FIELDS: tuple[FieldSpec, ...] = REGISTRY_FIELDS + tuple(
    _question_spec(q) for q in QUESTIONS
)

FIELDS_BY_NAME: dict[str, FieldSpec] = {f.name: f for f in PROFILE_FIELDS}

# Columns computed during normalisation; rules may refer to them.
DERIVED_FIELDS: dict[str, tuple[str, str]] = {
    "region_code": ("行政区划代码（解析）", "6-digit division code resolved from region"),
    "industry_code": ("行业代码（解析）", "GB/T 4754 code resolved from industry, e.g. C3011"),
    "size_derived": ("推算规模", "size derived from the SME size standard"),
    "size_effective": ("采用规模", "given size, else the derived one"),
    "scope_industries": (
        "经营范围各项行业（解析）",
        "GB/T 4754 code of each business-scope phrase, null where a phrase is not read",
    ),
}

RULE_FIELDS: frozenset[str] = frozenset(
    {f.name for f in PROFILE_FIELDS if f.name not in {"id", "name"}} | set(DERIVED_FIELDS)
)

SIZE_VALUES: tuple[str, ...] = ("large", "medium", "small", "micro")
SIZE_ZH: dict[str, str] = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
SIZE_FROM_ZH: dict[str, str] = {v: k for k, v in SIZE_ZH.items()}

# The row number a person sees in the input file; every result and error carries it.
ROW = "__row"

if TYPE_CHECKING:
    DTYPES: dict[FieldType, pl.DataType]


def _dtypes() -> dict[FieldType, pl.DataType]:
    import polars as pl

    return {
        FieldType.TEXT: pl.String(),
        FieldType.REGION: pl.String(),
        FieldType.INDUSTRY: pl.String(),
        FieldType.SIZE: pl.String(),
        FieldType.INT: pl.Int64(),
        FieldType.AMOUNT: pl.Float64(),
        FieldType.BOOL: pl.Boolean(),
        FieldType.DATE: pl.Date(),
        FieldType.LIST: pl.List(pl.String),
        FieldType.INDUSTRY_LIST: pl.List(pl.String),
    }


def __getattr__(name: str) -> Any:
    # DTYPES is built on first use: importing the field table must not import polars.
    if name == "DTYPES":
        value = globals()["DTYPES"] = _dtypes()
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def col(name: str) -> pl.Expr:
    """A column by its exact name. Headers come from users' files, and pl.col reads
    "*" and "^…$" as patterns (a column "*" would select every column)."""
    import polars.selectors as cs

    return cs.by_name(name).as_expr()
