"""examples/acme runs Questionmark in membership mode against the embedded sandbox: its QMWISe endpoint takes the
place of the configured qmwise_url, the candidate list becomes the group's members, and the plan says the mode."""

from __future__ import annotations

import json

from .conftest import Cli, Project


def test_acme_in_membership_mode_through_the_embedded_sandbox(run: Cli, acme: Project) -> None:
    planned = run("plan", *acme.args())
    assert planned.exit_code == 0, planned.output
    assert "Questionmark access: membership 1" in planned.stdout
    applied = run("apply", "--auto-approve", *acme.args())
    assert applied.exit_code == 0, applied.output
    world = json.loads((acme.sandbox_dir / "questionmark.json").read_text(encoding="utf-8"))
    groups = {g["Name"]: g["ID"] for g in world["Groups"]}
    members = [pair for pair in world["memberships"] if pair[0] == groups["safety-2026"]]
    assert len(members) == 4  # the four plant operators, through AddGroupParticipantList
    seats = [s for s in world["Schedules"] if s["Name"] == "Safety Certification" and s["ParticipantID"] is not None
             and s["ParentScheduleID"] is None]
    assert seats == []
    again = run("plan", "--detailed-exitcode", *acme.args())
    assert again.exit_code == 0, again.output
