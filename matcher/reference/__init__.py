"""Reference data and fuzzy resolution: GB/T 4754-2017 industries, 民政部 divisions, size standard.

Modules: ``data`` (locating and loading the bundled tables), ``resolution`` (the Resolution
result), ``industry``, ``regions`` and ``size``. Import the functions from those modules.
"""

from matcher.reference.resolution import Resolution

__all__ = ["Resolution"]
