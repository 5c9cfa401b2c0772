"""Start a Python program with its clock at a given instant, ticking from there (time-machine):

    python tests/support/at_instant.py 2026-11-01T12:00:00+00:00 -m reconciler plan ...
    python tests/support/at_instant.py INSTANT -c "code" args...
    python tests/support/at_instant.py INSTANT path/to/script.py args...

A test's clock does not cross into the processes it starts; tests start them through this file (see
`tests.clocks.python_at_test_time`) so the child runs at the test's instant: frozen, or moved by --clock-shift.
Test-only: the product reads the real clock."""

from __future__ import annotations

import os
import runpy
import sys
from datetime import datetime

import time_machine


def main(argv: list[str]) -> None:
    instant, how, *rest = argv
    with time_machine.travel(datetime.fromisoformat(instant), tick=True):
        if how == "-m":
            module, *args = rest
            sys.argv = [module, *args]
            sys.path.insert(0, os.getcwd())
            runpy.run_module(module, run_name="__main__", alter_sys=False)
        elif how == "-c":
            code, *args = rest
            sys.argv = ["-c", *args]
            sys.path.insert(0, os.getcwd())
            exec(compile(code, "<string>", "exec"), {"__name__": "__main__"})
        else:
            sys.argv = [how, *rest]
            sys.path.insert(0, os.path.dirname(os.path.abspath(how)))
            runpy.run_path(how, run_name="__main__")


if __name__ == "__main__":
    sys.path.pop(0)  # this folder: not where the program's imports come from
    main(sys.argv[1:])
