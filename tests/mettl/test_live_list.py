"""Observed Mettl candidate lists are kept as the diff needs them: normalised emails (the desired state's own
strings where equal) and the live names of only those the desired state does not list."""

from __future__ import annotations

import pytest

from reconciler.errors import MalformedResponseError
from reconciler.models import ScheduleKey
from reconciler.sandbox.mettl import MettlApp

from .fixtures import Reconcile
from .test_reconcile import ANA, MEI, RAJ, schedule

KEY = ScheduleKey("mettl", "769688", "Java Hiring Drive")


def test_only_undeclared_live_candidates_keep_their_names(reconcile: Reconcile) -> None:
    reconcile.apply(schedule(candidates=(ANA, RAJ)))
    wanted = schedule(candidates=(ANA, MEI))

    observed = reconcile.provider.observe_one(KEY, wanted)
    assert observed is not None and observed.candidates is not None
    assert observed.candidate_emails() == {"ana@example.com", "raj@example.com"}
    assert dict(observed.candidates.names) == {"raj@example.com": "Raj Patel"}
    shared = next(e for e in observed.candidates.emails if e == "ana@example.com")
    assert any(shared is c.email for c in wanted.candidates or ())  # the desired string, not a second copy
    assert observed.schedule.candidates == ()  # invitation-only; the list itself is kept apart

    change = reconcile.plan(wanted).plan.changes[0]
    assert [c.email for c in change.candidates.add] == ["mei@example.com"]
    assert change.candidates.remove == ("raj@example.com",)
    assert change.candidates.remove_names == {"raj@example.com": "Raj Patel"}


def test_a_live_email_that_is_not_one_stops_the_plan(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(schedule(candidates=(ANA,)))
    state = mettl_app.dump_state()
    state["schedules"][0]["access"]["candidates"][0]["email"] = "not an email"
    mettl_app.load_state(state)

    with pytest.raises(MalformedResponseError, match=r"cannot read schedule .*not a valid email address"):
        reconcile.plan(schedule(candidates=(ANA,)))
