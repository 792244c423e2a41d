"""Fill-in templates for enterprises: Chinese headers, one example row, notes per field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import yaml

from matcher.fields import PROFILE_FIELDS

EXAMPLE: dict[str, Any] = {
    "id": "E001",
    "name": "北京示例科技有限公司",
    "credit_code": "91350100M000100Y43",
    "region": "北京市海淀区中关村大街1号",
    "industry": "6513 应用软件开发",
    "business_scope": "软件开发；信息技术咨询服务",
    "employees": "85",
    "revenue": "6000",
    "total_assets": "4200",
    "size": "",
    "foreign_invested": "否",
    "state_owned": "否",
    "founded": "2015-03-12",
    "certifications": "高新技术企业；专精特新中小企业",
    "grad_hires": "6",
    "grad_hires_local": "4",
    "youth_hires": "1",
    "trainee_posts": "3",
    "founder_is_graduate": "否",
}

NOTE_HEAD = ("表头", "字段", "说明", "必填")


def _notes() -> list[tuple[str, str, str, str]]:
    return [
        (
            s.zh,
            s.name,
            s.zh_desc + "。不知道就留空（留空表示未知，不等于0）",
            "是" if s.required else "否",
        )
        for s in PROFILE_FIELDS
    ]


def write_template(fmt: str, target: Path) -> None:
    from matcher.report.files import write_atomic

    if fmt == "yaml":
        lines = ["# 企业画像模板：不知道的项留空或删除（留空表示未知，不等于0）。"]
        for s in PROFILE_FIELDS:
            lines.append(f"# {s.zh}：{s.zh_desc}")
            lines.append(
                yaml.safe_dump({s.zh: EXAMPLE.get(s.name) or None}, allow_unicode=True).strip()
            )
        text = "\n".join(lines) + "\n"

        def write_yaml(tmp: Path) -> None:
            tmp.write_text(text, encoding="utf-8")

        write_atomic(target, write_yaml)
        return
    headers = [s.zh for s in PROFILE_FIELDS]
    example = pl.DataFrame(
        [[EXAMPLE.get(s.name) for s in PROFILE_FIELDS]], schema=headers, orient="row"
    )
    if fmt == "csv":
        # A notes column beside the example row keeps the template one sheet.
        notes = "；".join(f"{zh}：{desc}" for zh, _, desc, _ in _notes())
        frame = example.with_columns(pl.lit(notes).alias("填写说明"))
        write_atomic(target, lambda tmp: frame.write_csv(tmp, include_bom=True))
        return
    if fmt == "xlsx":
        import xlsxwriter

        notes_frame = pl.DataFrame(_notes(), schema=list(NOTE_HEAD), orient="row")

        def write(tmp: Path) -> None:
            with xlsxwriter.Workbook(
                str(tmp), {"strings_to_formulas": False, "strings_to_numbers": False}
            ) as wb:
                example.write_excel(wb, worksheet="企业画像", autofit=True)
                notes_frame.write_excel(wb, worksheet="填写说明", autofit=True)

        write_atomic(target, write)
        return
    raise ValueError(fmt)
