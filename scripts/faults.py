#!/usr/bin/env python3
"""Convergence under faults: does one `reconciler apply` converge while both vendors misbehave?

Each trial starts both emulators (the acme demo world) with seeded, probabilistic faults on every request —
by default 15% answered 503, 10% answered 429 (with Retry-After) and 5% of writes applied but their answer
lost — and runs the real CLI against a project pointing at them: `apply --auto-approve`, then (faults off)
`plan --detailed-exitcode`, and again while the plan still has changes (at most 3 applies). After the last,
the emulators' state is checked for duplicates (two schedules of one identity, a candidate listed twice,
two active seats of one person, two participants of one email) and for anything lost (a desired candidate
not on their schedule); the plan with the faults off must have no changes.

    python scripts/faults.py                                  # 10 trials of acme + a 20 x 50 project
    python scripts/faults.py --trials 3 --schedules 4 --candidates 5 --seed 7

Prints one JSON line per trial and a summary line; exits 1 unless at least 90% of the trials converged in
one apply, none needed more than 2, and nothing was duplicated or lost.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from reconciler import cli
from reconciler.loader import load_project
from reconciler.models import Schedule
from reconciler.providers.questionmark.mapping import email_of, external_id, parse_mark
from reconciler.sandbox.base import Faults
from reconciler.sandbox.live import LiveVendors, live_vendors

ROOT = Path(__file__).resolve().parents[1]
ACME = ROOT / "examples" / "acme"
MAX_APPLIES = 3
METTL_ASSESSMENTS = ("769688", "769700")
QM_ASSESSMENT = "65433000065433"


def generated(schedules: int, candidates: int) -> str:
    """A desired-state file: `schedules` new schedules alternating between the vendors (Questionmark ones in
    list mode, each in a new group), each with `candidates` candidates."""
    lines = ["schedules:"]
    for i in range(schedules):
        mettl = i % 2 == 0
        lines += [f"  - name: Generated {i:03d}",
                  f"    provider: {'mettl' if mettl else 'questionmark'}",
                  f"    assessment_id: \"{METTL_ASSESSMENTS[i // 2 % 2] if mettl else QM_ASSESSMENT}\"",
                  f"    window: {{start: \"2027-02-{1 + i % 20:02d}T09:00:00\", end: \"2027-02-{8 + i % 20:02d}"
                  "T17:00:00\", time_zone: Europe/London}"]
        if not mettl:
            lines.append(f"    group: generated-{i:03d}")
        lines.append("    candidates:")
        lines += [f"      - {{email: c{j:03d}.s{i:03d}@example.com, name: Candidate {j} of {i}}}"
                  for j in range(candidates)]
    return "\n".join(lines) + "\n"


def _project(root: Path, vendors: LiveVendors, kind: str, schedules: int, candidates: int) -> Path:
    config = vendors.write_project(root, timeout=10.0, extra="safety: {max_removal_fraction: 0.25}")
    if kind == "acme":
        for file in (ACME / "desired").iterdir():
            shutil.copy(file, root / "desired" / file.name)
    else:
        (root / "desired" / "generated.yaml").write_text(generated(schedules, candidates), encoding="utf-8")
    return config


def _set_faults(vendors: LiveVendors, faults: dict[str, Faults] | None) -> None:
    for name, server in vendors.servers.items():
        chosen = (faults or {}).get(name) or Faults()
        server.faults.error_rate = chosen.error_rate
        server.faults.rate_limit_rate = chosen.rate_limit_rate
        server.faults.lost_answer_rate = chosen.lost_answer_rate


def _command(*args: str | Path, env: dict[str, str]) -> tuple[int, list[str]]:
    """Exit code and the lines that report a failure (`✗ …` per change, `error: …`)."""
    result = CliRunner().invoke(cli.main, [str(a) for a in args], env=dict(env), catch_exceptions=True)
    lines = (result.stdout + result.stderr).splitlines()
    return result.exit_code, [line.strip() for line in lines if line.strip().startswith(("✗", "error:"))]


# ------------------------------------------------------------------------------------------- the checks


def _mettl_problems(vendors: LiveVendors, desired: list[Schedule]) -> tuple[list[str], list[str]]:
    """(duplicates, lost) in the Mettl emulator's state."""
    stored = vendors.mettl.dump_state()["schedules"]
    names = Counter((str(s["assessmentDetails"]["id"]), s["name"]) for s in stored)
    duplicates = [f"mettl schedule {n!r} x{c}" for (_, n), c in names.items() if c > 1]
    lost: list[str] = []
    for schedule in desired:
        found = [s for s in stored if (str(s["assessmentDetails"]["id"]), s["name"]) == schedule.key[1:]]
        emails = Counter(str(c["email"]).lower() for s in found for c in (s.get("access") or {}).get("candidates")
                         or ())
        duplicates += [f"mettl {schedule.name}: {e} x{c}" for e, c in emails.items() if c > 1]
        lost += [f"mettl {schedule.name}: {e}" for e in schedule.candidate_emails() if e not in emails]
    return duplicates, lost


def _qm_problems(vendors: LiveVendors, desired: list[Schedule]) -> tuple[list[str], list[str]]:
    """(duplicates, lost) in the Questionmark emulator's state."""
    app = vendors.questionmark
    schedules = app.schedules()
    people = {p["ID"]: p for p in app.dump_state()["Participants"]}
    emails = Counter(email_of(p) for p in people.values())
    duplicates = [f"questionmark participant {e} x{c}" for e, c in emails.items() if e and c > 1]
    lost: list[str] = []
    for schedule in desired:
        mark = external_id(schedule.assessment_id, schedule.name)
        anchors = [s for s in schedules if s["ExternalID"] == mark]
        if len(anchors) > 1:
            duplicates.append(f"questionmark {schedule.name}: {len(anchors)} anchors")
        seats = Counter(email_of(people.get(s["ParticipantID"])) for s in schedules
                        if parse_mark(s["ExternalID"]) == (mark, "seat") and not s["Disabled"])
        duplicates += [f"questionmark {schedule.name}: {e} has {c} seats" for e, c in seats.items() if c > 1]
        lost += [f"questionmark {schedule.name}: {e}" for e in schedule.candidate_emails() if e not in seats]
    return duplicates, lost


# ------------------------------------------------------------------------------------------- one trial


def trial(number: int, seed: int, kind: str, args: argparse.Namespace) -> dict[str, Any]:
    """One project applied under faults until a fault-free plan is empty (or MAX_APPLIES)."""
    faults = {name: Faults(error_rate=args.error_rate, rate_limit_rate=args.rate_limit_rate,
                           lost_answer_rate=args.lost_answer_rate, retry_after=args.retry_after,
                           seed=seed * 2 + index)
              for index, name in enumerate(("mettl", "questionmark"))}
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as folder, live_vendors(faults=faults) as vendors:
        config = _project(Path(folder), vendors, kind, args.schedules, args.candidates)
        applies, clean, failures = 0, False, []
        while applies < MAX_APPLIES and not clean:
            _set_faults(vendors, faults)
            applies += 1
            failures += _command("apply", "--auto-approve", "--config", config, env=vendors.env)[1]
            _set_faults(vendors, None)
            clean = _command("plan", "--detailed-exitcode", "--config", config, env=vendors.env)[0] == 0
        desired = list(load_project(config).desired.schedules)
        mettl = _mettl_problems(vendors, [s for s in desired if s.provider == "mettl"])
        qm = _qm_problems(vendors, [s for s in desired if s.provider == "questionmark"])
        injected = {name: dict(sorted(server.injected.items())) for name, server in vendors.servers.items()}
        requests = {name: len(server.calls) for name, server in vendors.servers.items()}
    return {"trial": number, "seed": seed, "project": kind, "schedules": len(desired),
            "candidates": sum(len(s.candidates or ()) for s in desired), "applies": applies, "converged": clean,
            "duplicates": mettl[0] + qm[0], "lost": mettl[1] + qm[1], "failures": failures, "injected": injected,
            "answered_requests": requests, "seconds": round(time.monotonic() - started, 1)}


def trials(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    kinds = ["acme", "generated"] if args.project == "both" else [args.project]
    for number in range(args.trials):
        for kind in kinds:
            yield trial(number, args.seed + number, kind, args)


def summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    converged_in_1 = sum(1 for r in results if r["converged"] and r["applies"] == 1)
    return {"summary": True, "trials": len(results), "converged_in_1": converged_in_1,
            "converged": sum(1 for r in results if r["converged"]),
            "max_applies": max((r["applies"] for r in results), default=0),
            "duplicates": sum(len(r["duplicates"]) for r in results), "lost": sum(len(r["lost"]) for r in results),
            "injected": _total(r["injected"] for r in results),
            "ok": bool(results) and converged_in_1 >= math.ceil(0.9 * len(results))
            and all(r["converged"] and r["applies"] <= 2 and not r["duplicates"] and not r["lost"]
                    for r in results)}


def _total(counts: Iterator[dict[str, dict[str, int]]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for per_vendor in counts:
        for kinds in per_vendor.values():
            total.update(kinds)
    return dict(sorted(total.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1, help="trial n uses seed + n (each vendor its own stream)")
    parser.add_argument("--project", choices=["acme", "generated", "both"], default="both")
    parser.add_argument("--schedules", type=int, default=20, help="generated project: schedules over both vendors")
    parser.add_argument("--candidates", type=int, default=50, help="generated project: candidates per schedule")
    parser.add_argument("--error-rate", type=float, default=0.15, help="share of requests answered 503")
    parser.add_argument("--rate-limit-rate", type=float, default=0.10, help="share answered 429")
    parser.add_argument("--lost-answer-rate", type=float, default=0.05, help="share of writes whose answer is lost")
    parser.add_argument("--retry-after", type=float, default=0.05, help="Retry-After of the 429 answers (s)")
    args = parser.parse_args(argv)
    results = []
    for result in trials(args):
        results.append(result)
        print(json.dumps(result), flush=True)
    final = summary(results)
    print(json.dumps(final), flush=True)
    return 0 if final["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
