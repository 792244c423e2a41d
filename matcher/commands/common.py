"""What the command groups share: the common options, parsing of --as-of and --map, and
the lines that account for every input row (read, matched, rejected, repeated, skipped)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from matcher.errors import PolicyMatchError
from matcher.report.terminal import err, styled

if TYPE_CHECKING:
    import polars as pl

    from matcher import api
else:
    # Imported on first use: --help and usage errors need neither (matcher/lazy.py).
    from matcher.frame import pl
    from matcher.lazy import lazy_module

    api = lazy_module("matcher.api")

EXIT_REJECTED = 3  # completed, but some input rows were rejected


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


AsOf = Annotated[
    str | None,
    typer.Option("--as-of", help="判定日期 YYYY-MM-DD，默认今天。Example: --as-of 2022-07-01"),
]
LangOpt = Annotated[Lang, typer.Option("--lang", help="输出语言：zh（默认）或 en")]
FormatOpt = Annotated[Format, typer.Option("--format", help="输出格式：table / csv / json")]
RulesOpt = Annotated[
    list[Path] | None,
    typer.Option("--rules", help="追加规则目录（同编号覆盖内置规则），可多次使用"),
]
OnlyRules = Annotated[
    bool, typer.Option("--only-rules", help="只用 --rules 指定的规则，不加载内置规则")
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option("--map", help="手工指定表头对应的字段，如 --map 注册地=region，可多次使用"),
]
SheetOpt = Annotated[str | None, typer.Option("--sheet", help="Excel 工作表名，默认第一个")]
StrictOpt = Annotated[
    bool,
    typer.Option(
        "--strict-headers",
        help="表头只认标准名、别名和 --map：有任何猜测（模糊匹配、歧义、重复列）即停止",
    ),
]
RegionContextOpt = Annotated[
    str | None,
    typer.Option(
        "--region-context",
        help="有歧义的地区名（如 通州区、朝阳区）按这个省市确定，如 --region-context 北京市",
    ),
]


def parse_as_of(value: str | None) -> dt.date:
    if value is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise PolicyMatchError(
            f"--as-of「{value}」不是日期", "请写成 YYYY-MM-DD，如 2022-07-01"
        ) from None


def parse_map(items: list[str] | None, lang: str = "zh") -> dict[str, str]:
    """--map 表头=字段 pairs, the field checked (English name, Chinese header or alias)."""
    from matcher.intake.headers import HeaderMappingError, resolve_field

    mapping: dict[str, str] = {}
    for item in items or []:
        header, sep, field = item.partition("=")
        zh = lang != "en"
        if not sep or not header.strip():
            raise PolicyMatchError(
                f"--map「{item}」格式不对，应为 表头=字段"
                if zh
                else f"--map '{item}' is malformed: write HEADER=FIELD",
                "如 --map 注册地=region 或 --map 注册地=所在地区；字段写 - 表示不使用这一列"
                if zh
                else "e.g. --map 注册地=region; a field of - leaves the column unused",
            )
        try:
            resolve_field(field)
        except HeaderMappingError as exc:
            raise PolicyMatchError(
                f"--map「{item}」：{exc.message(lang)}"
                if zh
                else f"--map '{item}': {exc.message(lang)}",
                "字段可写英文名或中文表头，见 policy-match profile template 生成的模板"
                if zh
                else "name a field in English or by its Chinese header (see policy-match profile template)",
            ) from None
        mapping[header.strip()] = field.strip()
    return mapping


def _rules(extra: list[Path] | None, only: bool = False, drafts: bool = False) -> list[Any]:
    from matcher.loader import load_ruleset

    return load_ruleset(extra or [], replace=only, include_drafts=drafts).rules


def _report_problems(
    portfolio: Any, lang: str, limit: int = 20, needed: frozenset[str] | None = None
) -> None:
    from matcher.normalize import error_messages

    errors = portfolio.errors
    if errors.is_empty():
        return
    minor = api.minor_problem(needed) if needed is not None else pl.lit(False)
    errors = errors.with_columns(minor.alias("minor")).sort("minor", maintain_order=True)
    _problems_head(errors.height, int(errors.get_column("minor").sum()), lang)
    shown = errors.head(limit)
    _print_error_rows(shown.with_columns(error_messages(shown, lang).alias("message")), lang)
    if errors.height > limit:
        err.print(f"  …另有 {errors.height - limit} 处，用 --errors 文件查看全部")


def _accounting(portfolio: Any, lang: str) -> None:
    _account(portfolio, lang)


def _account(src: Any, lang: str) -> None:
    """Every input row is matched, rejected, a repeat of a firm or a non-data row:
    never silently dropped."""
    read, matched, rejected = src.read, src.matched, src.rejected
    dups = len(src.duplicates)
    skipped = len(src.skipped) if src.skipped is not None else 0
    if read != matched + rejected + dups + skipped:
        raise PolicyMatchError(
            f"内部错误：读取 {read} 行，匹配 {matched}，拒绝 {rejected}，"
            f"重复 {dups}，跳过 {skipped}，不相等"
        )
    extra = ""
    if dups or skipped:
        extra = (
            f"，重复企业 {dups} 行（只算一次），跳过非企业行 {skipped} 行"
            if lang == "zh"
            else f", {dups} repeated firm rows (counted once), {skipped} non-data rows skipped"
        )
    err.print(
        f"读取 {read} 行，匹配 {matched} 家企业，拒绝 {rejected} 行{extra}"
        if lang == "zh"
        else f"read {read} rows, matched {matched} enterprises, rejected {rejected} rows{extra}"
    )


def _print_intake(src: Any, lang: str, limit: int = 20) -> None:
    """Before any result: every column accounted for, rows skipped, firms entered twice,
    and the region context the portfolio suggests (never applied)."""
    if src.account is not None:
        lines = src.account.render(lang)
        err.print(styled((lines[0], "bold")))
        for line in lines[1:]:
            err.print(styled((line, "bold red")) if line.startswith("‼") else styled(line))
    if src.skipped is not None and len(src.skipped):
        err.print(styled(src.skipped.message(lang)))
    if src.duplicates:
        err.print(
            styled(
                (
                    f"名单中有 {len(src.duplicates)} 行是重复的企业，只匹配、只计数一次："
                    if lang == "zh"
                    else f"{len(src.duplicates)} rows repeat a firm; matched and counted once:",
                    "yellow",
                )
            )
        )
        for d in src.duplicates[:limit]:
            err.print(styled("  " + d.message(lang)))
    if src.region_hint is not None:
        err.print(styled((src.region_hint.message(lang), "yellow")))


def input_fields(rules: Sequence[Any]) -> frozenset[str]:
    from matcher.normalize_shared import input_fields as fields_of

    return fields_of(rules)


def _problems_head(total: int, minor: int, lang: str) -> None:
    """How many problems, and how many of them cannot change a result (listed last)."""
    zh = lang == "zh"
    text = f"输入中有 {total} 处问题：" if zh else f"{total} problems in the input:"
    if minor:
        text = (
            f"输入中有 {total} 处问题，其中 {minor} 处在没有规则读取的字段，不影响结果，仅提示（列在最后）："
            if zh
            else f"{total} problems in the input; {minor} are in fields no rule reads, "
            "cannot change a result and are listed last as warnings:"
        )
    err.print(styled((text, "yellow")))


def _print_error_rows(rows: pl.DataFrame | list[dict[str, Any]], lang: str) -> None:
    for row in rows if isinstance(rows, list) else rows.to_dicts():
        where = (
            (f"第{row['row']}行" if row["row"] is not None else "文件")
            if lang == "zh"
            else (f"row {row['row']}" if row["row"] is not None else "file")
        )
        column = f" 列「{row['column']}」" if row["column"] else ""
        if lang != "zh":
            column = f" column '{row['column']}'" if row["column"] else ""
        ident = f" [{row['id']}]" if row["id"] else ""
        warn = ("（提示）" if lang == "zh" else " (warning)") if row.get("minor") else ""
        err.print(f"  {where}{ident}{column}{warn}：{row['message']}", highlight=False)
