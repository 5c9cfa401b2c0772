"""Fixtures: both emulators on loopback (seeded with the acme demo world, optionally hostile or faulty) and
a copy of the acme example whose project file points at them. The real CLI runs in-process; nothing below
it is patched except the planning clock."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from reconciler import clock
from reconciler.sandbox.live import Credentials, LiveVendors, live_vendors

from ..cli.conftest import ACME, PLAN_NOW, Cli
from ..support.examples import copy_example


@pytest.fixture(autouse=True)
def fixed_plan_clock(monkeypatch: pytest.MonkeyPatch, at_acme_time: datetime) -> None:
    monkeypatch.setattr(clock, "utcnow", lambda: PLAN_NOW)


@pytest.fixture
def run() -> Cli:
    return Cli(CliRunner())


@dataclass
class Acme:
    """The acme example pointed at live emulators."""

    vendors: LiveVendors
    config: Path

    @property
    def root(self) -> Path:
        return self.config.parent

    @property
    def env(self) -> dict[str, str | None]:
        return dict(self.vendors.env)


AcmeFactory = Callable[..., Acme]


@pytest.fixture
def acme_live(tmp_path: Path) -> Iterator[AcmeFactory]:
    """make(quirks={provider: [names]}, quirk_settings={...}, timeout=..., credentials=...) → Acme."""
    with ExitStack() as stack:

        def make(*, quirks: Mapping[str, Iterable[str]] | None = None,
                 quirk_settings: Mapping[str, float] | None = None, timeout: float = 5.0,
                 credentials: Credentials | None = None, extra: str = "") -> Acme:
            vendors = stack.enter_context(live_vendors(credentials, quirks=quirks, quirk_settings=quirk_settings))
            root = tmp_path / "acme"
            copy_example(ACME / "desired", root / "desired")
            return Acme(vendors, vendors.write_project(root, timeout=timeout, extra=extra))

        yield make
