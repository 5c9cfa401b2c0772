"""The independent calls of one change (one per seat or exception schedule), run on the provider's write pool.

`join` is a barrier: it waits for every call submitted so far and raises the first failure in submission
order. After a failure nothing more starts (a lost answer to a POST stops at once); calls already in flight
are waited for, so the engine re-reads a world no call of this change is still writing to. How many requests
are in flight at once is capped by the client (`HttpClient(max_in_flight=...)`), not here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, wait


class Batch:
    """Calls of one change; without a pool they run at once, one after the other, in the caller's thread."""

    def __init__(self, pool: Executor | None) -> None:
        self._pool = pool
        self._futures: list[Future[None]] = []
        self._stopped = threading.Event()

    def submit(self, call: Callable[[], None]) -> None:
        """Run `call` (no later than the next `join`); after a failure, raise it instead."""
        if self._stopped.is_set():
            self.join()
        if self._pool is None:
            call()
        else:
            self._futures.append(self._pool.submit(self._run, call))

    def _run(self, call: Callable[[], None]) -> None:
        if self._stopped.is_set():
            return
        try:
            call()
        except BaseException:
            self._stopped.set()
            raise

    def settle(self) -> None:
        """Wait for every call submitted so far; their failures are left to `join`."""
        wait(self._futures)

    def join(self) -> None:
        """Wait for every call submitted so far; raise the first failure (in submission order)."""
        futures, self._futures = self._futures, []
        wait(futures)
        for future in futures:
            if (error := future.exception()) is not None:
                raise error
