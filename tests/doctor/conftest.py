"""Fixtures: a project whose providers point at live emulators (seeded with the acme demo world), and a
runner for `reconciler doctor` in-process. Nothing is patched: the real clients talk HTTP to the emulators."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from reconciler import cli
from reconciler.sandbox.base import SandboxServer
from reconciler.sandbox.launch import start
from reconciler.sandbox.mettl import MettlApp
from reconciler.sandbox.questionmark import QuestionmarkApp
from reconciler.sandbox.worlds import seed_mettl, seed_questionmark

from ..cli.conftest import ACME, CLEAN_ENV, Cli

DESIRED_FILES = {
    "mettl": ("mettl.yaml", "candidate-lists.yaml", "ops-team.csv"),
    "questionmark": ("questionmark.yaml",),
}


@dataclass
class Tenant:
    """A project file with its desired files, and the emulators it points at."""

    root: Path
    servers: dict[str, SandboxServer]
    env: dict[str, str | None] = field(default_factory=dict)

    @property
    def config(self) -> Path:
        return self.root / "reconciler.yaml"

    def doctor(self, *args: str | Path, env: Mapping[str, str | None] | None = None) -> Result:
        argv = ["doctor", "--config", str(self.config), *(str(a) for a in args)]
        return CliRunner().invoke(cli.main, argv, env={**CLEAN_ENV, **self.env, **(env or {})},
                                  catch_exceptions=False)

    def rows(self, *args: str | Path, env: Mapping[str, str | None] | None = None
             ) -> tuple[Result, dict[str, dict[str, Any]]]:
        """Run doctor --format json; the result and its rows by check name."""
        result = self.doctor("--format", "json", *args, env=env)
        data = json.loads(result.stdout)
        return result, {row["name"]: row for row in data["checks"]}

    def writes(self) -> list[Any]:
        return [call for server in self.servers.values() for call in server.writes()]


def mettl_world(credentials: dict[str, str] | None = None) -> MettlApp:
    app = MettlApp(credentials=credentials)
    seed_mettl(app)
    return app


def questionmark_world(users: dict[str, str] | None = None) -> QuestionmarkApp:
    app = QuestionmarkApp(users=users)
    seed_questionmark(app)
    return app


def paged_questionmark_world(page_size: int = 2, extra: int = 6) -> QuestionmarkApp:
    """The demo world served `page_size` schedules a page, with `extra` hand-made schedules: several pages."""
    app = QuestionmarkApp(page_size=page_size)
    seed_questionmark(app)
    for n in range(extra):
        app.add_schedule(Name=f"Hand {n}", AssessmentID="65433000065433", GroupID=None, MonitoringTypeID=1,
                         ParticipantID=app.add_participant(f"hand{n}@example.com"))
    return app


TenantFactory = Callable[..., Tenant]


@pytest.fixture(autouse=True)
def _acme_time(at_acme_time: datetime) -> None:
    """The acme windows are checked at an instant before them, whatever today's date is."""


@pytest.fixture
def run() -> Cli:
    return Cli(CliRunner())


@pytest.fixture
def tenant(tmp_path: Path) -> Iterator[TenantFactory]:
    """make(providers, quirks={name: [...]}, apps={name: app}, env={...}) → a Tenant with running emulators."""
    with ExitStack() as stack:

        def make(providers: Iterable[str] = ("mettl", "questionmark"), *,
                 quirks: Mapping[str, Iterable[str]] | None = None,
                 apps: Mapping[str, MettlApp | QuestionmarkApp] | None = None,
                 desired: Mapping[str, str] | None = None) -> Tenant:
            root = tmp_path / "project"
            (root / "desired").mkdir(parents=True)
            lines = ["providers:"]
            env: dict[str, str | None] = {}
            servers: dict[str, SandboxServer] = {}
            for name in providers:
                app = (apps or {}).get(name) or (mettl_world() if name == "mettl" else questionmark_world())
                sandbox = stack.enter_context(start(app, quirks=(quirks or {}).get(name, ())))
                servers[name] = sandbox.server
                lines += [f"  {name}:", f"    base_url: {sandbox.url}"]
                for credential in sandbox.credentials:
                    lines.append(f"    {credential.key}: ${{{credential.env}}}")
                    env[credential.env] = credential.value
                if desired is None:
                    for file in DESIRED_FILES[name]:
                        shutil.copy(ACME / "desired" / file, root / "desired" / file)
            for file, text in (desired or {}).items():
                (root / "desired" / file).write_text(text, encoding="utf-8")
            (root / "reconciler.yaml").write_text("\n".join(lines) + "\ndesired: [desired]\n", encoding="utf-8")
            return Tenant(root, servers, env)

        yield make
