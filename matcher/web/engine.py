"""The matching engine of one server process: rules and reference models loaded once,
profiles parsed by the row-wise twin of intake's normaliser (matcher/normalize_rows.py,
proved equal to it in tests/test_normalize_rows.py): no polars query per request, so a
profile costs about a millisecond and is parsed inline, without a hand-off to a thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from matcher import api
from matcher.batch import match_row
from matcher.evaluate.row import Outcome, Remembered
from matcher.fields import FIELDS_BY_NAME, PROFILE_FIELDS, ROW
from matcher.intake.limits import Limits
from matcher.normalize_rows import cells_of, normalise_rows, render_message
from matcher.report.html import report_context
from matcher.report.meta import RuleSetIdentity
from matcher.report.meta import identify as ruleset_identity
from matcher.rule import Rule
from matcher.web.answer import Answers, result_item
from matcher.web.settings import Settings

# Form field name or Chinese header -> the Chinese header intake recognises exactly.
HEADER_OF: dict[str, str] = {s.name: s.zh for s in PROFILE_FIELDS} | {
    s.zh: s.zh for s in PROFILE_FIELDS
}


@dataclass
class FieldError:
    field: str  # canonical field name
    label: str  # its Chinese header
    value: str
    message: str
    rejected: bool = False  # the whole profile was refused (no name, a totals row)

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "label": self.label,
            "value": self.value,
            "message": self.message,
            "rejected": self.rejected,
        }


@dataclass
class Parsed:
    row: dict[str, Any] | None  # the normalised profile; None when rejected
    errors: list[FieldError] = field(default_factory=list)


class UnknownFields(ValueError):
    def __init__(self, names: list[str]):
        self.names = names
        super().__init__(names)


class Unencodable(ValueError):
    """A value holding a lone UTF-16 surrogate (JSON's "\\ud800"): no UTF-8 text can carry it."""

    def __init__(self, name: str, value: str):
        self.name = name
        self.value = value
        super().__init__(name, value)


def shown(text: str) -> str:
    """``text`` with lone surrogates written as ``\\udXXX``, so it can be shown and encoded."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _unencodable(value: Any) -> str | None:
    """The first text in ``value`` (a value or a list of them) that UTF-8 cannot hold."""
    if isinstance(value, str):
        if value.isascii():
            return None
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value
        return None
    if isinstance(value, list):
        return next((bad for v in value if (bad := _unencodable(v)) is not None), None)
    return None


def canonical(values: Mapping[str, Any]) -> dict[str, Any]:
    """Keys as intake's exact headers; an unknown key is refused (never passed through),
    and so is a value no UTF-8 text can hold."""
    unknown = [k for k in values if k not in HEADER_OF]
    if unknown:
        raise UnknownFields(unknown)
    for k, v in values.items():
        if (bad := _unencodable(v)) is not None:
            raise Unencodable(HEADER_OF[k], shown(bad))
    return {HEADER_OF[k]: v for k, v in values.items() if v not in (None, "")}


class Engine:
    def __init__(self, settings: Settings):
        self.settings = settings
        ruleset = api.load_ruleset(list(settings.rules), replace=settings.only_rules)
        self.rules: list[Rule] = ruleset.rules
        self.identity: RuleSetIdentity = ruleset_identity(self.rules)
        # Rules and catalogue are fixed for the process: outcomes per the values read.
        self.remembered = Remembered()
        self.answers = Answers(self.rules, self.identity.text())
        # Cell limits from the environment, read once rather than per profile.
        self.limits = Limits.from_env()
        # Load the region, industry and size tables now, not on the first request.
        self.parse_many(
            [
                {
                    "企业名称": "预热",
                    "所在地区": "北京市海淀区",
                    "所属行业": "软件开发",
                    "从业人员": "10",
                }
            ]
        )

    def as_of(self, override: dt.date | None = None) -> dt.date:
        return override or self.settings.today()

    def parse_many(self, profiles: Sequence[Mapping[str, Any]]) -> list[Parsed]:
        """Profiles (keys already canonical) normalised together, in order."""
        if not profiles:
            return []
        cells = [cells_of(p, i) for i, p in enumerate(profiles, 1)]
        headers = list(dict.fromkeys(h for c in cells for h in c if h != ROW))
        result = normalise_rows(cells, headers, today=dt.date.today(), limits=self.limits)
        rows = {r[ROW]: r for r in result.rows}
        for number, row in rows.items():
            if not profiles[number - 1].get("企业编号"):
                row["id"] = None  # intake numbers rows; a lone profile has no number of its own
        errors: dict[int, list[FieldError]] = {}
        for e in result.errors:
            name = e["field"] or "name"
            spec = FIELDS_BY_NAME.get(name)
            errors.setdefault(e["row"], []).append(
                FieldError(
                    name,
                    spec.zh if spec else str(e["column"] or name),
                    e["value"] or "",
                    render_message(e["code"], e["value"]),
                    bool(e["rejected"]),
                )
            )
        return [Parsed(rows.get(i), errors.get(i, [])) for i in range(1, len(profiles) + 1)]

    def parse(self, profile: Mapping[str, Any], timeout: float | None = None) -> Parsed:
        """One profile normalised (``timeout`` is kept for callers; parsing is inline)."""
        return self.parse_many([profile])[0]

    async def parse_async(self, profile: Mapping[str, Any]) -> Parsed:
        """:meth:`parse` for a request handler: about a millisecond of CPU, so run in the
        event loop rather than handed to a thread."""
        return self.parse(profile)

    def match(self, row: dict[str, Any], as_of: dt.date) -> list[Outcome]:
        return match_row(row, self.rules, as_of, self.remembered.evaluate)

    def context(self, row: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
        return report_context(
            row, self.match(row, as_of), as_of, self.rules, identity=self.identity
        )

    def answer(self, row: dict[str, Any], as_of: dt.date, errors: Sequence[FieldError]) -> bytes:
        """``json.dumps(result_json(self.context(row, as_of), errors))`` encoded, from
        remembered pieces (matcher/web/answer.py)."""
        return self.answers.answer(row, as_of, [e.as_dict() for e in errors])


def result_json(context: dict[str, Any], errors: Sequence[FieldError]) -> dict[str, Any]:
    """The JSON shape of one matched profile (the report's context without layout)."""
    return {
        "enterprise": context["enterprise"],
        "as_of": context["as_of"],
        "rules": context["rules"],
        "money_certain_yuan": context["money_certain"],
        "money_possible_yuan": context["money_possible"],
        "counts": context["counts"],
        "results": [result_item(p) for p in context["policies"]],
        "problems": [e.as_dict() for e in errors],
    }
