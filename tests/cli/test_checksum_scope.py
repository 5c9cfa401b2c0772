"""A reviewed checksum pins the scope too: `--expect-checksum` of a plan made under one `--select` refuses an
apply under another, even when both select the same schedules and so plan the same writes."""

from __future__ import annotations

import json

from .conftest import Cli, Project, no_traceback


def test_expect_checksum_refuses_a_plan_made_under_another_select(run: Cli, acme: Project) -> None:
    planned = run("plan", "--select", "Java*", "--format", "json", *acme.args())
    assert planned.exit_code == 0, planned.output
    reviewed = json.loads(planned.stdout)["checksum"]
    other = run("plan", "--select", "Java Hiring*", "--format", "json", *acme.args())
    same_writes = json.loads(other.stdout)
    assert [c["name"] for c in same_writes["changes"]] == [c["name"] for c in json.loads(planned.stdout)["changes"]]
    before = acme.state_file.read_bytes()

    refused = run("apply", "--auto-approve", "--select", "Java Hiring*", "--expect-checksum", reviewed,
                  *acme.args())

    assert refused.exit_code == 4, refused.output
    no_traceback(refused)
    assert "the plan changed since it was reviewed" in refused.stderr
    assert acme.state_file.read_bytes() == before
    applied = run("apply", "--auto-approve", "--select", "Java*", "--expect-checksum", reviewed, *acme.args())
    assert applied.exit_code == 0, applied.output
