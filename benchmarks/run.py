"""Benchmark the real CLI against both vendor emulators, each in its own process, and print one JSON line per run.

    python -m benchmarks.run                                   # both vendors, 100 x 200, 20 ms, parallelism 8 and 1
    python -m benchmarks.run --vendor mettl --schedules 1000 --candidates 200 --phases noop,change
    python -m benchmarks.run --vendor questionmark --access membership --schedules 1000 --candidates 200

Phases (`--phases`): `noop` (plan against a world seeded to match: must show no change), `change` (plan with
1 % of the schedules' window end moved), `apply` (apply that change; reverted unmeasured afterwards), `create`
(apply creating everything on empty emulators). Each at every `--parallelism` (providers.<name>.max_workers).
The latency-bound limit is requests × latency ÷ parallelism of the slower vendor; ratio = wall ÷ limit.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from .measure import CliRun, Emulator, request_kinds, run_cli
from .world import Scenario, write_project

PHASES = ("noop", "change", "apply", "create")
Emit = Callable[[dict[str, Any]], None]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--schedules", type=int, default=100, help="schedules per vendor")
    parser.add_argument("--candidates", type=int, default=200, help="candidates per schedule")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="per-request latency of the emulators")
    parser.add_argument("--parallelism", default="8,1", help="comma-separated max_workers values")
    parser.add_argument("--vendor", choices=("mettl", "questionmark", "both"), default="both")
    parser.add_argument("--runs", type=int, default=1, help="repetitions of each measurement")
    parser.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated subset of {', '.join(PHASES)}")
    parser.add_argument("--access", choices=("seats", "membership"), default="seats",
                        help="Questionmark's access mode (membership: group schedule + members through QMWISe)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    phases = [p.strip() for p in args.phases.split(",") if p.strip()]
    unknown = sorted(set(phases) - set(PHASES))
    parallelism = [int(p) for p in args.parallelism.split(",") if p.strip()]
    if unknown or not parallelism or min(parallelism) < 1 or args.schedules < 1 or args.candidates < 1:
        print(f"error: bad arguments (unknown phases: {unknown or 'none'}; parallelism and sizes must be >= 1)",
              file=sys.stderr)
        return 1
    vendors = ["mettl", "questionmark"] if args.vendor == "both" else [args.vendor]
    try:
        bench(vendors, Scenario(args.schedules, args.candidates, args.access), args.latency_ms, parallelism, phases,
              runs=args.runs, emit=lambda record: print(json.dumps(record), flush=True))
    except KeyboardInterrupt:
        print("interrupted; emulators stopped", file=sys.stderr)
        return 130
    return 0


def bench(vendors: list[str], scenario: Scenario, latency_ms: float, parallelism: Sequence[int],
          phases: Sequence[str], *, runs: int = 1, emit: Emit) -> None:
    """Run the phases; `emit` receives one record per measured run."""
    with tempfile.TemporaryDirectory(prefix="reconciler-bench-") as tmp:
        root = Path(tmp)
        if {"noop", "change", "apply"} & set(phases):
            with emulators(vendors, scenario, latency_ms) as running:
                bench = _Bench(running, scenario, latency_ms, root, emit)
                for workers in parallelism:
                    for _ in range(runs):
                        if "noop" in phases:
                            bench.measure("noop-plan", workers, changed=False, apply=False)
                        if "change" in phases:
                            bench.measure("plan-1%", workers, changed=True, apply=False)
                        if "apply" in phases:
                            bench.measure("apply-1%", workers, changed=True, apply=True)
                            bench.run(max(parallelism), changed=False, apply=True)  # back to the seeded world
        if "create" in phases:
            for workers in parallelism:
                for _ in range(runs):
                    with emulators(vendors, Scenario(0, scenario.candidates, scenario.access, scenario.year),
                                   latency_ms) as running:
                        _Bench(running, scenario, latency_ms, root, emit).measure(
                            "apply-create-all", workers, changed=False, apply=True)


@contextmanager
def emulators(vendors: list[str], scenario: Scenario, latency_ms: float) -> Iterator[dict[str, Emulator]]:
    """One seeded emulator process per vendor, stopped on the way out (also on Ctrl-C)."""
    with ExitStack() as stack:
        running: dict[str, Emulator] = {}
        for vendor in vendors:
            running[vendor] = Emulator(vendor, scenario.schedules, scenario.candidates, latency_ms,
                                       access=scenario.access, year=scenario.year)
            stack.callback(running[vendor].stop)
        yield running


class _Bench:
    """One project folder against running emulators."""

    def __init__(self, running: dict[str, Emulator], scenario: Scenario, latency_ms: float, root: Path,
                 emit: Emit) -> None:
        self.running, self.scenario, self.latency_ms, self.emit = running, scenario, latency_ms, emit
        self.root = root / "project"
        self.env = {k: v for e in running.values() for k, v in e.credentials.items()}

    def run(self, workers: int, *, changed: bool, apply: bool) -> CliRun:
        qmwise = self.running["questionmark"].qmwise_url if "questionmark" in self.running else None
        config = write_project(self.root, list(self.running), {v: e.url for v, e in self.running.items()},
                               self.scenario, parallelism=workers, changed=changed, qmwise_url=qmwise)
        args = ["apply", "--auto-approve"] if apply else ["plan", "--format", "json"]
        result = run_cli([*args, "--config", str(config)], self.env)
        if result.exit_code != 0:
            tail = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise RuntimeError(f"reconciler {args[0]} exited {result.exit_code}: {tail}")
        return result

    def measure(self, name: str, workers: int, *, changed: bool, apply: bool) -> dict[str, Any]:
        for emulator in self.running.values():
            emulator.new_calls()  # forget what came before
        cpu_before = {v: e.cpu() for v, e in self.running.items()}
        result = self.run(workers, changed=changed, apply=apply)
        client = result.client_calls()
        requests = {v: request_kinds(e.new_calls(), client.get(v)) for v, e in self.running.items()}
        sent = {v: k["reads"] + k["writes"] + k["retries"] for v, k in requests.items()}
        limit = max(sent.values()) * self.latency_ms / 1000 / workers
        record: dict[str, Any] = {
            "run": name, "vendors": list(self.running), "access": self.scenario.access,
            "schedules": self.scenario.schedules,
            "candidates": self.scenario.candidates, "latency_ms": self.latency_ms, "parallelism": workers,
            "requests": requests, "requests_total": sum(sent.values()), "wall_s": round(result.wall, 3),
            "reconciler_cpu_s": round(result.cpu, 3),
            "emulator_cpu_s": {v: round(e.cpu() - cpu_before[v], 3) for v, e in self.running.items()},
            "peak_rss_mb": round(result.peak_rss_mb, 1), "limit_s": round(limit, 3),
            "ratio": round(result.wall / limit, 2) if limit else None,
        }
        if not apply:
            record["summary"] = json.loads(result.stdout)["summary"]
        self.emit(record)
        return record


if __name__ == "__main__":
    sys.exit(main())
