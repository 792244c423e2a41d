"""The library surface the CLI calls: load profiles, load rules, match, summarise."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from matcher.batch import evaluate_frame, match_row
from matcher.errors import PolicyMatchError
from matcher.evaluate.row import Outcome
from matcher.fields import ROW
from matcher.intake.errors import IntakeError
from matcher.intake.readers import read_table
from matcher.loader import RuleSet, load_rules
from matcher.normalize import Portfolio, normalise, profile_to_raw
from matcher.reference.data import data_dir
from matcher.rule import Rule

SINGLE_SUFFIXES = {".yaml", ".yml", ".json"}
NEWSLETTER_DATE = dt.date(2022, 7, 1)


def demo_portfolio_path() -> Path:
    return data_dir() / "profiles" / "demo.csv"


def load_portfolio(
    path: Path,
    *,
    sheet: str | None = None,
    overrides: dict[str, str] | None = None,
    today: dt.date | None = None,
) -> Portfolio:
    path = Path(path)
    if not path.exists():
        raise PolicyMatchError(f"找不到文件「{path}」", "请检查路径是否正确")
    if path.suffix.lower() in SINGLE_SUFFIXES:
        raw = _single_profiles(path)
    else:
        try:
            raw = read_table(path, sheet=sheet).frame
        except IntakeError as exc:
            raise PolicyMatchError(str(exc)) from exc
    return normalise(raw, overrides=overrides, today=today)


def _single_profiles(path: Path) -> pl.DataFrame:
    text = path.read_text(encoding="utf-8-sig")
    try:
        data: Any = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise PolicyMatchError(f"{where}: 无法解析企业画像文件：{exc}") from exc
    records = data if isinstance(data, list) else [data]
    if not records or not all(isinstance(r, dict) for r in records):
        raise PolicyMatchError(f"{path}: 企业画像应为「字段: 值」的映射（或映射的列表）")
    frames = [profile_to_raw(r, row=i + 1) for i, r in enumerate(records)]
    return pl.concat(frames, how="diagonal_relaxed")


def load_ruleset(extra: Sequence[Path] = (), *, replace: bool = False) -> RuleSet:
    ruleset = load_rules(list(extra) or None, replace=replace)
    if ruleset.errors:
        lines = "\n".join(str(e) for e in ruleset.errors)
        raise PolicyMatchError(f"规则文件有错误，未进行匹配：\n{lines}", "修正上述规则文件后重试")
    if not ruleset.rules:
        raise PolicyMatchError("没有可用的规则", "用 --rules 指定规则目录")
    return ruleset


def results(
    portfolio: Portfolio, rules: Sequence[Rule], as_of: dt.date, lang: str = "zh"
) -> pl.DataFrame:
    return evaluate_frame(
        portfolio.frame, rules, as_of, lang, passthrough=portfolio.passthrough
    ).collect()


def select_row(portfolio: Portfolio, enterprise_id: str | None) -> dict[str, Any]:
    frame = portfolio.frame
    if enterprise_id is not None:
        frame = frame.filter(pl.col("id") == enterprise_id)
        if frame.is_empty():
            known = "、".join(portfolio.frame.get_column("id").head(10).to_list())
            raise PolicyMatchError(f"找不到企业编号「{enterprise_id}」", f"可用编号：{known}…")
    elif frame.height != 1:
        if frame.is_empty():
            raise PolicyMatchError("文件中没有可用的企业画像", "查看上面列出的问题")
        raise PolicyMatchError(f"文件中有 {frame.height} 家企业", "用 --id 指定其中一家的企业编号")
    return frame.row(0, named=True)


def match_one(row: dict[str, Any], rules: Sequence[Rule], as_of: dt.date) -> list[Outcome]:
    return match_row(row, rules, as_of)


def summary(result: pl.DataFrame) -> pl.DataFrame:
    """Per rule: enterprises in each status and the total estimated amount (English statuses)."""
    statuses = ["eligible", "unknown", "ineligible", "expired", "not_yet_valid"]
    return (
        result.group_by("rule_id", "rule_title", maintain_order=True)
        .agg(
            *[(pl.col("status") == s).sum().alias(s) for s in statuses],
            pl.col("amount_yuan")
            .filter(pl.col("status") == "eligible")
            .sum()
            .alias("total_amount_yuan"),
        )
        .sort("rule_id")
    )


@dataclass
class Found:
    result: pl.DataFrame  # one row per enterprise, ranked for calling
    missing_counts: pl.DataFrame  # field, n: among the unknown


def find(portfolio: Portfolio, rule: Rule, as_of: dt.date, lang: str = "zh") -> Found:
    """政策找人: the enterprises for one policy, most money and most certain first."""
    from matcher.evaluate.tree import STATUS_ORDER
    from matcher.evaluate.vector import compile_rule, with_eval_columns

    lf = with_eval_columns(portfolio.frame.lazy())
    compiled = compile_rule(rule, as_of, lang)
    # Missing fields are counted from the English names before localisation.
    base = evaluate_frame(lf, [rule], as_of, lang, passthrough=portfolio.passthrough)
    missing = (
        lf.select(compiled.status.alias("status"), compiled.missing.alias("field"))
        .filter(pl.col("status") == "unknown")
        .explode("field")
        .drop_nulls("field")
        .group_by("field")
        .agg(pl.len().alias("n"))
        .sort(["n", "field"], descending=[True, False])
    )
    order = pl.col("status").replace_strict(STATUS_ORDER, return_dtype=pl.Int8)
    ranked = (
        base.sort([order, "amount_yuan", ROW], descending=[False, True, False], nulls_last=True)
        .with_columns((pl.int_range(pl.len()) + 1).cast(pl.Int32).alias("rank"))
        .drop(ROW)
    )
    result, missing_counts = pl.collect_all([ranked, missing])
    return Found(result, missing_counts)


def find_summary(result: pl.DataFrame, missing_counts: pl.DataFrame) -> dict[str, Any]:
    statuses = ["eligible", "unknown", "ineligible", "expired", "not_yet_valid"]
    counts = result.get_column("status").value_counts()
    by = dict(zip(counts["status"].to_list(), counts["count"].to_list(), strict=True))
    total = result.filter(pl.col("status") == "eligible").get_column("amount_yuan").sum()
    return {
        "counts": {s: int(by.get(s, 0)) for s in statuses},
        "total_amount_yuan": float(total or 0),
        "top_missing": list(missing_counts.head(5).iter_rows()),
    }


__all__ = ["NEWSLETTER_DATE", "ROW", "load_portfolio", "load_ruleset", "results", "summary"]
