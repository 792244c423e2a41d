"""`batch --compare PREVIOUS_REPORT`: who newly qualifies, who no longer does, whose amount
changed, under which rules — the push list after a policy is added or profiles change.

Both reports are read lazily as text and joined on enterprise id × rule id, so the
comparison streams; headers and statuses may be Chinese or English.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from matcher.errors import PolicyMatchError
from matcher.evaluate.tree import STATUS_FROM_ZH
from matcher.report.headers import RESULT_HEADERS_ZH

KEYS = ["enterprise_id", "rule_id"]
NEEDED = ["enterprise_id", "rule_id", "status", "amount_yuan"]
CHANGE_ZH = {
    "newly_eligible": "新符合",
    "no_longer_eligible": "不再符合",
    "amount_changed": "金额变化",
}
COMPARE_HEADERS_ZH = {
    "enterprise_id": "企业编号",
    "enterprise_name": "企业名称",
    "rule_id": "政策编号",
    "change": "变化",
    "status_before": "原结果",
    "status_after": "现结果",
    "amount_before": "原预计金额（元）",
    "amount_after": "现预计金额（元）",
}


def read_report(path: Path) -> pl.LazyFrame:
    """A batch CSV report as internal columns (enterprise_id, rule_id, status in English…)."""
    if not path.is_file():
        raise PolicyMatchError(f"找不到上次的结果文件：{path}", "给出上次 batch --out 写出的 CSV")
    frame = pl.scan_csv(path, infer_schema=False, encoding="utf8")
    return normalise_report(frame, str(path))


def normalise_report(frame: pl.LazyFrame, name: str) -> pl.LazyFrame:
    back = {zh: en for en, zh in RESULT_HEADERS_ZH.items()}
    columns = frame.collect_schema().names()
    renamed = {c: back[c.lstrip("\ufeff")] for c in columns if c.lstrip("\ufeff") in back}
    renamed |= {
        c: c.lstrip("\ufeff") for c in columns if c not in renamed and c.startswith("\ufeff")
    }
    frame = frame.rename(renamed)
    have = set(frame.collect_schema().names())
    lacking = [c for c in NEEDED if c not in have]
    if lacking:
        shown = "、".join(RESULT_HEADERS_ZH[c] for c in lacking)
        raise PolicyMatchError(
            f"{name} 缺少列：{shown}", "给出 policy-match batch --out 写出的结果文件"
        )
    if "enterprise_name" not in have:  # a --brief report
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias("enterprise_name"))
    return frame.select(
        pl.col("enterprise_id").cast(pl.String),
        pl.col("enterprise_name").cast(pl.String),
        pl.col("rule_id").cast(pl.String),
        pl.col("status").cast(pl.String).replace(STATUS_FROM_ZH),
        pl.col("amount_yuan").cast(pl.String).cast(pl.Float64, strict=False),
    )


def compare(previous: pl.LazyFrame, current: pl.LazyFrame) -> pl.LazyFrame:
    """Changed rows only: newly_eligible, no_longer_eligible, amount_changed."""

    def side(frame: pl.LazyFrame, when: str) -> pl.LazyFrame:
        names = ("enterprise_name", "status", "amount_yuan")
        return frame.rename({n: f"{n.removesuffix('_yuan')}_{when}" for n in names})

    joined = side(previous, "before").join(
        side(current, "after"), on=KEYS, how="full", coalesce=True
    )
    before = pl.col("status_before").fill_null("") == "eligible"
    after = pl.col("status_after").fill_null("") == "eligible"
    amounts_differ = pl.col("amount_before").ne_missing(pl.col("amount_after"))
    change = (
        pl.when(~before & after)
        .then(pl.lit("newly_eligible"))
        .when(before & ~after)
        .then(pl.lit("no_longer_eligible"))
        .when(before & after & amounts_differ)
        .then(pl.lit("amount_changed"))
    )
    return (
        joined.with_columns(
            change.alias("change"),
            pl.coalesce("enterprise_name_after", "enterprise_name_before").alias("enterprise_name"),
        )
        .filter(pl.col("change").is_not_null())
        .select(list(COMPARE_HEADERS_ZH))
    )


def localise_changes(changes: pl.LazyFrame, lang: str) -> pl.LazyFrame:
    if lang != "zh":
        return changes
    from matcher.evaluate.tree import STATUS_ZH

    return changes.with_columns(
        pl.col("change").replace_strict(CHANGE_ZH),
        pl.col("status_before").replace(STATUS_ZH),
        pl.col("status_after").replace(STATUS_ZH),
    ).rename(COMPARE_HEADERS_ZH)


def summary_lines(changes: pl.DataFrame, lang: str = "zh") -> list[str]:
    """Per change and rule: how many enterprises."""
    counts = changes.group_by("change", "rule_id").len().sort("change", "rule_id")
    if counts.height == 0:
        return ["与上次结果相比没有变化" if lang == "zh" else "no change since the previous report"]
    lines = []
    for change, rule_id, n in counts.iter_rows():
        label = CHANGE_ZH[change] if lang == "zh" else change
        lines.append(f"{label} {rule_id}：{n} 家" if lang == "zh" else f"{label} {rule_id}: {n}")
    return lines


def report_changes(
    previous: Path, current: Path | pl.DataFrame, out: Path | None, lang: str = "zh"
) -> list[str]:
    """Compare, write the changed rows to `out` (CSV) when given; the summary lines."""
    from matcher.report.files import write_csv

    if isinstance(current, Path):
        now = read_report(current)
    elif current.width == 0:  # nothing matched this time: every previous result is gone
        empty = {c: pl.String for c in ["enterprise_id", "enterprise_name", "rule_id", "status"]}
        now = pl.LazyFrame(schema={**empty, "amount_yuan": pl.Float64})
    else:
        now = normalise_report(current.lazy(), "本次结果")
    changes = compare(read_report(previous), now)
    if out is not None:
        write_csv(localise_changes(changes, lang), out, streaming=True)
    collected = changes.select("change", "rule_id").collect()
    lines = summary_lines(collected, lang)
    if out is not None:
        lines.append(f"变化明细已写入 {out}" if lang == "zh" else f"changes written to {out}")
    return lines
