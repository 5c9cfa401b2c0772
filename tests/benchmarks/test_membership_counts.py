"""The benchmark harness with Questionmark in membership mode (5 schedules × 130 candidates, no latency):
request counts only.

- no-op plan: ceil(5 / 100) = 1 Schedules page (no `$count`: one page) + ceil(130 / 100) = 2
  `Groups(id)/Participants` pages per schedule; nothing written.
- apply of the 1 % change (one window end): one PATCH of that group schedule, nothing else.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from benchmarks.run import bench
from benchmarks.world import Scenario

SCENARIO = Scenario(schedules=5, candidates=130, access="membership")


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    bench(["questionmark"], SCENARIO, 0.0, [8], ["noop", "apply"],
          emit=lambda record: found.setdefault(record["run"], record))
    return found


def test_a_noop_plan_reads_the_listing_and_the_rosters(records: dict[str, dict[str, Any]]) -> None:
    record = records["noop-plan"]
    assert record["access"] == "membership" and record["summary"]["in_sync"] == SCENARIO.schedules
    roster_pages = SCENARIO.schedules * math.ceil(SCENARIO.candidates / 100)
    assert record["requests"]["questionmark"] == {"reads": math.ceil(SCENARIO.schedules / 100) + roster_pages,
                                                  "writes": 0, "retries": 0, "errors": 0}


def test_a_window_change_is_one_patch_per_changed_schedule(records: dict[str, dict[str, Any]]) -> None:
    assert records["apply-1%"]["requests"]["questionmark"]["writes"] == SCENARIO.changed == 1
