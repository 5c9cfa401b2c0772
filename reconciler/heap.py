"""The cyclic garbage collector kept out of bulk work that builds many objects and no cyclic garbage: loading a
project, reading a provider's answers, and the plan made from them."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

SETTLE_AT = 100_000
"""Objects built above which they are frozen afterwards (`gc.freeze`: left out of the collector's passes,
still freed as soon as they are dropped; `settled` unfreezes them after the run). The first pass after a
million loaded candidates would take ~0.5 s (benchmarks/loading.py)."""


@contextmanager
def bulk_build() -> Iterator[None]:
    """No collection passes while the block builds (a loaded project, parsed answers, their models): each pass
    would walk everything built so far (measured: ~2 s of 9 s CPU to observe 200k Questionmark seats)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if gc.get_count()[0] > SETTLE_AT:
            gc.freeze()
        if collecting:
            gc.enable()


@contextmanager
def settled() -> Iterator[None]:
    """While live state is read and diffed: what is already loaded (the desired state) stays, so the cyclic
    collector does not walk it again on every pass (measured by benchmarks/scale.py: ~30 % less CPU to observe
    100k candidates). Afterwards everything frozen is collectable again."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
