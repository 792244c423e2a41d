"""Printable per-enterprise reports (HTML and Markdown) and the portfolio index.

One context per enterprise, built from the row path's outcomes (which carry the
traces that reasons are rendered from), feeds both the HTML and the Markdown
templates, so the two can never say different things.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from matcher.batch import (
    amount_note,
    assumptions_text,
    audience_text,
    source_text,
    status_label,
    valid_until_text,
)
from matcher.evaluate.row import Outcome
from matcher.evaluate.tree import condition_text, field_label, per_rule
from matcher.fields import FIELDS_BY_NAME, SIZE_ZH
from matcher.report.meta import RuleSetIdentity
from matcher.report.meta import identify as ruleset_identity
from matcher.report.money import yuan_text
from matcher.rule import KIND_ZH, Rule

TEMPLATES = Path(__file__).parent / "templates"

DISCLAIMER = (
    "本报告由 policy-match 根据企业提供的信息和政策原文自动比对生成，仅供参考。"
    "「符合」表示企业填写的信息满足规则列出的全部条件；是否享受、金额多少，以主管部门受理审核为准。"
    "标注【假设】的条件为原文未写明、一般会有的申领条件。"
)


def heads_of(outcome: Outcome) -> Any:
    """The head count a per-head amount multiplies (as the trace read it), else None."""
    field = outcome.rule.benefit.per_field
    if not field:
        return None
    return next((s.actual for s in outcome.trace if s.column == field), None)


def policy_entry(rank: int, o: Outcome) -> dict[str, Any]:
    r = o.rule
    status = o.status.value
    fixed = _rule_texts(r)
    return {
        "rank": rank,
        "id": r.id,
        "title": r.title,
        "status": status,
        "status_label": status_label(status),
        "amount": None if o.amount_yuan is None else int(o.amount_yuan + 0.5),
        "amount_text": yuan_text(o.amount_yuan),
        "amount_note": amount_note(r, heads_of(o), "zh"),
        "valid_until": fixed["valid_until"],
        "validity_note": fixed["validity_note"],
        "kind": fixed["kind"],
        "audience": fixed["audience"],
        "met": [condition_text(c) for c in o.met],
        "unmet": [condition_text(c) for c in o.unmet],
        "missing": [field_label(f) for f in o.missing_fields],
        "assumptions": fixed["assumptions"],
        "source": fixed["source"],
        "quote": fixed["quote"],
        "how_to_apply": fixed["how_to_apply"],
    }


@per_rule
def _rule_texts(r: Rule) -> dict[str, str]:
    """What a policy's entry says whatever the enterprise: once per loaded rule."""
    return {
        "valid_until": valid_until_text(r),
        "validity_note": r.validity.note or "",
        "kind": KIND_ZH[r.kind.value],
        "audience": audience_text(r),
        "assumptions": assumptions_text(r),
        "source": source_text(r),
        "quote": r.source.quotes[0],
        "how_to_apply": r.how_to_apply or "",
    }


def _open_questions(outcomes: Sequence[Outcome]) -> list[dict[str, Any]]:
    """Each missing field once, with its help text and the policies it would decide."""
    by_field: dict[str, list[str]] = {}
    for o in outcomes:
        if o.status.value == "unknown":
            for f in o.missing_fields:
                by_field.setdefault(f, []).append(o.rule.title)
    return [
        {
            "label": field_label(f),
            "help": FIELDS_BY_NAME[f].zh_desc if f in FIELDS_BY_NAME else "",
            "policies": titles,
        }
        for f, titles in by_field.items()
    ]


def enterprise_entry(row: dict[str, Any]) -> dict[str, Any]:
    from matcher.reference.industry import industry_name
    from matcher.reference.regions import region_name
    from matcher.report.render import scope_basis

    region_code = row.get("region_code")
    industry_code = row.get("industry_code")
    size = row.get("size_effective")
    return {
        "id": str(row.get("id") or ""),
        "name": str(row.get("name") or ""),
        "credit_code": row.get("credit_code") or "",
        "region": row.get("region") or "",
        "region_resolved": (
            f"{region_name(region_code) or ''}（{region_code}）" if region_code else ""
        ),
        "industry": (
            f"{industry_name(industry_code) or ''}（{industry_code}）" if industry_code else ""
        )
        + (f"，{scope_basis(row, 'zh')}" if row.get("industry_scope_phrase") else ""),
        "size": SIZE_ZH.get(size, "") if size else "",
        "size_derived": bool(size) and row.get("size") is None,
    }


def report_context(
    row: dict[str, Any],
    outcomes: Sequence[Outcome],
    as_of: dt.date,
    rules: Sequence[Rule],
    *,
    identity: RuleSetIdentity | None = None,
) -> dict[str, Any]:
    """Everything one report shows, as plain values (the templates only lay it out)."""
    policies = [policy_entry(i, o) for i, o in enumerate(outcomes, 1)]
    certain = sum(p["amount"] or 0 for p in policies if p["status"] == "eligible")
    possible = sum(p["amount"] or 0 for p in policies if p["status"] == "unknown")
    counts: dict[str, int] = {}
    for p in policies:
        counts[p["status_label"]] = counts.get(p["status_label"], 0) + 1
    documents = sorted({o.rule.source.document for o in outcomes})
    return {
        "enterprise": enterprise_entry(row),
        "as_of": as_of.isoformat(),
        "rules": (identity or ruleset_identity(rules)).text(),
        "money_certain": certain,
        "money_possible": possible,
        "money_certain_text": yuan_text(certain),
        "money_possible_text": yuan_text(possible),
        "counts": counts,
        "policies": policies,
        "open": [p for p in policies if p["status"] in ("eligible", "unknown")],
        "questions": _open_questions(outcomes),
        "documents": documents,
        "disclaimer": DISCLAIMER,
    }


def _md_cell(value: Any) -> str:
    """A Markdown table cell: no pipes or line breaks can break the table."""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


@cache
def environment(kind: str) -> jinja2.Environment:
    """HTML autoescapes every value (a firm named <script> is text); Markdown escapes table cells."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=kind == "html",
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = _md_cell
    return env


def render_html(context: dict[str, Any]) -> str:
    return environment("html").get_template("report.html.j2").render(context)


def render_markdown(context: dict[str, Any]) -> str:
    """For pasting into 公文 drafts or WeChat: the same context as the HTML report,
    table cells with pipes and line breaks escaped."""
    return environment("md").get_template("report.md.j2").render(context)


def render_index(entries: Sequence[dict[str, Any]], as_of: dt.date, rules_text: str) -> str:
    return (
        environment("html")
        .get_template("index.html.j2")
        .render(entries=entries, as_of=as_of.isoformat(), rules=rules_text, disclaimer=DISCLAIMER)
    )


def page_name(position: int, enterprise_id: str) -> str:
    """A file name for one enterprise's page: its position, then its id reduced to safe
    characters (an id never becomes a path: no separators, no dots in front)."""
    safe = re.sub(r"[^0-9A-Za-z_-]+", "_", enterprise_id).strip("_")[:40]
    return f"{position:04d}-{safe}.html" if safe else f"{position:04d}.html"


def ranked_entries(contexts: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """The index rows: firms by money certain, then money possible, then name."""
    rows = [
        {
            "file": file,
            "id": c["enterprise"]["id"],
            "name": c["enterprise"]["name"],
            "certain": c["money_certain"],
            "possible": c["money_possible"],
            "certain_text": c["money_certain_text"],
            "possible_text": c["money_possible_text"],
            "eligible": sum(1 for p in c["policies"] if p["status"] == "eligible"),
            "unknown": sum(1 for p in c["policies"] if p["status"] == "unknown"),
        }
        for file, c in contexts
    ]
    rows.sort(key=lambda e: (-e["certain"], -e["possible"], -e["eligible"], e["name"]))
    for i, e in enumerate(rows, 1):
        e["rank"] = i
    return rows


def portfolio_pages(
    rows: Sequence[dict[str, Any]], rules: Sequence[Rule], as_of: dt.date
) -> dict[str, str]:
    """One HTML page per enterprise and index.html ranking them by money: file name → text."""
    from matcher.batch import match_row

    identity = ruleset_identity(rules)
    pages: dict[str, str] = {}
    contexts: list[tuple[str, dict[str, Any]]] = []
    for position, row in enumerate(rows, 1):
        context = report_context(row, match_row(row, rules, as_of), as_of, rules, identity=identity)
        name = page_name(position, context["enterprise"]["id"])
        pages[name] = render_html(context)
        contexts.append((name, context))
    pages["index.html"] = render_index(ranked_entries(contexts), as_of, identity.text())
    return pages


def write_text(target: Path, text: str) -> None:
    from matcher.report.files import write_atomic

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    write_atomic(Path(target), write)


def write_pages(pages: dict[str, str], out_dir: Path) -> None:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        write_text(out_dir / name, text)


def emit_report(
    row: dict[str, Any],
    rules: Sequence[Rule],
    as_of: dt.date,
    fmt: str,
    out: Path | None,
    lang: str = "zh",
) -> None:
    """One enterprise's report as html or md, to a file (atomically) or to stdout."""
    import sys

    from matcher.batch import match_row
    from matcher.errors import PolicyMatchError

    if lang != "zh":
        raise PolicyMatchError(
            "HTML / Markdown reports are in Chinese only for now",
            "drop --lang en, or use --format csv / json for English columns",
        )

    context = report_context(row, match_row(row, rules, as_of), as_of, rules)
    text = render_markdown(context) if fmt == "md" else render_html(context)
    if out is None:
        sys.stdout.write(text)
    else:
        write_text(out, text)


def write_portfolio_html(
    path: Path,
    rules: Sequence[Rule],
    as_of: dt.date,
    out_dir: Path,
    sheet: str | None = None,
    overrides: dict[str, str] | None = None,
) -> int:
    """batch --html: the portfolio read again (the row path gives the traces reasons need)."""
    from matcher.api import load_portfolio

    portfolio = load_portfolio(path, sheet=sheet, overrides=overrides)
    rows = portfolio.frame.to_dicts()
    write_pages(portfolio_pages(rows, rules, as_of), out_dir)
    return len(rows)
