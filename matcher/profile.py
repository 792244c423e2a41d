"""The Profile model: one enterprise, validated by pydantic.

Used for single profiles, the JSON Schema other systems collect profiles with,
and the wording of errors. Portfolios are parsed by the vectorised normaliser
with the same value parsers (tests check they agree).
"""

from __future__ import annotations

import datetime as dt
import math
from functools import cache
from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, create_model

from matcher.fields import PROFILE_FIELDS, FieldType
from matcher.intake.values import parse_value

_PY_TYPES: dict[FieldType, Any] = {
    FieldType.TEXT: str,
    FieldType.REGION: str,
    FieldType.INDUSTRY: str,
    FieldType.SIZE: str,
    FieldType.INT: Annotated[int, Field(ge=0)],
    FieldType.AMOUNT: Annotated[float, Field(ge=0)],
    FieldType.BOOL: bool,
    FieldType.DATE: dt.date,
    FieldType.LIST: list[str],
}


def _parser(ftype: FieldType) -> Any:
    def parse(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return parse_value(ftype, value)  # raises not_finite, as for a portfolio
        if value is None or isinstance(value, bool | int | float | dt.date | list):
            if ftype is FieldType.INT and isinstance(value, float) and value == int(value):
                return int(value)
            if not (
                isinstance(value, list)
                or ftype in (FieldType.TEXT, FieldType.REGION, FieldType.INDUSTRY)
            ):
                return value
        return parse_value(ftype, str(value) if not isinstance(value, list) else "；".join(value))

    return parse


class _ProfileBase(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


@cache
def profile_model() -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for spec in PROFILE_FIELDS:
        py = _PY_TYPES[spec.type]
        annotated = Annotated[py | None, BeforeValidator(_parser(spec.type))]  # type: ignore[valid-type]
        fields[spec.name] = (
            annotated if not spec.required else Annotated[py, BeforeValidator(_parser(spec.type))],
            Field(
                default=... if spec.required else None,
                validation_alias=AliasChoices(spec.name, spec.zh),
                title=spec.zh,
                description=f"{spec.zh_desc} / {spec.en_desc}",
            ),
        )
    return create_model("Profile", __base__=_ProfileBase, **fields)


def profile_json_schema() -> dict[str, Any]:
    schema = profile_model().model_json_schema(by_alias=False)
    schema["title"] = "企业画像 Enterprise profile (policy-match)"
    return schema
