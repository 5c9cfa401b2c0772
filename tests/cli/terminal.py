"""Run the installed `reconciler` command with some of its standard streams on pseudo-terminals.

What a person at a terminal sees (colour, progress, the typed confirmation) depends on isatty(); CliRunner's
streams are never terminals, so these tests start a real process on real ptys (os.openpty).
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..clocks import python_at_test_time
from .conftest import CLEAN_ENV

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Terminal:
    code: int
    stdout: str
    stderr: str


def strip_ansi(text: str) -> str:
    return ANSI.sub("", text)


def run_in_terminal(args: Sequence[str | Path], *, ttys: set[str], env: Mapping[str, str | None] | None = None,
                    typed: str | None = None, timeout: float = 120) -> Terminal:
    """Run `reconciler args`; the streams named in `ttys` ("stdin", "stdout", "stderr") are ptys, the others
    pipes. `typed` is typed at the terminal (stdin must be a pty). Line ends come back as "\\n"."""
    environ = {k: v for k, v in os.environ.items() if k not in CLEAN_ENV and k != "NO_COLOR"}
    environ |= {"TERM": "xterm-256color", "COLUMNS": "200", "LINES": "50"}
    for key, value in (env or {}).items():
        if value is None:
            environ.pop(key, None)
        else:
            environ[key] = value
    ends: dict[str, tuple[int, int]] = {name: os.openpty() for name in ("stdin", "stdout", "stderr") if name in ttys}
    process = subprocess.Popen(
        [*python_at_test_time(), "-m", "reconciler", *map(str, args)], env=environ,
        stdin=ends["stdin"][1] if "stdin" in ends else subprocess.DEVNULL,
        stdout=ends["stdout"][1] if "stdout" in ends else subprocess.PIPE,
        stderr=ends["stderr"][1] if "stderr" in ends else subprocess.PIPE,
    )
    for _, slave in ends.values():
        os.close(slave)
    if typed is not None:
        os.write(ends["stdin"][0], typed.encode())
    readers = {"stdout": ends["stdout"][0] if "stdout" in ends else _fd(process.stdout),
               "stderr": ends["stderr"][0] if "stderr" in ends else _fd(process.stderr)}
    if "stdin" in ends:
        readers["echo"] = ends["stdin"][0]
    output = _drain(readers, process, time.monotonic() + timeout)
    for master, _ in ends.values():
        os.close(master)
    text = {name: data.decode("utf-8", "replace").replace("\r\n", "\n") for name, data in output.items()}
    return Terminal(process.wait(), text["stdout"], text["stderr"])


def _fd(stream: object) -> int:
    assert stream is not None and hasattr(stream, "fileno")
    return int(stream.fileno())


def _drain(readers: dict[str, int], process: subprocess.Popen[bytes], deadline: float) -> dict[str, bytes]:
    """Read every stream until it ends (a pty ends with EIO once the child is gone)."""
    output = {name: b"" for name in readers}
    open_fds = {fd: name for name, fd in readers.items()}
    while open_fds:
        if time.monotonic() > deadline:
            process.kill()
            raise TimeoutError(f"reconciler did not finish; output so far: {output!r}")
        ready, _, _ = select.select(list(open_fds), [], [], 0.2)
        for fd in ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if chunk:
                output[open_fds[fd]] += chunk
            else:
                del open_fds[fd]
        if process.poll() is not None and not ready and "echo" in output:
            open_fds = {fd: name for fd, name in open_fds.items() if name != "echo"}
    return output
