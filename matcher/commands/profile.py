"""The ``profile`` group: check a portfolio or a profile, make a template, print the schema."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from matcher.commands.common import (
    EXIT_REJECTED,
    Format,
    FormatOpt,
    Lang,
    LangOpt,
    MapOpt,
    RegionContextOpt,
    SheetOpt,
    StrictOpt,
    _accounting,
    _print_intake,
    _report_problems,
    _rules,
    input_fields,
    parse_map,
)
from matcher.errors import PolicyMatchError
from matcher.fields import PROFILE_FIELDS
from matcher.report.terminal import err, friendly, out, write_stdout

if TYPE_CHECKING:
    import polars as pl

    from matcher import api
else:
    # Imported on first use: --help and usage errors need neither (matcher/lazy.py).
    from matcher.frame import pl
    from matcher.lazy import lazy_module

    api = lazy_module("matcher.api")

profile_app = typer.Typer(
    help="检查企业画像文件、生成模板与 JSON Schema。Example: policy-match profile check clients.xlsx",
    no_args_is_help=True,
)


def _write_errors(portfolio: Any, path: Path, lang: str) -> None:
    from matcher.report.columns import error_report
    from matcher.report.files import write_csv

    extra = api.intake_rows(portfolio.account, portfolio.skipped, portfolio.duplicates, lang)
    write_csv(
        pl.concat([error_report(portfolio.errors, lang), extra], how="vertical_relaxed"), path
    )


CHECK_HEADERS_ZH = {s.name: s.zh for s in PROFILE_FIELDS} | {
    "region_code": "行政区划代码",
    "industry_code": "行业代码",
    "size_derived": "推算规模",
}


@friendly
def profile_check(
    portfolio_path: Annotated[Path, typer.Argument(metavar="PORTFOLIO", help="企业名单或单个画像")],
    lang: LangOpt = Lang.zh,
    fmt: FormatOpt = Format.table,
    mapping: MapOpt = None,
    sheet: SheetOpt = None,
    errors_path: Annotated[Path | None, typer.Option("--errors", help="把问题写入此 CSV")] = None,
    strict_headers: StrictOpt = False,
    region_context: RegionContextOpt = None,
    fields: Annotated[
        str | None,
        typer.Option(
            "--fields",
            help="表格只显示这些字段，逗号分隔（英文名或中文表头）；默认显示识别出的每个字段",
        ),
    ] = None,
) -> None:
    """显示表头如何被识别、规范化后的企业画像，以及输入中的每个问题。

    Example: policy-match profile check clients.csv --lang en --format csv
    """
    from matcher.report.files import check_outputs, csv_text

    overrides = parse_map(mapping, lang.value)
    check_outputs([("--errors", errors_path)], [("名单", portfolio_path)], lang.value)
    shown_fields = _parse_fields(fields, lang.value)
    rule_list = _rules(None)
    portfolio = api.load_portfolio(
        portfolio_path,
        sheet=sheet,
        overrides=overrides,
        region_context=region_context,
        rules=rule_list,
        strict_headers=strict_headers,
        lang=lang.value,
    )
    frame = portfolio.frame.select(
        [s.name for s in PROFILE_FIELDS]
        + ["region_code", "industry_code", "size_derived"]
        + portfolio.passthrough
    ).with_columns(
        pl.col("certifications").list.join("；"),
    )
    if fmt is Format.table:
        from matcher.report.render import frame_table

        _print_mapping(portfolio, lang.value)
        _print_intake(portfolio, lang.value)
        # The terminal view: every field understood (or --fields); csv/json carry every field.
        shown = frame.select(shown_fields or _understood(portfolio))
        if lang is Lang.zh:
            from matcher.fields import SIZE_ZH

            shown = shown.with_columns(
                pl.col(c).replace_strict(SIZE_ZH, default=None)
                for c in ("size", "size_derived")
                if c in shown.columns
            ).rename(CHECK_HEADERS_ZH, strict=False)
        out.print(frame_table(shown))
    elif fmt is Format.csv:
        if lang is Lang.zh:
            frame = frame.rename(CHECK_HEADERS_ZH, strict=False)
        write_stdout(csv_text(frame))
    else:
        payload = api.intake_json(portfolio) | {"profiles": frame.to_dicts()}
        write_stdout(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")
    if fmt is not Format.table:
        _print_intake(portfolio, lang.value)
    _report_problems(portfolio, lang.value, limit=200, needed=input_fields(rule_list))
    if errors_path is not None:
        _write_errors(portfolio, errors_path, lang.value)
    _accounting(portfolio, lang.value)
    if portfolio.rejected:
        raise typer.Exit(EXIT_REJECTED)


_DERIVED_FOR = {"region": "region_code", "industry": "industry_code"}


def _understood(portfolio: Any) -> list[str]:
    """id, name and every field a column fed, each followed by what was derived from it."""
    fed = set(portfolio.mapping.columns.values())
    if portfolio.mapping.flags:
        fed.add("certifications")
    cols = ["id", "name"]
    for spec in PROFILE_FIELDS:
        if spec.name in fed and spec.name not in cols:
            cols.append(spec.name)
            if spec.name in _DERIVED_FOR:
                cols.append(_DERIVED_FOR[spec.name])
    return [*cols, "size_derived"]


def _parse_fields(text: str | None, lang: str) -> list[str]:
    from matcher.intake.headers import HeaderMappingError, resolve_field

    names: list[str] = []
    for item in (text or "").replace("，", ",").split(","):
        if not item.strip():
            continue
        try:
            name = resolve_field(item.strip())
        except HeaderMappingError as exc:
            raise PolicyMatchError(
                f"--fields「{item}」：{exc.message(lang)}",
                "字段可写英文名或中文表头，见 policy-match profile template 生成的模板",
            ) from None
        if name is not None and name not in names:
            names.append(name)
    return names


def _print_mapping(portfolio: Any, lang: str) -> None:
    from rich.table import Table

    table = Table(title="表头识别" if lang == "zh" else "header mapping")
    for h in (("表头", "header"), ("字段", "field"), ("方式", "method"), ("相似度", "score")):
        table.add_column(h[0] if lang == "zh" else h[1])
    for d in portfolio.mapping.details:
        table.add_row(d.header, d.field or "—", d.method, f"{d.score:.0f}")
    out.print(table)


class TemplateFormat(StrEnum):
    xlsx = "xlsx"
    csv = "csv"
    yaml = "yaml"


@friendly
def profile_template(
    fmt: Annotated[
        TemplateFormat, typer.Option("--format", help="模板格式：xlsx / csv / yaml")
    ] = TemplateFormat.xlsx,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="模板文件名，默认 企业画像模板.<格式>")
    ] = None,
) -> None:
    """生成带中文表头、一行示例和填写说明的企业画像模板。

    Example: policy-match profile template --format xlsx --out 模板.xlsx
    """
    from matcher.intake.template import write_template

    target = out_path or Path(f"企业画像模板.{fmt.value}")
    write_template(fmt.value, target)
    err.print(f"已写入模板 {target}")


@friendly
def profile_schema() -> None:
    """打印企业画像的 JSON Schema（由 pydantic 模型生成），供其他系统收集画像。

    Example: policy-match profile schema > profile.schema.json
    """
    from matcher.profile import profile_json_schema

    sys.stdout.write(json.dumps(profile_json_schema(), ensure_ascii=False, indent=2) + "\n")


def register(group: typer.Typer) -> None:
    group.command("check")(profile_check)
    group.command("template")(profile_template)
    group.command("schema")(profile_schema)
