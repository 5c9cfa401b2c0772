"""Fixtures: a live Mettl emulator on loopback (the plugin's `mettl_sandbox`, serving the world of `mettl_app`)
and the real provider pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from reconciler import engine
from reconciler.models import DesiredState, SafetyConfig, Schedule
from reconciler.providers.mettl.client import MettlClient
from reconciler.providers.mettl.provider import MettlProvider
from reconciler.sandbox.base import SandboxServer
from reconciler.sandbox.launch import Sandbox
from reconciler.sandbox.mettl import MettlApp

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def mettl_app() -> MettlApp:
    app = MettlApp()
    app.add_assessment(769688, "Java Developer Assessment")
    app.add_assessment(769700, "Ops Certification")
    return app


@pytest.fixture
def mettl_sandbox_app(mettl_app: MettlApp) -> MettlApp:
    return mettl_app


@pytest.fixture
def mettl_server(mettl_sandbox: Sandbox) -> SandboxServer:
    return mettl_sandbox.server


@pytest.fixture
def make_provider(mettl_sandbox: Sandbox) -> Iterator[Callable[..., MettlProvider]]:
    made: list[MettlProvider] = []

    def make(**kwargs: Any) -> MettlProvider:
        client_kwargs = {k: kwargs.pop(k) for k in ("clock", "version") if k in kwargs}
        client = MettlClient(mettl_sandbox.url, mettl_sandbox.user, mettl_sandbox.secret, **client_kwargs)
        provider = MettlProvider(client, **kwargs)
        made.append(provider)
        return provider

    yield make
    for provider in made:
        provider.close()


@pytest.fixture
def provider(make_provider: Callable[..., MettlProvider]) -> MettlProvider:
    return make_provider()


class Reconcile:
    """plan / apply helpers over one provider, with the emulator's call log at hand."""

    def __init__(self, provider: MettlProvider, server: SandboxServer) -> None:
        self.provider = provider
        self.server = server

    def plan(self, *schedules: Schedule, safety: SafetyConfig | None = None, prune: bool = False) -> engine.PlanRun:
        desired = DesiredState(schedules=schedules, prune=frozenset({"mettl"} if prune else ()))
        return engine.make_plan(desired, {"mettl": self.provider}, safety=safety, now=NOW)

    def apply(self, *schedules: Schedule, force: bool = False, prune: bool = False) -> engine.ApplyReport:
        run = self.plan(*schedules, prune=prune)
        report = engine.apply_plan(run, {"mettl": self.provider}, force=force)
        assert not report.failed, [o.message for o in report.failed]
        return report


@pytest.fixture
def reconcile(provider: MettlProvider, mettl_server: SandboxServer) -> Reconcile:
    return Reconcile(provider, mettl_server)
