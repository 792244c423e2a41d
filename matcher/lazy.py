"""Modules imported on first use, so that ``--help``, usage errors and a one-profile
report start fast.

polars, pydantic, numpy and rapidfuzz cost about half a second to import; the CLI
needs them only once a command runs, and a one-profile report never needs polars or
numpy. ``importlib.util.LazyLoader`` (standard library) defers executing a module
until one of its attributes is read.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import re
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any, cast


class _ThenHook(importlib.abc.Loader):
    """A loader that runs ``hook`` on the module once the real loader has executed it."""

    def __init__(self, loader: Any, hook: Callable[[ModuleType], None]) -> None:
        self.loader, self.hook = loader, hook

    def create_module(self, spec: Any) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        # the module's own loader again, for whatever reads __spec__.loader later
        module.__spec__.loader = self.loader  # type: ignore[union-attr]
        self.loader.exec_module(module)
        self.hook(module)


def lazy_module(name: str, on_load: Callable[[ModuleType], None] | None = None) -> ModuleType:
    """The module ``name``, executed on first attribute access (at once if already loaded);
    ``on_load`` runs once it is executed (at once if it already was)."""
    if name in sys.modules:
        module = sys.modules[name]
        if on_load is None:
            return module
        if type(module).__name__ == "_LazyModule":  # not executed yet
            spec = module.__spec__
            spec.loader = _ThenHook(spec.loader, on_load)  # type: ignore[union-attr]
        else:
            on_load(module)
        return module
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    inner = spec.loader if on_load is None else _ThenHook(spec.loader, on_load)
    loader = importlib.util.LazyLoader(inner)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


class LazyPattern:
    """A regular expression compiled on its first use, for the many module-level patterns a
    one-profile report never runs (a scope read from the memo needs none of the scope
    reader's). The first call of a method compiles the pattern and puts the compiled
    pattern's own methods on the instance, so every later call is a plain C method call."""

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern, self.flags = pattern, flags

    def _compiled(self) -> re.Pattern[str]:
        compiled: re.Pattern[str] | None = self.__dict__.get("_re")
        if compiled is None:
            compiled = self.__dict__["_re"] = re.compile(self.pattern, self.flags)
            for name in _PATTERN_METHODS:
                self.__dict__[name] = getattr(compiled, name)
        return compiled

    def __getattr__(self, name: str) -> Any:
        # Reached only before the first compile (the pattern's methods are then copied
        # onto the instance) and for the pattern's other attributes (groups, groupindex).
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._compiled(), name)


_PATTERN_METHODS = ("search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer")


def lazy_pattern(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """``re.compile(pattern, flags)`` on first use; only its methods and ``pattern`` may be
    used (not ``re.sub(p, …)`` nor an isinstance check)."""
    return cast("re.Pattern[str]", LazyPattern(pattern, flags))
