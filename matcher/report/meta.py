"""Which rules produced an output: the rule-set identity every report carries.

The hash is over the rules' content (each validated rule as canonical JSON, in id order),
so the same rules give the same hash whatever their files' layout or comments.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matcher.records import record
from matcher.rule import Rule


@record
class RuleSetIdentity:
    sha256: str
    rules: int
    newest_published: dt.date | None
    project_version: str

    @property
    def short(self) -> str:
        return self.sha256[:12]

    def line(self, lang: str = "zh") -> str:
        newest = self.newest_published.isoformat() if self.newest_published else "—"
        if lang == "zh":
            return (
                f"规则集 {self.short}：{self.rules} 条规则，最新发布 {newest}；"
                f"policy-match {self.project_version}"
            )
        return (
            f"rule set {self.short}: {self.rules} rules, newest published {newest}; "
            f"policy-match {self.project_version}"
        )

    def text(self) -> str:
        """The rule set in a printed report: 49 条规则，规则集 48f57837baf7（最新发布 …）."""
        newest = self.newest_published.isoformat() if self.newest_published else "—"
        return f"{self.rules} 条规则，规则集 {self.short}（最新发布 {newest}）"

    def as_dict(self) -> dict[str, Any]:
        return {
            "rules_sha256": self.sha256,
            "rules_count": self.rules,
            "rules_newest_published": (
                self.newest_published.isoformat() if self.newest_published else None
            ),
            "project_version": self.project_version,
        }

    def rows(self, lang: str = "zh") -> list[tuple[str, str]]:
        """(label, value) pairs for a 说明 sheet (report/xlsx.py)."""
        d = self.as_dict()
        labels = (
            ["规则集哈希（SHA-256）", "规则条数", "最新发布日期", "程序版本"]
            if lang == "zh"
            else ["rule set SHA-256", "rules", "newest publication", "program version"]
        )
        return [(k, "" if v is None else str(v)) for k, v in zip(labels, d.values(), strict=True)]


def rules_sha256(rules: Sequence[Rule]) -> str:
    known = _KNOWN_SHA256.get(frozenset(map(id, rules)))
    if known is not None and len(known[1]) == len(rules):
        return known[0]
    return _sha256(rules)


def _sha256(rules: Sequence[Rule]) -> str:
    payload = [r.model_dump(mode="json", by_alias=True) for r in sorted(rules, key=lambda r: r.id)]
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# The hash of rules read back from the rule cache, which keeps it (matcher/loader.py):
# dumping 49 rules to hash them cost a one-profile report ~10 ms. By the identity of the
# rule objects (frozen models), which the entry keeps alive.
_KNOWN_SHA256: dict[frozenset[int], tuple[str, tuple[Rule, ...]]] = {}


def remember_sha256(rules: Sequence[Rule], sha256: str) -> None:
    """``sha256`` is :func:`rules_sha256` of these very rule objects (in any order)."""
    _KNOWN_SHA256[frozenset(map(id, rules))] = (sha256, tuple(rules))


def project_version() -> str:
    # The one place the version is written (pyproject.toml reads it from there too):
    # importlib.metadata.version would search every installed distribution, ~6 ms a report.
    import matcher

    return matcher.__version__


def identify(rules: Sequence[Rule]) -> RuleSetIdentity:
    newest = max((r.published for r in rules), default=None)
    return RuleSetIdentity(rules_sha256(rules), len(rules), newest, project_version())


def metadata(rules: Sequence[Rule], as_of: dt.date | None = None, **extra: Any) -> dict[str, Any]:
    """The JSON metadata block: the rule-set identity, the as-of date, and anything else."""
    block = identify(rules).as_dict()
    if as_of is not None:
        block["as_of"] = as_of.isoformat()
    return block | extra


def sidecar_path(report: Path) -> Path:
    """report.csv → report.meta.json, beside it."""
    return report.with_name(report.stem + ".meta.json")


def write_sidecar(report: Path, rules: Sequence[Rule], as_of: dt.date | None = None) -> Path:
    target = sidecar_path(report)
    block = metadata(rules, as_of, report=report.name)
    text = json.dumps(block, ensure_ascii=False, indent=2) + "\n"
    write_text(target, text)
    return target


def write_text(target: Path, text: str) -> None:
    """UTF-8 text written atomically (report/files.write_atomic)."""
    from matcher.report.files import write_atomic

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    write_atomic(target, write)


def stamp(
    rules: Sequence[Rule], lang: str = "zh", out: Path | None = None, as_of: dt.date | None = None
) -> str:
    """The terminal line naming the rule set; writes the sidecar beside a CSV report."""
    line = identify(rules).line(lang)
    if out is not None and out.suffix.lower() == ".csv" and out.is_file():
        written = write_sidecar(out, rules, as_of)
        line += f"；说明见 {written}" if lang == "zh" else f"; see {written}"
    return line


def json_document(
    rows: list[dict[str, Any]],
    rules: Sequence[Rule],
    as_of: dt.date | None,
    extra: dict[str, Any] | None = None,
) -> str:
    """Results as JSON with their metadata block: {"metadata": …, (extra: the column
    accounting, skipped rows, duplicates), "results": […]}."""
    doc = {"metadata": metadata(rules, as_of), **(extra or {}), "results": rows}
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"
