"""The benchmark harness on a small world (5 schedules × 30 candidates, no latency), both vendors in one run:
request counts only, never times.

- no-op plan: Mettl reads the schedule listing (one page per assessment here) and one schedule per schedule;
  Questionmark reads ceil(all schedules incl. seats / 100) pages of the Schedules feed, plus `Schedules/$count`
  when there is more than one page (the pages after the first are then read at once by `$skip`). Nothing is
  written.
- apply of the 1 % change (one schedule's window end): one write per changed object — Mettl one edit of that
  schedule; Questionmark one PATCH of its anchor and one PATCH per seat (candidates + 1).
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from benchmarks.run import bench
from benchmarks.world import METTL_ASSESSMENTS, Scenario

SCENARIO = Scenario(schedules=5, candidates=30)


@pytest.fixture(scope="module")
def records() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    bench(["mettl", "questionmark"], SCENARIO, 0.0, [8], ["noop", "apply"],
          emit=lambda record: found.setdefault(record["run"], record))
    return found


def test_the_seeded_world_matches_the_project(records: dict[str, dict[str, Any]]) -> None:
    summary = records["noop-plan"]["summary"]
    assert summary["in_sync"] == 2 * SCENARIO.schedules
    assert {k: v for k, v in summary.items() if k != "in_sync" and v} == {}


def test_a_noop_plan_reads_only_list_pages_and_the_schedules(records: dict[str, dict[str, Any]]) -> None:
    requests = records["noop-plan"]["requests"]
    listing_pages = len(METTL_ASSESSMENTS)  # fewer than a page of schedules per assessment
    assert requests["mettl"] == {"reads": listing_pages + SCENARIO.schedules, "writes": 0, "retries": 0,
                                 "errors": 0}
    live = SCENARIO.schedules * (1 + SCENARIO.candidates)  # anchors and seats
    pages = math.ceil(live / 100)
    assert pages > 1
    assert requests["questionmark"] == {"reads": pages + 1, "writes": 0, "retries": 0, "errors": 0}


def test_apply_writes_once_per_changed_object(records: dict[str, dict[str, Any]]) -> None:
    record = records["apply-1%"]
    assert SCENARIO.changed == 1
    assert record["requests"]["mettl"]["writes"] == SCENARIO.changed
    assert record["requests"]["questionmark"]["writes"] == SCENARIO.changed * (1 + SCENARIO.candidates)
    assert record["requests_total"] == sum(k["reads"] + k["writes"] for k in record["requests"].values())
    assert record["peak_rss_mb"] > 0 and record["reconciler_cpu_s"] > 0
