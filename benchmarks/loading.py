"""Loading and start-up figures of issue 11: `reconciler validate` in a fresh process, one JSON line each.

Measured: a project of 200,000 inline YAML candidates (1,000 schedules × 200, in files of 100 schedules),
one of 1,000,000 CSV rows (1,000 lists of 1,000 rows), both generated in a temporary folder, and the
start-up of `validate` on examples/acme (the median of several runs). Figures only: no test times anything.

    python -m benchmarks.loading [--candidates 200000] [--csv-rows 1000000] [--startup-runs 9]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path

from reconciler import clock

from .measure import ROOT, CliRun, run_cli

PER_SCHEDULE = 200
SCHEDULES_PER_FILE = 100
ROWS_PER_LIST = 1_000
# Two years ahead of today: the window is never over, whatever the date.
YEAR = clock.utcnow().year + 2
WINDOW = f'{{start: "{YEAR}-06-07T09:00:00", end: "{YEAR}-06-11T18:00:00", time_zone: Europe/London}}'
PROJECT = ("providers:\n  mettl: {base_url: https://api.mettl.com, public_key: k, private_key: p}\n"
           "desired: [desired]\nlimits: {max_files: 10000}\n")


def _schedule_head(index: int, provider: str = "mettl") -> str:
    return (f"  - name: Load {index:05d}\n    provider: {provider}\n    assessment_id: {769000 + index % 4}\n"
            f"    window: {WINDOW}\n")


def inline_project(folder: Path, candidates: int) -> Path:
    """A project with `candidates` inline `{email, name}` entries (block style), 200 per schedule."""
    desired = folder / "desired"
    desired.mkdir(parents=True)
    schedules = max(1, candidates // PER_SCHEDULE)
    for first in range(0, schedules, SCHEDULES_PER_FILE):
        parts = ["schedules:\n"]
        for index in range(first, min(first + SCHEDULES_PER_FILE, schedules)):
            parts.append(_schedule_head(index) + "    candidates:\n")
            parts.extend(f"      - email: person{index}.{n}@example.com\n        name: Person {index} {n}\n"
                         for n in range(PER_SCHEDULE))
        (desired / f"schedules-{first // SCHEDULES_PER_FILE:04d}.yaml").write_text("".join(parts))
    (folder / "reconciler.yaml").write_text(PROJECT)
    return folder / "reconciler.yaml"


def csv_project(folder: Path, rows: int) -> Path:
    """A project with `rows` CSV rows: lists of 1,000 rows, one schedule per list."""
    desired = folder / "desired"
    (desired / "lists").mkdir(parents=True)
    lists = max(1, rows // ROWS_PER_LIST)
    yaml = ["candidate_lists:\n"] + [f"  list-{n:05d}: {{csv: lists/list-{n:05d}.csv}}\n" for n in range(lists)]
    yaml += ["schedules:\n"] + [_schedule_head(n) + f"    candidates: [list-{n:05d}]\n" for n in range(lists)]
    (desired / "schedules.yaml").write_text("".join(yaml))
    for n in range(lists):
        body = "".join(f"person{n}.{r}@example.com,Person {n} {r},Site {r % 7}\n" for r in range(ROWS_PER_LIST))
        (desired / "lists" / f"list-{n:05d}.csv").write_text("email,name,Site\n" + body)
    (folder / "reconciler.yaml").write_text(PROJECT)
    return folder / "reconciler.yaml"


def _validate(config: Path) -> CliRun:
    done = run_cli(["validate", "--config", str(config)], {})
    if done.exit_code != 0:
        raise SystemExit(f"validate failed ({done.exit_code}): {done.stderr.strip()[:500]}")
    return done


def _line(measurement: str, runs: Sequence[CliRun], **extra: object) -> None:
    walls, cpus = [r.wall for r in runs], [r.cpu for r in runs]
    print(json.dumps({"measurement": measurement, **extra, "runs": len(runs),
                      "wall_s": round(statistics.median(walls), 3), "cpu_s": round(statistics.median(cpus), 3),
                      "peak_rss_mb": round(max(r.peak_rss_mb for r in runs), 1)}), flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=200_000, help="inline YAML candidates (0: skip)")
    parser.add_argument("--csv-rows", type=int, default=1_000_000, help="CSV rows (0: skip)")
    parser.add_argument("--startup-runs", type=int, default=9, help="validate runs on the example (0: skip)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="reconciler-loading-") as tmp:
        if args.startup_runs:
            example = ROOT / "examples" / "acme" / "reconciler.yaml"
            _line("startup_validate_example", [_validate(example) for _ in range(args.startup_runs)])
        if args.candidates:
            config = inline_project(Path(tmp) / "inline", args.candidates)
            _line("validate_inline_yaml", [_validate(config)], candidates=args.candidates)
        if args.csv_rows:
            config = csv_project(Path(tmp) / "csv", args.csv_rows)
            _line("validate_csv", [_validate(config)], rows=args.csv_rows)


if __name__ == "__main__":
    main()
