"""How much of the curated corpus `rules draft` finds on its own, from the seed's nine articles.

For every curated rule citing the seed: is there a draft from the same article whose
quoted sentence overlaps one of the rule's quotes (found)? Of the found rules, did the
draft get the amount, the period (from/until), the regions and the target groups (sizes,
certifications, hiring groups) the curated rule has? Every quote of every draft is also
checked against the seed (a fact without its quote would be a defect).

    python bench/eval_drafts.py [--seed PATH] [--write-results]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matcher.authoring.draft import draft_rules  # noqa: E402
from matcher.authoring.texts import normalise, split_articles  # noqa: E402
from matcher.loader import load_rules  # noqa: E402
from matcher.rule import Rule  # noqa: E402

SEED = ROOT.parent.parent / "shared" / "seeds" / "000_09f8efcab19704e2.txt"
TARGET_FIELDS = {
    "size": "size",
    "size_effective": "size",
    "certifications": "certifications",
    "grad_hires": "grad_hires",
    "grad_hires_local": "grad_hires",
    "youth_hires": "youth_hires",
    "trainee_posts": "trainee_posts",
}


def overlap(a: str, b: str) -> int:
    m = SequenceMatcher(None, a, b, autojunk=False).find_longest_match(0, len(a), 0, len(b))
    return m.size


def best_draft(rule: Rule, drafts: list[dict[str, Any]]) -> dict[str, Any] | None:
    quotes = [normalise(q) for q in rule.source.quotes]
    scored = [
        (max(overlap(q, normalise(d["source"]["quotes"][0])) for q in quotes), i)
        for i, d in enumerate(drafts)
        if d["source"]["article"] == rule.source.article
    ]
    if not scored:
        return None
    score, i = max(scored)
    return drafts[i] if score >= 10 else None


def draft_leaves(node: dict[str, Any]) -> list[dict[str, Any]]:
    if "all" in node:
        return [leaf for c in node["all"] for leaf in draft_leaves(c)]
    return [node]


def facts(rule: Rule) -> dict[str, Any]:
    regions = sorted(
        str(v) for c in rule.leaves() if c.op.value == "in_region" for v in _as_list(c.value)
    )
    return {
        "amount": rule.benefit.amount_yuan,
        "period": (rule.validity.from_, rule.validity.until),
        "regions": regions,
        "targets": sorted(
            {TARGET_FIELDS[c.field] for c in rule.leaves() if c.field in TARGET_FIELDS}
        ),
    }


def draft_facts(d: dict[str, Any]) -> dict[str, Any]:
    leaves = draft_leaves(d["criteria"])
    v = d["validity"]
    period = tuple(dt.date.fromisoformat(v[k]) if k in v else None for k in ("from", "until"))
    return {
        "amount": d["benefit"].get("amount_yuan"),
        "period": period,
        "regions": sorted(str(x) for c in leaves if c["op"] == "in_region" for x in c["value"]),
        "targets": sorted(
            {TARGET_FIELDS[c["field"]] for c in leaves if c["field"] in TARGET_FIELDS}
        ),
    }


def _as_list(v: Any) -> list[Any]:
    return v if isinstance(v, list) else [v]


def quotes_of(d: dict[str, Any]) -> list[str]:
    out = list(d["source"]["quotes"])
    out += [c["quote"] for c in draft_leaves(d["criteria"]) if "quote" in c]
    out += [x["quote"] for x in (d["benefit"], d["validity"]) if "quote" in x]
    return out


def evaluate(seed: Path) -> dict[str, Any]:
    raw = seed.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8")
    curated = [r for r in load_rules().rules if r.source.sha256 == sha]
    published = max(r.published for r in curated)
    drafts: list[dict[str, Any]] = []
    for art in split_articles(text):
        drafts += draft_rules(art.text, published, source_sha256=sha, document=seed.name,
                              article=art.number, title=art.title)  # fmt: skip
    whole = normalise(text)
    unverified = [q for d in drafts for q in quotes_of(d) if normalise(q) not in whole]
    tally = {k: [0, 0] for k in ("found", "amount", "period", "regions", "targets")}
    misses: list[str] = []
    for rule in curated:
        tally["found"][1] += 1
        d = best_draft(rule, drafts)
        want = facts(rule)
        applicable = {
            "amount": want["amount"] is not None,
            "period": want["period"] != (None, None),
            "regions": True,
            "targets": True,
        }
        for k, yes in applicable.items():
            tally[k][1] += yes
        if d is None:
            misses.append(f"{rule.id}: no draft")
            continue
        tally["found"][0] += 1
        got = draft_facts(d)
        for k, yes in applicable.items():
            if yes and got[k] == want[k]:
                tally[k][0] += 1
            elif yes:
                misses.append(f"{rule.id}: {k} {want[k]} ≠ {got[k]}")
    return {
        "drafts": len(drafts),
        "curated": len(curated),
        "tally": tally,
        "unverified": unverified,
        "misses": misses,
    }


def report(result: dict[str, Any], seed: Path) -> str:
    t = result["tally"]
    names = {
        "found": "curated measures found",
        "amount": "amounts right (of curated rules with an amount)",
        "period": "periods right (of curated rules with from/until)",
        "regions": "regions right (of all curated rules)",
        "targets": "target groups right (sizes, certifications, hiring groups)",
    }
    lines = [
        f"Seed: {seed.name}; {result['curated']} curated rules; {result['drafts']} drafts "
        f"from its 9 articles.",
        "",
        "| measure | right | of | recall |",
        "|---|---:|---:|---:|",
    ]
    for k, label in names.items():
        right, total = t[k]
        pct = f"{100 * right / total:.0f}%" if total else "—"
        lines.append(f"| {label} | {right} | {total} | {pct} |")
    amounts_dates = [t["amount"][0] + t["period"][0], t["amount"][1] + t["period"][1]]
    share = 100 * amounts_dates[0] / max(1, amounts_dates[1])
    lines += [
        "",
        f"Amounts and dates together: {amounts_dates[0]} of {amounts_dates[1]} ({share:.0f}%); "
        f"goal ≥ 80%: {'yes' if share >= 80 else 'NO'}.",
        f"Draft quotes not found in the seed: {len(result['unverified'])} (must be 0).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=Path, default=SEED)
    parser.add_argument("--write-results", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list what was missed")
    args = parser.parse_args()
    result = evaluate(args.seed)
    text = report(result, args.seed)
    print(text)
    if args.misses:
        print("\n".join(result["misses"]))
    if args.write_results:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M")
        head = f"\n\n## {stamp} — `python bench/eval_drafts.py --write-results`\n\n"
        with (ROOT / "bench" / "RESULTS.md").open("a", encoding="utf-8") as f:
            f.write(head + text + "\n")


if __name__ == "__main__":
    main()
