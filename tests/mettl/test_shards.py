"""Two shards of one Mettl account (`shard:`): each owns only the schedules carrying its own sourceApp."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reconciler import engine
from reconciler.models import DesiredState
from reconciler.providers.base import Endpoint
from reconciler.providers.mettl.provider import make_mettl_provider
from reconciler.sandbox.base import SandboxServer
from reconciler.sandbox.launch import Sandbox
from reconciler.sandbox.mettl import MettlApp
from reconciler.scope import Scope

from .fixtures import NOW, Reconcile
from .test_reconcile import schedule


@pytest.fixture
def shards(mettl_sandbox: Sandbox, mettl_server: SandboxServer) -> Iterator[dict[str, Reconcile]]:
    endpoint = Endpoint(mettl_sandbox.url, mettl_sandbox.user, mettl_sandbox.secret)
    made = {name: make_mettl_provider(None, endpoint, shard=name) for name in ("east", "west")}
    for provider in made.values():
        provider.now = lambda: NOW
    yield {name: Reconcile(provider, mettl_server) for name, provider in made.items()}
    for provider in made.values():
        provider.close()


def test_two_shards_plan_clean_after_each_other_and_prune_leaves_the_other(
    shards: dict[str, Reconcile], mettl_app: MettlApp
) -> None:
    east, west = shards["east"], shards["west"]
    east.apply(schedule(name="East Drive"))
    west.apply(schedule(name="West Drive"))
    assert (mettl_app.find(769688, "East Drive") or {})["sourceApp"] == "reconciler/east"
    assert (mettl_app.find(769688, "West Drive") or {})["sourceApp"] == "reconciler/west"
    for shard, name in ((east, "East Drive"), (west, "West Drive")):
        plan = shard.plan(schedule(name=name), prune=True).plan
        assert not plan.has_changes and not plan.undeclared, plan.changes
        assert not {u.name for u in plan.unmanaged} & {"East Drive", "West Drive"}  # the other's is not shown

    west_before = mettl_app.find(769688, "West Drive")
    run = east.plan(schedule(name="Other"), prune=True)  # East Drive no longer declared: retired; West's left
    assert sorted((c.action, c.name) for c in run.plan.changes) == [("create", "Other"), ("disable", "East Drive")]
    assert "West Drive" not in {u.name for u in run.plan.unmanaged}
    east.apply(schedule(name="Other"), prune=True)
    assert mettl_app.find(769688, "West Drive") == west_before
    assert not west.plan(schedule(name="West Drive"), prune=True).plan.has_changes


def test_out_of_scope_schedules_are_neither_retired_nor_reported(shards: dict[str, Reconcile]) -> None:
    east = shards["east"]
    east.apply(schedule(name="East Drive"), schedule(name="East Other"))
    desired = DesiredState(schedules=(schedule(name="East Other"),), prune=frozenset({"mettl"}))
    whole = engine.make_plan(desired, {"mettl": east.provider}, now=NOW).plan
    assert [(c.action, c.name) for c in whole.changes if c.actionable] == [("disable", "East Drive")]
    scoped = engine.make_plan(desired, {"mettl": east.provider}, now=NOW, scope=Scope(("East O*",))).plan
    assert not scoped.has_changes and not scoped.unmanaged and not scoped.undeclared
    assert scoped.scope == "--select East O*" and scoped.checksum != whole.checksum
