"""POST /api/match under 50 concurrent clients (issue 14): p50/p99 latency and throughput.

    python bench/bench_api.py                    # 50 clients, 20 s after a 3 s warm-up
    python bench/bench_api.py --clients 50 --seconds 30 --write-results

Starts `policy-match serve` (one uvicorn process, 127.0.0.1) in a child process, then
drives it from this process with asyncio + httpx: each client posts one profile after
another (the demo portfolio's 26 enterprises in turn) for a bounded time. Latency is
measured per request from send to the whole response read; requests still in flight at
the end are waited for and counted. The goal is p99 < 100 ms on 2 cores. The clients run
on the same cores as the server, so the numbers include their cost.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import datetime as dt
import os
import shlex
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
GOAL_P99_MS = 100.0


def profiles() -> list[dict[str, str]]:
    with (ROOT / "profiles" / "demo.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    return [{k: v for k, v in r.items() if v and k != "联系人"} for r in rows]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(port: int, as_of: str) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "matcher", "serve", "--port", str(port), "--as-of", as_of],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/rules", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start within 60 s")


async def client(
    http: httpx.AsyncClient,
    bodies: list[dict[str, str]],
    offset: int,
    until: float,
    record: list[float] | None,
    failures: list[str],
) -> None:
    i = offset
    while time.monotonic() < until:
        body = {"profile": bodies[i % len(bodies)]}
        i += 1
        t0 = time.perf_counter()
        try:
            r = await http.post("/api/match", json=body)
            ok = r.status_code == 200 and r.json()["results"]
        except httpx.HTTPError as exc:
            failures.append(type(exc).__name__)
            continue
        elapsed = time.perf_counter() - t0
        if not ok:
            failures.append(str(r.status_code))
        elif record is not None:
            record.append(elapsed)


async def drive(port: int, clients: int, warmup: float, seconds: float) -> dict[str, Any]:
    bodies = profiles()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60
    ) as http:
        failures: list[str] = []
        end = time.monotonic() + warmup
        await asyncio.gather(
            *(client(http, bodies, c, end, None, failures) for c in range(clients))
        )
        latencies: list[float] = []
        start = time.monotonic()
        end = start + seconds
        await asyncio.gather(
            *(client(http, bodies, c, end, latencies, failures) for c in range(clients))
        )
        wall = time.monotonic() - start
    ms = sorted(x * 1000 for x in latencies)
    q = statistics.quantiles(ms, n=100, method="inclusive")
    kinds = ", ".join(f"{k} × {n}" for k, n in Counter(failures).most_common()) or "none"
    return {
        "failure_kinds": kinds,
        "requests": len(ms),
        "failures": len(failures),
        "wall": wall,
        "throughput": len(ms) / wall,
        "p50": q[49],
        "p90": q[89],
        "p99": q[98],
        "max": ms[-1],
    }


def render(args: argparse.Namespace, r: dict[str, Any], load: str, now: dt.datetime) -> str:
    import platform

    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "unknown",
    )
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    verdict = "yes" if r["p99"] < GOAL_P99_MS else "NO"
    return "\n".join(
        [
            f"## {now:%Y-%m-%d %H:%M} — API latency, `python bench/bench_api.py {shlex.join(args.argv)}`",
            "",
            f"Machine: {cpu}, {os.cpu_count()} cores; Python {platform.python_version()}; "
            f"commit {commit}; load average at start {load} (the machine is shared with other "
            "sessions' work, and the load generator runs on the same two cores as the server).",
            f"One `policy-match serve` process (uvicorn, one worker), as of {args.as_of}; "
            f"{args.clients} concurrent keep-alive clients (httpx, asyncio) posting the demo "
            f"portfolio's profiles in turn to `POST /api/match`; {args.warmup:.0f} s warm-up, "
            f"then {args.seconds:.0f} s measured.",
            "",
            "| clients | requests | failures | throughput req/s | p50 ms | p90 ms | p99 ms | max ms |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {args.clients} | {r['requests']:,} | {r['failures']} | {r['throughput']:.1f} | "
            f"{r['p50']:.0f} | {r['p90']:.0f} | {r['p99']:.0f} | {r['max']:.0f} |",
            "",
            f"Failures (counted from the warm-up on): {r['failure_kinds']}. "
            f"Goal p99 < {GOAL_P99_MS:.0f} ms with {args.clients} clients: {verdict}.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--as-of", default="2022-07-01")
    parser.add_argument("--write-results", action="store_true")
    args = parser.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else argv
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    now = dt.datetime.now()
    port = free_port()
    proc = start(port, args.as_of)
    try:
        result = asyncio.run(drive(port, args.clients, args.warmup, args.seconds))
    finally:
        proc.kill()
        proc.wait(10)
    text = render(args, result, load, now)
    print(text)
    if args.write_results:
        with RESULTS.open("a", encoding="utf-8") as fh:
            fh.write("\n" + text)


if __name__ == "__main__":
    main()
