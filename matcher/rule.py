"""The Rule model and its criteria tree (one discriminated union of node types).

Rules are data: YAML validated by pydantic. Nothing in a rule file is executed.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
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
    # any phrase of the business scope in the industries (scope_industries; see
    # evaluate/tree.any_phrase_in for its three-valued semantics)
    ANY_IN_INDUSTRY = "any_in_industry"
    CONTAINS_ANY = "contains_any"
    CONTAINS_ALL = "contains_all"
    MATCHES = "matches"
    PRESENT = "present"
    KNOWN = "known"
    MISSING = "missing"
    WITHIN_YEARS = "within_years"
    IN_CATALOGUE = "in_catalogue"
    # Dates with their boundary in the name: after/before exclude the day, on_or_* include it.
    AFTER = "after"
    ON_OR_AFTER = "on_or_after"
    BEFORE = "before"
    ON_OR_BEFORE = "on_or_before"


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
    "any_in_industry": "任一项行业属于",
    "contains_any": "包含其一",
    "contains_all": "全部包含",
    "matches": "符合式样",
    "present": "已填写",
    "known": "须已知",
    "missing": "未填写",
    "within_years": "在近N年内",
    "in_catalogue": "匹配鼓励外商投资产业目录",
    "after": "晚于（不含当日）",
    "on_or_after": "不早于（含当日）",
    "before": "早于（不含当日）",
    "on_or_before": "不晚于（含当日）",
}
# Operators that take no value.
NO_VALUE_OPS = {"present", "missing", "known"}
DATE_OPS = {"after": "gt", "on_or_after": "ge", "before": "lt", "on_or_before": "le"}

_NUMERIC = {FieldType.INT, FieldType.AMOUNT}
_COMPARE_OPS = {Op.LT, Op.LE, Op.GT, Op.GE}

# Which operators each field type accepts; checked when a rule loads.
_PRESENCE = {Op.PRESENT, Op.MISSING, Op.KNOWN}
_DATE_NAMED = {Op.AFTER, Op.ON_OR_AFTER, Op.BEFORE, Op.ON_OR_BEFORE}
_OPS_FOR_TYPE: dict[FieldType, set[Op]] = {
    FieldType.INT: {Op.EQ, Op.NE, *_COMPARE_OPS, Op.IN, Op.NOT_IN, *_PRESENCE},
    FieldType.AMOUNT: {Op.EQ, Op.NE, *_COMPARE_OPS, *_PRESENCE},
    FieldType.BOOL: {Op.EQ, Op.NE, *_PRESENCE},
    FieldType.DATE: {*_COMPARE_OPS, *_DATE_NAMED, Op.WITHIN_YEARS, *_PRESENCE},
    FieldType.LIST: {Op.CONTAINS_ANY, *_PRESENCE},
    FieldType.SIZE: {Op.EQ, Op.NE, Op.IN, Op.NOT_IN, *_PRESENCE},
    FieldType.TEXT: {
        Op.EQ,
        Op.NE,
        Op.IN,
        Op.NOT_IN,
        *_PRESENCE,
        Op.IN_CATALOGUE,
        Op.CONTAINS_ANY,
        Op.CONTAINS_ALL,
        Op.MATCHES,
    },
    FieldType.REGION: {Op.IN_REGION, *_PRESENCE},
    FieldType.INDUSTRY: {Op.IN_INDUSTRY, *_PRESENCE},
    FieldType.INDUSTRY_LIST: {Op.ANY_IN_INDUSTRY, *_PRESENCE},
}


def field_type(name: str) -> FieldType:
    if name in FIELDS_BY_NAME:
        return FIELDS_BY_NAME[name].type
    return {
        "region_code": FieldType.REGION,
        "industry_code": FieldType.INDUSTRY,
        "size_derived": FieldType.SIZE,
        "size_effective": FieldType.SIZE,
        "scope_industries": FieldType.INDUSTRY_LIST,
    }[name]


# Validation context flag: the data was validated by this very code before (the loader's
# rule cache, keyed by the code and the reference tables), so the value checks, which read
# the region, industry and certification tables, are skipped; every conversion still runs.
TRUSTED = "trusted"


class _Strict(BaseModel):
    # defer_build: the validators are built at the first validation, not at import; a report
    # restores its rules from the loader's cache without validating (loader._read_cached),
    # so it never pays for them.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True)


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

    @field_validator("value")
    @classmethod
    def _typed_value(cls, v: Any, info: ValidationInfo) -> Any:
        # The value must suit its field and operator, so that no rule that loads can make
        # either evaluator fail; a wrong operator is reported by _check_op_and_value.
        name, op = info.data.get("field"), info.data.get("op")
        if v is None or name is None or op is None:
            return v
        ftype = field_type(name)
        if info.context and info.context.get(TRUSTED):
            return v  # from the rule cache: this code checked these values (loader.py)
        if op in _OPS_FOR_TYPE[ftype] and op not in _PRESENCE:
            problem = value_problem(name, ftype, op, v)
            if problem:
                raise ValueError(problem)
        return v

    @model_validator(mode="after")
    def _check_op_and_value(self) -> Condition:
        ftype = field_type(self.field)
        if self.op not in _OPS_FOR_TYPE[ftype]:
            allowed = "、".join(sorted(o.value for o in _OPS_FOR_TYPE[ftype]))
            raise ValueError(f"字段「{self.field}」不支持运算「{self.op.value}」，可用：{allowed}")
        if self.op in _PRESENCE:
            if self.value is not None:
                raise ValueError(f"运算「{self.op.value}」不带 value")
            return self
        if self.value is None:
            raise ValueError(f"运算「{self.op.value}」需要 value")
        if self.assumption and self.quote:
            raise ValueError("假设条件（assumption: true）不应带原文引用 quote")
        if not self.assumption and not self.quote:
            raise ValueError("条件需要原文引用 quote；原文未写明的条件请标注 assumption: true")
        return self


# Bounds that keep every threshold comparable in Python and in polars (Int64, Float64, Date).
NUMBER_LIMIT = 10**12
DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))
MAX_WITHIN_YEARS = 100


def _shown(value: Any, limit: int = 60) -> str:
    text = value.isoformat() if isinstance(value, dt.date) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number_problem(name: str, v: Any, whole: bool) -> str | None:
    kind = "整数" if whole else "数字"
    allowed = (int,) if whole else (int, float)
    if isinstance(v, bool) or not isinstance(v, allowed):
        return f"字段「{name}」是数值，value 应为{kind}"
    if isinstance(v, float) and not math.isfinite(v):
        return f"字段「{name}」的 value 应为有限的{kind}（不能是 .nan、.inf）"
    if not -NUMBER_LIMIT <= v <= NUMBER_LIMIT:
        return f"字段「{name}」的 value 应在 ±{NUMBER_LIMIT:,} 之内"
    return None


def _text_problem(v: Any, what: str) -> str | None:
    if not isinstance(v, str):
        return f"{what}应为文本（代码、编号请加引号）"
    if not v.strip():
        return f"{what}不应为空白"
    return None


def value_problem(name: str, ftype: FieldType, op: Op, v: Any) -> str | None:
    """What is wrong with a condition's value for its field type and operator, in Chinese,
    quoting the value (or the list element) at fault."""
    if ftype is FieldType.TEXT and op in (Op.CONTAINS_ANY, Op.CONTAINS_ALL, Op.MATCHES):
        from matcher.evaluate.text import keywords_problem, pattern_problem

        return pattern_problem(v) if op is Op.MATCHES else keywords_problem(op.value, v)
    if op is Op.IN_REGION:
        items = v if isinstance(v, list) else [v]
        check = _region_problem
    elif op in (Op.IN, Op.NOT_IN, Op.CONTAINS_ANY, Op.IN_INDUSTRY, Op.ANY_IN_INDUSTRY):
        if not isinstance(v, list) or not v:
            return f"运算「{op.value}」的 value 应为非空列表，实际为「{_shown(v)}」"
        items = v

        def check(item: Any) -> str | None:
            return _item_problem(name, ftype, op, item)
    else:
        if isinstance(v, list | dict):
            return f"运算「{op.value}」的 value 应为单个值，实际为「{_shown(v)}」"
        problem = _item_problem(name, ftype, op, v)
        return None if problem is None else f"{problem}，实际为「{_shown(v)}」"
    if not items:
        return "运算「in_region」的 value 应为地区代码、地区组或它们的非空列表"
    for i, item in enumerate(items, 1):
        problem = check(item)
        if problem is not None:
            where = f"第 {i} 项" if isinstance(v, list) else "实际为"
            return f"{problem}，{where}「{_shown(item)}」"
    return None


def _item_problem(name: str, ftype: FieldType, op: Op, v: Any) -> str | None:
    """One scalar (or one list element) against the field's type."""
    if op is Op.WITHIN_YEARS:
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_WITHIN_YEARS:
            return f"within_years 的 value 应为 1 到 {MAX_WITHIN_YEARS} 之间的整数年数"
        return None
    if op is Op.IN_CATALOGUE:
        if name != "business_scope" or v != "in_force":
            return "in_catalogue 只用于 business_scope，value 为 in_force（按判定日期取当时有效的目录版本）"
        return None
    if op in (Op.IN_INDUSTRY, Op.ANY_IN_INDUSTRY):
        from matcher.reference.industry import normalize_industry_code

        problem = _text_problem(v, "行业代码")
        if problem is None and normalize_industry_code(v) is None:
            return "行业代码不存在于 GB/T 4754-2017"
        return problem
    if ftype in _NUMERIC:
        # polars checks an Int64 column only against a list of integers.
        return _number_problem(name, v, whole=ftype is FieldType.INT and op in (Op.IN, Op.NOT_IN))
    if ftype is FieldType.BOOL:
        return None if isinstance(v, bool) else f"字段「{name}」是是/否，value 应为 true/false"
    if ftype is FieldType.DATE:
        if type(v) is not dt.date:
            return f"字段「{name}」是日期，value 应为 YYYY-MM-DD"
        if not DATE_RANGE[0] <= v <= DATE_RANGE[1]:
            return f"日期应在 {DATE_RANGE[0]} 与 {DATE_RANGE[1]} 之间"
        return None
    if ftype is FieldType.SIZE:
        from matcher.fields import SIZE_VALUES

        if not isinstance(v, str) or v not in SIZE_VALUES:
            return f"企业规模应为 {'/'.join(SIZE_VALUES)} 之一"
        return None
    if ftype is FieldType.LIST:
        return _text_problem(v, "资质名称") or _certification_problem(v)
    return _text_problem(v, f"字段「{name}」是文本，value ")


def _region_problem(item: Any) -> str | None:
    from matcher.reference.regions import region_exists, region_groups

    problem = _text_problem(item, "地区代码")
    if problem:
        return problem
    groups = region_groups()
    # Targets use the code as written, so a code with spaces would never match.
    if item not in groups and (item != item.strip() or not region_exists(item)):
        from matcher.suggest import did_you_mean

        return f"既不是行政区划代码也不是地区组{did_you_mean(item, sorted(groups))}"
    return None


@cache
def _certifications() -> dict[str, str]:
    """Every way of writing a certification (quotes and spaces ignored) → its canonical name."""
    from matcher.reference.data import reference_path, safe_load

    data = safe_load(reference_path("certifications.yaml").read_text(encoding="utf-8"))
    return {
        _cert_key(name): canonical
        for canonical, aliases in data["canonical"].items()
        for name in [canonical, *aliases]
    }


def _cert_key(text: str) -> str:
    return re.sub(r"[\"'“”‘’「」『』\s]", "", text)


def _certification_problem(v: str) -> str | None:
    # Profiles are normalised to the canonical names, so only those can ever match.
    table = _certifications()
    if v in table.values():
        return None
    canonical = table.get(_cert_key(v))
    if canonical is not None:
        return f"资质应写规范名称「{canonical}」（画像中的写法都会统一成它）"
    from matcher.suggest import did_you_mean

    hint = did_you_mean(v, sorted(set(table.values())))
    return f"资质不在 rules/reference/certifications.yaml 中（新资质请先在那里登记）{hint}"


class AllNode(_Strict):
    all: list[Node]
    label: str | None = None

    @field_validator("all")
    @classmethod
    def _not_empty(cls, v: list[Any]) -> list[Any]:
        if not v:
            raise ValueError("all 不应为空：空列表会让每家企业都符合，请写出条件或删去这一层")
        return v


class AnyNode(_Strict):
    any: list[Node]
    label: str | None = None

    @field_validator("any")
    @classmethod
    def _not_empty(cls, v: list[Any]) -> list[Any]:
        if not v:
            raise ValueError("any 不应为空：空列表会让每家企业都不符合，请写出条件或删去这一层")
        return v


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


class Formula(_Strict):
    """A computed amount: ``rate`` × field (a share of revenue…) or ``per_head_yuan`` ×
    field (a count), then rounded down to a multiple of ``round_down_to_yuan``, then kept
    within ``min_yuan`` … ``max_yuan``. Amount fields are in 万元 and count ×10,000 yuan."""

    rate: float | None = Field(default=None, gt=0, le=100)
    per_head_yuan: float | None = Field(default=None, gt=0, le=NUMBER_LIMIT)
    field: str
    min_yuan: float | None = Field(default=None, ge=0, le=NUMBER_LIMIT)
    max_yuan: float | None = Field(default=None, ge=0, le=NUMBER_LIMIT)
    round_down_to_yuan: float | None = Field(default=None, gt=0, le=NUMBER_LIMIT)

    @model_validator(mode="after")
    def _shape(self) -> Formula:
        if (self.rate is None) == (self.per_head_yuan is None):
            raise ValueError("formula 须写 rate（比例）或 per_head_yuan（每人金额）之一")
        spec = FIELDS_BY_NAME.get(self.field)
        wanted = {FieldType.INT} if self.per_head_yuan is not None else _NUMERIC
        if spec is None or spec.type not in wanted:
            kind = "人数类" if self.per_head_yuan is not None else "数值类（金额或人数）"
            raise ValueError(f"formula.field「{self.field}」应为{kind}字段")
        if (
            self.min_yuan is not None
            and self.max_yuan is not None
            and self.min_yuan > self.max_yuan
        ):
            raise ValueError(f"min_yuan {self.min_yuan} 大于 max_yuan {self.max_yuan}")
        return self

    @property
    def scale(self) -> float:
        """Yuan per unit of the field: 万元 amounts count 10,000 each."""
        return 10_000.0 if FIELDS_BY_NAME[self.field].type is FieldType.AMOUNT else 1.0

    @property
    def factor(self) -> float:
        return (self.rate if self.rate is not None else self.per_head_yuan or 0.0) * self.scale


class Tier(_Strict):
    """One row of an ordered table: the first tier whose condition holds gives the amount."""

    when: Node
    amount_yuan: float | None = Field(default=None, ge=0, le=NUMBER_LIMIT)
    formula: Formula | None = None
    label: str | None = None
    quote: str

    @model_validator(mode="after")
    def _one_amount(self) -> Tier:
        if (self.amount_yuan is None) == (self.formula is None):
            raise ValueError("每一档须写 amount_yuan 或 formula 之一")
        return self


class Benefit(_Strict):
    type: Literal["fixed", "per_head", "unquantified", "tiered", "computed"]
    amount_yuan: float | None = Field(default=None, ge=0)
    per_field: str | None = None
    cap_yuan: float | None = Field(default=None, ge=0)
    tiers: list[Tier] | None = None
    formula: Formula | None = None
    description: str
    description_en: str | None = None
    quote: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> Benefit:
        for name in ("amount_yuan", "cap_yuan"):
            v = getattr(self, name)
            if v is not None and not (math.isfinite(v) and v <= NUMBER_LIMIT):
                raise ValueError(f"{name} 应为不超过 {NUMBER_LIMIT:,} 的有限金额，实际为「{v}」")
        if (self.type == "tiered") != (self.tiers is not None):
            raise ValueError("tiers 只用于且必须用于 type: tiered")
        if (self.type == "computed") != (self.formula is not None):
            raise ValueError("formula 只用于且必须用于 type: computed")
        if self.type in ("unquantified", "tiered", "computed"):
            if self.amount_yuan is not None or self.per_field is not None:
                raise ValueError(f"{self.type} 的待遇不应有 amount_yuan / per_field")
            if self.tiers == []:
                raise ValueError("tiers 不应为空")
            if self.type == "computed" and not self.quote:
                raise ValueError("金额须有原文引用 quote")
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

    def amount_fields(self) -> list[str]:
        """Profile fields the amount reads (besides the criteria)."""
        fields = [self.per_field] if self.per_field else []
        formulas = [self.formula] + [t.formula for t in self.tiers or []]
        fields += [f.field for f in formulas if f is not None]
        for tier in self.tiers or []:
            fields += [c.field for c in iter_conditions(tier.when)]
        return fields

    def tier_conditions(self) -> list[Condition]:
        return [c for tier in self.tiers or [] for c in iter_conditions(tier.when)]


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

    @field_validator("profile")
    @classmethod
    def _plain_keys(cls, v: dict[str, Any]) -> dict[str, Any]:
        # Keys starting with "__" name the engine's own columns (the row number…).
        bad = [k for k in v if not isinstance(k, str) or k.startswith("__")]
        if bad:
            raise ValueError(f"用例画像的字段名「{bad[0]}」不可用：请写画像字段名，如 employees")
        return v


MAX_CONDITIONS = 64


class Exclusive(_Strict):
    """Benefits that cannot be stacked (不得重复享受, 就高不就低): every rule naming the
    same group competes with the others; an enterprise gets the combination worth most."""

    group: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
    quote: str


class Rule(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
    # A draft (rules draft ARTICLE.txt) is linted but not matched unless asked for.
    status: Literal["active", "draft"] = "active"
    todo: list[str] = Field(default_factory=list, description="what a draft still needs")
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
    exclusive: list[Exclusive] = Field(default_factory=list)
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
        for tier in self.benefit.tiers or []:
            quotes.append(tier.quote)
        quotes += [e.quote for e in self.exclusive]
        quotes += [c.quote for c in self.benefit.tier_conditions() if c.quote]
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
