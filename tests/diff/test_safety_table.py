"""The safety rules against a reference formula, at every boundary: removal fraction, retirement fraction and the
live-window rule. Exhaustive over small sizes, so each `>`/`>=`/`<=` of the rules is pinned from both sides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest

from reconciler.diff import diff_schedule, mass_retirement, retire, safety_reasons
from reconciler.models import Candidate, SafetyConfig, Schedule, ScheduleKey, Window
from reconciler.observed import Observed
from reconciler.plan import Disable, NoOp, ScheduleChange, Update

NOW = datetime(2026, 12, 2, 12, tzinfo=UTC)
PEOPLE = tuple(Candidate(email=f"p{i}@example.com", name=f"P {i}") for i in range(24))
REMOVAL_CONFIGS = [SafetyConfig(), SafetyConfig(max_removal_fraction=0.5, min_candidates_for_fraction=0),
                   SafetyConfig(max_removal_fraction=0.0, min_candidates_for_fraction=3),
                   SafetyConfig(max_removal_fraction=1.0, min_candidates_for_fraction=1)]
RETIRE_CONFIGS = [SafetyConfig(), SafetyConfig(max_retire_fraction=0.5, min_schedules_for_retire_fraction=0),
                  SafetyConfig(max_retire_fraction=0.0, min_schedules_for_retire_fraction=2),
                  SafetyConfig(max_retire_fraction=1.0, min_schedules_for_retire_fraction=1)]


def _schedule(name: str = "Exam", provider: str = "mettl", **fields: object) -> Schedule:
    return Schedule.model_validate({"provider": provider, "assessment_id": "1", "name": name, **fields})


def _live(schedule: Schedule) -> Observed:
    return Observed(schedule=schedule, ref=f"ref-{schedule.name}", fingerprint="fp")


def removal_needs_force(existing: int, removing: int, safety: SafetyConfig) -> bool:
    """The reference: more than the allowed share of a list of at least the minimum size."""
    return (existing >= safety.min_candidates_for_fraction and existing > 0
            and Fraction(removing, existing) > Fraction(str(safety.max_removal_fraction)))


def retire_needs_force(live: int, retiring: int, safety: SafetyConfig) -> bool:
    total = live + retiring
    return (retiring > 0 and total >= safety.min_schedules_for_retire_fraction
            and Fraction(retiring, total) > Fraction(str(safety.max_retire_fraction)))


@pytest.mark.parametrize("safety", REMOVAL_CONFIGS, ids=str)
def test_removal_fraction_matches_the_reference_at_every_size(safety: SafetyConfig) -> None:
    for existing in range(len(PEOPLE) + 1):
        live = _live(_schedule(candidates=PEOPLE[:existing]))
        for keep in range(existing + 1):
            change = diff_schedule(_schedule(candidates=PEOPLE[:keep]), live)
            if keep == existing:
                assert change is None
                continue
            assert isinstance(change, Update)
            reasons = [r for r in safety_reasons(change, safety, NOW) if r.startswith("removes")]
            assert bool(reasons) is removal_needs_force(existing, existing - keep, safety), (existing, keep)


@pytest.mark.parametrize("safety", REMOVAL_CONFIGS, ids=str)
def test_retiring_a_schedule_counts_as_removing_everyone(safety: SafetyConfig) -> None:
    for existing in range(len(PEOPLE) + 1):
        change = retire(_live(_schedule(candidates=PEOPLE[:existing])))
        assert isinstance(change, Disable)
        reasons = [r for r in safety_reasons(change, safety, NOW) if r.startswith("removes")]
        assert bool(reasons) is removal_needs_force(existing, existing, safety), existing


@pytest.mark.parametrize("safety", RETIRE_CONFIGS, ids=str)
def test_retirement_fraction_matches_the_reference_per_provider(safety: SafetyConfig) -> None:
    for live in range(9):
        for retiring in range(9):
            declared = [_schedule(f"D{i}") for i in range(live)]
            managed: list[ScheduleKey] = [s.key for s in declared]
            managed.append(_schedule("Other", provider="questionmark").key)  # another provider: not counted
            changes: list[ScheduleChange] = [retire(_live(_schedule(f"R{i}"))) for i in range(retiring)]
            out = mass_retirement(changes, managed, safety)
            expected = retire_needs_force(live, retiring, safety)
            assert [bool(c.needs_force) for c in out] == [expected] * retiring, (live, retiring)


def _window(start: datetime, end: datetime) -> Window:
    return Window.from_utc(start, end)


@pytest.mark.parametrize(("start", "end", "live"), [
    (NOW, NOW + timedelta(hours=2), True),                                   # starts exactly now: live
    (NOW + timedelta(seconds=1), NOW + timedelta(hours=2), False),           # a second from now: not yet
    (NOW - timedelta(seconds=1), NOW + timedelta(hours=2), True),
    (NOW - timedelta(hours=2), NOW, False),                                  # ended exactly now: over
    (NOW - timedelta(hours=2), NOW + timedelta(seconds=1), True),
    (NOW - timedelta(hours=2), NOW - timedelta(seconds=1), False),
])
@pytest.mark.parametrize("retiring", [False, True])
def test_the_live_window_rule_at_its_edges(start: datetime, end: datetime, live: bool, retiring: bool) -> None:
    before = _schedule(window=_window(start, end))
    if retiring:
        change: ScheduleChange = retire(_live(before))
    else:
        moved = _window(NOW + timedelta(days=3), NOW + timedelta(days=4))
        update = diff_schedule(_schedule(window=moved), _live(before))
        assert isinstance(update, Update) and update.window_changed
        change = update
    assert not isinstance(change, NoOp)
    reasons = safety_reasons(change, SafetyConfig(), NOW)
    assert ("its exam window is live now" in reasons) is live
    assert "its exam window is live now" not in safety_reasons(change, SafetyConfig(protect_live_windows=False), NOW)
