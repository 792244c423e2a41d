"""policy-match vs a hand-written polars script, the same thirteen ordinary rules (issue 16).

    python bench/compare_handwritten.py                    # N = 1M (generated once into bench/data/)
    python bench/compare_handwritten.py --rows 100000 --write-results

In one run, each in a fresh child process (wall, CPU and peak RSS from os.wait4, as
bench/run.py measures): the script (bench/handwritten.py), then policy-match with only
bench/rules_ordinary/ — the full report and `--brief` — all reading the same CSV and
writing a CSV. Then how many results of each status each side found, per rule (the
script simplifies size, region and ambiguity; see its docstring), and the ratios
against the target: policy-match within 2× of the script.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run as bench  # noqa: E402  (bench/run.py: measure, data, machine, results)

RULES = HERE / "rules_ordinary"
TARGET = 2.0


def statuses(path: Path) -> dict[tuple[str, str], int]:
    """(rule, status) → count, read from a report CSV."""
    import polars as pl

    frame = pl.scan_csv(path, infer_schema=False)
    names = frame.collect_schema().names()
    rule = next(c for c in ("rule_id", "政策编号", "Rule ID", "rule id") if c in names)
    status = next(c for c in ("status", "匹配结果", "Status", "result") if c in names)
    got = frame.group_by(rule, status).len().collect().rows()
    zh = {"符合": "eligible", "不符合": "ineligible", "待补充信息": "unknown"}
    return {(r, zh.get(s, s)): n for r, s, n in got}


def counts_table(hand: dict, proj: dict) -> str:
    rules = sorted({r for r, _ in hand} | {r for r, _ in proj})
    lines = [
        "| rule | eligible (script / policy-match) | unknown | ineligible |",
        "|---|---:|---:|---:|",
    ]
    for r in rules:
        cells = [f"{hand.get((r, s), 0):,} / {proj.get((r, s), 0):,}" for s in STATUSES]
        lines.append(f"| {r} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


STATUSES = ("eligible", "unknown", "ineligible")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--as-of", default=bench.DEFAULT_AS_OF)
    ap.add_argument("--timeout", type=float, default=1800)
    ap.add_argument("--mem-cap-gb", type=float, default=8)
    ap.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="rounds, the three runs interleaved in each; the fastest of each is compared "
        "(single runs on a shared 2-core machine vary by half)",
    )
    ap.add_argument("--write-results", action="store_true")
    args = ap.parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    src, _ = bench.ensure_data(args.rows, args.seed, "csv", regenerate=False)
    mach = bench.machine()
    opts = {"timeout": args.timeout, "mem_cap_mb": args.mem_cap_gb * 1024}
    work = Path(tempfile.mkdtemp(prefix="compare_", dir=bench.DATA))
    hand_out, full_out, brief_out = work / "hand.csv", work / "full.csv", work / "brief.csv"
    project = [*bench.cli(), "batch", str(src), "--as-of", args.as_of]
    project += ["--rules", str(RULES), "--only-rules"]
    runs = {
        "hand-written polars": [
            sys.executable,
            str(HERE / "handwritten.py"),
            str(src),
            str(hand_out),
        ],
        "policy-match batch (full report)": [*project, "--out", str(full_out)],
        "policy-match batch --brief": [*project, "--brief", "--out", str(brief_out)],
    }
    every: dict[str, list[bench.Run]] = {name: [] for name in runs}
    for round_ in range(max(args.repeat, 1)):
        for k, (name, cmd) in enumerate(runs.items()):
            if every[name] and not every[name][-1].ok:
                continue  # a failed command is not run again
            bench.say(f"{name} (round {round_ + 1}): {shlex.join(cmd)}")
            r = bench.measure(cmd, log=work / f"{k}.log", **opts)
            every[name].append(r)
            bench.say(
                f"  {r.wall:.1f} s wall, {r.cpu:.1f} s CPU, {r.peak_mb:,.0f} MB"
                if r.ok
                else r.failure()
            )
    measured = {
        name: r[-1] if not r[-1].ok else min(r, key=lambda x: x.wall) for name, r in every.items()
    }
    base = measured["hand-written polars"]
    lines = [
        f"## {started:%Y-%m-%d %H:%M} — `python bench/compare_handwritten.py "
        f"{shlex.join(argv if argv is not None else sys.argv[1:])}`",
        "",
        f"Machine: {mach['cpu']}, {mach['cores']} cores; Python {mach['python']}, polars "
        f"{mach['polars']}; commit {mach['commit']}; **load average at start {mach['load']}** "
        "(shared machine). "
        f"{args.rows:,} generated profiles (seed {args.seed}) × the 13 rules of "
        "bench/rules_ordinary/, CSV in → ranked CSV out, as of " + args.as_of + ".",
        "",
        f"Fastest of {max(args.repeat, 1)} interleaved round(s) for each run (all walls listed).",
        "",
        "| run | wall s | CPU s | peak MB | output MB | ÷ script (wall) | every wall s |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    outs = {"hand-written polars": hand_out}
    outs |= {"policy-match batch (full report)": full_out, "policy-match batch --brief": brief_out}
    for name, r in measured.items():
        size = outs[name].stat().st_size / 1e6 if outs[name].exists() else 0
        ratio = f"{r.wall / base.wall:.2f}×" if r.ok and base.ok else "—"
        wall = f"{r.wall:.1f}" if r.ok else f"failed: {r.failure(3)}"
        walls = ", ".join(f"{x.wall:.1f}" for x in every[name] if x.ok)
        lines.append(
            f"| {name} | {wall} | {r.cpu:.1f} | {r.peak_mb:,.0f} | {size:,.0f} | {ratio} "
            f"| {walls} |"
        )
    if base.ok and measured["policy-match batch (full report)"].ok:
        lines += ["", "Results per rule (script / policy-match, full report):", ""]
        lines.append(counts_table(statuses(hand_out), statuses(full_out)))
        verdict = [
            f"- {name}: {r.wall / base.wall:.2f}× the script — target ≤ {TARGET}×: "
            + ("met" if r.wall / base.wall <= TARGET else "NOT met")
            for name, r in measured.items()
            if name != "hand-written polars" and r.ok
        ]
        lines += ["", "Target (issue 16: the project within 2× of the script, end to end):", ""]
        lines += verdict
    text = "\n".join(lines) + "\n"
    print(text)
    for p in (hand_out, full_out, brief_out):
        p.unlink(missing_ok=True)
    if args.write_results:
        bench.append_results(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
