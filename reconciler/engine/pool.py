"""Apply's scheduler: each vendor its own pool of `max_workers`, changes that touch a shared object in order.

A change runs once every earlier change (in plan order) of the same provider that shares one of its
resources (see `Provider.resources`) has finished; the others run concurrently. Results come back in plan
order. No deadlock: a pool takes tasks first in, first out, and a task only ever waits on earlier ones, which
some thread has therefore already taken.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from typing import TypeVar

from ..plan import Writing
from ..providers.base import Provider

T = TypeVar("T")


def dependencies(changes: Sequence[Writing], resources: Callable[[Writing], frozenset[str]]) -> list[list[int]]:
    """For each change, the indexes of the earlier changes it must wait for (the last holder of each resource)."""
    last: dict[str, int] = {}
    waits: list[list[int]] = []
    for index, change in enumerate(changes):
        held = {f"{change.provider}\0{r}" for r in resources(change)}
        waits.append(sorted({last[r] for r in held if r in last}))
        last.update(dict.fromkeys(held, index))
    return waits


def run_in_order(
    changes: Sequence[Writing],
    providers: Mapping[str, Provider],
    work: Callable[[Writing], T],
    resources: Callable[[Writing], frozenset[str]],
) -> Iterator[T]:
    """Run `work` on every change, concurrently where allowed; yield the results in plan order."""
    waits = dependencies(changes, resources)
    with ExitStack() as stack:
        pools = {name: stack.enter_context(ThreadPoolExecutor(max(1, providers[name].max_workers),
                                                              thread_name_prefix=f"apply-{name}"))
                 for name in sorted({c.provider for c in changes})}
        futures: list[Future[T]] = []

        def after(change: Writing, before: list[Future[T]]) -> T:
            wait(before)
            if any(f.cancelled() for f in before):
                raise CancelledError
            return work(change)

        for change, waiting in zip(changes, waits, strict=True):
            futures.append(pools[change.provider].submit(after, change, [futures[i] for i in waiting]))
        try:
            for future in futures:
                yield future.result()
        except BaseException:  # an unexpected error (or the caller stopped): start nothing more
            for future in futures:
                future.cancel()
            raise
