"""The enterprise form, generated from the field contract (matcher/fields.py)."""

from __future__ import annotations

from matcher.fields import PROFILE_FIELDS, FieldType
from matcher.records import record

HELP_EXTRA = {
    FieldType.INT: "（填数字，不清楚就留空；留空表示未知，不按0计）",
    FieldType.AMOUNT: "（可写 3000、3,000万元、1.2亿）",
    FieldType.DATE: "（如 2015-03-12 或 2015年3月12日）",
    FieldType.LIST: "（多项用「；」分隔）",
}


@record
class FormField:
    name: str
    label: str
    help: str
    widget: str  # text | textarea | yesno | size
    required: bool


def form_fields() -> list[FormField]:
    fields = []
    for spec in PROFILE_FIELDS:
        if spec.name == "id":
            continue  # the centre numbers submissions itself
        widget = {
            FieldType.BOOL: "yesno",
            FieldType.SIZE: "size",
        }.get(spec.type, "textarea" if spec.name == "business_scope" else "text")
        fields.append(
            FormField(
                spec.name,
                spec.zh,
                spec.zh_desc + HELP_EXTRA.get(spec.type, ""),
                widget,
                spec.required,
            )
        )
    return fields
