"""The Rule model and its criteria tree (one discriminated union of node types).

Rules are data: YAML validated by pydantic. Nothing in a rule file is executed.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from matcher.fields import FIELDS_BY_NAME, RULE_FIELDS, FieldType


class Kind(StrEnum):
    CASH_SUBSIDY = "cash_subsidy"
    SOCIAL_INSURANCE_SUBSIDY = "social_insurance_subsidy"
    LOAN_GUARANTEE = "loan_guarantee"
    FEE_WAIVER = "fee_waiver"
    SPACE = "space"
    TAX = "tax"
    PROGRAMME_PRIORITY = "programme_priority"
    MATCHMAKING_SERVICE = "matchmaking_service"
    MARKET_DIRECTION = "market_direction"
    COMPLIANCE_RESTRICTION = "compliance_restriction"


KIND_ZH: dict[str, str] = {
    "cash_subsidy": "资金补助",
    "social_insurance_subsidy": "社保补贴",
    "loan_guarantee": "贷款与担保",
    "fee_waiver": "费用减免",
    "space": "场地支持",
    "tax": "税收优惠",
    "programme_priority": "项目优先支持",
    "matchmaking_service": "对接与服务",
    "market_direction": "市场方向",
    "compliance_restriction": "合规限制",
}
# Ranking order among equals: money first, then help in kind, then directions.
KIND_ORDER: dict[str, int] = {k.value: i for i, k in enumerate(Kind)}


class Audience(StrEnum):
    ENTERPRISE = "enterprise"  # the enterprise itself receives the benefit
    HIRES = "hires"  # the enterprise's hires receive it ("for your hires")
    FOUNDER = "founder"  # the founder personally receives it ("for you")


class Op(StrEnum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"
    IN = "in"
    NOT_IN = "not_in"
    IN_REGION = "in_region"
    IN_INDUSTRY = "in_industry"
    CONTAINS_ANY = "contains_any"
    PRESENT = "present"
    MISSING = "missing"
    WITHIN_YEARS = "within_years"
    IN_CATALOGUE = "in_catalogue"


OP_ZH: dict[str, str] = {
    "eq": "等于",
    "ne": "不等于",
    "lt": "小于",
    "le": "不超过",
    "gt": "大于",
    "ge": "不少于",
    "in": "属于",
    "not_in": "不属于",
    "in_region": "位于",
    "in_industry": "行业属于",
    "contains_any": "包含其一",
    "present": "已填写",
    "missing": "未填写",
    "within_years": "在近N年内",
    "in_catalogue": "匹配鼓励外商投资产业目录",
}

_NUMERIC = {FieldType.INT, FieldType.AMOUNT}
_COMPARE_OPS = {Op.LT, Op.LE, Op.GT, Op.GE}

# Which operators each field type accepts; checked when a rule loads.
_OPS_FOR_TYPE: dict[FieldType, set[Op]] = {
    FieldType.INT: {Op.EQ, Op.NE, *_COMPARE_OPS, Op.IN, Op.NOT_IN, Op.PRESENT, Op.MISSING},
    FieldType.AMOUNT: {Op.EQ, Op.NE, *_COMPARE_OPS, Op.PRESENT, Op.MISSING},
    FieldType.BOOL: {Op.EQ, Op.NE, Op.PRESENT, Op.MISSING},
    FieldType.DATE: {*_COMPARE_OPS, Op.WITHIN_YEARS, Op.PRESENT, Op.MISSING},
    FieldType.LIST: {Op.CONTAINS_ANY, Op.PRESENT, Op.MISSING},
    FieldType.SIZE: {Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.PRESENT, Op.MISSING},
    FieldType.TEXT: {Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.PRESENT, Op.MISSING, Op.IN_CATALOGUE},
    FieldType.REGION: {Op.IN_REGION, Op.PRESENT, Op.MISSING},
    FieldType.INDUSTRY: {Op.IN_INDUSTRY, Op.PRESENT, Op.MISSING},
}


def field_type(name: str) -> FieldType:
    if name in FIELDS_BY_NAME:
        return FIELDS_BY_NAME[name].type
    return {
        "region_code": FieldType.REGION,
        "industry_code": FieldType.INDUSTRY,
        "size_derived": FieldType.SIZE,
        "size_effective": FieldType.SIZE,
    }[name]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Condition(_Strict):
    """A leaf test on one profile field."""

    field: str
    op: Op
    value: Any = None
    label: str = Field(description="Chinese label shown in reports")
    label_en: str | None = None
    quote: str | None = Field(default=None, description="the source sentence stating it")
    assumption: bool = Field(
        default=False, description="true when the source text does not state this condition"
    )
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _date_values(cls, data: Any) -> Any:
        # Rule files keep dates as text (see loader.RuleLoader); compare dates as dates.
        if isinstance(data, dict) and isinstance(data.get("value"), str):
            name = data.get("field")
            if name in RULE_FIELDS and field_type(str(name)) is FieldType.DATE:
                try:
                    return {**data, "value": dt.date.fromisoformat(data["value"])}
                except ValueError:
                    pass
        return data

    @field_validator("field")
    @classmethod
    def _known_field(cls, v: str) -> str:
        if v not in RULE_FIELDS:
            from matcher.suggest import did_you_mean

            raise ValueError(f"未知字段「{v}」{did_you_mean(v, sorted(RULE_FIELDS))}")
        return v

    @model_validator(mode="after")
    def _check_op_and_value(self) -> Condition:
        ftype = field_type(self.field)
        if self.op not in _OPS_FOR_TYPE[ftype]:
            allowed = "、".join(sorted(o.value for o in _OPS_FOR_TYPE[ftype]))
            raise ValueError(f"字段「{self.field}」不支持运算「{self.op.value}」，可用：{allowed}")
        if self.op in (Op.PRESENT, Op.MISSING):
            if self.value is not None:
                raise ValueError(f"运算「{self.op.value}」不带 value")
            return self
        if self.value is None:
            raise ValueError(f"运算「{self.op.value}」需要 value")
        _check_value(self.field, ftype, self.op, self.value)
        if self.assumption and self.quote:
            raise ValueError("假设条件（assumption: true）不应带原文引用 quote")
        if not self.assumption and not self.quote:
            raise ValueError("条件需要原文引用 quote；原文未写明的条件请标注 assumption: true")
        return self


def _check_value(name: str, ftype: FieldType, op: Op, value: Any) -> None:
    from matcher.reference.industry import normalize_industry_code
    from matcher.reference.regions import region_exists, region_groups

    if op in (Op.IN, Op.NOT_IN, Op.CONTAINS_ANY, Op.IN_INDUSTRY) and (
        not isinstance(value, list) or not value
    ):
        raise ValueError(f"运算「{op.value}」的 value 应为非空列表")
    if op in _COMPARE_OPS or (op in (Op.EQ, Op.NE) and ftype in _NUMERIC):
        if ftype in _NUMERIC and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise ValueError(f"字段「{name}」是数值，value 应为数字，实际为「{value!r}」")
        if ftype is FieldType.DATE and not isinstance(value, dt.date):
            raise ValueError(f"字段「{name}」是日期，value 应为 YYYY-MM-DD，实际为「{value!r}」")
    if op is Op.IN_CATALOGUE and (name != "business_scope" or value != "in_force"):
        raise ValueError(
            "in_catalogue 只用于 business_scope，value 为 in_force（按判定日期取当时有效的目录版本）"
        )
    if op is Op.WITHIN_YEARS and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(f"within_years 的 value 应为整数年数，实际为「{value!r}」")
    if ftype is FieldType.BOOL and not isinstance(value, bool):
        raise ValueError(f"字段「{name}」是是/否，value 应为 true/false，实际为「{value!r}」")
    if ftype is FieldType.SIZE:
        from matcher.fields import SIZE_VALUES

        for v in value if isinstance(value, list) else [value]:
            if v not in SIZE_VALUES:
                raise ValueError(f"企业规模应为 {'/'.join(SIZE_VALUES)} 之一，实际为「{v}」")
    if op is Op.IN_INDUSTRY:
        for v in value:
            if normalize_industry_code(str(v)) is None:
                raise ValueError(f"行业代码「{v}」不存在于 GB/T 4754-2017")
    if op is Op.IN_REGION:
        groups = region_groups()
        for v in value if isinstance(value, list) else [value]:
            if str(v) not in groups and not region_exists(str(v)):
                from matcher.suggest import did_you_mean

                raise ValueError(
                    f"地区「{v}」既不是行政区划代码也不是地区组{did_you_mean(str(v), sorted(groups))}"
                )


class AllNode(_Strict):
    all: list[Node]
    label: str | None = None


class AnyNode(_Strict):
    any: list[Node]
    label: str | None = None


class NotNode(_Strict):
    not_: Node = Field(alias="not")
    label: str | None = None


def _node_tag(v: Any) -> str:
    if isinstance(v, dict):
        for key in ("all", "any", "not"):
            if key in v:
                return key
        return "condition"
    if isinstance(v, AllNode):
        return "all"
    if isinstance(v, AnyNode):
        return "any"
    if isinstance(v, NotNode):
        return "not"
    return "condition"


Node = Annotated[
    Annotated[AllNode, Tag("all")]
    | Annotated[AnyNode, Tag("any")]
    | Annotated[NotNode, Tag("not")]
    | Annotated[Condition, Tag("condition")],
    Discriminator(_node_tag),
]

AllNode.model_rebuild()
AnyNode.model_rebuild()
NotNode.model_rebuild()


class Benefit(_Strict):
    type: Literal["fixed", "per_head", "unquantified"]
    amount_yuan: float | None = Field(default=None, ge=0)
    per_field: str | None = None
    cap_yuan: float | None = Field(default=None, ge=0)
    description: str
    description_en: str | None = None
    quote: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> Benefit:
        if self.type == "unquantified":
            if self.amount_yuan is not None or self.per_field is not None:
                raise ValueError("unquantified 的待遇不应有 amount_yuan / per_field")
            return self
        if self.amount_yuan is None:
            raise ValueError(f"{self.type} 待遇需要 amount_yuan")
        if not self.quote:
            raise ValueError("金额须有原文引用 quote")
        if self.type == "per_head":
            if self.per_field is None:
                raise ValueError("per_head 待遇需要 per_field（按哪个人数字段计）")
            if self.per_field not in FIELDS_BY_NAME or FIELDS_BY_NAME[self.per_field].type not in (
                FieldType.INT,
            ):
                raise ValueError(f"per_field「{self.per_field}」应为人数类字段")
        elif self.per_field is not None:
            raise ValueError("fixed 待遇不应有 per_field")
        return self


class Validity(_Strict):
    from_: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None
    stated: bool = Field(description="false when the source states no period: 未注明有效期")
    quote: str | None = None
    note: str | None = None
    # Without a stated end, a measure is taken as in force this long after publication;
    # later, whether it still runs is an open question (待补充信息), never 符合.
    in_force_months: int = Field(default=12, ge=1, le=120)

    @model_validator(mode="after")
    def _consistent(self) -> Validity:
        if self.stated and not self.quote:
            raise ValueError("写明的有效期须有原文引用 quote")
        if not self.stated and self.until is not None:
            raise ValueError("未注明有效期（stated: false）时不应给出 until")
        if self.from_ and self.until and self.from_ > self.until:
            raise ValueError(f"有效期起始 {self.from_} 晚于截止 {self.until}")
        return self


class Source(_Strict):
    document: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    article: int = Field(ge=1)
    article_title: str
    origin: str | None = None
    quotes: list[str] = Field(min_length=1)


class Case(_Strict):
    name: str
    as_of: dt.date | None = None
    profile: dict[str, Any]
    expect_status: Literal["eligible", "unknown", "ineligible", "expired", "not_yet_valid"] = Field(
        alias="expect"
    )
    expect_amount_yuan: float | None = None
    expect_missing: list[str] | None = None


MAX_CONDITIONS = 64


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
    title: str
    title_en: str
    authority: str
    kind: Kind
    audience: Audience = Audience.ENTERPRISE
    published: dt.date
    source: Source
    validity: Validity
    criteria: Node
    benefit: Benefit
    how_to_apply: str | None = None
    # Conditions real programmes usually have that the text does not state and
    # no profile field can check (labour contract signed…): shown as 假设.
    assumptions: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    cases: list[Case] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_too_many_conditions(self) -> Rule:
        # Portfolios carry which conditions were met as bits of one integer.
        n = len(self.leaves())
        if n > MAX_CONDITIONS:
            raise ValueError(f"一条规则最多 {MAX_CONDITIONS} 个条件，这里有 {n} 个：请拆成几条规则")
        return self

    def leaves(self) -> list[Condition]:
        return list(iter_conditions(self.criteria))

    def assumed_conditions(self) -> list[Condition]:
        return [c for c in self.leaves() if c.assumption]

    def all_quotes(self) -> list[str]:
        """Every quote the rule rests on, for lint."""
        quotes = list(self.source.quotes)
        quotes += [c.quote for c in self.leaves() if c.quote]
        if self.benefit.quote:
            quotes.append(self.benefit.quote)
        if self.validity.quote:
            quotes.append(self.validity.quote)
        return quotes


def iter_conditions(node: Any) -> Any:
    if isinstance(node, AllNode):
        for child in node.all:
            yield from iter_conditions(child)
    elif isinstance(node, AnyNode):
        for child in node.any:
            yield from iter_conditions(child)
    elif isinstance(node, NotNode):
        yield from iter_conditions(node.not_)
    else:
        yield node
