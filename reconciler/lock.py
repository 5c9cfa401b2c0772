"""One apply at a time: an OS file lock held for the whole run, released on exit or crash.

The lock lives beside the project file (`.reconciler-apply.lock`); who holds it is written next to it so a
second apply can say who is in the way. CI should also serialise applies (the workflow `concurrency` group):
a file lock only sees applies on the same machine.
"""

from __future__ import annotations

import getpass
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from filelock import FileLock, Timeout

from .errors import ReconcilerError

LOCK_NAME = ".reconciler-apply.lock"


class LockedError(ReconcilerError):
    """Another apply holds the lock."""


def lock_path(config_path: Path, shard: str | None = None) -> Path:
    """`.reconciler-apply.lock` beside the project file; a shard's is `.reconciler-apply-<shard>.lock`."""
    name = f".reconciler-apply-{shard}.lock" if shard else LOCK_NAME
    return config_path.resolve().parent / name


def _holder(info: Path) -> str:
    try:
        data = json.loads(info.read_text(encoding="utf-8"))
        return (f"pid {int(data['pid'])} on {str(data['host'])[:64]} (user {str(data['user'])[:64]}), "
                f"since {str(data['since'])[:32]}")
    except (OSError, ValueError, KeyError, TypeError):
        return "another process (no holder information)"


@contextmanager
def apply_lock(path: Path, timeout: float) -> Iterator[None]:
    """Hold the apply lock; wait up to `timeout` seconds (0: do not wait) and then stop with who holds it."""
    info = path.with_name(path.name + ".holder")
    lock = FileLock(str(path))
    try:
        lock.acquire(timeout=max(0.0, timeout))
    except Timeout:
        waited = f" after waiting {timeout:g} s" if timeout > 0 else ""
        raise LockedError(
            f"another apply is running{waited}: {_holder(info)} holds {path.name}; nothing was applied "
            "(wait for it, or pass --lock-timeout SECONDS to wait)") from None
    try:
        with suppress(OSError):
            info.write_text(json.dumps({
                "pid": os.getpid(), "host": socket.gethostname(), "user": _user(),
                "since": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }), encoding="utf-8")
        yield
    finally:
        with suppress(OSError):
            info.unlink()
        lock.release()


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
