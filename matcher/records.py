"""``@record``: an immutable record to the type checker, a plain dataclass at run time.

Every internal record (an industry code, a trace step, a header match…) is read-only:
mypy refuses any assignment to a field of a ``@record`` class (``dataclass_transform``
with ``frozen_default``), as it does for ``@dataclass(frozen=True)``. At run time the class
is a dataclass that is equal, hashable and printable as a frozen one, without what
``frozen=True`` costs on Python 3.11: two more methods compiled per class and
``object.__setattr__`` for every field of every instance (4.8 % of a one-enterprise
report's instructions, callgrind 1.837e9 → 1.749e9 with 52 classes; issue 16).

Only ``__init__`` is generated per class. ``__eq__``, ``__hash__`` and ``__repr__`` are
shared functions that read the fields through one ``operator.attrgetter`` made per class:
``dataclasses`` compiles each of those three from source for every class (~0.2 ms each on
the bench machine, about 1 % of a report with the twenty records it defines), for
methods that compare and hash the same field tuples. Equality, hashing and the text of
``repr`` are those of ``@dataclass(unsafe_hash=True)``, fields declared with
``compare=False``, ``hash=…`` or ``repr=False`` included (tests/test_records.py).
"""

from __future__ import annotations

from dataclasses import Field, dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

__all__ = ["record"]

T = TypeVar("T")


def _getter(names: list[str]) -> Any:
    """A function of an instance giving the tuple of these fields."""
    if not names:
        return lambda _obj: ()
    if len(names) == 1:  # attrgetter of one name gives the value, not a 1-tuple
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return attrgetter(*names)


def _eq(self: Any, other: object) -> bool:
    key = self.__record_eq__  # read before the class test, which narrows self for mypy
    if other.__class__ is self.__class__:
        return bool(key(self) == key(other))
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__record_hash__(self))


def _repr(self: Any) -> str:
    cls: Any = self.__class__
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in cls.__record_repr__)
    return f"{cls.__qualname__}({shown})"


@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def record(cls: type[T]) -> type[T]:
    """The class as a dataclass with a field-wise ``__eq__``, ``__hash__`` and ``__repr__``."""
    made: Any = dataclass(eq=False, repr=False)(cls)
    own = fields(made)
    made.__record_eq__ = staticmethod(_getter([f.name for f in own if f.compare]))
    hashed = [f.name for f in own if (f.compare if f.hash is None else f.hash)]
    made.__record_hash__ = staticmethod(_getter(hashed))
    made.__record_repr__ = tuple(f.name for f in own if f.repr)
    for name, method in (("__eq__", _eq), ("__hash__", _hash), ("__repr__", _repr)):
        if name not in cls.__dict__:  # a class's own method wins, as with dataclass
            setattr(made, name, method)
    return made
