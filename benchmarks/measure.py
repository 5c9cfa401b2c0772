"""Processes and what is measured on them: the emulators (CPU from /proc, the call log) and one CLI run
(wall, CPU and peak RSS from the child's rusage). Every wait is bounded."""

from __future__ import annotations

import json
import os
import re
import selectors
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
CREDENTIAL_ENV = {"mettl": ("METTL_PUBLIC_KEY", "METTL_PRIVATE_KEY"),
                  "questionmark": ("QUESTIONMARK_USERNAME", "QUESTIONMARK_PASSWORD")}
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_CALLS_LINE = re.compile(r"HTTP calls: (.*)")
LOOPBACK_OPT_IN = {"RECONCILER_ALLOWED_BASE_URLS": "http://127.0.0.1:"}
"""The environment's opt-in for the emulators on loopback (credentials go only to the vendors' hosts otherwise)."""


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime (fields 14, 15 of stat)


class Emulator:
    """`python -m benchmarks.emulator` in its own process, seeded before it serves."""

    def __init__(self, vendor: str, schedules: int, candidates: int, latency_ms: float, *,
                 start_timeout: float = 900.0, access: str = "seats", year: int | None = None) -> None:
        self.vendor = vendor
        command = [sys.executable, "-m", "benchmarks.emulator", vendor, "--schedules", str(schedules),
                   "--candidates", str(candidates), "--latency-ms", str(latency_ms), "--access", access,
                   *(["--year", str(year)] if year else [])]
        self.process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True)
        try:
            info = json.loads(_read_line(self.process.stdout, start_timeout, what=f"the {vendor} emulator"))
        except BaseException:
            self.stop()
            raise
        self.url: str = info["url"]
        self.control: str = info["control"]
        self.qmwise_url: str | None = info.get("qmwise_url")
        self.credentials = dict(zip(CREDENTIAL_ENV[vendor], (info["user"], info["secret"]), strict=True))
        self._seen = 0

    def cpu(self) -> float:
        return process_cpu(self.process.pid)

    def new_calls(self) -> list[dict[str, Any]]:
        """The calls the emulator answered since the last time this was asked."""
        with urllib.request.urlopen(f"{self.control}/__sandbox/calls", timeout=120) as answer:
            calls: list[dict[str, Any]] = json.load(answer)
        fresh, self._seen = calls[self._seen:], len(calls)
        return fresh

    def stop(self) -> None:
        """Close its stdin (it stops), then terminate, then kill: at most ~20 s."""
        if self.process.poll() is None:
            try:
                if self.process.stdin:
                    self.process.stdin.close()
                self.process.wait(timeout=10)
            except (subprocess.TimeoutExpired, OSError):
                self.process.terminate()
                try:
                    self.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout=10)
        if self.process.stdout:
            self.process.stdout.close()


def _read_line(stream: IO[str] | None, timeout: float, *, what: str) -> str:
    assert stream is not None
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        if not selector.select(timeout):
            raise TimeoutError(f"{what} did not start within {timeout:.0f} s")
    line = stream.readline()
    if not line:
        raise RuntimeError(f"{what} exited before serving")
    return line


@dataclass(frozen=True)
class CliRun:
    """One finished `reconciler` process."""

    exit_code: int
    stdout: str
    stderr: str
    wall: float
    cpu: float
    peak_rss_mb: float

    def client_calls(self) -> dict[str, int]:
        """The CLI's own `HTTP calls: mettl 3, questionmark 5` line (stderr or stdout)."""
        found = _CALLS_LINE.findall(self.stderr + "\n" + self.stdout)
        if not found:
            return {}
        pairs = (item.rsplit(" ", 1) for item in found[-1].split(", "))
        return {name: int(count) for name, count in pairs}


def run_cli(args: Sequence[str], env: dict[str, str], *, timeout: float = 3600.0) -> CliRun:
    """Run `python -m reconciler ARGS`; wall, CPU (user + system) and peak RSS of that process alone."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, "-m", "reconciler", *args], cwd=ROOT, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=err,
                                   env={**os.environ, **LOOPBACK_OPT_IN, **env, "NO_COLOR": "1"})
        try:
            status, usage = _wait(process.pid, started + timeout)
        except BaseException:
            process.kill()
            process.wait(timeout=10)
            raise
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return CliRun(process.returncode, out.read(), err.read(), wall, usage.ru_utime + usage.ru_stime,
                      usage.ru_maxrss / 1024)


def _wait(pid: int, deadline: float) -> tuple[int, Any]:
    """wait4 without blocking forever: poll until the child ends or the deadline passes."""
    delay = 0.001
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            return status, usage
        if time.perf_counter() > deadline:
            raise TimeoutError(f"the reconciler (pid {pid}) did not finish in time")
        time.sleep(delay)
        delay = min(delay * 2, 0.02)


def request_kinds(calls: Sequence[dict[str, Any]], client_total: int | None) -> dict[str, int]:
    """Reads, writes and retries of one vendor in one run. Retries: attempts answered with 429/5xx plus
    attempts the emulator never logged (injected faults), i.e. what the client sent beyond the log."""
    reads = sum(1 for c in calls if c["method"] in ("GET", "HEAD"))
    transient = sum(1 for c in calls if c["status"] == 429 or c["status"] >= 500)
    unlogged = max(0, (client_total or 0) - len(calls))
    return {"reads": reads, "writes": len(calls) - reads, "retries": transient + unlogged,
            "errors": sum(1 for c in calls if c["status"] >= 400)}
