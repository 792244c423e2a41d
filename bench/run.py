"""The portfolio benchmark of issue 4: batch vs row evaluator vs the I/O floor.

    python bench/run.py                       # N = 10k, 100k, 1M
    python bench/run.py --quick               # N = 10k only
    python bench/run.py --sizes 10000,100000 --write-results
    python bench/run.py --sizes 1000000 --batch-args="--only 符合,待补充信息"
    python bench/run.py --sizes 10000 --parquet5m

For each N it generates a seeded portfolio into bench/data/ (git-ignored; reused when
present) and measures, every measurement in a fresh child process so that wall time and
peak memory (``os.wait4`` rusage of that child) belong to that run alone:

(a) ``policy-match batch IN.csv --out OUT.csv``: the real command line, end to end;
(b) the row evaluator on the same rows: ``matcher.api.load_portfolio``, then
    ``matcher.batch.match_row`` on an evenly spaced sample, extrapolated to N (the
    load is timed and shown apart; (b) is the evaluation alone);
(c) the I/O floor: polars reads the same CSV (every column a string) and writes a CSV
    with the report's number of rows, its columns and about its bytes per cell (input
    cells, concatenated where report cells are wider), with no evaluation.

Every child runs under a memory cap and a timeout (``--mem-cap-gb``, ``--timeout``): a run
over the cap is killed and reported as such instead of taking the machine down. Reports
are deleted once measured (``--keep`` keeps them); a report that would not fit on the disk
is not attempted. See bench/README.md for the targets.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
RESULTS = HERE / "RESULTS.md"
DEFAULT_SIZES = "10000,100000,1000000"
DEFAULT_AS_OF = "2022-07-01"
DEFAULT_FIND_RULE = "bj-grad-expansion-subsidy"

# The targets of issue 4, tightened by issue 16: (a)/(c) at 1M is 1.5× for the full report
# and 3× for `--brief` (issue 4's 3× for every report).
TARGET_FLOOR_RATIO = 1.5
TARGET_FLOOR_RATIO_BRIEF = 3.0
TARGET_ROW_RATIO = 20.0  # (b)/(a) at 100k
TARGET_PEAK_1M_MB = 2048
TARGET_PEAK_5M_MB = 3072


# --------------------------------------------------------------------------------------
# Running one child and measuring it
# --------------------------------------------------------------------------------------


@dataclass
class Run:
    cmd: list[str]
    wall: float = 0.0
    cpu: float = 0.0  # user + system seconds of the child
    peak_mb: float = 0.0
    returncode: int | None = None
    killed: str | None = None  # why the runner stopped it
    log: Path | None = None
    stdout: str = ""

    @property
    def ok(self) -> bool:
        # batch exits 3 when it completed but some input rows were rejected
        return self.killed is None and self.returncode in (0, 3)

    def failure(self, lines: int = 12) -> str:
        if self.killed:
            return self.killed
        tail = ""
        if self.log is not None and self.log.exists():
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        if self.returncode is not None and self.returncode < 0:
            name = signal.Signals(-self.returncode).name
            return f"killed by {name} from outside the runner (the OOM killer, or a pkill): {tail}"
        return f"exit {self.returncode}: {tail}"


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measure(cmd: list[str], *, timeout: float, mem_cap_mb: float, log: Path) -> Run:
    """Run `cmd` to completion: wall time, CPU time and peak RSS of that run alone.

    The command is started by a small launcher (this script, ``_measure``), not by this
    process: Linux carries the RSS of the process that forks into the child's ``ru_maxrss``,
    and this process may hold a report sample in memory, the launcher holds nothing.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    result = log.with_suffix(".json")
    result.unlink(missing_ok=True)
    # The command goes in a file, not on the launcher's command line, so that a `pkill -f`
    # aimed at the command elsewhere on a shared machine cannot take the launcher with it.
    spec = log.with_suffix(".cmd.json")
    spec.write_text(json.dumps([str(c) for c in cmd], ensure_ascii=False), encoding="utf-8")
    launcher = [
        sys.executable,
        "-S",
        __file__,
        "_measure",
        str(timeout),
        str(mem_cap_mb),
        str(log),
        str(result),
        str(spec),
    ]
    subprocess.run(launcher, check=False, cwd=ROOT)
    run = Run(cmd=[str(c) for c in cmd], log=log)
    if not result.exists():
        run.killed = "the launcher failed"
        return run
    data = json.loads(result.read_text(encoding="utf-8"))
    run.wall, run.cpu, run.peak_mb = data["wall"], data["cpu"], data["peak_mb"]
    run.returncode, run.killed = data["returncode"], data["killed"]
    run.stdout = log.read_text(errors="replace") if log.exists() else ""
    return run


def launcher(timeout: float, mem_cap_mb: float, log: Path, result: Path, cmd: list[str]) -> None:
    """The ``_measure`` child: start `cmd`, watch it, reap it with os.wait4, write the figures."""
    killed: list[str] = []
    done = threading.Event()
    with log.open("wb") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)

        def watch() -> None:
            # Never reaps the child (os.wait4 below does): only reads /proc and kills.
            while not done.wait(0.05):
                if _rss_mb(proc.pid) > mem_cap_mb:
                    killed.append(f"killed by the runner: RSS above the {mem_cap_mb:,.0f} MB cap")
                elif time.perf_counter() - t0 > timeout:
                    killed.append(f"killed by the runner: still running after {timeout:,.0f} s")
                else:
                    continue
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGKILL)
                return

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        watcher.join()
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
    figures = {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,  # KiB on Linux
        "returncode": proc.returncode,  # negative: killed by that signal
        "killed": killed[0] if killed else None,
    }
    result.write_text(json.dumps(figures), encoding="utf-8")


def best(cmd: list[str], repeat: int, **opts) -> Run:
    """The fastest of `repeat` runs (the machine may be shared; the minimum is the least noisy)."""
    runs = []
    for _ in range(max(repeat, 1)):
        run = measure(cmd, **opts)
        runs.append(run)
        if not run.ok:
            return run
    return min(runs, key=lambda r: r.wall)


def cli() -> list[str]:
    """The installed console script, else the module."""
    exe = shutil.which("policy-match")
    return [exe] if exe else [sys.executable, "-m", "matcher"]


# --------------------------------------------------------------------------------------
# Children run by this script itself (python bench/run.py _floor|_rows …)
# --------------------------------------------------------------------------------------


def child_floor(src: str, plan_path: str, dst: str) -> None:
    """(c): read the CSV as strings, write a CSV of the report's shape, nothing else."""
    import polars as pl

    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    frame = pl.read_csv(src, infer_schema=False)
    out = frame.select(
        pl.concat_str([pl.col(c) for c in cols], separator="|", ignore_nulls=True).alias(name)
        if len(cols) > 1
        else pl.col(cols[0]).alias(name)
        for name, cols in plan["columns"]
    )
    # Written exactly the way batch writes (matcher.api._write_chunk into a DirectFile:
    # O_DIRECT where the file system takes it, else pages dropped as they go): the floor
    # must not pay a cost the product avoids, nor avoid one the product pays.
    from matcher.api import _write_chunk
    from matcher.report.files import DirectFile

    rows = int(plan["rows"])
    fh = DirectFile(Path(dst))
    try:
        written, first = 0, True
        while first or written < rows:
            part = out if rows - written >= out.height else out.head(rows - written)
            _write_chunk(part, fh, first)
            written += part.height
            first = False
            if out.height == 0:
                break
    finally:
        fh.close()


def child_rows(src: str, sample: str, as_of: str, rule_dir: str) -> None:
    """(b): load with the library, then the row evaluator on an evenly spaced sample."""
    from matcher.api import load_portfolio, load_ruleset
    from matcher.batch import match_row

    date = dt.date.fromisoformat(as_of)
    rules = load_ruleset([Path(rule_dir)] if rule_dir else [], replace=bool(rule_dir)).rules
    t0 = time.perf_counter()
    portfolio = load_portfolio(Path(src))
    load_s = time.perf_counter() - t0
    frame = portfolio.frame
    k = min(int(sample), frame.height)
    step = max(frame.height // max(k, 1), 1)
    rows = list(frame.gather_every(step).head(k).iter_rows(named=True))
    t0 = time.perf_counter()
    for row in rows:
        match_row(row, rules, date)
    eval_s = time.perf_counter() - t0
    print(
        "RESULT "
        + json.dumps(
            {
                "load_s": load_s,
                "eval_s": eval_s,
                "sample": len(rows),
                "matched": portfolio.matched,
                "read": portfolio.read,
                "rejected": portfolio.rejected,
                "rules": len(rules),
            }
        )
    )


def _child_result(run: Run) -> dict:
    for line in reversed(run.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return {}


# --------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------


@dataclass
class Row:
    n: int
    rules: int | None = None
    report_rows: int | None = None
    report_mb: float | None = None
    floor_mb: float | None = None
    gen_s: float | None = None
    batch: Run | None = None
    floor: Run | None = None
    rows: Run | None = None
    row_load_s: float | None = None
    row_eval_s: float | None = None  # extrapolated to N
    row_sample: int | None = None
    find: Run | None = None
    find_batch: Run | None = None
    notes: list[str] = field(default_factory=list)
    label: str = ""  # shown instead of N when set


def data_file(n: int, seed: int, fmt: str = "csv") -> Path:
    return DATA / f"profiles_{n}_s{seed}.{fmt}"


def ensure_data(n: int, seed: int, fmt: str, regenerate: bool) -> tuple[Path, float | None]:
    path = data_file(n, seed, fmt)
    if path.exists() and not regenerate:
        return path, None
    sys.path.insert(0, str(HERE))
    import generate

    t0 = time.perf_counter()
    generate.write(n, path, seed=seed, fmt=fmt)
    return path, time.perf_counter() - t0


def report_shape(path: Path, sample_rows: int = 20_000) -> tuple[int, list[str], dict[str, float]]:
    """Rows, columns and mean bytes per cell (from the first rows) of a CSV report."""
    import polars as pl

    rows = pl.scan_csv(path, infer_schema=False).select(pl.len()).collect().item()
    head = pl.read_csv(path, infer_schema=False, n_rows=sample_rows)
    widths = head.select(pl.all().fill_null("").str.len_bytes().mean()).row(0, named=True)
    return rows, head.columns, {k: float(v or 0.0) for k, v in widths.items()}


def floor_plan(src: Path, report_cols: list[str], widths: dict[str, float]) -> dict:
    """For each report column, input columns whose cells together are about as wide.

    Greedy: keep adding the input column that brings the total closest to the report
    column's mean width (a column may repeat), so narrow report columns get narrow input
    columns and wide ones get several; the file written has about the report's bytes.
    """
    import polars as pl

    head = pl.read_csv(src, infer_schema=False, n_rows=20_000)
    in_w = {
        c: float(w or 0.0)
        for c, w in head.select(pl.all().fill_null("").str.len_bytes().mean())
        .row(0, named=True)
        .items()
    }
    plan = []
    for col in report_cols:
        target, got, cols = widths[col], 0.0, []
        while len(cols) < 40:
            sep = 1.0 if cols else 0.0
            best = min(in_w, key=lambda c: abs(got + sep + in_w[c] - target))
            if cols and abs(got + sep + in_w[best] - target) >= abs(got - target):
                break
            cols.append(best)
            got += sep + in_w[best]
        plan.append([col, cols])
    return {"columns": plan}


def rule_count() -> int | None:
    try:
        from matcher.api import load_ruleset

        return len(load_ruleset().rules)
    except Exception:  # the package may be mid-edit; the report tells us too
        return None


def one_rule_dir(rule_id: str) -> Path:
    src = ROOT / "rules" / f"{rule_id}.yaml"
    if not src.exists():
        raise SystemExit(f"rule file {src} not found (--find-rule)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-rule-", dir=DATA))
    shutil.copy(src, tmp / src.name)
    return tmp


def batch_has_option(option: str) -> bool:
    try:
        text = subprocess.run(
            [*cli(), "batch", "--help"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "COLUMNS": "200"},
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return option in text


def free_disk_mb(path: Path) -> float:
    return shutil.disk_usage(path).free / 1e6


def report_too_big(n: int, mb_per_row: float | None, args: argparse.Namespace) -> str | None:
    """Why a report of N rows (estimated from a smaller run) should not be written, if so."""
    if mb_per_row is None:
        return None
    need = mb_per_row * n
    free = free_disk_mb(DATA)
    limit = min(args.max_report_gb * 1e3, free - 2_000)
    if need <= limit:
        return None
    return (
        f"its report would be about {need / 1e3:,.1f} GB (from the smaller run), above "
        f"--max-report-gb {args.max_report_gb:g} or the {free / 1e3:,.0f} GB free on the disk; "
        'measure a narrower report with --batch-args="--brief" or --batch-args="--only 符合,待补充信息"'
    )


def bench_size(n: int, args: argparse.Namespace, mb_per_row: float | None) -> Row:
    row = Row(n=n)
    src, row.gen_s = ensure_data(n, args.seed, "csv", args.regenerate)
    report = DATA / f"report_{n}.csv"
    floor_out = DATA / f"floor_{n}.csv"
    logs = DATA / "logs"
    opts = dict(timeout=args.timeout, mem_cap_mb=args.mem_cap_gb * 1024)
    extra = args.batch_args.split() if args.batch_args else []

    too_big = report_too_big(n, mb_per_row, args)
    if too_big:
        row.notes.append(f"(a) and (c) not run: {too_big}")
    else:
        # (a) batch, end to end
        say(f"N={n:,}: (a) batch …")
        cmd = [*cli(), "batch", src, "--out", report, "--as-of", args.as_of, *extra]
        row.batch = best(cmd, args.repeat, log=logs / f"batch_{n}.log", **opts)
        measure_floor(row, src, report, floor_out, args, opts)

    # (b) the row evaluator on the same rows
    if not args.no_rows:
        say(f"N={n:,}: (b) row evaluator on a sample of {args.sample:,} …")
        cmd = [sys.executable, __file__, "_rows", src, str(args.sample), args.as_of, ""]
        row.rows = measure(cmd, log=logs / f"rows_{n}.log", **opts)
        res = _child_result(row.rows)
        if row.rows.ok and res:
            row.rules = res["rules"]
            row.row_load_s = res["load_s"]
            row.row_sample = res["sample"]
            if res["sample"]:
                row.row_eval_s = res["eval_s"] / res["sample"] * res["matched"]
            if res["read"] != res["matched"] + res["rejected"]:
                row.notes.append(
                    f"load_portfolio: read {res['read']} ≠ matched {res['matched']} + "
                    f"rejected {res['rejected']}"
                )
        else:
            row.notes.append(f"row evaluator failed: {row.rows.failure()}")
    if row.rules is None:
        row.rules = rule_count()

    # find vs a batch restricted to that rule
    if args.find_rule:
        say(f"N={n:,}: find {args.find_rule} vs batch restricted to it …")
        calls = DATA / f"calls_{n}.csv"
        one = DATA / f"one_rule_{n}.csv"
        cmd = [*cli(), "find", args.find_rule, src, "--out", calls, "--as-of", args.as_of]
        row.find = best(cmd, args.repeat, log=logs / f"find_{n}.log", **opts)
        if batch_has_option("--rules-only"):
            restrict = ["--rules-only", args.find_rule]
        else:
            restrict = ["--only-rules", "--rules", str(one_rule_dir(args.find_rule))]
        cmd = [*cli(), "batch", src, "--out", one, "--as-of", args.as_of, *restrict]
        row.find_batch = best(cmd, args.repeat, log=logs / f"find_batch_{n}.log", **opts)
        for run, what in ((row.find, "find"), (row.find_batch, "restricted batch")):
            if not run.ok:
                row.notes.append(f"{what} failed: {run.failure()}")
        for p in (calls, one):
            p.unlink(missing_ok=True)
    return row


def measure_floor(
    row: Row, src: Path, report: Path, floor_out: Path, args: argparse.Namespace, opts: dict
) -> None:
    """The report's shape, then (c) the I/O floor for that shape."""
    n, logs = row.n, DATA / "logs"
    if row.batch is None or not row.batch.ok or not report.exists():
        row.notes.append(f"batch failed: {row.batch.failure() if row.batch else 'not run'}")
        report.unlink(missing_ok=True)
        return
    row.report_rows, cols, widths = report_shape(report)
    row.report_mb = report.stat().st_size / 1e6
    plan = {"rows": row.report_rows, **floor_plan(src, cols, widths)}
    plan_path = logs / f"floor_plan_{n}.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    if not args.keep:
        report.unlink()
    say(f"N={n:,}: (c) I/O floor …")
    cmd = [sys.executable, __file__, "_floor", src, plan_path, floor_out]
    row.floor = best(cmd, args.repeat, log=logs / f"floor_{n}.log", **opts)
    if floor_out.exists():
        row.floor_mb = floor_out.stat().st_size / 1e6
        floor_out.unlink()


def bench_parquet5m(args: argparse.Namespace, mb_per_row: float | None) -> Row:
    n = 5_000_000
    row = Row(n=n, label="5,000,000 (Parquet)")
    say(
        "5M Parquet: generating …"
        if not data_file(n, args.seed, "parquet").exists()
        else "5M Parquet …"
    )
    src, row.gen_s = ensure_data(n, args.seed, "parquet", args.regenerate)
    extra = args.batch_args.split() if args.batch_args else []
    too_big = report_too_big(n, mb_per_row, args)
    if too_big:
        row.notes.append(f"batch not run: {too_big}")
        return row
    out = DATA / "report_5m.csv"
    say("5M Parquet: batch …")
    cmd = [*cli(), "batch", src, "--out", out, "--as-of", args.as_of, *extra]
    row.batch = measure(
        cmd,
        timeout=args.timeout * 5,
        mem_cap_mb=args.mem_cap_gb * 1024,
        log=DATA / "logs" / "batch_5m.log",
    )
    if row.batch.ok and out.exists():
        row.report_mb = out.stat().st_size / 1e6
        import polars as pl

        row.report_rows = pl.scan_csv(out, infer_schema=False).select(pl.len()).collect().item()
        if not args.keep:
            out.unlink()
    else:
        row.notes.append(f"batch failed: {row.batch.failure()}")
        out.unlink(missing_ok=True)
    row.rules = rule_count()
    return row


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _s(x: float | None) -> str:
    return "—" if x is None else (f"{x:,.2f}" if x < 100 else f"{x:,.0f}")


def _rate(n: int, rules: int | None, seconds: float | None) -> str:
    if not rules or not seconds:
        return "—"
    r = n * rules / seconds
    return f"{r / 1e6:,.1f} M" if r >= 1e6 else f"{r / 1e3:,.0f} k"


def _count(x: int | None) -> str:
    return "—" if x is None else f"{x:,}"


def _mb(run: Run | None) -> str:
    return "—" if run is None or run.peak_mb == 0 else f"{run.peak_mb:,.0f}"


def _wall(run: Run | None) -> float | None:
    return run.wall if run is not None and run.ok else None


def table(rows: list[Row]) -> str:
    head = (
        "| N | rules | report rows | report MB | (a) batch s | (a) cpu s | (a) peak MB "
        "| (b) row eval s | (b) load s | (c) floor s | (c) MB written | (c) peak MB "
        "| (a) rows×rules/s | (b) rows×rules/s | (a)/(c) | (b)/(a) |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    lines = [head]
    for r in rows:
        a, c = _wall(r.batch), _wall(r.floor)
        b = r.row_eval_s
        ac = f"{a / c:,.1f}×" if a and c else "—"
        ba = f"{b / a:,.1f}×" if a and b else "—"
        lines.append(
            f"| {r.label or f'{r.n:,}'} | {r.rules or '—'} | {_count(r.report_rows)} "
            f"| {_s(r.report_mb)} "
            f"| {_s(a)} | {_s(r.batch.cpu if r.batch and r.batch.ok else None)} | {_mb(r.batch)} "
            f"| {_s(b)} | {_s(r.row_load_s)} | {_s(c)} | {_s(r.floor_mb)} | {_mb(r.floor)} "
            f"| {_rate(r.n, r.rules, a)} | {_rate(r.n, r.rules, b)} | {ac} | {ba} |"
        )
    return "\n".join(lines)


def find_table(rows: list[Row]) -> str:
    runs = [r for r in rows if r.find is not None]
    if not runs:
        return ""
    lines = [
        "| N | find s | find peak MB | batch of that rule s | its peak MB | find / batch |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        f, b = _wall(r.find), _wall(r.find_batch)
        ratio = f"{f / b:,.2f}" if f and b else "—"
        lines.append(
            f"| {r.n:,} | {_s(f)} | {_mb(r.find)} | {_s(b)} | {_mb(r.find_batch)} | {ratio} |"
        )
    return "\n".join(lines)


def verdicts(rows: list[Row], p5: Row | None, brief: bool = False) -> list[str]:
    by_n = {r.n: r for r in rows}
    out = []
    r = by_n.get(1_000_000)
    if r and _wall(r.batch) and _wall(r.floor):
        ratio = r.batch.wall / r.floor.wall
        target = TARGET_FLOOR_RATIO_BRIEF if brief else TARGET_FLOOR_RATIO
        report = "--brief" if brief else "full report"
        out.append(
            f"1M batch ({report}) within {target:g}× of the I/O floor: "
            f"{'yes' if ratio <= target else 'NO'} ({ratio:,.1f}×)"
        )
    if r and r.batch:
        if r.batch.ok:
            ok = r.batch.peak_mb < TARGET_PEAK_1M_MB
            out.append(
                f"1M peak memory under {TARGET_PEAK_1M_MB:,} MB: "
                f"{'yes' if ok else 'NO'} ({r.batch.peak_mb:,.0f} MB)"
            )
        else:
            out.append(f"1M batch did not complete: {r.batch.failure(3)}")
    r = by_n.get(100_000)
    if r and _wall(r.batch) and r.row_eval_s:
        ratio = r.row_eval_s / r.batch.wall
        out.append(
            f"100k vectorised ≥ {TARGET_ROW_RATIO:g}× faster than the row evaluator: "
            f"{'yes' if ratio >= TARGET_ROW_RATIO else 'NO'} ({ratio:,.1f}×)"
        )
    for r in rows:
        if _wall(r.find) and _wall(r.find_batch):
            ok = r.find.wall <= r.find_batch.wall
            out.append(
                f"find on {r.n:,} no slower than a batch of that rule: "
                f"{'yes' if ok else 'NO'} ({r.find.wall:,.2f} s vs {r.find_batch.wall:,.2f} s)"
            )
    if p5 is not None:
        if p5.batch and p5.batch.ok:
            ok = p5.batch.peak_mb < TARGET_PEAK_5M_MB
            out.append(
                f"5M Parquet completes with peak under {TARGET_PEAK_5M_MB:,} MB: "
                f"{'yes' if ok else 'NO'} ({p5.batch.peak_mb:,.0f} MB, {p5.batch.wall:,.0f} s, "
                f"{p5.report_rows or 0:,} report rows)"
            )
        else:
            why = p5.batch.failure(3) if p5.batch else "; ".join(p5.notes)
            out.append(f"5M Parquet did not complete: {why}")
    return out


def machine() -> dict[str, str]:
    import polars as pl

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        ram = f"{kb / 1024 / 1024:,.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    try:
        commit = (
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
            ).stdout.strip()
            or "none"
        )
    except OSError:
        commit = "unknown"
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "ram": ram,
        "python": platform.python_version(),
        "polars": pl.__version__,
        "os": f"{platform.system()} {platform.release()}",
        "commit": commit,
        "load": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def render(
    rows: list[Row],
    p5: Row | None,
    args: argparse.Namespace,
    mach: dict[str, str],
    started: dt.datetime,
) -> str:
    lines = [
        f"## {started:%Y-%m-%d %H:%M} — `python bench/run.py {shlex.join(args.argv)}`",
        "",
        f"Machine: {mach['cpu']}, {mach['cores']} cores, {mach['ram']} RAM; {mach['os']}; "
        f"Python {mach['python']}, polars {mach['polars']}; commit {mach['commit']} "
        f"(working tree as checked out); load average at start {mach['load']}.",
        f"Data: bench/generate.py, seed {args.seed}; as of {args.as_of}; "
        f"row-evaluator sample {args.sample:,} rows; fastest of {args.repeat} run(s)"
        + (f"; batch options `{args.batch_args}`" if args.batch_args else "")
        + ".",
        "",
        table(rows + ([p5] if p5 is not None and p5.batch is not None else [])),
    ]
    ft = find_table(rows)
    if ft:
        lines += ["", f"`find {args.find_rule}` vs `batch` restricted to that rule:", "", ft]
    v = verdicts(rows, p5, brief="--brief" in (args.batch_args or "").split())
    if v:
        lines += ["", "Targets:", ""] + [f"- {x}" for x in v]
    notes = [f"N={r.n:,}: {note}" for r in [*rows, *([p5] if p5 else [])] for note in r.notes]
    floors = [
        f"N={r.n:,}: floor wrote {r.floor_mb:,.0f} MB for a {r.report_mb:,.0f} MB report"
        for r in rows
        if r.floor_mb and r.report_mb and abs(r.floor_mb / r.report_mb - 1) > 0.15
    ]
    if notes or floors:
        lines += ["", "Notes:", ""] + [f"- {x}" for x in notes + floors]
    return "\n".join(lines) + "\n"


def append_results(text: str) -> None:
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmark results\n\nAppended by `python bench/run.py --write-results`; newest last. "
            "See bench/README.md for what each column measures.\n\n",
            encoding="utf-8",
        )
    with RESULTS.open("a", encoding="utf-8") as fh:
        fh.write("\n" + text)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "_measure":
        timeout, cap, log, result, spec = argv[1:6]
        cmd = json.loads(Path(spec).read_text(encoding="utf-8"))
        launcher(float(timeout), float(cap), Path(log), Path(result), cmd)
        return 0
    if argv and argv[0] == "_floor":
        child_floor(*argv[1:4])
        return 0
    if argv and argv[0] == "_rows":
        child_rows(*argv[1:5])
        return 0

    parser = argparse.ArgumentParser(
        description="Benchmark policy-match batch against the row evaluator and the I/O floor.",
        epilog="Example: python bench/run.py --sizes 10000,100000 --write-results",
    )
    parser.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"portfolio sizes (default {DEFAULT_SIZES})"
    )
    parser.add_argument("--quick", action="store_true", help="N = 10,000 only")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument(
        "--as-of", default=DEFAULT_AS_OF, help=f"evaluation date (default {DEFAULT_AS_OF})"
    )
    parser.add_argument("--sample", type=int, default=2_000, help="rows timed on the row evaluator")
    parser.add_argument(
        "--batch-args",
        default="",
        help='extra batch options, written with "=": --batch-args="--only 符合,待补充信息"',
    )
    parser.add_argument(
        "--find-rule",
        default=DEFAULT_FIND_RULE,
        help=f"rule for the find timing (default {DEFAULT_FIND_RULE}; '' to skip)",
    )
    parser.add_argument(
        "--parquet5m",
        action="store_true",
        help="also run the 5M-row Parquet portfolio through batch (streaming)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run (a), (c) and find this many times; keep the fastest",
    )
    parser.add_argument("--no-rows", action="store_true", help="skip (b), the row evaluator")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds per child (default 1800)"
    )
    parser.add_argument(
        "--mem-cap-gb", type=float, default=8.0, help="kill a child above this RSS (default 8 GB)"
    )
    parser.add_argument(
        "--max-report-gb",
        type=float,
        default=20.0,
        help="skip a batch whose report would be larger (default 20 GB)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the reports in bench/data/")
    parser.add_argument("--regenerate", action="store_true", help="regenerate the data files")
    parser.add_argument(
        "--write-results", action="store_true", help="append the results to bench/RESULTS.md"
    )
    args = parser.parse_args(argv)
    args.argv = argv
    sizes = (
        [10_000] if args.quick else sorted(int(s.replace("_", "")) for s in args.sizes.split(","))
    )
    DATA.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now()
    mach = machine()

    rows: list[Row] = []
    mb_per_row: float | None = None
    for n in sizes:
        row = bench_size(n, args, mb_per_row)
        rows.append(row)
        if row.report_mb:
            mb_per_row = row.report_mb / n
        print(table([row]).splitlines()[-1], file=sys.stderr, flush=True)
    p5 = bench_parquet5m(args, mb_per_row) if args.parquet5m else None
    for d in DATA.glob("bench-rule-*"):
        shutil.rmtree(d, ignore_errors=True)

    text = render(rows, p5, args, mach, started)
    print(text)
    if args.write_results:
        append_results(text)
        say(f"appended to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
