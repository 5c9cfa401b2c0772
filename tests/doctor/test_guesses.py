"""Doctor fails when it should (issue 16): a second listing page that does not advance, status values outside
Mettl's table, status rows compared with the inline candidates both ways, every Schedules page compared by
`$skip` and by link, a page other than the first read twice; manual rows print their note."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from reconciler.providers.questionmark import doctor as qm_doctor

from ..cli.conftest import ACME, Cli, Project
from .conftest import TenantFactory, mettl_world, paged_questionmark_world


def test_mettl_checks_report_what_they_saw(tenant: TenantFactory) -> None:
    result, rows = tenant(["mettl"]).rows()

    assert result.exit_code == 0, result.stdout
    assert "the page at offset 1 advances, `limit` honoured" in rows["mettl schedule listing 769688"]["detail"]
    status = rows["mettl candidate status rows"]["detail"]
    assert '"Yet to Start" ×4' in status and '"Completed" ×1' in status, status
    coverage = rows["mettl status rows per candidate"]["detail"]
    assert coverage.startswith("5 row(s) for 5 candidate(s)") and "`submissionDate`" in coverage


def test_rows_shaped_as_a_public_client_reads_them_pass(tenant: TenantFactory) -> None:
    app = mettl_world()
    app.quirks.row_shape = "public-client"

    result, rows = tenant(["mettl"], apps={"mettl": app}).rows()

    assert result.exit_code == 0, result.stdout
    assert '"YetToStart" ×4' in rows["mettl candidate status rows"]["detail"]


def test_an_unknown_status_value_fails_and_is_named(tenant: TenantFactory) -> None:
    app = mettl_world()
    app.quirks.row_shape = "public-client"
    app.quirks.raw_statuses["ana.lima@example.com"] = "Archived-Legacy"

    result, rows = tenant(["mettl"], apps={"mettl": app}).rows()

    row = rows["mettl candidate status rows"]
    assert result.exit_code == 1 and row["status"] == "fail"
    assert '"Archived-Legacy" ×1' in row["detail"]


@pytest.mark.parametrize(("quirk", "words"), [
    ("M-10", "1 of 5 candidate(s) without a row"),
    ("M-10-extra", "1 row(s) for no candidate of the schedule"),
    ("M-06-vocabulary", 'outside Mettl\'s table: "Expired" ×5'),
    ("M-01-offset", "`offset` does not advance"),
])
def test_each_mettl_quirk_is_named_in_the_detail(tenant: TenantFactory, quirk: str, words: str) -> None:
    result, rows = tenant(["mettl"], quirks={"mettl": [quirk]}).rows()

    assert result.exit_code == 1
    assert any(words in r["detail"] for r in rows.values() if r["status"] == "fail"), rows


def test_manual_rows_print_their_note(tenant: TenantFactory) -> None:
    _, rows = tenant().rows()

    for name, assumption in [("mettl closing window", "M-12"), ("mettl sourceApp ownership", "M-13"),
                             ("mettl form body", "M-15"), ("mettl form charset", "M-16"),
                             ("questionmark schedule IDs grow", "Q-11")]:
        row = rows[name]
        assert (row["status"], row["assumption"]) == ("manual", assumption)
        assert row["detail"].startswith("manual: ") and len(row["detail"]) > 60, row
    owners = rows["mettl sourceApp ownership"]["detail"]
    assert '769688: "Mettl Dashboard" ×2' in owners and "769700: no schedule" in owners


def test_every_schedules_page_is_compared(tenant: TenantFactory) -> None:
    result, rows = tenant(["questionmark"], apps={"questionmark": paged_questionmark_world()}).rows()

    assert result.exit_code == 0, result.stdout
    assert rows["questionmark $skip pages"]["detail"].startswith("pages 2–4 by `$skip` = by `odata.nextLink`")
    assert "of the first and second pages read twice" in rows["questionmark stable reads"]["detail"]


def test_a_skip_page_past_the_second_that_drifts_fails(tenant: TenantFactory) -> None:
    live = tenant(["questionmark"], quirks={"questionmark": ["Q-12"]},
                  apps={"questionmark": paged_questionmark_world()})

    _, rows = live.rows()

    assert rows["questionmark $skip pages"]["detail"].startswith("page 3 by `$skip`")


def test_a_feed_longer_than_the_bound_is_compared_up_to_it(tenant: TenantFactory,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(qm_doctor, "SKIP_CHECK_PAGES", 2)

    result, rows = tenant(["questionmark"], apps={"questionmark": paged_questionmark_world()}).rows()

    assert result.exit_code == 0
    assert "(not compared: more than 2 pages)" in rows["questionmark $skip pages"]["detail"]


def test_only_a_later_page_that_reads_differently_fails(tenant: TenantFactory) -> None:
    live = tenant(["questionmark"], quirks={"questionmark": ["Q-13-later-pages"]},
                  apps={"questionmark": paged_questionmark_world()})

    _, rows = live.rows()

    assert rows["questionmark stable reads"]["status"] == "fail"
    assert rows["questionmark schedules $expand"]["status"] == "pass"


def test_doctor_sandbox_reads_the_public_client_rows_and_fails_on_a_value_outside_the_table(
        run: Cli, tmp_path: Path) -> None:
    """The embedded `--sandbox` world, switched to the rows a public client reads (a world option)."""
    shutil.copytree(ACME, tmp_path / "acme")
    acme = Project(tmp_path / "acme", tmp_path / "sandbox")
    assert run("doctor", *acme.args()).exit_code == 0  # seeds the world
    state = json.loads(acme.state_file.read_text(encoding="utf-8"))
    state["quirks"]["row_shape"] = "public-client"
    acme.state_file.write_text(json.dumps(state), encoding="utf-8")

    passed = run("doctor", *acme.args())
    assert passed.exit_code == 0, passed.stdout
    assert '"YetToStart" ×4' in passed.stdout

    state["quirks"]["raw_statuses"] = {"raj.patel@example.com": "Withdrawn"}
    acme.state_file.write_text(json.dumps(state), encoding="utf-8")
    failed = run("doctor", *acme.args())
    assert failed.exit_code == 1
    assert '✗  mettl candidate status rows' in failed.stdout and '"Withdrawn" ×1' in failed.stdout
