"""``@record``: an immutable record to the type checker, a plain dataclass at run time.

Every internal record (an industry code, a trace step, a header match…) is read-only:
mypy refuses any assignment to a field of a ``@record`` class (``dataclass_transform``
with ``frozen_default``), as it does for ``@dataclass(frozen=True)``. At run time the class
is ``@dataclass(unsafe_hash=True)``: equal, hashable and printable as a frozen one, without
what ``frozen=True`` costs on Python 3.11. That is two more methods compiled per class and
``object.__setattr__`` for every field of every instance: 4.8 % of a one-enterprise
report's instructions (callgrind 1.837e9 → 1.749e9 with 52 classes; issue 16).
"""

from __future__ import annotations

from dataclasses import Field, dataclass, field
from typing import TypeVar, dataclass_transform

__all__ = ["record"]

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: type[T]) -> type[T]:
    """The class as a dataclass with a field-wise ``__eq__`` and ``__hash__``."""
    return dataclass(unsafe_hash=True)(cls)
