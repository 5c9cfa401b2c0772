"""The parts of Mettl's answers the plan depends on, checked before they are read.

A missing or mistyped field must stop the run with the call and the field named — never read as "unset",
which would turn into a write. Extra fields are allowed (the vendor adds them over time).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from ...answers import Answer as _Answer, M, checked as _checked

PROVIDER = "mettl"


class ListedSchedule(_Answer):
    """One item of a schedule listing: what identifies it."""

    name: str = Field(min_length=1)
    accessKey: str = Field(min_length=1)


class LiveCandidate(_Answer):
    email: str = Field(min_length=3)
    name: str | None = None
    submissionDate: str | None = None


class LiveAccess(_Answer):
    type: Literal["OpenForAll", "ByInvitation"]
    candidates: list[LiveCandidate] | None = None
    sendEmail: bool | None = None
    isCandidateCrfPrefilled: bool | None = None


class LiveWindow(_Answer):
    fixedAccessOption: Literal["ExactTime", "SlotWise"] | None = None
    startsOnDate: str
    startsOnTime: str
    endsOnDate: str
    endsOnTime: str
    timeZone: str | None = None
    locationTimeZone: str | None = None


class LiveWebProctoring(_Answer):
    enabled: bool | None = None
    count: int | None = None
    showRemainingCounts: bool | None = None


class LiveToggle(_Answer):
    enabled: bool | None = None


class LiveSchedule(_Answer):
    """A schedule as `GET /v2/schedules/{access-key}` and the edit/create answers carry it (assumption M-05)."""

    name: str = Field(min_length=1)
    accessKey: str = Field(min_length=1)
    access: LiveAccess
    scheduleType: Literal["AlwaysOn", "Fixed"]
    scheduleWindow: LiveWindow | None = None
    webProctoring: LiveWebProctoring | None = None
    secureBrowser: LiveToggle | None = None
    ipAccessRestriction: LiveToggle | None = None
    testGradeNotification: LiveToggle | None = None

    @model_validator(mode="after")
    def _fixed_has_window(self) -> LiveSchedule:
        if self.scheduleType == "Fixed" and self.scheduleWindow is None:
            raise ValueError("scheduleWindow is missing for a Fixed schedule")
        return self


def checked(model: type[M], data: Any, call: str) -> dict[str, Any]:
    """`data` unchanged when it has the shape `model` describes; otherwise an error naming call and field."""
    return _checked(PROVIDER, model, data, call)
