"""The demo world the embedded sandbox starts with: what the acme example meets on its first plan."""

from __future__ import annotations

from typing import Any

from .mettl import MettlApp
from .questionmark import QuestionmarkApp


def mettl_app(seed_world: bool = False) -> MettlApp:
    """A fresh Mettl emulator: empty, or holding the demo world."""
    app = MettlApp()
    if seed_world:
        seed_mettl(app)
    return app


def questionmark_app(seed_world: bool = False) -> QuestionmarkApp:
    """A fresh Questionmark emulator: empty, or holding the demo world."""
    app = QuestionmarkApp()
    if seed_world:
        seed_questionmark(app)
    return app


def seed_mettl(app: MettlApp) -> None:
    """Two assessments; one schedule already live (drifted from the YAML) and one nobody manages.

    The live schedule holds a candidate in mixed case (Mettl keeps the spelling it was given) and one who
    has submitted (protected)."""
    app.add_assessment(769688, "Java Developer Assessment", duration=90)
    app.add_assessment(769700, "Ops On-call Certification", duration=60)
    key = app.add_schedule(769688, {
        "name": "Java Hiring Drive",
        "sourceApp": "Mettl Dashboard",
        "access": {
            "type": "ByInvitation",
            "sendEmail": True,
            "candidates": [
                {"name": "Ana Lima", "email": "ana.lima@example.com"},
                {"name": "Raj Patel", "email": "raj.patel@example.com"},
                {"name": "Mei Chen", "email": "mei.chen@example.com"},
                {"name": "Old Applicant", "email": "Old.Applicant@Example.com"},
                {"name": "Early Bird", "email": "early.bird@example.com"},
            ],
        },
        "scheduleType": "Fixed",
        "scheduleWindow": {
            "fixedAccessOption": "ExactTime",
            "startsOnDate": "Sat, 07 Jun 2036", "startsOnTime": "09:00:00",
            "endsOnDate": "Tue, 10 Jun 2036", "endsOnTime": "18:00:00",
            "locationTimeZone": "Asia/Kolkata",
        },
        "webProctoring": {"enabled": True, "count": 5, "showRemainingCounts": True},
        "visualProctoring": {"mode": "PHOTO", "options": {"candidateScreenCapture": True,
                                                           "candidateAuthorization": False}},
        "secureBrowser": {"enabled": True},
        "protected": "OtpOnEmail",
        "testGradeNotification": {"enabled": True, "recipients": ["hiring@example.com"]},
    })
    app.mark_submitted(key, "early.bird@example.com")
    legacy: dict[str, Any] = {
        "name": "Legacy Campus Link",
        "sourceApp": "Mettl Dashboard",
        "access": {"type": "OpenForAll"},
        "scheduleType": "AlwaysOn",
    }
    app.add_schedule(769688, legacy)


def seed_questionmark(app: QuestionmarkApp, user: str | None = None) -> None:
    """The service account (`user`, default the sandbox's) may schedule the example's assessment; some
    participants already exist; one hand-made schedule in the same assessment nobody manages."""
    from .questionmark import SANDBOX_USERNAME

    app.allow_scheduling(user or SANDBOX_USERNAME, "65433000065433", group="exam-administrators")
    manual = app.add_group("manual-retakes")
    app.add_participant("omar.haddad@example.com", "omar.haddad@example.com", groups=("manual-retakes",))
    app.add_participant("priya.nair@example.com", "priya.nair@example.com")
    app.add_schedule(Name="Manual Retake", AssessmentID="65433000065433", GroupID=manual, MonitoringTypeID=1)
