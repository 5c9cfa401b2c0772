"""One apply at a time: a second apply on the same project waits or stops, naming who holds the lock."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from reconciler.lock import lock_path

from .conftest import Cli, Project, no_traceback

HOLDER = """
import sys, time
from pathlib import Path
from reconciler.lock import apply_lock
with apply_lock(Path(sys.argv[1]), 0):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_second_apply_stops_at_once_naming_the_holder(run: Cli, acme: Project) -> None:
    assert run("plan", *acme.args()).exit_code == 0  # seeds the sandbox world
    before = acme.state_file.read_bytes()
    holder = _hold(lock_path(acme.config), 30)
    try:
        result = run("apply", "--auto-approve", *acme.args())
    finally:
        holder.kill()
        holder.wait()
    assert result.exit_code == 1
    no_traceback(result)
    assert f"another apply is running: pid {holder.pid} on " in result.stderr
    assert "--lock-timeout" in result.stderr
    assert acme.state_file.read_bytes() == before


def test_a_second_apply_waits_with_lock_timeout(run: Cli, acme: Project) -> None:
    holder = _hold(lock_path(acme.config), 1.0)
    started = time.monotonic()
    result = run("apply", "--auto-approve", "--lock-timeout", "20", *acme.args())
    holder.wait()
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started >= 0.5
    assert " 0 failed." in result.stdout


def test_a_crashed_apply_does_not_keep_the_lock(run: Cli, acme: Project) -> None:
    holder = _hold(lock_path(acme.config), 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    result = run("apply", "--auto-approve", *acme.args())
    assert result.exit_code == 0, result.output
    assert not lock_path(acme.config).with_name(".reconciler-apply.lock.holder").exists()
