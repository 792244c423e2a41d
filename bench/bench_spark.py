"""Issue 16: `batch --engine spark` (Spark local mode) over an N-row Parquet portfolio,
against the local polars batch on the same file.

    python bench/bench_spark.py                    # N = 1,000,000, bundled rules, --brief
    python bench/bench_spark.py --rows 100000 --master 'local[2]'

Both runs are the real command line in a child process; wall time and peak memory are
measured for the whole process tree (Spark's JVM and its Python workers included), by
sampling the resident memory of every descendant every 0.2 s. The portfolio is generated
by bench/generate.py into bench/data/ (reused when present). Both reports are `--brief`
(a full report at 1M is tens of GB); the check is an order-independent hash of every
report row (each row's cells as text, hashed, summed modulo 2^64) and the row count, so
the two reports are identical as sorted frames when the hashes agree.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import polars as pl

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
AS_OF = "2022-07-01"


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    page = os.sysconf("SC_PAGE_SIZE")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ppid, pages = int(fields[1]), int(fields[21])
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * page
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def measured(cmd: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Wall seconds, peak tree RSS in bytes, exit code."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    done.set()
    sampler.join()
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 3):
        sys.stderr.write(err.decode("utf-8", "replace")[-3000:])
    return wall, peak, proc.returncode


def report_hash(frames: pl.LazyFrame) -> tuple[int, int]:
    """(rows, sum of row hashes mod 2^64) over every row, cells as text, nulls as ''."""
    rows, total = 0, np.uint64(0)
    names = frames.collect_schema().names()
    text = frames.select(pl.col(n).cast(pl.String).fill_null("") for n in names)
    for batch in text.collect_batches(chunk_size=1_000_000):
        hashes = batch.hash_rows(seed=0).to_numpy()
        with np.errstate(over="ignore"):
            total = np.uint64(total + hashes.sum(dtype=np.uint64))
        rows += batch.height
    return rows, int(total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--master", default="local[*]")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    DATA.mkdir(parents=True, exist_ok=True)
    source = DATA / f"portfolio_{args.rows}_{args.seed}.parquet"
    if not source.exists():
        generate = [sys.executable, str(ROOT / "bench" / "generate.py"), str(args.rows)]
        seed = ["--seed", str(args.seed), "--format", "parquet"]
        subprocess.run([*generate, str(source), *seed], check=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYSPARK_PYTHON=sys.executable)
    cli = [sys.executable, "-m", "matcher.cli", "batch", str(source), "--as-of", AS_OF, "--brief"]
    with tempfile.TemporaryDirectory(dir=DATA) as tmp:
        local_out, spark_out = Path(tmp) / "local.csv", Path(tmp) / "spark"
        load = os.getloadavg()
        local = measured([*cli, "--out", str(local_out)], env)
        spark = measured(
            [*cli, "--engine", "spark", "--master", args.master, "--out", str(spark_out)], env
        )
        load_after = os.getloadavg()
        local_hash = report_hash(pl.scan_csv(local_out, infer_schema=False))
        spark_hash = report_hash(pl.scan_parquet(str(spark_out / "*.parquet")))
        parts = len(list(spark_out.glob("*.parquet")))
        shutil.rmtree(spark_out, ignore_errors=True)

    gib = 1024**3
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    print(f"load average before {load[0]:.1f}, after {load_after[0]:.1f}")
    print(f"rows: {args.rows:,} ({source.name}), master {args.master}, --brief, as of {AS_OF}")
    print(f"local polars batch: {local[0]:.1f} s, peak {local[1] / gib:.2f} GiB, exit {local[2]}")
    print(
        f"spark batch:        {spark[0]:.1f} s, peak {spark[1] / gib:.2f} GiB (JVM + workers), "
        f"exit {spark[2]}, {parts} part files"
    )
    print(f"report rows local {local_hash[0]:,}, spark {spark_hash[0]:,}")
    print(f"row-hash sum local {local_hash[1]:016x}, spark {spark_hash[1]:016x}")
    print("identical" if local_hash == spark_hash else "DIFFERENT")


if __name__ == "__main__":
    main()
