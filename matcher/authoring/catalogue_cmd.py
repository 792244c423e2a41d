"""``policy-match catalogue …``: import, list and match the 鼓励外商投资产业目录 (a thin CLI)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from matcher.errors import PolicyMatchError, user_error
from matcher.report.terminal import err, out, styled  # consoles that show text literally

if TYPE_CHECKING:
    from matcher.reference.catalogue import Edition

catalogue_app = typer.Typer(
    help=(
        "《鼓励外商投资产业目录》：导入官方全文、查看各版本、按经营范围匹配目录条目。\n\n"
        "内置版本只收录部分条目；导入全文后在命令上加 --catalogue DIR 即可使用。\n\n"
        'Example: policy-match catalogue match "新能源汽车电池管理系统研发；货物进出口" --region 510107'
    ),
    no_args_is_help=True,
)

F = TypeVar("F", bound=Callable[..., Any])


def _friendly(func: F) -> F:
    """Errors become one Chinese line (with its remedy), never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except BrokenPipeError:
            raise
        except Exception as exc:
            problem = user_error(exc)
            if problem is None:
                raise
            remedy = f"。提示：{problem.remedy}" if problem.remedy else ""
            err.print(styled(("错误：", "red"), f"{problem.message}{remedy}"))
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


DEFAULT_OUT = Path("catalogue")


class Lang(StrEnum):
    zh = "zh"
    en = "en"


CatalogueOpt = Annotated[
    list[Path] | None,
    typer.Option(
        "--catalogue",
        help="追加导入的目录文件夹（同一版本覆盖内置部分条目），可多次使用。Example: --catalogue ./catalogue/",
    ),
]


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise PolicyMatchError(
            f"{option}「{value}」不是日期", "请写成 YYYY-MM-DD，如 2023-01-01"
        ) from None


def _read_text(path: Path) -> str:
    if path.is_dir():
        raise PolicyMatchError(f"「{path}」是文件夹，不是文件", "请写出目录正文 .txt 文件的路径")
    if not path.is_file():
        raise PolicyMatchError(f"文件「{path}」不存在", "请检查路径")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise PolicyMatchError(
                f"文件「{path}」不是文本文件", "请把 PDF 的文字复制后另存为 UTF-8 的 .txt"
            ) from None
        return str(best)


def _count(n: int, total: int | None) -> str:
    return f"{n} / {total}" if total is not None else f"{n} / 未知"


def _bundled(key: str) -> Edition | None:
    from matcher.reference.catalogue import editions

    return next((e for e in editions() if e.key == key), None)


@catalogue_app.command("import")
@_friendly
def import_cmd(
    file: Annotated[Path, typer.Argument(help="官方目录正文（从 PDF 复制出的 .txt）")],
    edition: Annotated[str, typer.Option("--edition", help="版本代号，如 2022")],
    title: Annotated[
        str | None,
        typer.Option("--title", help="版本全称，默认《鼓励外商投资产业目录（KEY年版）》"),
    ] = None,
    valid_from: Annotated[
        str | None,
        typer.Option("--from", help="施行起始日 YYYY-MM-DD；导入内置已有的版本时可省略"),
    ] = None,
    valid_until: Annotated[
        str | None, typer.Option("--until", help="施行截止日 YYYY-MM-DD（仍在施行则不填）")
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="写入的文件夹，默认 ./catalogue/")
    ] = DEFAULT_OUT,
) -> None:
    """读取官方目录全文（页码、页眉、跨行条目会自动处理），写成一个版本文件。

    之后在其他命令上加 --catalogue DIR（如 --catalogue ./catalogue/），导入的版本会替换内置的同一版本。

    Example: policy-match catalogue import 目录2022.txt --edition 2022 --from 2023-01-01 --until 2026-01-31
    """
    from matcher.reference.catalogue import (
        check_numbering,
        parse_official_text,
        with_known_details,
        write_edition,
    )

    key = edition.strip()
    if not re.fullmatch(r"[0-9A-Za-z_-]+", key):
        raise PolicyMatchError(f"--edition「{edition}」不是版本代号", "请写年份，如 2022")
    known = _bundled(key)
    start = _date(valid_from, "--from") or (known.valid_from if known else None)
    if start is None:
        raise PolicyMatchError("缺少 --from（施行起始日）", "如 --from 2023-01-01")
    until = _date(valid_until, "--until")
    if valid_until is None and known is not None:
        until = known.valid_until
    name = title or (known.title if known else f"《鼓励外商投资产业目录（{key}年版）》")
    from matcher.report.files import check_outputs, write_atomic

    target = out_dir / f"fdi_encouraged_{key}.yaml"
    check_outputs([("--out", target)], [("目录正文", file)])
    parsed = parse_official_text(_read_text(file), key, name, start, until)
    if known is not None:  # the bundled file knows the official totals, authority and order
        parsed = with_known_details(parsed, known, f"从官方文本导入（{file.name}）")

    def write(tmp: Path) -> None:
        write_edition(parsed, tmp)

    write_atomic(target, write)  # never a half-written edition
    path = target
    out.print(
        f"已导入 {parsed.title}：全国目录 {_count(parsed.national_count, parsed.official_national)} 条，"
        f"地区目录 {_count(parsed.regional_count, parsed.official_regional)} 条 → {path}"
    )
    for problem in check_numbering(parsed):
        out.print(f"注意：{problem}（请对照原文检查这些位置的换页或格式）")
    if parsed.partial:
        out.print("注意：条目数少于官方总数，请检查粘贴的文本是否完整")
    out.print(f"使用：在命令上加 --catalogue {out_dir}")


@catalogue_app.command("list")
@_friendly
def list_cmd(catalogue: CatalogueOpt = None) -> None:
    """列出各版本：施行期间、收录条目数 / 官方总数、是否完整、来源。

    Example: policy-match catalogue list --catalogue ./catalogue/
    """
    from matcher.reference.catalogue import editions

    today = dt.date.today()
    for ed in editions(catalogue or []):
        until = ed.valid_until.isoformat() if ed.valid_until else "至今"
        state = "部分条目" if ed.partial else "完整"
        if ed.official_national is None or ed.official_regional is None:
            state = "官方总数未知"
        mark = "（现行）" if ed.in_force(today) else ""
        out.print(
            f"{ed.key}  {ed.title}{mark}  {ed.valid_from} — {until}  "
            f"全国 {_count(ed.national_count, ed.official_national)}  "
            f"地区 {_count(ed.regional_count, ed.official_regional)}  {state}  "
            f"{ed.path or ''}"
        )


@catalogue_app.command("match")
@_friendly
def match_cmd(
    scope: Annotated[str, typer.Argument(help="经营范围原文（多个分句用 ；，、 分隔）")],
    region: Annotated[
        str | None,
        typer.Option(
            "--region", help="注册地行政区划代码，用于匹配地区目录。Example: --region 510107"
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="判定日期 YYYY-MM-DD，默认今天；决定用哪一版目录")
    ] = None,
    top: Annotated[int, typer.Option("--top", "-k", min=1, help="最多列出几条")] = 3,
    lang: Annotated[Lang, typer.Option("--lang", help="输出语言：zh（默认）或 en")] = Lang.zh,
    catalogue: CatalogueOpt = None,
) -> None:
    """按经营范围找出可能适用的目录条目，并说明是哪一句匹配了哪一条。

    Example: policy-match catalogue match "集成电路设计；技术服务" --as-of 2024-06-01
    """
    from matcher.reference.catalogue import edition_in_force, match_scope, province_code

    day = _date(as_of, "--as-of") or dt.date.today()
    if region is not None:
        province_code(region)  # refuses a bad code before any work
    ed = edition_in_force(day, catalogue or [])
    if ed is None:
        raise PolicyMatchError(
            f"{day} 没有施行中的目录版本（内置 2020、2022、2025 年版）",
            "换一个 --as-of 日期，或用 --catalogue 加入导入的版本",
        )
    matches = match_scope(scope, region, ed, k=top)
    out.print(f"{ed.title}（{ed.valid_from} 起施行）")
    if not matches:
        out.print("未匹配到目录条目。")
    for m in matches:
        out.print(m.explain(lang.value))
    if ed.partial:
        out.print(
            f"注意：所用的这一版只收录了 {ed.national_count} / {ed.official_national or '?'} 条全国目录、"
            f"{ed.regional_count} / {ed.official_regional or '?'} 条地区目录，"
            "未匹配不代表不属于鼓励类；请导入全文（policy-match catalogue import）"
        )
