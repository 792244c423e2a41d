"""polars, configured once for matcher's portfolio work: ``from matcher.frame import pl``.

Imported on first use (matcher/lazy.py): a one-profile report never touches polars.
"""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING


def _configure(polars: ModuleType) -> None:
    # Portfolios are worked in bounded chunks: on those polars' in-memory engine is
    # 15–40% faster than the streaming default of polars 2 (bench/RESULTS.md). Files
    # are still read in streaming batches (api.iter_raw_chunks asks for it).
    polars.Config.set_engine_affinity("in-memory")


if TYPE_CHECKING:
    import polars as pl
else:
    from matcher.lazy import lazy_module

    pl = lazy_module("polars", on_load=_configure)

__all__ = ["pl"]
