"""Start-up time of the command line (issue 16): median of 7 fresh processes per command.

    python bench/bench_startup.py                  # prints the table
    python bench/bench_startup.py --write-results  # … and appends it to bench/RESULTS.md

Each command runs in a new process (subprocess, wall time by time.perf_counter), after
one unmeasured run that warms the disk cache and writes the caches a first run writes
(bytecode, the industry model). Targets: --help under 0.25 s, a one-enterprise report
under 0.5 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402  (bench/run.py: the console script, machine, results)

PROFILE = ROOT / "profiles" / "examples" / "beijing_software.yaml"
COMMANDS: list[tuple[str, list[str], float | None]] = [
    ("policy-match --help", ["--help"], 0.25),
    ("usage error (unknown option)", ["batch", "--no-such-option"], 0.25),
    ("report, one enterprise (YAML)", ["report", str(PROFILE), "--as-of", "2022-07-01"], 0.5),
]


# An installed package has its bytecode (pip compiles it); with PYTHONDONTWRITEBYTECODE
# set, as in some shells, every run would compile matcher's modules again (0.3 s).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall, CPU) seconds of one run; CPU (user + system) varies less with the load."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=ROOT, env=ENV
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--write-results", action="store_true")
    args = ap.parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"## {started:%Y-%m-%d %H:%M} — start-up, `python bench/bench_startup.py`",
        "",
        f"Commit {bench.machine()['commit']}; load average at start {load} "
        f"(2 cores, shared with other sessions); median of {args.repeat} fresh processes.",
        "",
        "| command | median s | min s | max s | median CPU s | target s | met |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, extra, target in COMMANDS:
        cmd = [*bench.cli(), *extra]
        timed(cmd)  # warm-up, not counted
        runs = [timed(cmd) for _ in range(args.repeat)]
        times = [w for w, _ in runs]
        med, cpu = statistics.median(times), statistics.median(c for _, c in runs)
        met = "—" if target is None else ("yes" if med < target else "NO")
        lines.append(
            f"| {name} | {med:.3f} | {min(times):.3f} | {max(times):.3f} | {cpu:.3f} | "
            f"{target if target is not None else '—'} | {met} |"
        )
        print(lines[-1], file=sys.stderr, flush=True)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write_results:
        bench.append_results(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
