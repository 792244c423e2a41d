"""`rules draft ARTICLE.txt --published DATE --out drafts/`: YAML drafts from a policy text.

The article is split into sentences; each sentence that grants something (补贴, 补助, 奖励,
贷款, 减免, 优先支持…) becomes one draft measure. From the sentence, then from the
article around it, the drafter reads amounts (per head, fixed, caps, percentages), periods
read against the publication date (2022年12月31日前, 今明两年, 7月至12月, 2022-2025年),
regions (administrative names), sizes, certifications and hiring groups. Every fact it
writes carries the clause it was read from, verbatim, so lint can verify it; what it
cannot settle becomes a TODO. Drafts carry ``status: draft``: linted, never matched unless
``--include-drafts``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from matcher.authoring.coverage import split_sentences

GRANTS = ("补贴", "补助", "奖励", "资助", "贷款", "担保", "减免", "免收", "贴息", "给予")  # fmt: skip
# Sentences that direct or restrict are measures too (支持…发展, 严控…): drafted, marked
# for review; recall matters more than precision in a draft.
DIRECTS = (
    "支持", "鼓励", "推动", "推进", "加快", "实施", "开展", "优先", "引导", "稳定", "保留",
    "提供", "降低", "严控", "禁止", "不得", "严禁", "加大", "促进", "扩大", "发展",
)  # fmt: skip
_NUM = r"(\d+(?:\.\d+)?)"
PER_HEAD = re.compile(
    rf"每(?:人|名|招用\d*名?[^，。；]{{0,12}}?)[^，。；\d]{{0,6}}?{_NUM}\s*(万)?元"
)
CAP = re.compile(rf"最高(?:不超过)?{_NUM}\s*(万)?元")
FIXED = re.compile(rf"{_NUM}\s*(万)?元")
PERCENT = re.compile(rf"{_NUM}\s*[%％]")
UNTIL = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:前|之前|以前|止|截止)")
YEARS = re.compile(r"[（(]?(\d{4})\s*[-—–~～至到]\s*(\d{4})\s*年")
MONTHS = re.compile(r"(\d{1,2})月(?:份)?至(\d{1,2})月")
CLAUSE = re.compile(r"[^，,；;。：:]+")

SIZES = {
    "中小微企业": ["medium", "small", "micro"],
    "中小企业": ["medium", "small", "micro"],
    "小微企业": ["small", "micro"],
    "大企业": ["large"],
}
HIRING = {
    "高校毕业生": "grad_hires",
    "失业青年": "youth_hires",
    "见习": "trainee_posts",
}


@dataclass
class Measure:
    sentence: str
    facts: dict[str, Any] = field(default_factory=dict)
    todo: list[str] = field(default_factory=list)


def clause_of(text: str, start: int, end: int) -> str:
    """The clause (between punctuation) holding text[start:end], at least 6 characters."""
    left = max(text.rfind(p, 0, start) for p in "，,；;。：:\n") + 1
    rights = [i for i in (text.find(p, end) for p in "，,；;。：:\n") if i >= 0]
    right = min(rights) if rights else len(text)
    clause = text[left:right].strip()
    if len(clause) < 6:  # too short to verify unambiguously: widen to the sentence
        clause = text.strip()
    return clause


def _yuan(number: str, wan: str | None) -> float:
    return float(number) * (10_000 if wan else 1)


def read_amounts(sentence: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if m := PER_HEAD.search(sentence):
        out["per_head"] = (_yuan(m.group(1), m.group(2)), clause_of(sentence, *m.span()))
    if m := CAP.search(sentence):
        out["cap"] = (_yuan(m.group(1), m.group(2)), clause_of(sentence, *m.span()))
    if "per_head" not in out:
        for m in FIXED.finditer(sentence):
            if CAP.search(sentence[max(0, m.start() - 5) : m.end()]):
                continue
            out["fixed"] = (_yuan(m.group(1), m.group(2)), clause_of(sentence, *m.span()))
            break
    if m := PERCENT.search(sentence):
        out["percent"] = (float(m.group(1)), clause_of(sentence, *m.span()))
    return out


def read_period(text: str, published: dt.date) -> dict[str, Any] | None:
    """from/until with the phrase they were read from, against the publication date."""
    if m := UNTIL.search(text):
        y, mo, d = (int(g) for g in m.groups())
        return {"until": dt.date(y, mo, d), "quote": clause_of(text, *m.span())}
    if m := YEARS.search(text):
        a, b = int(m.group(1)), int(m.group(2))
        if 1990 <= a <= b <= 2100:
            return {
                "from": dt.date(a, 1, 1),
                "until": dt.date(b, 12, 31),
                "quote": clause_of(text, *m.span()),
            }
    if (i := text.find("今明两年")) >= 0:
        return {
            "from": dt.date(published.year, 1, 1),
            "until": dt.date(published.year + 1, 12, 31),
            "quote": clause_of(text, i, i + 4),
        }
    if m := MONTHS.search(text):
        a, b = int(m.group(1)), int(m.group(2))
        if 1 <= a <= b <= 12:
            last = calendar.monthrange(published.year, b)[1]
            return {
                "from": dt.date(published.year, a, 1),
                "until": dt.date(published.year, b, last),
                "quote": clause_of(text, *m.span()),
            }
    if (i := text.find("年底前")) >= 0:
        return {"until": dt.date(published.year, 12, 31), "quote": clause_of(text, i, i + 3)}
    return None


def read_regions(text: str) -> list[tuple[str, str]]:
    """Province-level units named in the text: (adcode, clause)."""
    from matcher.reference.regions import divisions

    found: list[tuple[str, str]] = []
    for d in divisions().values():
        if d.level != "province":
            continue
        short = re.sub(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区)$", "", d.name)
        for name in (d.name, short):
            i = text.find(name) if len(name) >= 2 else -1
            if i >= 0:
                found.append((d.code, clause_of(text, i, i + len(name))))
                break
    return found


def read_targets(sentence: str) -> list[dict[str, Any]]:
    """Conditions on size, certifications and hiring groups, each with its clause."""
    from matcher.rule import _certifications

    conditions: list[dict[str, Any]] = []
    for word, sizes in SIZES.items():
        if (i := sentence.find(word)) >= 0:
            conditions.append(
                _cond(
                    "size", "in", sizes, f"企业规模为{word}", clause_of(sentence, i, i + len(word))
                )
            )
            break
    certs: dict[str, str] = {}
    for alias, canonical in sorted(_certifications().items(), key=lambda kv: -len(kv[0])):
        i = sentence.find(alias)
        if len(alias) >= 3 and i >= 0 and canonical not in certs:
            certs[canonical] = clause_of(sentence, i, i + len(alias))
    if certs:
        quote = next(iter(certs.values()))
        names = sorted(certs)
        conditions.append(
            _cond("certifications", "contains_any", names, "具备" + "或".join(names), quote)
        )
    for word, fname in HIRING.items():
        if (i := sentence.find(word)) >= 0:
            label = f"招用{word}不少于1人" if fname != "trainee_posts" else "设有就业见习岗位"
            conditions.append(_cond(fname, "ge", 1, label, clause_of(sentence, i, i + len(word))))
            break
    return conditions


def _cond(fname: str, op: str, value: Any, label: str, quote: str) -> dict[str, Any]:
    return {"field": fname, "op": op, "value": value, "label": label, "quote": quote}


def _kind(sentence: str) -> str:
    for words, kind in (
        (("贷款", "担保", "贴息"), "loan_guarantee"),
        (("减免", "免收"), "fee_waiver"),
        (("补贴", "补助", "奖励", "资助"), "cash_subsidy"),
    ):
        if any(w in sentence for w in words):
            return kind
    return "programme_priority"


def measures(text: str) -> list[str]:
    words = GRANTS + DIRECTS
    return [s for s in split_sentences(text) if any(w in s for w in words) and len(s) >= 10]


def draft_rules(
    text: str, published: dt.date, *, source_sha256: str, document: str, article: int = 1,
    title: str = "",
) -> list[dict[str, Any]]:  # fmt: skip
    """One draft rule (as YAML-ready data) per measure sentence of the article."""
    # A period or region the title or lead sentence states holds for every measure.
    lead = next(iter(split_sentences(text)[1:2]), "")
    period = read_period(title, published) or read_period(lead, published)
    title_regions = read_regions(title)
    drafts = []
    for n, sentence in enumerate(measures(text), 1):
        # Regions named by the title or by the sentence itself: elsewhere a place name is
        # often where something happened (a meeting in 北京), not whom a measure targets.
        regions = title_regions or read_regions(sentence)
        drafts.append(_draft(sentence, n, published, period, regions, source_sha256, document,
                             article, title))  # fmt: skip
    return drafts


def _draft(
    sentence: str, n: int, published: dt.date, article_period: dict[str, Any] | None,
    regions: list[tuple[str, str]], sha: str, document: str, article: int, title: str,
) -> dict[str, Any]:  # fmt: skip
    todo: list[str] = [
        "核对标题、发文机关、受益对象与申请方式",
        "补写测试用例（eligible / ineligible / unknown）",
    ]
    conditions = read_targets(sentence)
    if regions:
        codes = [c for c, _ in regions]
        conditions.insert(
            0, _cond("region", "in_region", codes, "位于" + "、".join(codes), regions[0][1])
        )
    if not conditions:
        todo.append("原文的适用对象未能自动识别：补写条件")
        conditions = [
            {"field": "region", "op": "known", "label": "待补充：适用对象", "assumption": True}
        ]
    benefit, more = _benefit(sentence)
    todo += more
    period = read_period(sentence, published) or article_period
    if period is None:
        validity: dict[str, Any] = {"stated": False}
        todo.append("原文未见有效期：核实执行期限")
    else:
        validity = {"stated": True, "quote": period["quote"]}
        validity |= {k: period[k].isoformat() for k in ("from", "until") if k in period}
    return {
        "id": f"draft-a{article}-{n}",
        "status": "draft",
        "todo": todo,
        "title": sentence[:40],
        "title_en": "TODO",
        "authority": "TODO",
        "kind": _kind(sentence),
        "published": published.isoformat(),
        "source": {
            "document": document,
            "sha256": sha,
            "article": article,
            "article_title": title or "TODO",
            "quotes": [sentence],
        },
        "validity": validity,
        "criteria": {"all": conditions},
        "benefit": benefit,
    }


def _benefit(sentence: str) -> tuple[dict[str, Any], list[str]]:
    amounts = read_amounts(sentence)
    todo: list[str] = []
    if "percent" in amounts:
        todo.append(f"原文有比例 {amounts['percent'][0]}%：确定按哪个字段计算（type: computed）")
    if "per_head" in amounts:
        value, quote = amounts["per_head"]
        benefit: dict[str, Any] = {
            "type": "per_head",
            "amount_yuan": value,
            "per_field": "grad_hires",
            "description": sentence[:60],
            "quote": quote,
        }
        todo.append("核对 per_field（按哪个人数字段计）")
    elif "fixed" in amounts:
        value, quote = amounts["fixed"]
        benefit = {
            "type": "fixed",
            "amount_yuan": value,
            "description": sentence[:60],
            "quote": quote,
        }
    else:
        benefit = {"type": "unquantified", "description": sentence[:60]}
    if "cap" in amounts and benefit["type"] != "unquantified":
        benefit["cap_yuan"] = amounts["cap"][0]
    return benefit, todo


def write_drafts(drafts: list[dict[str, Any]], out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for d in drafts:
        path = out / f"{d['id']}.yaml"
        head = "# 草稿（rules draft 自动生成）：逐条核对 todo 后删去 status: draft\n"
        path.write_text(
            head + yaml.safe_dump(d, allow_unicode=True, sort_keys=False, width=100),
            encoding="utf-8",
        )
        written.append(path)
    return written


def draft_file(path: Path, published: dt.date, out: Path, article: int = 1) -> list[Path]:
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    first = next((line.strip() for line in text.splitlines() if line.strip()), path.stem)
    drafts = draft_rules(
        text, published, source_sha256=hashlib.sha256(raw).hexdigest(), document=path.name,
        article=article, title=first,
    )  # fmt: skip
    return write_drafts(drafts, out)
