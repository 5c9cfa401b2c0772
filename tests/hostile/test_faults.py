"""Convergence under faults, small: `scripts/faults.py` with 3 seeded trials of the acme example and of a
small generated project (both vendors), with 15% 503, 10% 429 and 5% of writes whose answer is lost.

Each trial must converge in one apply (the script allows 2 of 10 trials a second apply; 3 trials leave
no room), nothing may be duplicated or lost, and every kind of fault must really have been injected.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from ..clocks import python_at_test_time

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "faults.py"


def test_one_apply_converges_under_faults_without_duplicates() -> None:
    done = subprocess.run(
        [*python_at_test_time(), str(SCRIPT), "--trials", "3", "--seed", "11", "--project", "both", "--schedules", "4",
         "--candidates", "5"], capture_output=True, text=True, timeout=300, check=False)

    lines = [json.loads(line) for line in done.stdout.splitlines()]
    *trials, summary = lines
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert [(t["trial"], t["project"]) for t in trials] == [(n, p) for n in range(3) for p in ("acme", "generated")]
    for trial in trials:
        assert trial["converged"] and trial["applies"] == 1, trial
        assert trial["duplicates"] == [] and trial["lost"] == [], trial
    assert summary["converged_in_1"] == 6 and summary["max_applies"] == 1 and summary["ok"] is True
    assert summary["duplicates"] == 0 and summary["lost"] == 0
    assert {"error", "rate_limit", "lost_answer"} <= set(summary["injected"]), summary["injected"]
    assert summary["injected"]["lost_answer"] >= 3
