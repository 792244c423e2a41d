"""The JSON answer of ``POST /api/match``, assembled from remembered pieces.

The plain way — ``json.dumps(result_json(report_context(...)))`` — builds the report's
whole context (texts the JSON leaves out, open questions, documents) and encodes about
42 KB per request. Here each rule's entry in ``results``, all but its rank, is kept as
JSON text together with its status, amount and ranking key, remembered per rule, as-of
date and the values the rule reads (the key of :class:`matcher.evaluate.row.Remembered`:
the entry is a function of the outcome, the outcome a function of those values) — except
that a region or industry code the rule only tests for a prefix counts by the tests'
verdicts, not by its value (thousands of codes, two or three verdicts: one fresh
evaluation per generated profile instead of eight), and so does a business scope the rule
only tests against the catalogue (all but unique per enterprise; its verdict is worked out
per request: 0.3 fresh evaluations per profile, a quarter as many entries remembered). A request looks its 49 entries up,
settles the exclusive groups, sorts and joins the texts. ``tests/test_web_answer.py``
proves the bytes equal the plain way's.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from matcher.batch import rank_key
from matcher.evaluate import exclusive
from matcher.evaluate.row import Outcome, eval_condition, evaluate, read_columns
from matcher.evaluate.tree import Status, eval_column
from matcher.report.html import enterprise_entry, heads_of, policy_entry
from matcher.rule import Condition, Op, Rule

# json.dumps(..., ensure_ascii=False, separators=(",", ":")), as FastJSON renders.
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# A piece is a plain tuple (the garbage collector stops tracking tuples of plain values;
# a memo of class instances would be walked by every full collection):
STATUS, LABEL, AMOUNT, AMOUNT_YUAN, RANK, TEXT, EXCLUDED_RANK, EXCLUDED_TEXT = range(8)


class Answers:
    """``/api/match`` answers for one process's rules (fixed while it runs, as are the
    catalogue editions): at most ``max_entries`` remembered pieces, forgotten together
    when full."""

    def __init__(self, rules: Sequence[Rule], rules_text: str, max_entries: int = 100_000):
        self.rules = list(rules)
        self.rules_text = rules_text
        self.max_entries = max_entries
        self.ids = [r.id for r in self.rules]
        self.components = exclusive.components(self.rules)
        grouped = {m for c in self.components for m in c.members}
        self.grouped = [i for i, r in enumerate(self.rules) if r.id in grouped]
        # Per rule: the columns a prefix test alone reads, keyed by its verdicts; the rest
        # by their values.
        self.tested = [_prefix_tested(r) for r in self.rules]
        # And the columns a catalogue test alone reads (a business scope: all but unique
        # per enterprise), keyed by the test's verdict, worked out per request.
        self.catalogued = [_catalogue_tested(r) for r in self.rules]
        per_rule = [
            tuple(c for c in read_columns(r) if c not in tested and c not in catalogued)
            for r, tested, catalogued in zip(self.rules, self.tested, self.catalogued, strict=True)
        ]
        self.columns = tuple(dict.fromkeys(c for cols in per_rule for c in cols))
        self.columns += tuple(c for t in self.tested for c in t if c not in self.columns)
        self.getters: list[Callable[[Mapping[str, Any]], Any]] = [
            itemgetter(*cols) if cols else _nothing for cols in per_rule
        ]
        # Rules testing a column the same way share its verdicts: one number per way.
        ways: dict[tuple[Any, ...], int] = {}
        self.ways = [
            tuple(
                (column, ways.setdefault((column, *map(_way, tests)), len(ways)))
                for column, tests in tested.items()
            )
            for tested in self.tested
        ]
        self._verdicts: dict[tuple[int, Any], tuple[bool | None, ...]] = {}
        self._memo: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._made: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # outcome → its piece
        self.hits = 0
        self.misses = 0

    def answer(self, row: dict[str, Any], as_of: dt.date, problems: list[Any]) -> bytes:
        """``json.dumps(result_json(...))`` of ``row``, encoded (``problems`` as dicts)."""
        values = {
            c: tuple(v) if v.__class__ is list else v
            for c, v in zip(self.columns, map(row.get, self.columns), strict=True)
        }
        memo = self._memo
        verdicts = self._verdicts
        pieces = []
        for i, get in enumerate(self.getters):
            key: tuple[Any, ...] = (i, as_of, get(values))
            for column, way in self.ways[i]:
                value = values[column]
                try:
                    seen = verdicts.get((way, value))
                except TypeError:  # unhashable: the value itself is the key (and fails below)
                    seen = value
                if seen is None:
                    seen = tuple(eval_condition(c, row, as_of) for c in self.tested[i][column])
                    verdicts[way, value] = seen
                key += (seen,)
            for tests in self.catalogued[i].values():
                key += (tuple(eval_condition(c, row, as_of) for c in tests),)
            try:
                piece = memo.get(key)
            except TypeError:  # an unhashable value: worked out afresh
                piece = self._piece(i, row, as_of)
            else:
                if piece is None:
                    self.misses += 1
                    piece = self._piece(i, row, as_of)
                    if len(memo) >= self.max_entries:
                        memo.clear()
                        self._made.clear()
                        self._verdicts.clear()
                    memo[key] = piece
                else:
                    self.hits += 1
            pieces.append(piece)
        left_out: Any = ()
        if self.grouped:
            amounts = {
                self.ids[i]: pieces[i][AMOUNT_YUAN] or 0.0
                for i in self.grouped
                if pieces[i][STATUS] == "eligible"
            }
            if amounts:
                left_out = exclusive.excluded_by(self.rules, amounts, self.components)
        ranked = []
        for i, p in enumerate(pieces):
            if left_out and self.ids[i] in left_out:
                ranked.append((p[EXCLUDED_RANK], p[EXCLUDED_TEXT], p[STATUS], None, p[LABEL]))
            else:
                ranked.append((p[RANK], p[TEXT], p[STATUS], p[AMOUNT], p[LABEL]))
        ranked.sort(key=_first)
        certain = possible = 0
        counts: dict[str, int] = {}
        items = []
        for n, (_, text, status, amount, label) in enumerate(ranked, 1):
            items.append(b'{"rank":%d,%s' % (n, text))
            if status == "eligible":
                certain += amount or 0
            elif status == "unknown":
                possible += amount or 0
            counts[label] = counts.get(label, 0) + 1
        head = _dumps(
            {
                "enterprise": enterprise_entry(row),
                "as_of": as_of.isoformat(),
                "rules": self.rules_text,
                "money_certain_yuan": certain,
                "money_possible_yuan": possible,
                "counts": counts,
            }
        )
        return b"".join(
            (
                head[:-1].encode(),
                b',"results":[',
                b",".join(items),
                b'],"problems":',
                _dumps(problems).encode(),
                b"}",
            )
        )

    def _piece(self, i: int, row: Mapping[str, Any], as_of: dt.date) -> tuple[Any, ...]:
        outcome = evaluate(self.rules[i], row, as_of)
        # What the piece is made of (policy_entry and rank_key read no more; conditions
        # by identity, the rules being held): few distinct ones, so each is made once.
        heads = heads_of(outcome)
        made_of = (
            i,
            outcome.status,
            outcome.amount_yuan,
            heads.__class__,  # 3 and 3.0 are equal, but not written alike
            heads,
            outcome.in_force_open,
            *(tuple(map(id, x)) for x in (outcome.met, outcome.unmet, outcome.missing)),
        )
        try:
            piece = self._made.get(made_of)
        except TypeError:  # unhashable heads
            return self._make(i, outcome)
        if piece is None:
            piece = self._made[made_of] = self._make(i, outcome)
        return piece

    def _make(self, i: int, outcome: Outcome) -> tuple[Any, ...]:
        text, label, amount = _entry(outcome)
        excluded_rank = excluded_text = None
        if outcome.status is Status.ELIGIBLE and i in self.grouped:
            # What exclusive.apply makes of it when a better combination leaves it out.
            left = _copy(outcome)
            left.amount_yuan = None
            excluded_text = _entry(left)[0]
            excluded_rank = rank_key(left)
        return (
            outcome.status.value,
            label,
            amount,
            outcome.amount_yuan,
            rank_key(outcome),
            text,
            excluded_rank,
            excluded_text,
        )


PREFIX_TESTS = (Op.IN_REGION, Op.IN_INDUSTRY)


def _way(test: Condition) -> tuple[Any, ...]:
    """What a prefix test's verdict depends on besides the value tested."""
    value = test.value
    return (test.op, tuple(value) if isinstance(value, list) else value)


def _prefix_tested(rule: Rule) -> dict[str, list[Condition]]:
    """Columns that ``rule`` reads only in prefix tests (in_region, in_industry) — never
    for an amount nor as the catalogue's region — with those tests. Such a test's verdict
    depends on the column's value alone, and nothing else of the value reaches the JSON
    answer (the report's trace keeps it; the answer does not show it)."""
    conditions = [*rule.leaves(), *rule.benefit.tier_conditions()]
    by_column: dict[str, list[Condition]] = {}
    for c in conditions:
        by_column.setdefault(eval_column(c.field), []).append(c)
    untouchable = {
        column for name in rule.benefit.amount_fields() for column in (name, eval_column(name))
    }
    if any(c.op is Op.IN_CATALOGUE for c in conditions):
        untouchable.add("region_code")
    return {
        column: tests
        for column, tests in by_column.items()
        if column not in untouchable and all(c.op in PREFIX_TESTS for c in tests)
    }


def _catalogue_tested(rule: Rule) -> dict[str, list[Condition]]:
    """Columns that ``rule`` reads only in catalogue tests (in_catalogue) — never for an
    amount — with those tests. Such a test's verdict depends on the column's value, the
    region code (kept in the key: see _prefix_tested) and the date (in the key), and
    nothing else of the value reaches the JSON answer."""
    conditions = [*rule.leaves(), *rule.benefit.tier_conditions()]
    by_column: dict[str, list[Condition]] = {}
    for c in conditions:
        by_column.setdefault(eval_column(c.field), []).append(c)
    untouchable = {
        column for name in rule.benefit.amount_fields() for column in (name, eval_column(name))
    }
    untouchable.add("region_code")
    return {
        column: tests
        for column, tests in by_column.items()
        if column not in untouchable and all(c.op is Op.IN_CATALOGUE for c in tests)
    }


def _entry(outcome: Outcome) -> tuple[bytes, str, int | None]:
    """The JSON text of a result without its rank (``"rule_id":…}``), its status label
    and its amount as the report's context rounds it."""
    policy = policy_entry(0, outcome)
    item = result_item(policy)
    del item["rank"]
    return _dumps(item)[1:].encode(), policy["status_label"], policy["amount"]


def result_item(p: dict[str, Any]) -> dict[str, Any]:
    """One result of ``result_json`` (matcher/web/engine.py) from its policy's entry in
    the report's context."""
    return {
        "rank": p["rank"],
        "rule_id": p["id"],
        "rule_title": p["title"],
        "status": p["status"],
        "status_zh": p["status_label"],
        "amount_yuan": p["amount"],
        "amount_note": p["amount_note"],
        "met": p["met"],
        "unmet": p["unmet"],
        "missing": p["missing"],
        "valid_until": p["valid_until"],
        "source": p["source"],
        "quote": p["quote"],
    }


def _copy(o: Outcome) -> Outcome:
    out = Outcome(o.rule, o.status, o.amount_yuan, o.met, o.unmet, o.missing, o.trace)
    out.in_force_open = o.in_force_open
    return out


def _first(item: tuple[Any, ...]) -> Any:
    return item[0]


def _nothing(_: Mapping[str, Any]) -> tuple[()]:
    return ()
