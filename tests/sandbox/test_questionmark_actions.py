"""The emulator's participant actions (participant.rst): SendWelcomeEmail, ActionableSchedules (three readings
of a participant schedule, assumption Q-02), SsoId and the write-only Password; over real sockets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from reconciler.sandbox.questionmark import QuestionmarkApp

from .test_questionmark_sandbox import Clock, Env, _env

WINDOW = {"StartFrom": "2027-01-01T08:00:00Z", "StartTo": "2027-01-01T18:00:00Z"}


@pytest.fixture
def qm() -> Iterator[Env]:
    clock = Clock()  # 2027-01-01 09:00 UTC: inside WINDOW
    yield from _env(QuestionmarkApp(now=clock), clock)


def test_send_welcome_email_is_recorded_and_takes_no_parameters(qm: Env) -> None:
    path = f"Participants({qm.alice})/SendWelcomeEmail"
    assert qm.post(path, {}).status_code == 204
    assert qm.app.welcome_emails == [qm.alice]
    assert qm.post(path, {"To": "x"}).status_code == 400
    assert qm.get(path).status_code == 405
    assert qm.post("Participants(999)/SendWelcomeEmail", {}).status_code == 404
    assert qm.app.welcome_emails == [qm.alice]


def test_sso_id_is_kept_and_the_password_is_write_only(qm: Env) -> None:
    made = qm.post("Participants", {"Name": "E1", "PrimaryEmail": "e1@example.com", "SsoId": "e1@example.com",
                                    "Password": "s3cret-pass"})
    assert made.status_code == 201
    read = qm.get(f"Participants({made.json()['ID']})").json()
    assert read["SsoId"] == "e1@example.com" and read["Password"] is None


def _actionable(qm: Env, participant: int) -> dict[int, list[str]]:
    response = qm.post(f"Participants({participant})/ActionableSchedules", {})
    assert response.status_code == 200
    assert response.json()["odata.metadata"].endswith("#Collection(QM.DeliveryODataService.DTO.ActionableSchedule)")
    return {item["ScheduleID"]: item["Actions"] for item in response.json()["value"]}


@pytest.mark.parametrize(("reading", "seated_offered", "member_offered"),
                         [("participant", True, False), ("and", False, False), ("or", True, True)])
def test_actionable_schedules_under_each_reading(qm: Env, reading: str, seated_offered: bool,
                                                 member_offered: bool) -> None:
    seated = qm.app.add_participant("seated", "seated@example.com")  # not a member of the group
    seat = qm.new_schedule(ParticipantID=seated, **WINDOW)["ID"]
    qm.app.reading = reading  # type: ignore[assignment]
    assert (seat in _actionable(qm, seated)) is seated_offered
    assert (seat in _actionable(qm, qm.alice)) is member_offered  # alice: a member of the seat's group


def test_a_group_schedule_is_offered_to_members_and_an_exception_instead(qm: Env) -> None:
    group_schedule = qm.new_schedule(**WINDOW)["ID"]
    assert _actionable(qm, qm.alice) == {group_schedule: ["start"]}
    child = qm.new_schedule(ParentScheduleID=group_schedule, ParticipantID=qm.alice, **WINDOW)["ID"]
    assert _actionable(qm, qm.alice) == {child: ["start"]}
    qm.patch(f"Schedules({child})", {"Disabled": True})
    assert _actionable(qm, qm.alice) == {}  # a disabled exception revokes the member's access
    outsider = qm.app.add_participant("outsider", "outsider@example.com")
    assert _actionable(qm, outsider) == {}
    qm.clock.advance(timedelta(days=1).total_seconds())
    assert _actionable(qm, qm.alice) == {}
