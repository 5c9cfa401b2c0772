"""Scale in memory (issue 11): desired state loaded from generated CSV through the real loader, observed state
built in-process by the Mettl provider's own parsing of generated answers (no HTTP), then the no-op plan.

    python -m benchmarks.scale                        # N = 100,000 and 1,000,000 candidates, 200 per schedule
    python -m benchmarks.scale --candidates 100000 --gc default
    python -m benchmarks.scale --over-http --candidates 200000   # the plan's CPU against the Mettl emulator

Prints one JSON line per N: candidates, schedules, CPU seconds of loading, observing and diffing, and the peak
RSS of the process that did it. Each N runs in a fresh process (so its peak RSS is its own); the project is
written by this parent process beforehand. The vendor's answers are generated as bytes per schedule (their
generation is not counted) and parsed as the client does: JSON, the answer check, then `observed_of`.

`--over-http`: the whole no-op plan (`engine.make_plan`: HTTP client, reads, mapping, diff) against the Mettl
emulator seeded in its own process (20 ms a request, parallelism 8); its CPU is this process's only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from reconciler import clock

from .measure import LOOPBACK_OPT_IN, Emulator
from .world import SOURCE_APP, Scenario, write_project

ENV = {"METTL_PUBLIC_KEY": "bench-public", "METTL_PRIVATE_KEY": "bench-private"}
SIZES = (100_000, 1_000_000)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidates", type=int, action="append", help=f"total candidates (default {SIZES})")
    parser.add_argument("--per-schedule", type=int, default=200, help="candidates per schedule")
    parser.add_argument("--gc", choices=("tuned", "default"), default="tuned",
                        help="tuned: the CLI's heap policy (reconciler.heap.configure); default: the interpreter's")
    parser.add_argument("--over-http", action="store_true", help="measure make_plan against the emulator")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: the project to measure
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.child:
        measured = measure_http(Path(args.child)) if args.over_http else measure(Path(args.child), args.gc)
        print(json.dumps(measured), flush=True)
        return 0
    for total in args.candidates or SIZES:
        scenario = Scenario(max(1, total // args.per_schedule), args.per_schedule)
        with tempfile.TemporaryDirectory(prefix="reconciler-scale-") as tmp:
            with ExitStack() as stack:
                url = "http://127.0.0.1:9"
                if args.over_http:
                    emulator = Emulator("mettl", scenario.schedules, scenario.candidates, 20.0, year=scenario.year)
                    stack.callback(emulator.stop)
                    url = emulator.url
                config = write_project(Path(tmp), ["mettl"], {"mettl": url}, scenario, parallelism=8)
                child = [sys.executable, "-m", "benchmarks.scale", "--child", str(config), "--gc", args.gc]
                done = subprocess.run([*child, *(["--over-http"] if args.over_http else [])], check=False,
                                      capture_output=True, text=True, timeout=3600,
                                      env={**os.environ, **LOOPBACK_OPT_IN,
                                           **(emulator.credentials if args.over_http else {})})
            if done.returncode != 0:
                print(done.stderr, file=sys.stderr)
                return done.returncode
            print(done.stdout.strip(), flush=True)
    return 0


@contextmanager
def _cpu(into: dict[str, float], name: str) -> Iterator[None]:
    started = time.process_time()
    try:
        yield
    finally:
        into[name] = into.get(name, 0.0) + time.process_time() - started


def measure(config: Path, gc_mode: str) -> dict[str, Any]:
    """Load, observe and plan in this process; CPU per phase and this process's peak RSS."""
    from reconciler import heap
    from reconciler.diff import build_plan
    from reconciler.loader.project import load_project
    from reconciler.plan import fingerprint_bytes
    from reconciler.providers.mettl.answers import LiveSchedule, checked
    from reconciler.providers.mettl.client import MettlClient
    from reconciler.providers.mettl.provider import MettlProvider

    if gc_mode == "tuned":
        heap.configure()
    cpu: dict[str, float] = {}
    rss: dict[str, float] = {"start": _rss_mb()}
    with _cpu(cpu, "load"):
        desired = load_project(config, ENV, now=clock.utcnow()).desired
    rss["loaded"] = _rss_mb()
    provider = MettlProvider(MettlClient("http://127.0.0.1:9", "bench-public", "bench-private"))
    observed = {}
    for number, schedule in enumerate(desired.schedules):
        content = _answer(schedule, number)  # the vendor's side: not counted
        with _cpu(cpu, "observe"):
            body = json.loads(content)
            raw = checked(LiveSchedule, body["schedule"], "GET /v2/schedules/{access-key}")
            observed[schedule.key] = provider.observed_of(schedule.assessment_id, raw, fingerprint_bytes(content),
                                                         schedule)
    rss["observed"] = _rss_mb()
    with _cpu(cpu, "diff"):
        plan = build_plan(desired.schedules, observed, now=clock.utcnow())
    candidates = sum(len(s.candidates or ()) for s in desired.schedules)
    assert plan.in_sync == len(desired.schedules) and not plan.has_changes, "the generated world is not in sync"
    return {"candidates": candidates, "schedules": len(desired.schedules), "gc": gc_mode,
            "load_cpu_s": round(cpu["load"], 3), "observe_cpu_s": round(cpu["observe"], 3),
            "diff_cpu_s": round(cpu["diff"], 3),
            "observe_diff_cpu_s_per_200k": round((cpu["observe"] + cpu["diff"]) * 200_000 / max(candidates, 1), 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            "rss_mb": {k: round(v, 1) for k, v in rss.items()}}


def _rss_mb() -> float:
    """The resident set size now (Linux /proc), MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure_http(config: Path) -> dict[str, Any]:
    """Load (not counted), then the no-op plan over HTTP: its CPU and wall."""
    from reconciler import engine
    from reconciler.loader.project import load_project
    from reconciler.providers.factory import make_providers

    loaded = load_project(config, now=clock.utcnow())
    providers = make_providers(loaded.project, ["mettl"])
    cpu: dict[str, float] = {}
    started = time.perf_counter()
    with _cpu(cpu, "plan"):
        run = engine.make_plan(loaded.desired, providers)
    wall = time.perf_counter() - started
    candidates = sum(len(s.candidates or ()) for s in loaded.desired.schedules)
    assert run.plan.in_sync == len(loaded.desired.schedules) and not run.plan.has_changes
    return {"candidates": candidates, "schedules": len(loaded.desired.schedules), "requests": dict(run.calls),
            "plan_cpu_s": round(cpu["plan"], 3), "plan_wall_s": round(wall, 3),
            "plan_cpu_s_per_200k": round(cpu["plan"] * 200_000 / max(candidates, 1), 3)}


def _answer(schedule: Any, number: int) -> bytes:
    """`GET /v2/schedules/{access-key}` for a schedule the reconciler created (as the emulator shows it)."""
    from reconciler.providers.mettl import mapping

    sc = mapping.schedule_to_sc(schedule, source_app=SOURCE_APP)
    access = sc.pop("access")
    access["candidates"] = [{"name": c["name"], "submissionDate": None, "email": c["email"]}
                            for c in access["candidates"]]
    raw = {"id": number, "name": sc.pop("name"), "accessKey": f"bench{number:07d}", "status": "Active", **sc,
           "access": access}
    return json.dumps({"status": "SUCCESS", "schedule": raw}).encode()


if __name__ == "__main__":
    sys.exit(main())
