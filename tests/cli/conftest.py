"""Fixtures for CLI tests: click's CliRunner against real loopback emulators (the embedded --sandbox or a
SandboxServer started here). Nothing below the CLI is patched except the planning clock."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from io import StringIO
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from reconciler import cli, clock

from ..clocks import ACME_NOW
from ..support.examples import copy_example

REPO = Path(__file__).resolve().parents[2]
ACME = REPO / "examples" / "acme"

# Every variable the CLI reads; None removes it from the environment for the run.
CLEAN_ENV: dict[str, str | None] = {
    "METTL_PUBLIC_KEY": None,
    "METTL_PRIVATE_KEY": None,
    "QUESTIONMARK_USERNAME": None,
    "QUESTIONMARK_PASSWORD": None,
    "WEBHOOK_AUTH": None,
    "RECONCILER_PII_KEY": None,
}

# The acme example's windows start in 2027: plan as of a fixed day before them, so the
# "live window" safety rule does not start refusing the example as the calendar moves on.
PLAN_NOW = ACME_NOW

CALLS = re.compile(r"HTTP calls: (.+)")


@pytest.fixture(autouse=True)
def fixed_plan_clock(monkeypatch: pytest.MonkeyPatch, at_acme_time: datetime) -> None:
    """The process runs at ACME_NOW (emulators and signatures too); the planning clock stands still there."""
    monkeypatch.setattr(clock, "utcnow", lambda: PLAN_NOW)


@dataclass
class Cli:
    """Runs `reconciler ...` in-process and keeps stdout and stderr apart."""

    runner: CliRunner

    def __call__(self, *args: str | Path, env: Mapping[str, str | None] | None = None,
                 input: str | None = None, obj: cli.RunState | None = None) -> Result:
        """`obj`: the run's state to use (and inspect after); by default the CLI makes a fresh one."""
        result = self.runner.invoke(cli.main, [str(a) for a in args], env={**CLEAN_ENV, **(env or {})},
                                    input=input, catch_exceptions=False, obj=obj)
        return result


@pytest.fixture
def run() -> Cli:
    return Cli(CliRunner())


@dataclass
class Project:
    """A copy of examples/acme in tmp_path, with its embedded sandbox world next to it."""

    root: Path
    sandbox_dir: Path

    @property
    def config(self) -> Path:
        return self.root / "reconciler.yaml"

    @property
    def state_file(self) -> Path:
        return self.sandbox_dir / "mettl.json"

    def args(self, *extra: str | Path) -> list[str | Path]:
        return [*extra, "--config", self.config, "--sandbox", "--sandbox-dir", self.sandbox_dir]

    def write(self, relative: str, text: str) -> None:
        (self.root / relative).write_text(text, encoding="utf-8")


@pytest.fixture
def acme(tmp_path: Path) -> Iterator[Project]:
    root = tmp_path / "acme"
    copy_example(ACME, root)
    yield Project(root, tmp_path / "sandbox")


def calls(text: str) -> dict[str, int]:
    """The `HTTP calls: mettl 3, questionmark 5` line printed by plan (stderr) and apply (stdout)."""
    found = CALLS.search(text)
    assert found, f"no HTTP call count in {text!r}"
    counts = {}
    for part in found[1].split(", "):
        name, _, count = part.rpartition(" ")
        counts[name] = int(count)
    return counts


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert "Traceback" not in result.stderr


def error_lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def all_output(result: Result, extra: Sequence[Path] = ()) -> str:
    files = "".join(p.read_text(encoding="utf-8") for p in extra if p.exists())
    return result.stdout + result.stderr + files


def set_java_cohort(acme: Project, count: int) -> None:
    """java-cohort in the copy's candidate-lists.yaml becomes `count` people (ana, raj, mei first, then
    person.00@example.com "Person 00", …)."""
    yaml = YAML()
    path = acme.root / "desired" / "candidate-lists.yaml"
    data = yaml.load(path.read_text(encoding="utf-8"))
    known = ["ana.lima", "raj.patel", "mei.chen"]
    people = known + [f"person.{n:02d}" for n in range(count - len(known))]
    data["candidate_lists"]["java-cohort"] = [
        {"email": f"{who}@example.com", "name": who.replace(".", " ").title()} for who in people[:count]]
    out = StringIO()
    yaml.dump(data, out)
    path.write_text(out.getvalue(), encoding="utf-8")
