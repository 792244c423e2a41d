"""The matching commands: demo, report, explain, interview, batch, sql and find."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from matcher import startup
from matcher.commands.common import (
    EXIT_REJECTED,
    AsOf,
    Format,
    FormatOpt,
    Lang,
    LangOpt,
    MapOpt,
    OnlyRules,
    RegionContextOpt,
    RulesOpt,
    SheetOpt,
    StrictOpt,
    _account,
    _print_error_rows,
    _print_intake,
    _problems_head,
    _report_problems,
    _rules,
    input_fields,
    parse_as_of,
    parse_map,
)
from matcher.errors import PolicyMatchError
from matcher.fields import col
from matcher.report.terminal import err, friendly, out, styled, write_stdout

if TYPE_CHECKING:
    import polars as pl

    from matcher import api
    from matcher.report import meta
else:
    # Imported on first use: --help and usage errors need neither (matcher/lazy.py).
    from matcher.frame import pl
    from matcher.lazy import lazy_module

    api = lazy_module("matcher.api")
    meta = lazy_module("matcher.report.meta")


class Engine(StrEnum):
    local = "local"
    spark = "spark"


class Dialect(StrEnum):
    spark = "spark"
    duckdb = "duckdb"


def _inputs(
    *paths: tuple[str, Path | None], rules: Sequence[Path] | None = None
) -> list[tuple[str, Path | None]]:
    """Every path a run reads: the named files, --rules folders and --catalogue folders."""
    from matcher.reference.catalogue import CATALOGUE_ENV

    found = list(paths) + [("--rules", p) for p in rules or []]
    for part in os.environ.get(CATALOGUE_ENV, "").split(os.pathsep):
        if part:
            found.append(("--catalogue", Path(part)))
    return found


@friendly
def demo(
    as_of: Annotated[
        str, typer.Option("--as-of", help="判定日期，默认为本期政策解读发布后的 2022-07-01")
    ] = "2022-07-01",
    lang: LangOpt = Lang.zh,
    show_all: Annotated[
        bool, typer.Option("--all", help="显示所有结果，包括不符合与已过期")
    ] = False,
    fmt: FormatOpt = Format.table,
) -> None:
    """运行内置演示：示例企业名单 × 内置政策规则，按企业列出排好序的结果。

    Example: policy-match demo --lang en
    """
    _match_portfolio(api.demo_portfolio_path(), parse_as_of(as_of), lang.value, show_all, fmt)


def _match_portfolio(path: Path, as_of: dt.date, lang: str, show_all: bool, fmt: Format) -> None:
    from matcher.report.render import print_enterprise

    rules = _rules(None)
    portfolio = api.load_portfolio(path)
    _report_problems(portfolio, lang)
    if fmt is not Format.table:
        _emit_frame(api.results(portfolio, rules, as_of, lang), fmt, lang, rules, as_of)
        return
    out.print(
        f"判定日期 {as_of.isoformat()}；{len(rules)} 条政策规则；{portfolio.matched} 家企业"
        if lang == "zh"
        else f"as of {as_of.isoformat()}; {len(rules)} rules; {portfolio.matched} enterprises"
    )
    err.print(meta.stamp(rules, lang), highlight=False, markup=False)
    for row in portfolio.frame.to_dicts():  # row path: explanations need traces
        print_enterprise(out, row, api.match_one(row, rules, as_of), lang, show_all)


def _emit_frame(
    result: pl.DataFrame, fmt: Format, lang: str, rules: Any = (), as_of: Any = None
) -> None:
    from matcher.report.columns import localise_results
    from matcher.report.files import csv_text

    frame = localise_results(result.lazy().drop("__row"), lang).collect()
    if fmt is Format.csv:
        write_stdout(csv_text(frame))
    else:
        write_stdout(meta.json_document(frame.to_dicts(), rules, as_of))


class ReportFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"
    md = "md"


@friendly
def report(
    profile: Annotated[
        Path, typer.Argument(help="企业画像：YAML/JSON 单个企业，或 CSV/Excel 名单")
    ],
    enterprise_id: Annotated[str | None, typer.Option("--id", help="名单中企业的编号")] = None,
    as_of: AsOf = None,
    lang: LangOpt = Lang.zh,
    fmt: Annotated[
        ReportFormat,
        typer.Option(
            "--format", help="输出格式：table / csv / json / html（可打印）/ md（Markdown）"
        ),
    ] = ReportFormat.table,
    rules: RulesOpt = None,
    show_all: Annotated[bool, typer.Option("--all", help="显示所有结果")] = False,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="html / md 报告写入此文件，默认打印到屏幕")
    ] = None,
    only_rules: OnlyRules = False,
    mapping: MapOpt = None,
    sheet: SheetOpt = None,
    region_context: RegionContextOpt = None,
    strict_headers: StrictOpt = False,
) -> None:
    """一家企业的政策匹配报告：排好序的结果表，以及每项政策的原因、金额、有效期和原文。

    Example: policy-match report profiles/examples/beijing_software.yaml --as-of 2022-07-01
    """
    date = parse_as_of(as_of)
    rule_list = _rules(rules, only_rules)
    plain = fmt in (ReportFormat.table, ReportFormat.html, ReportFormat.md)
    simple = plain and not (enterprise_id or mapping or sheet or strict_headers)
    one = _read_one(profile, lang.value, rule_list, region_context) if simple else None
    if one is not None:
        row = _the_row(one)
    else:
        portfolio = _load_one(
            profile, lang.value, rule_list, mapping, sheet, region_context, strict_headers
        )
        row = api.select_row(portfolio, enterprise_id)
    if fmt in (ReportFormat.html, ReportFormat.md):
        from matcher.report.html import emit_report

        emit_report(row, rule_list, date, fmt.value, out_path, lang.value)
        return
    if fmt is not ReportFormat.table:
        result = api.results(portfolio, rule_list, date, lang.value, enterprise_id=row["id"])
        _emit_frame(result, Format(fmt.value), lang.value, rule_list, date)
        return
    from matcher.report.render import print_enterprise, print_reasons
    from matcher.single import match_one

    outcomes = match_one(row, rule_list, date)
    out.print(f"判定日期 {date.isoformat()}" if lang is Lang.zh else f"as of {date.isoformat()}")
    err.print(meta.stamp(rule_list, lang.value), highlight=False, markup=False)
    print_enterprise(out, row, outcomes, lang.value, show_all)
    print_reasons(out, outcomes, lang.value)
    from matcher.evaluate.questions import ask_lines  # issue 13

    out.print("", *ask_lines(outcomes, row, date, lang.value), sep="\n", highlight=False)


def _read_one(path: Path, lang: str, rules: Sequence[Any], region_context: str | None) -> Any:
    """A YAML/JSON file of one profile, read without polars (matcher/single.py), its
    problems listed as :func:`_load_one` lists them; None: read it with _load_one."""
    from matcher.single import problem_lines, read_one

    one = read_one(path, region_context=region_context)
    if one is not None and one.unused:  # named, never silently dropped
        names = "、".join(f"「{k}」" for k in one.unused)
        err.print(
            f"未使用的字段：{names}（不是企业画像的字段，没有参与匹配）"
            if lang == "zh"
            else f"unused fields: {', '.join(one.unused)} (not profile fields, not used in matching)",
            highlight=False,
            markup=False,
        )
    if one is not None and one.errors:
        rows = problem_lines(one.errors, input_fields(rules), lang)
        _problems_head(len(rows), sum(r["minor"] for r in rows), lang)
        _print_error_rows(rows[:20], lang)
        if len(rows) > 20:
            err.print(f"  …另有 {len(rows) - 20} 处，用 --errors 文件查看全部")
    return one


def _the_row(one: Any) -> dict[str, Any]:
    """:func:`api.select_row` of a file of one profile."""
    if one.row is None:
        raise PolicyMatchError("文件中没有可用的企业画像", "查看上面列出的问题")
    return dict(one.row)


def _load_one(
    path: Path,
    lang: str,
    rules: Sequence[Any],
    mapping: list[str] | None,
    sheet: str | None,
    region_context: str | None,
    strict_headers: bool,
) -> Any:
    """The portfolio report/explain read from; for a list, its column report first."""
    startup.resume_gc()  # a list of enterprises may be any length
    portfolio = api.load_portfolio(
        path,
        sheet=sheet,
        overrides=parse_map(mapping, lang),
        region_context=region_context,
        rules=rules,
        strict_headers=strict_headers,
        lang=lang,
    )
    if path.suffix.lower() not in api.SINGLE_SUFFIXES:
        _print_intake(portfolio, lang)
    _report_problems(portfolio, lang, needed=input_fields(rules))
    return portfolio


@friendly
def explain(
    profile: Annotated[Path, typer.Argument(help="企业画像文件")],
    rule_id: Annotated[str, typer.Argument(help="政策编号，如 bj-grad-expansion-subsidy")],
    enterprise_id: Annotated[str | None, typer.Option("--id", help="名单中企业的编号")] = None,
    as_of: AsOf = None,
    lang: LangOpt = Lang.zh,
    rules: RulesOpt = None,
    only_rules: OnlyRules = False,
    mapping: MapOpt = None,
    sheet: SheetOpt = None,
    region_context: RegionContextOpt = None,
    strict_headers: StrictOpt = False,
) -> None:
    """逐条解释一项政策的判定：取值、检验、结果和原文。

    Example: policy-match explain profiles/examples/beijing_software.yaml bj-grad-expansion-subsidy
    """
    from matcher.evaluate.row import evaluate
    from matcher.loader import load_ruleset
    from matcher.report.render import explain_lines
    from matcher.suggest import did_you_mean

    date = parse_as_of(as_of)
    ruleset = load_ruleset(rules or [], replace=only_rules)
    rule = ruleset.by_id(rule_id)
    if rule is None:
        ids = [r.id for r in ruleset.rules]
        raise PolicyMatchError(
            f"没有编号为「{rule_id}」的政策{did_you_mean(rule_id, ids)}",
            "用 policy-match rules list 查看所有编号",
        )
    simple = not (enterprise_id or mapping or sheet or strict_headers)
    one = _read_one(profile, lang.value, [rule], region_context) if simple else None
    if one is not None:
        row = _the_row(one)
        resolutions = {"region": one.regions, "industry": one.industries}
    else:
        portfolio = _load_one(
            profile, lang.value, [rule], mapping, sheet, region_context, strict_headers
        )
        row = api.select_row(portfolio, enterprise_id)
        resolutions = {"region": portfolio.regions, "industry": portfolio.industries}
    outcome = evaluate(rule, row, date)
    for line in explain_lines(outcome, row, date, lang.value, resolutions):
        out.print(line, highlight=False)
    from matcher.evaluate.questions import explain_extra  # issue 13

    for line in explain_extra(outcome, row, date, lang.value):
        out.print(line, highlight=False, markup=False)


@friendly
def interview(
    profile: Annotated[Path, typer.Argument(help="企业画像 YAML（回答会写入此文件）")],
    as_of: AsOf = None,
    lang: LangOpt = Lang.zh,
    rules: RulesOpt = None,
) -> None:
    """逐个询问最能决定结果的问题，把回答写入画像，直到没有能改变结果的问题；非终端时输出问题 JSON。

    Example: policy-match interview profiles/examples/beijing_hiring_blank.yaml --as-of 2022-07-01
    """
    from matcher.interview import evaluate_profile, questions_json
    from matcher.interview import interview as run_interview

    date = parse_as_of(as_of)
    rule_list = _rules(rules)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        outcomes = evaluate_profile(profile, rule_list, date)
        sys.stdout.write(questions_json(outcomes, date, lang.value) + "\n")
        return
    run_interview(
        profile,
        rule_list,
        date,
        input,
        lambda line: out.print(line, highlight=False, markup=False),
        lang.value,
    )


class BatchFormat(StrEnum):
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


# jemalloc's settings (polars allocates through it): freed pages are kept for 5 s before
# they go back to the system. Never purging (-1) saved a little more CPU but took a 1M
# batch to 2.06 GB resident, over the 2 GB target; 5 s kept it at 1.6 GB.
BATCH_ALLOCATOR = "dirty_decay_ms:5000,muzzy_decay_ms:5000"


def _keep_freed_pages() -> None:
    """A batch works chunk after chunk of about the same size, so polars' allocator keeps
    the pages it frees for the next chunk instead of returning them to the system and
    faulting them in again (half the page faults at 250k rows; bench/RESULTS.md,
    2026-12-07 14:00). The setting is read once,
    when polars first allocates, and is removed again so that no child process inherits
    it; an explicit _RJEM_MALLOC_CONF is left alone."""
    if "_RJEM_MALLOC_CONF" in os.environ:
        return
    os.environ["_RJEM_MALLOC_CONF"] = BATCH_ALLOCATOR
    try:
        from matcher.frame import pl

        pl.Series([0])  # polars (and its allocator) start here, if not already started
    finally:
        del os.environ["_RJEM_MALLOC_CONF"]


@friendly
def batch(
    portfolio: Annotated[
        str,
        typer.Argument(
            metavar="PORTFOLIO",
            help="企业名单：CSV / Excel / Parquet / JSON Lines（--engine spark 时可为 hdfs://、s3a:// 等 Spark 能读的路径）",
        ),
    ],
    out_text: Annotated[
        str | None,
        typer.Option(
            "--out",
            metavar="PATH",
            help="结果文件（.csv / .json / .xlsx）；--engine spark 时为输出文件夹（.csv 结尾写 CSV，否则 Parquet）",
        ),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option(
            "--only", help="只输出这些结果，逗号分隔，如 符合,待补充信息 或 eligible,unknown"
        ),
    ] = None,
    errors_path: Annotated[
        Path | None,
        typer.Option(
            "--errors",
            help="把输入问题写入此 CSV（只含所加载规则读取的字段；完整检查用 profile check）",
        ),
    ] = None,
    summary: Annotated[
        bool, typer.Option("--summary", help="打印每项政策的企业数与金额合计")
    ] = False,
    summary_path: Annotated[
        Path | None, typer.Option("--summary-out", help="把汇总表写入此 CSV")
    ] = None,
    as_of: AsOf = None,
    lang: LangOpt = Lang.zh,
    rules: RulesOpt = None,
    only_rules: OnlyRules = False,
    mapping: MapOpt = None,
    sheet: SheetOpt = None,
    brief: Annotated[
        bool,
        typer.Option(
            "--brief",
            help="精简列（不含条件说明、政策原文等逐行重复的文字），适合几十万家以上的大名单",
        ),
    ] = False,
    html_dir: Annotated[
        Path | None,
        typer.Option("--html", help="每家企业一页可打印的 HTML 报告，外加按金额排序的 index.html"),
    ] = None,
    compare_path: Annotated[
        Path | None,
        typer.Option("--compare", help="与上次的结果 CSV 比较：新符合、不再符合、金额变化"),
    ] = None,
    compare_out: Annotated[
        Path | None, typer.Option("--compare-out", help="把变化明细写入此 CSV")
    ] = None,
    drafts: Annotated[
        bool, typer.Option("--include-drafts", help="也用草稿规则（status: draft）匹配")
    ] = False,
    strict_headers: StrictOpt = False,
    region_context: RegionContextOpt = None,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="local（默认：本机 polars 分块处理）或 spark（同样的分块步骤在 Spark 上分布式运行，见 README）",
        ),
    ] = Engine.local,
    master: Annotated[
        str,
        typer.Option("--master", help="--engine spark 的 Spark master，默认 local[*]；集群如 yarn"),
    ] = "local[*]",
) -> None:
    """名单 × 全部政策，每家企业每项政策一行，写入结果文件。

    有被拒绝的行时退出码为 3。Example: policy-match batch clients.csv --out report.csv --only 符合,待补充信息
    """
    if engine is Engine.spark:
        refused = {
            "--errors": errors_path,
            "--summary": summary or None,
            "--summary-out": summary_path,
            "--html": html_dir,
            "--compare": compare_path,
            "--compare-out": compare_out,
            "--sheet": sheet,
        }
        _spark_batch(
            portfolio,
            out_text,
            [name for name, v in refused.items() if v is not None],
            statuses=_parse_only(only),
            as_of=parse_as_of(as_of),
            lang=lang.value,
            rules=_rules(rules, only_rules, drafts),
            overrides=parse_map(mapping, lang.value),
            brief=brief,
            region_context=region_context,
            strict_headers=strict_headers,
            master=master,
        )
        return
    portfolio_path = Path(portfolio)
    out_path = Path(out_text) if out_text is not None else None
    _keep_freed_pages()
    from matcher.report.files import check_outputs

    date = parse_as_of(as_of)
    statuses = _parse_only(only)
    overrides = parse_map(mapping, lang.value)
    check_outputs(
        [
            ("--out", out_path),
            ("--errors", errors_path),
            ("--summary-out", summary_path),
            ("--compare-out", compare_out),
        ],
        _inputs(("名单", portfolio_path), ("--compare", compare_path), rules=rules),
        lang.value,
    )
    rule_list = _rules(rules, only_rules, drafts)
    suffix = out_path.suffix.lower() if out_path is not None else ".csv"
    keep = out_path is None or suffix in (".xlsx", ".json")  # frames kept to write at the end
    with _progress(lang.value) as tick:
        run = api.run_batch(
            portfolio_path,
            rule_list,
            date,
            lang=lang.value,
            out=out_path if not keep else None,
            statuses=statuses,
            errors_out=errors_path,
            sheet=sheet,
            overrides=overrides,
            keep_frames=keep,
            progress=tick,
            brief=brief,
            region_context=region_context,
            strict_headers=strict_headers,
        )
    _print_intake(run, lang.value)
    _print_sample(run, lang.value)
    if keep:
        _write_kept(run, out_path, rule_list, date, lang.value, print_csv=not summary)
    if out_path is not None:
        err.print(
            f"已写入 {out_path}（{run.written} 行）"
            if lang is Lang.zh
            else f"wrote {out_path} ({run.written} rows)"
        )
    err.print(meta.stamp(rule_list, lang.value, out_path, date), highlight=False, markup=False)
    _batch_summary(run, rule_list, lang.value, show=summary, path=summary_path)
    if html_dir is not None:
        from matcher.report.html import write_portfolio_html

        n = write_portfolio_html(
            portfolio_path, rule_list, date, html_dir, sheet, parse_map(mapping)
        )
        err.print(f"已写入 {html_dir}（{n} 家企业的报告和 index.html）")
    if compare_path is not None:  # issue 15: who newly qualifies since the previous report
        from matcher.report.compare import report_changes

        now = _kept_frame(run) if keep else Path(str(out_path))
        for line in report_changes(compare_path, now, compare_out, lang.value):
            err.print(line, highlight=False, markup=False)
    _account(run, lang.value)
    if run.rejected:
        raise typer.Exit(EXIT_REJECTED)


def _kept_frame(run: Any) -> pl.DataFrame:
    return pl.concat(run.frames) if run.frames else pl.DataFrame()


def _write_kept(
    run: Any,
    out_path: Path | None,
    rule_list: Sequence[Any],
    date: dt.date,
    lang: str,
    *,
    print_csv: bool,
) -> None:
    """A report kept in memory: to standard output (CSV), an advisor workbook or JSON."""
    from matcher.report.files import csv_text

    frame = _kept_frame(run)
    if out_path is None:
        if print_csv:
            write_stdout(csv_text(frame))
    elif out_path.suffix.lower() == ".xlsx":
        from matcher.report.xlsx import write_advisor_xlsx

        write_advisor_xlsx(frame, out_path, as_of=date, rules=rule_list, lang=lang)
    else:
        doc = meta.json_document(frame.to_dicts(), rule_list, date, extra=api.intake_json(run))
        meta.write_text(out_path, doc)


def _batch_summary(
    run: Any, rule_list: Sequence[Any], lang: str, *, show: bool, path: Path | None
) -> None:
    """--summary and --summary-out: enterprises and money per policy, then (issue 13) the
    centre's data-collection plan."""
    from matcher.report.columns import localise
    from matcher.report.files import write_csv
    from matcher.report.headers import SUMMARY_HEADERS_ZH
    from matcher.report.render import frame_table

    if (show or path) and run.summary is not None:
        from matcher.report.money import blank_unstated_totals

        table = localise(blank_unstated_totals(run.summary, rule_list), SUMMARY_HEADERS_ZH, lang)
        if show:
            title = SUMMARY_HEADERS_ZH["rule_title"] if lang == "zh" else "rule_title"
            out.print(frame_table(table.drop(title)))
        if path:
            write_csv(table, path)
    if show and run.plans:
        from matcher.evaluate.questions_frame import merge_plans

        out.print(frame_table(merge_plans(run.plans, lang)))


def _spark_batch(
    portfolio: str,
    out_text: str | None,
    refused: list[str],
    *,
    lang: str,
    **kwargs: Any,
) -> None:
    """batch --engine spark: checks the options, runs matcher.pipeline.spark, says where."""
    zh = lang == "zh"
    if refused:
        names = "、".join(refused) if zh else ", ".join(refused)
        raise PolicyMatchError(
            f"--engine spark 不支持 {names}：Spark 引擎只写结果报告"
            if zh
            else f"--engine spark does not support {names}: the Spark engine writes the report only",
            "去掉这些选项，或用本机引擎（--engine local）"
            if zh
            else "drop them, or use --engine local",
        )
    if out_text is None:
        raise PolicyMatchError(
            "--engine spark 需要 --out 输出文件夹" if zh else "--engine spark needs --out FOLDER",
            "如 --out 结果/（Parquet）或 --out 结果.csv（CSV 文件夹）"
            if zh
            else "e.g. --out report/ (Parquet) or --out report.csv (a folder of CSV parts)",
        )
    if out_text.rstrip("/").lower().endswith((".xlsx", ".json")):
        raise PolicyMatchError(
            "--engine spark 只写 Parquet 或 CSV"
            if zh
            else "--engine spark writes Parquet or CSV only",
            "--out 以 .csv 结尾写 CSV，其他写 Parquet" if zh else "end --out with .csv for CSV",
        )
    from matcher.pipeline.spark import run_spark_batch

    out_format = "csv" if out_text.rstrip("/").lower().endswith(".csv") else "parquet"
    run = run_spark_batch(portfolio, out_text, lang=lang, out_format=out_format, **kwargs)
    err.print(
        f"已写入 {out_text}（{run.written} 行，{run.read} 家企业，{run.partitions} 个分区）"
        if zh
        else f"wrote {out_text} ({run.written} rows, {run.read} enterprises, {run.partitions} partitions)",
        highlight=False,
        markup=False,
    )
    if run.rejected:
        err.print(
            f"{run.rejected} 行输入被拒绝，未匹配；用 policy-match profile check 查看原因"
            if zh
            else f"{run.rejected} input rows were rejected; see policy-match profile check",
            highlight=False,
            markup=False,
        )
        raise typer.Exit(EXIT_REJECTED)


@friendly
def sql(
    as_of: AsOf = None,
    lang: LangOpt = Lang.zh,
    rules: RulesOpt = None,
    only_rules: OnlyRules = False,
    dialect: Annotated[
        Dialect,
        typer.Option("--dialect", help="SQL 方言：spark（默认，Spark SQL / Hive）或 duckdb"),
    ] = Dialect.spark,
    table: Annotated[
        str,
        typer.Option(
            "--table",
            help="规范化画像表的表名：列为规范字段（profile check 所示），如 region_code、founded、founded_hi",
        ),
    ] = "profiles",
    drafts: Annotated[
        bool, typer.Option("--include-drafts", help="也编译草稿规则（status: draft）")
    ] = False,
) -> None:
    """把每条规则的条件树编译成一条 SQL 查询，打印出来：在数据仓库里完成匹配。

    结果每家企业每项政策一行：状态、金额、满足/不满足/待补充的条件、名次，与 batch 相同。
    无法准确编译的条件会报错并指出规则与运算，不会静默出错。
    Example: policy-match sql --dialect spark --table dw.sme_profiles --as-of 2022-07-01
    """
    from matcher.evaluate.sql import compile_sql

    text = compile_sql(
        _rules(rules, only_rules, drafts),
        parse_as_of(as_of),
        dialect=dialect.value,
        table=table,
        lang=lang.value,
    )
    write_stdout(text)


@contextlib.contextmanager
def _progress(lang: str) -> Iterator[Callable[[int], None] | None]:
    """A progress line on a terminal; nothing when piped or in CI."""
    if not err.is_terminal or os.environ.get("CI"):
        yield None
        return
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    label = "已处理 {n:,} 行" if lang == "zh" else "{n:,} rows done"
    with Progress(
        SpinnerColumn(),
        BarColumn(),  # pulses: the row count is not known before the end of a streamed file
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task(label.format(n=0), total=None)
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            bar.update(task, description=label.format(n=done))

        yield tick


def _print_sample(run: Any, lang: str, limit: int = 20) -> None:
    if not run.errors or run.error_sample is None:
        return
    _problems_head(run.errors, run.warnings, lang)
    sample = run.error_sample
    if "minor" in sample.columns:
        sample = sample.sort("minor", maintain_order=True)
    _print_error_rows(sample.head(limit), lang)
    if run.errors > limit:
        err.print(
            f"  …另有 {run.errors - limit} 处，用 --errors 文件查看全部"
            if lang == "zh"
            else f"  …{run.errors - limit} more; use --errors to see them all"
        )


@friendly
def find(
    rule_id: Annotated[str, typer.Argument(help="政策编号，如 bj-grad-expansion-subsidy")],
    portfolio_path: Annotated[Path, typer.Argument(metavar="PORTFOLIO", help="企业名单")],
    status: Annotated[
        str | None, typer.Option("--status", help="只列这些结果，默认 符合,待补充信息")
    ] = None,
    top: Annotated[
        int | None,
        # bounded: polars takes a 64-bit count, and no list is longer than a billion firms
        typer.Option("--top", help="只列前 N 家", min=1, max=1_000_000_000),
    ] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="把走访名单写入此 CSV")] = None,
    as_of: AsOf = None,
    lang: LangOpt = Lang.zh,
    rules: RulesOpt = None,
    mapping: MapOpt = None,
    sheet: SheetOpt = None,
    only_rules: OnlyRules = False,
    strict_headers: StrictOpt = False,
    region_context: RegionContextOpt = None,
) -> None:
    """政策找人：一项政策该找哪些企业，按预计金额和确定程度排序，并给出汇总。

    只检查这项政策用到的字段；检查整份名单的数据质量请用 batch --errors。

    Example: policy-match find bj-grad-expansion-subsidy clients.csv --top 50 --out calls.csv
    """
    from matcher.report.columns import localise_results
    from matcher.report.files import check_outputs, write_csv
    from matcher.report.render import frame_table
    from matcher.suggest import did_you_mean

    date = parse_as_of(as_of)
    overrides = parse_map(mapping, lang.value)
    check_outputs([("--out", out_path)], _inputs(("名单", portfolio_path), rules=rules), lang.value)
    ruleset = api.load_ruleset(rules or [], replace=only_rules)
    rule = ruleset.by_id(rule_id)
    if rule is None:
        raise PolicyMatchError(
            f"没有编号为「{rule_id}」的政策{did_you_mean(rule_id, [r.id for r in ruleset.rules])}",
            "用 policy-match rules list 查看所有编号",
        )
    statuses = _parse_only(status) or ["eligible", "unknown"]
    found, run = api.find(
        portfolio_path,
        rule,
        date,
        lang.value,
        statuses=statuses,
        top=top,
        sheet=sheet,
        overrides=overrides,
        region_context=region_context,
        strict_headers=strict_headers,
    )
    _print_intake(run, lang.value)
    _print_sample(run, lang.value)
    _print_find_summary(rule, api.find_summary(found), lang.value)
    listed = found.result
    call_cols = ["rank", "enterprise_id", "enterprise_name", "status", "amount_yuan", "missing"]
    full = ["rank", *[c for c in listed.columns if c != "rank"]]
    if out_path is not None:
        write_csv(
            localise_results(listed.lazy().select(col(c) for c in full), lang.value), out_path
        )
        err.print(
            f"已写入 {out_path}（{listed.height} 家）"
            if lang is Lang.zh
            else f"wrote {out_path} ({listed.height})"
        )
    else:
        from matcher.batch import RESULT_COLUMNS

        extra = [c for c in listed.columns if c not in RESULT_COLUMNS]  # passthrough columns
        brief = listed.lazy().select(col(c) for c in call_cols + extra)
        out.print(frame_table(localise_results(brief, lang.value).collect(), max_rows=top or 50))
    err.print(meta.stamp(ruleset.rules, lang.value, out_path, date), highlight=False, markup=False)
    _account(run, lang.value)
    if run.rejected:
        raise typer.Exit(EXIT_REJECTED)


def _print_find_summary(rule: Any, stats: dict[str, Any], lang: str) -> None:
    from matcher.batch import status_label
    from matcher.evaluate.tree import field_label

    zh = lang == "zh"
    out.print(styled((rule.title if zh else rule.title_en, "bold"), f"（{rule.id}）"))
    counts = "，".join(f"{status_label(s, lang)} {n}" for s, n in stats["counts"].items() if n)
    out.print(("企业数：" if zh else "enterprises: ") + counts)
    if stats["total_amount_yuan"]:
        out.print(
            f"符合企业预计金额合计：{stats['total_amount_yuan']:,.0f} 元"
            if zh
            else f"estimated total for eligible enterprises: {stats['total_amount_yuan']:,.0f} yuan"
        )
    if stats["top_missing"]:
        items = "，".join(f"{field_label(f, lang)} {n}" for f, n in stats["top_missing"])
        out.print(("待补充企业最常缺的信息：" if zh else "most common missing fields: ") + items)


def _parse_only(only: str | None) -> list[str]:
    from matcher.evaluate.tree import STATUS_FROM_ZH, STATUS_ORDER

    if not only:
        return []
    statuses = []
    for item in only.replace("，", ",").split(","):
        item = item.strip()
        status = STATUS_FROM_ZH.get(item, item)
        if status not in STATUS_ORDER:
            raise PolicyMatchError(
                f"--only「{item}」不是匹配结果",
                "可用：符合、待补充信息、不符合、已过期、未生效（或英文）",
            )
        statuses.append(status)
    return statuses


def register(app: typer.Typer) -> None:
    """The matching commands on ``app``, in the order its help lists them."""
    for command in (demo, report, explain, interview, batch, sql, find):
        app.command()(command)
