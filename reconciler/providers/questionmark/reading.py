"""The Schedules listing read concurrently, with documented query options only (intro.rst).

The first page tells whether there is more (`odata.nextLink`); only then is `Schedules/$count` asked and the
other pages read at once with `$skip` = k × (size of the first page), `max_workers` at a time, each sorted
into the `Listing` as it arrives. That relies on the feed keeping its key order between requests and on
`$count` agreeing with it (assumption Q-12); the result is accepted only when every page but the last is full,
no ID repeats and their number is the count. Otherwise (a write landed between the reads, or a tenant that
pages differently) the listing is read again by following `odata.nextLink`, as intro.rst recommends.
"""

from __future__ import annotations

import logging
import math
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from ...errors import MalformedResponseError
from . import client as qm_client
from .client import LISTING, PROVIDER, Page, QuestionmarkClient
from .listing import Listing

log = logging.getLogger("reconciler.questionmark")


def read_listing(client: QuestionmarkClient, max_workers: int, shard: str | None = None) -> Listing:
    """Every live schedule in pages + 1 requests (one page: 1), or ceil(n/100) when read one after the other."""
    first = client.schedule_page(LISTING)
    values, link = first
    listing = Listing(shard=shard)
    listing.add(values)
    if not link or not values:
        return listing.done()
    client.http.check_target(link)  # a link elsewhere is refused even when it is not followed
    total = client.count("Schedules")  # assumption Q-12
    size = len(values)
    pages = math.ceil(total / size)
    if pages > qm_client.MAX_PAGES:
        raise MalformedResponseError(PROVIDER, f"GET Schedules: {total} schedules would take more than "
                                     f"{qm_client.MAX_PAGES} pages; stopped")
    why = _rest(client, max_workers, listing, {int(v["ID"]) for v in values}, size, total) if pages > 1 else (
        f"$count says {total} but the first page has {size} and a next page")
    if why is None:
        return listing.done()
    log.warning("questionmark: the Schedules pages read by $skip do not add up (%s); reading them again by "
                "following odata.nextLink (assumption Q-12)", why)
    listing = Listing(shard=shard)
    for page in client.pages("Schedules", LISTING, first=first,
                             next_page=lambda url: client.schedule_page(LISTING, url)):
        listing.add(page)
    return listing.done()


def _rest(client: QuestionmarkClient, workers: int, listing: Listing, ids: set[int], size: int,
          total: int) -> str | None:
    """Read pages 2.. by `$skip` into `listing`; None when they add up, else why not."""
    last = math.ceil(total / size) - 1

    def read(k: int) -> tuple[int, Page]:
        return k, client.schedule_page({**LISTING, "$skip": str(k * size)})

    why: str | None = None
    pending: set[Future[tuple[int, Page]]] = set()
    with ThreadPoolExecutor(max(1, workers)) as pool:
        waiting = iter(range(1, last + 1))
        for k in waiting:  # at most `workers` in flight, so a failure stops the rest
            pending.add(pool.submit(read, k))
            if len(pending) >= workers:
                break
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                k, (values, link) = future.result()
                expected = size if k < last else total - last * size
                if why is None and (len(values) != expected or (k == last and link)):
                    why = f"page {k + 1} has {len(values)} schedules, {expected} expected"
                if why is None:
                    fresh = {int(v["ID"]) for v in values}
                    if len(fresh) != len(values) or not ids.isdisjoint(fresh):
                        why = f"page {k + 1} repeats a schedule"
                    ids |= fresh
                    listing.add(values)
                nxt = next(waiting, None) if why is None else None
                if nxt is not None:
                    pending.add(pool.submit(read, nxt))
    return why
