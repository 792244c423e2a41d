"""policy-match: policies find the enterprises (政策找人)."""

__version__ = "0.1.0"
