"""The cyclic garbage collector kept out of bulk reads that build many objects and no cyclic garbage."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

SETTLE_AT = 100_000
"""Objects built above which they are frozen afterwards (`gc.freeze`: left out of the collector's passes,
still freed as soon as they are dropped; the engine's `settled_heap` unfreezes them after the run)."""


@contextmanager
def bulk_build() -> Iterator[None]:
    """No collection passes while the block builds (parsed answers, their models): each pass would walk
    everything built so far (measured: ~2 s of 9 s CPU to observe 200k Questionmark seats)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_count()[0] > SETTLE_AT:
            gc.freeze()
        if collecting:
            gc.enable()
