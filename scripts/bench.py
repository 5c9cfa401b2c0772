#!/usr/bin/env python3
"""Benchmark plan/apply at scale against the Mettl emulator (run in its own process) and print the figures.

    python scripts/bench.py                          # 200 schedules x 200 candidates
    python scripts/bench.py --schedules 1000 --candidates 200 --latency 0.02

Phases: first apply (every schedule created), a re-plan that must be empty, then a change to 10 % of the
schedules (adds and removes) planned and applied. Prints wall time, HTTP calls and peak memory (RSS).
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

from reconciler import engine
from reconciler.models import Candidate, DesiredState, Schedule, Window
from reconciler.providers.mettl.client import MettlClient
from reconciler.providers.mettl.provider import MettlProvider

ASSESSMENTS = (769688, 769689, 769690, 769691)


def serve(queue: Any, stop: Any, latency: float) -> None:
    """The emulator process: start, report the URL and API keys, wait to be stopped."""
    from reconciler.sandbox.launch import start
    from reconciler.sandbox.mettl import MettlApp

    app = MettlApp(max_candidates_per_request=100_000)
    for assessment in ASSESSMENTS:
        app.add_assessment(assessment, f"Assessment {assessment}")
    with start(app, latency=latency) as sandbox:
        queue.put((sandbox.url, sandbox.user, sandbox.secret))
        stop.wait()


def desired(schedules: int, candidates: int, changed: int = 0) -> DesiredState:
    window = Window(start="2027-06-07T09:00:00", end="2027-06-11T18:00:00", time_zone="Europe/London")
    result = []
    for s in range(schedules):
        people = [Candidate(email=f"cand{s}-{c}@example.com", name=f"Candidate {c}") for c in range(candidates)]
        if s < changed:  # drop 2, add 5
            people = people[2:] + [Candidate(email=f"new{s}-{c}@example.com", name=f"New {c}") for c in range(5)]
        result.append(Schedule(name=f"Drive {s:04d}", provider="mettl", assessment_id=str(ASSESSMENTS[s % 4]),
                               window=window, candidates=tuple(people)))
    return DesiredState(schedules=tuple(result))


def timed(label: str, action: Callable[[], Any], provider: MettlProvider) -> Any:
    before_calls, before = provider.calls, time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - before
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{label:<34} {elapsed:8.2f} s {provider.calls - before_calls:8d} calls   peak RSS {rss_mb:7.1f} MB")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schedules", type=int, default=200)
    parser.add_argument("--candidates", type=int, default=200, help="candidates per schedule")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds the emulator waits per request")
    parser.add_argument("--workers", type=int, default=8, help="concurrent reads")
    args = parser.parse_args()

    queue: Any = multiprocessing.Queue()
    stop = multiprocessing.Event()
    process = multiprocessing.Process(target=serve, args=(queue, stop, args.latency), daemon=True)
    process.start()
    url, public_key, private_key = queue.get(timeout=30)
    client = MettlClient(url, public_key, private_key, pool_size=args.workers * 2)
    provider = MettlProvider(client, max_workers=args.workers, max_candidates_per_edit=5000)
    providers = {"mettl": provider}
    total = args.schedules * args.candidates
    print(f"{args.schedules} schedules x {args.candidates} candidates = {total:,} candidates; "
          f"latency {args.latency * 1000:.0f} ms; {args.workers} workers")
    try:
        first = desired(args.schedules, args.candidates)
        run = timed("plan (empty platform)", lambda: engine.make_plan(first, providers), provider)
        timed("apply (create all)", lambda: engine.apply_plan(run, providers), provider)
        del run
        again = timed("re-plan (must be empty)", lambda: engine.make_plan(first, providers), provider)
        assert not again.plan.has_changes, "re-plan after apply is not empty"
        del again, first
        changed = desired(args.schedules, args.candidates, changed=max(1, args.schedules // 10))
        run = timed("plan (10% of schedules changed)", lambda: engine.make_plan(changed, providers), provider)
        counts = run.plan.counts()
        timed(f"apply ({counts['update']} edits)", lambda: engine.apply_plan(run, providers, force=True), provider)
        del run
        final = timed("re-plan (must be empty)", lambda: engine.make_plan(changed, providers), provider)
        assert not final.plan.has_changes, "re-plan after the change is not empty"
    finally:
        provider.close()
        stop.set()
        process.join(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
