"""A one-enterprise report imports only what it runs (issue 16): not the table readers, the
column accounting nor the vectorised evaluator, which only the frame path (a table of
profiles, the batch) uses."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "profiles" / "examples"

PROBE = """
import sys
from importlib.util import _LazyModule
import matcher.cli
try:
    matcher.cli.main({argv!r})
except SystemExit:
    pass
names = {names!r}
loaded = [n for n in names if n in sys.modules and not isinstance(sys.modules[n], _LazyModule)]
print("LOADED", " ".join(loaded), file=sys.stderr)
"""

UNUSED = ("matcher.intake.readers", "matcher.intake.columns", "matcher.evaluate.vector")


def test_one_profile_report_imports_no_frame_path_module() -> None:
    argv = ["report", str(EXAMPLES / "beijing_software.yaml"), "--as-of", "2022-07-01"]
    code = PROBE.format(argv=argv, names=UNUSED)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    line = next(x for x in proc.stderr.splitlines() if x.startswith("LOADED"))
    assert line.split()[1:] == []
    assert "北京智码软件科技有限公司" in proc.stdout  # the probe ran the report
