"""polars, configured once for matcher's portfolio work: ``from matcher.frame import pl``."""

import polars as pl

# Portfolios are worked in bounded chunks: on those polars' in-memory engine is
# 15–40% faster than the streaming default of polars 2 (bench/RESULTS.md). Files
# are still read in streaming batches (api.iter_raw_chunks asks for it).
pl.Config.set_engine_affinity("in-memory")

__all__ = ["pl"]
