"""policy-match: policies find the enterprises (政策找人)."""

# No heavy imports here: every ``matcher.*`` import runs this file, and the CLI's
# --help must not pay for polars (see matcher/lazy.py, matcher/frame.py).

__version__ = "0.1.0"
