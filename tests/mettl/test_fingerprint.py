"""A live schedule's fingerprint is the hash of the bytes Mettl answered (assumption M-14): stable while the
schedule is unchanged (also across the emulator's state round-trip), moved by any change, and a saved plan
made before the change is refused by apply's staleness check."""

from __future__ import annotations

import hashlib
import json

import pytest

from reconciler import engine
from reconciler.errors import StalePlanError
from reconciler.models import Candidate, ScheduleKey
from reconciler.sandbox.mettl import MettlApp

from .fixtures import Reconcile
from .test_reconcile import schedule

KEY = ScheduleKey("mettl", "769688", "Java Hiring Drive")
BOB = Candidate(email="bob@example.com", name="Bob Stone")


def _print(reconcile: Reconcile) -> str:
    observed = reconcile.provider.observe_one(KEY, None)
    assert observed is not None
    return observed.fingerprint


def test_the_fingerprint_hashes_the_answer_bytes_and_is_stable(reconcile: Reconcile, mettl_app: MettlApp) -> None:
    reconcile.apply(schedule())
    first = _print(reconcile)
    access_key = reconcile.provider.observe_one(KEY, None).ref  # type: ignore[union-attr]
    _, content = reconcile.provider.client.schedule_answer(access_key)
    assert first == hashlib.sha256(content).hexdigest()[:16]
    mettl_app.load_state(json.loads(json.dumps(mettl_app.dump_state(), sort_keys=True)))  # as a restart reloads
    assert _print(reconcile) == first


def test_a_saved_plan_is_stale_once_the_schedule_changed(reconcile: Reconcile) -> None:
    reconcile.apply(schedule())
    wanted = schedule(candidates=(*(schedule().candidates or ()), BOB))
    saved = reconcile.plan(wanted)
    before = saved.plan.fingerprints["mettl/769688/Java Hiring Drive"]
    document = saved.plan  # the validated plan apply reads back from its file
    engine.check_saved(document, reconcile.plan(wanted))  # nothing moved: accepted

    reconcile.apply(schedule(candidates=(BOB,)), force=True)  # someone else changes the candidate list
    fresh = reconcile.plan(wanted)
    assert fresh.plan.fingerprints["mettl/769688/Java Hiring Drive"] != before
    with pytest.raises(StalePlanError, match="Java Hiring Drive changed on the platform"):
        engine.check_saved(document, fresh)
