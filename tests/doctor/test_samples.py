"""--save-samples writes one redacted file per kind of answer: no secret, signature or email in any byte."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from reconciler.sandbox.mettl import MettlApp
from reconciler.sandbox.questionmark import SANDBOX_USERNAME

from .conftest import TenantFactory, questionmark_world

PUBLIC_KEY = "SENTINEL-PUBLIC-KEY-111"
PRIVATE_KEY = "SENTINEL-PRIVATE-KEY-222"
WEBHOOK = "Basic SENTINEL-WEBHOOK-333"
QM_PASSWORD = "SENTINEL-QM-PASSWORD-444"
PHONE = "SENTINEL-PHONE-555"
EMAILS = ("zed.sentinel@example.org", "Yara.Sentinel@Example.org", "quinn.sentinel@example.net")
SECRETS = (PUBLIC_KEY, PRIVATE_KEY, "SENTINEL-WEBHOOK-333", QM_PASSWORD, PHONE, "Zed Sentinel", "Yara Sentinel",
           base64.b64encode(f"{SANDBOX_USERNAME}:{QM_PASSWORD}".encode()).decode())
SIGNATURE_VALUES = re.compile(r"(?:^|[?&\"])(?:ak|ts|asgn)(?:=|\"\s*:\s*\")(?!\*\*\*)", re.IGNORECASE)

DESIRED = {
    "exams.yaml": (
        "schedules:\n"
        "  - name: Hooked Exam\n"
        "    provider: mettl\n"
        "    assessment_id: 769688\n"
        f"    candidates: [{{email: {EMAILS[0]}, name: Zed Sentinel}}]\n"
        "  - name: Safety Certification\n"
        "    provider: questionmark\n"
        "    assessment_id: '65433000065433'\n"
        "    group: safety-2026\n"
        f"    candidates: [{{email: {EMAILS[2]}, name: Quinn Sentinel}}]\n"
    ),
}


def _worlds() -> tuple[MettlApp, object]:
    mettl = MettlApp(credentials={PUBLIC_KEY: PRIVATE_KEY})
    mettl.add_assessment(769688, "Java Developer Assessment")
    mettl.add_schedule(769688, {
        "name": "Hooked Exam",
        "access": {"type": "ByInvitation", "sendEmail": False, "candidates": [
            {"name": "Zed Sentinel", "email": EMAILS[0], "Phone": PHONE},
            {"name": "Yara Sentinel", "email": EMAILS[1]}]},
        "scheduleType": "AlwaysOn",
        "sourceApp": "reconciler",
        "testFinishNotificationUrl": "https://hooks.example.com/finished",
        "testNotificationBasicAuthHeader": WEBHOOK,
    })
    qm = questionmark_world(users={SANDBOX_USERNAME: QM_PASSWORD})
    person = qm.add_participant(EMAILS[2], EMAILS[2])
    qm.add_schedule(Name="Personal Retake", AssessmentID="65433000065433", ParticipantID=person, MonitoringTypeID=1)
    return mettl, qm


def test_samples_hold_no_secret_signature_or_email(tenant: TenantFactory, tmp_path: Path) -> None:
    mettl, qm = _worlds()
    live = tenant(apps={"mettl": mettl, "questionmark": qm}, quirks={"mettl": ["M-07"]}, desired=DESIRED)
    live.env |= {"METTL_PUBLIC_KEY": PUBLIC_KEY, "METTL_PRIVATE_KEY": PRIVATE_KEY, "QUESTIONMARK_PASSWORD": QM_PASSWORD}
    folder = tmp_path / "samples"

    result = live.doctor("--save-samples", folder)

    files = sorted(folder.iterdir())
    names = {f.name for f in files}
    assert {"index.json", "mettl-account.json", "mettl-schedule.json", "mettl-candidates.json"} <= names, names
    assert "questionmark-monitoring-types.json" in names
    written = b"".join(f.read_bytes() for f in files) + result.output.encode()
    text = written.decode("utf-8")
    for secret in (*SECRETS, *EMAILS, EMAILS[1].lower()):
        assert secret not in text, secret
    assert not SIGNATURE_VALUES.search(text), SIGNATURE_VALUES.search(text)
    assert "Authorization:" not in text and "\"Authorization\"" not in text and "Basic " not in text
    schedule = json.loads((folder / "mettl-schedule.json").read_text(encoding="utf-8"))["schedule"]
    assert schedule["testNotificationBasicAuthHeader"] == "***"  # leaked by the M-07 quirk, redacted here
    assert "@example.org" in text and "cand-" in text  # emails are masked, not dropped
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert {entry["file"] for entry in index} == names - {"index.json"}
    assert all(entry["request"].startswith("GET /") for entry in index)
