"""The shape of a catalogue edition file (rules/reference/catalogue/*.yaml), as pydantic
models: read only where an edition is validated, not where a report restores the editions
validated before (matcher/reference/catalogue.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["EditionModel", "EntryModel", "Scope", "TotalsModel"]

Scope = Literal["national", "regional"]


class EntryModel(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    number: str
    text: str
    section: str
    subsection: str | None = None
    scope: Scope
    province: str | None = None
    number_official: bool | None = None
    note: str | None = None

    @field_validator("number", "province", mode="before")
    @classmethod
    def _as_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v


class TotalsModel(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    national: int | None = None
    regional: int | None = None


class EditionModel(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    key: str
    title: str
    authority: str = ""
    order: str | None = None
    valid_from: dt.date
    valid_until: dt.date | None = None
    regional_part: str = ""
    official_totals: TotalsModel = Field(default_factory=TotalsModel)
    source: str = ""
    number_official: bool = True
    entries: list[EntryModel]

    @field_validator("key", mode="before")
    @classmethod
    def _key_text(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v
