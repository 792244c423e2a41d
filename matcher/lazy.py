"""Modules imported on first use, so that ``--help`` and usage errors start fast.

polars, pydantic, numpy and rapidfuzz cost about half a second to import; the CLI
needs them only once a command runs. ``importlib.util.LazyLoader`` (standard
library) defers executing a module until one of its attributes is read.
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """The module ``name``, executed on first attribute access (at once if already loaded)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:
        raise ModuleNotFoundError(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module
