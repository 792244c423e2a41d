"""Killing the server mid-stream loses no submission it acknowledged."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

httpx = pytest.importorskip("httpx", reason="the web extra is not installed")
pytest.importorskip("uvicorn", reason="the web extra is not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path | None, port: int, *extra: str) -> subprocess.Popen[bytes]:
    """`policy-match serve` in a subprocess, returned once it answers."""
    stored = ["--data-dir", str(data_dir)] if data_dir is not None else []
    proc = subprocess.Popen(
        [
            *[sys.executable, "-m", "matcher", "serve", "--port", str(port)],
            *["--as-of", "2022-07-01", *stored, *extra],
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "server exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/rules", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("server did not start within 60 s")


def submit_stream(base: str, worker: int, acked: dict[int, str], stop: threading.Event) -> None:
    with httpx.Client(base_url=base, timeout=10) as client:
        try:
            client.get("/")
            token = client.cookies["pm_csrf"]
        except httpx.HTTPError:
            return
        n = 0
        while not stop.is_set():
            n += 1
            name = f"北京测试{worker}号{n}有限公司"
            try:
                r = client.post(
                    "/",
                    data={
                        "csrf_token": token,
                        "name": name,
                        "region": "北京市海淀区",
                        "grad_hires_local": "2",
                        "consent": "yes",
                    },
                )
            except httpx.HTTPError:
                return  # the server is gone: this one was never acknowledged
            found = re.search(r"提交编号 (\d+)", r.text)
            if r.status_code == 200 and found:
                acked[int(found.group(1))] = name


def test_acknowledged_submissions_survive_sigkill(tmp_path: Path) -> None:
    port = free_port()
    proc = start_server(tmp_path, port)
    acked: dict[int, str] = {}
    stop = threading.Event()
    workers = [
        threading.Thread(target=submit_stream, args=(f"http://127.0.0.1:{port}", i, acked, stop))
        for i in range(4)
    ]
    try:
        for w in workers:
            w.start()
        deadline = time.monotonic() + 30
        while len(acked) < 20 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)  # mid-stream: requests are in flight
        proc.wait(10)
    finally:
        stop.set()
        for w in workers:
            w.join(15)
        if proc.poll() is None:
            proc.kill()
    assert len(acked) >= 20, "too few submissions acknowledged before the kill"
    db = sqlite3.connect(tmp_path / "submissions.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = dict(db.execute("SELECT id, name FROM submissions").fetchall())
    lost = {k: v for k, v in acked.items() if stored.get(k) != v}
    assert not lost, f"acknowledged but not stored: {lost}"
