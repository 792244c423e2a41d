"""'Did you mean' suggestions, with a cutoff so nonsense is never suggested."""

from __future__ import annotations

from collections.abc import Sequence


def closest(value: str, choices: Sequence[str], cutoff: float = 60.0) -> str | None:
    if not choices:
        return None
    from rapidfuzz import fuzz, process  # on first use: usage errors start fast

    hit = process.extractOne(value, choices, scorer=fuzz.WRatio, score_cutoff=cutoff)
    return None if hit is None else str(hit[0])


def did_you_mean(value: str, choices: Sequence[str], lang: str = "zh") -> str:
    hit = closest(value, choices)
    if hit is None:
        return ""
    return f"，是否想写「{hit}」？" if lang == "zh" else f"; did you mean '{hit}'?"
