"""The process's one heap policy, set once at its entry (the CLI's root command, a benchmark's main).

A run builds millions of long-lived objects (a loaded project, parsed answers, their models) and almost no
cyclic garbage. With the interpreter's default thresholds the cyclic collector's young passes run every 700
allocations and its full passes walk everything built so far (measured: ~2 s of 9 s CPU to observe 200k
Questionmark seats). Larger thresholds make the passes rarer; nothing is switched off, and nothing changes
the collector while the run's threads work.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 20, 20)
"""Young-generation allocations between passes, then passes between older ones (the defaults: 700, 10, 10)."""


def configure() -> None:
    """Set the collector's thresholds for a bulk run. Called once, before any thread starts."""
    gc.set_threshold(*THRESHOLDS)
