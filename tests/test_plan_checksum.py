"""The plan checksum covers what apply relies on: the live fingerprints and the scope, not only the changes."""

from __future__ import annotations

from reconciler.models import Schedule
from reconciler.plan import Create, Plan


def _plan() -> Plan:
    wanted = Schedule.model_validate({"provider": "mettl", "assessment_id": "1", "name": "Exam"})
    return Plan.build([Create(provider="mettl", assessment_id="1", name="Exam", desired=wanted)])


def test_the_fingerprints_are_part_of_the_checksum() -> None:
    plan = _plan()
    moved = plan.model_copy(update={"fingerprints": {"mettl/1/Exam": "0123456789abcdef"}})
    assert moved.changes == plan.changes
    assert moved.checksum != plan.checksum
    again = plan.model_copy(update={"fingerprints": {"mettl/1/Exam": "fedcba9876543210"}})
    assert again.checksum not in (plan.checksum, moved.checksum)


def test_the_scope_is_part_of_the_checksum() -> None:
    plan = _plan()
    scoped = plan.model_copy(update={"scope": "--select Exam*"})
    other = plan.model_copy(update={"scope": "--select Ex*"})
    assert len({plan.checksum, scoped.checksum, other.checksum}) == 3

