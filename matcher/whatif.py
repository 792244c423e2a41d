"""What-if ("reforms", as OpenFisca and PolicyEngine call them): the same portfolio under
the current rules and under changed ones — who gains, who loses, what it costs, by region,
size and industry section.

Both rule sets run on the same normalised and prepared portfolio; money counts only
eligible results (符合), after non-stackable benefits are settled, as every report does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
import yaml
from pydantic import ValidationError

from matcher.batch import Evaluator
from matcher.errors import PolicyMatchError, pydantic_message
from matcher.fields import ROW
from matcher.rule import Rule


def apply_sets(rules: Sequence[Rule], assignments: Sequence[str]) -> list[Rule]:
    """Rules with ``RULE.path.to.key=VALUE`` applied (VALUE read as YAML: 2000, true, 2023-01-01)."""
    by_id = {r.id: r for r in rules}
    data = {r.id: r.model_dump(mode="json", by_alias=True, exclude_unset=True) for r in rules}
    for item in assignments:
        target, sep, raw = item.partition("=")
        rule_id, _, path = target.partition(".")
        if not sep or not path:
            raise PolicyMatchError(
                f"无法理解 --set「{item}」",
                "写成 规则编号.字段路径=值，如 bj-grad-expansion-subsidy.benefit.amount_yuan=2000",
            )
        if rule_id not in data:
            from matcher.suggest import did_you_mean

            raise PolicyMatchError(
                f"没有编号为「{rule_id}」的政策{did_you_mean(rule_id, sorted(data))}",
                "用 policy-match rules list 查看所有编号",
            )
        node: Any = data[rule_id]
        keys = path.split(".")
        for key in keys[:-1]:
            if not isinstance(node, dict) or key not in node:
                raise PolicyMatchError(f"规则 {rule_id} 没有「{path}」", "路径按规则 YAML 的键书写")
            node = node[key]
        node[keys[-1]] = yaml.safe_load(raw)
    out = []
    for rid, rule in by_id.items():
        try:
            out.append(Rule.model_validate(data[rid]) if data[rid] != _dump(rule) else rule)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            raise PolicyMatchError(
                f"改动后规则 {rid} 无效：{where}：{pydantic_message(first)}", "检查 --set 的值"
            ) from exc
    return out


def _dump(rule: Rule) -> dict[str, Any]:
    return rule.model_dump(mode="json", by_alias=True, exclude_unset=True)


@dataclass
class WhatIf:
    enterprises: pl.DataFrame  # one row per enterprise: before, after, change, keys
    breakdowns: dict[str, pl.DataFrame]  # by region / size / section

    @property
    def cost_change(self) -> float:
        return float(self.enterprises["change"].sum())

    @property
    def winners(self) -> int:
        return int((self.enterprises["change"] > 0).sum())

    @property
    def losers(self) -> int:
        return int((self.enterprises["change"] < 0).sum())


COLUMNS = ["enterprise_id", "rule_id", "status", "amount_yuan"]


def _totals(prepared: pl.DataFrame, rules: Sequence[Rule], as_of: dt.date) -> pl.DataFrame:
    ev = Evaluator(rules, as_of, "en", COLUMNS)
    long = ev.long(ev.wide(prepared)).filter(pl.col("status") == "eligible")
    return (
        long.group_by(ROW).agg(pl.col("amount_yuan").fill_null(0.0).sum().alias("total")).collect()
    )


def whatif(
    frame: pl.DataFrame, base: Sequence[Rule], alt: Sequence[Rule], as_of: dt.date
) -> WhatIf:
    from matcher.evaluate.vector import with_eval_columns

    prepared = with_eval_columns(frame.lazy(), as_of, [*base, *alt]).collect()
    before = _totals(prepared, base, as_of).rename({"total": "before"})
    after = _totals(prepared, alt, as_of).rename({"total": "after"})
    keys = prepared.select(
        ROW,
        pl.col("id").alias("enterprise_id"),
        pl.col("name").alias("enterprise_name"),
        (pl.col("region_code").str.slice(0, 2) + "0000").alias("region"),
        pl.col("size_effective").alias("size"),
        pl.col("industry_code").str.slice(0, 1).alias("section"),
    )
    per = (
        keys.join(before, on=ROW, how="left")
        .join(after, on=ROW, how="left")
        .with_columns(pl.col("before", "after").fill_null(0.0))
        .with_columns((pl.col("after") - pl.col("before")).alias("change"))
        .sort(ROW)
    )
    return WhatIf(per, {k: _breakdown(per, k) for k in ("region", "size", "section")})


def _breakdown(per: pl.DataFrame, key: str) -> pl.DataFrame:
    return (
        per.group_by(key)
        .agg(
            pl.col("before").sum(),
            pl.col("after").sum(),
            pl.col("change").sum(),
            (pl.col("change") > 0).sum().alias("winners"),
            (pl.col("change") < 0).sum().alias("losers"),
        )
        .sort(key, nulls_last=True)
    )


# ---------------------------------------------------------------------------- rendering

HEADERS_ZH = {
    "region": "地区（省级）",
    "size": "企业规模",
    "section": "行业门类",
    "before": "现行金额（元）",
    "after": "调整后金额（元）",
    "change": "变化（元）",
    "winners": "增加家数",
    "losers": "减少家数",
    "enterprise_id": "企业编号",
    "enterprise_name": "企业名称",
}


def labelled(table: pl.DataFrame, key: str, lang: str) -> pl.DataFrame:
    """Keys as names (北京市, 小型, I) and headers in the user's language."""
    if key == "region":
        from matcher.reference.regions import region_name

        names = {c: region_name(c) or c for c in table[key].drop_nulls().to_list()}
        table = table.with_columns(pl.col(key).replace_strict(names, default=None))
    elif key == "size":
        from matcher.fields import SIZE_ZH

        if lang == "zh":
            table = table.with_columns(pl.col(key).replace(SIZE_ZH))
    unknown = "未知" if lang == "zh" else "unknown"
    table = table.with_columns(pl.col(key).fill_null(unknown))
    return table.rename(HEADERS_ZH, strict=False) if lang == "zh" else table


def summary_line(result: WhatIf, lang: str = "zh") -> str:
    change = result.cost_change
    if lang == "zh":
        return (
            f"总成本变化 {change:+,.0f} 元；增加 {result.winners} 家，减少 {result.losers} 家"
            f"（共 {result.enterprises.height} 家）"
        )
    return (
        f"total cost change {change:+,.0f} yuan; {result.winners} gain, {result.losers} lose "
        f"(of {result.enterprises.height})"
    )
