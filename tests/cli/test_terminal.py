"""At a terminal: colour (off with NO_COLOR, --no-color or no terminal), progress on stderr, the typed `yes`.

The command runs as a real process on pseudo-terminals against the embedded sandbox; without a terminal
(CliRunner) the output is the plain text, byte for byte.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from reconciler.cli.output import color_on

from .conftest import Cli, Project
from .terminal import ANSI, run_in_terminal, strip_ansi

GREEN_PLUS, YELLOW_TILDE, RED_MINUS = "\x1b[32m+\x1b[0m", "\x1b[33m~\x1b[0m", "\x1b[31m-\x1b[0m"


def _seeded(run: Cli, acme: Project) -> str:
    """The plain text plan (CliRunner: no terminal); the run also seeds the sandbox world."""
    plain = run("plan", *acme.args())
    assert plain.exit_code == 0, plain.output
    assert not ANSI.search(plain.stdout + plain.stderr)
    return plain.stdout


def test_the_plan_is_in_colour_on_a_terminal(run: Cli, acme: Project) -> None:
    plain = _seeded(run, acme)
    shown = run_in_terminal(["plan", *acme.args()], ttys={"stdout"})
    assert shown.code == 0, shown.stderr
    assert f"{YELLOW_TILDE} update \x1b[1mMettl · 769688 · Java Hiring Drive\x1b[0m" in shown.stdout
    assert f"    {GREEN_PLUS} tom.okafor@example.com (Tom Okafor)" in shown.stdout
    assert f"    {RED_MINUS} old.applicant@example.com (Old Applicant)" in shown.stdout
    assert "\x1b[36m=\x1b[0m early.bird@example.com" in shown.stdout  # protected: cyan
    assert strip_ansi(shown.stdout) == plain  # the same text, only coloured
    assert not ANSI.search(shown.stderr)  # stderr is a pipe: no colour, no progress there


@pytest.mark.parametrize(("flag", "env"), [
    (None, {"NO_COLOR": "1"}),
    (None, {"NO_COLOR": ""}),
    ("after", {}),
    ("before", {}),
], ids=["NO_COLOR=1", "NO_COLOR empty", "--no-color after", "--no-color before"])
def test_no_color_on_a_terminal_gives_the_plain_text(run: Cli, acme: Project, flag: str | None,
                                                      env: dict[str, str]) -> None:
    plain = _seeded(run, acme)
    argv: list[str | Path] = ["plan", *acme.args()]
    if flag == "after":
        argv.append("--no-color")
    elif flag == "before":
        argv.insert(0, "--no-color")
    shown = run_in_terminal(argv, ttys={"stdout"}, env=env)
    assert shown.code == 0, shown.stderr
    assert shown.stdout == plain


def test_an_error_is_red_on_a_terminal_only(run: Cli, acme: Project) -> None:
    args: list[str | Path] = ["plan", "--config", acme.root / "missing.yaml"]
    shown = run_in_terminal(args, ttys={"stderr"})
    assert shown.code == 1
    assert shown.stderr.startswith("\x1b[1;31merror:\x1b[0m ")
    piped = run(*args)
    assert piped.exit_code == 1 and piped.stderr.startswith("error: ") and not ANSI.search(piped.stderr)
    assert strip_ansi(shown.stderr) == piped.stderr


def test_progress_on_stderr_only_when_it_is_a_terminal(run: Cli, acme: Project) -> None:
    plain = _seeded(run, acme)
    shown = run_in_terminal(["plan", *acme.args()], ttys={"stderr"})
    assert shown.code == 0, shown.stderr
    assert "Read Mettl: " in shown.stderr and "Read Questionmark: " in shown.stderr
    assert shown.stdout == plain  # stdout is a pipe: the plain plan, no progress mixed in

    quiet = run("plan", *acme.args())
    assert quiet.stderr.splitlines()[0].startswith("HTTP calls: ")  # nothing else: CI logs stay clean
    assert len(quiet.stderr.splitlines()) == 1


def test_apply_progress_counts_the_changes_and_keeps_stdout_whole(run: Cli, acme: Project) -> None:
    _seeded(run, acme)
    shown = run_in_terminal(["apply", "--auto-approve", "--force", *acme.args()], ttys={"stderr"})
    assert shown.code == 0, shown.stderr
    assert "Applied 0/4: Mettl · 769688 · Java Hiring Drive" in shown.stderr and "Applied 4/4" in shown.stderr
    assert "✓ Questionmark · 65433000065433 · Safety Certification" in shown.stdout  # not swallowed by the bar
    assert "Apply: 4 applied, 0 failed." in shown.stdout and not ANSI.search(shown.stdout)

    again = run("apply", "--auto-approve", *acme.args())  # no terminal: no progress
    assert again.exit_code == 0 and "Applied" not in again.stderr


@pytest.mark.parametrize("typed", ["y\n", "YES\n", "no\n", "\n"])
def test_only_yes_applies(run: Cli, acme: Project, typed: str) -> None:
    _seeded(run, acme)
    before = acme.state_file.read_bytes()
    shown = run_in_terminal(["apply", "--force", *acme.args()], ttys={"stdin"}, typed=typed)
    assert shown.code == 1
    assert "Only 'yes' will be accepted to approve." in shown.stderr
    assert "error: apply cancelled, nothing changed" in shown.stderr and "Traceback" not in shown.stderr
    assert "Plan: 3 to create" in shown.stdout and "Apply:" not in shown.stdout
    assert acme.state_file.read_bytes() == before


def test_typed_yes_applies(run: Cli, acme: Project) -> None:
    _seeded(run, acme)
    shown = run_in_terminal(["apply", "--force", *acme.args()], ttys={"stdin"}, typed="yes\n")
    assert shown.code == 0, shown.stderr
    assert "Enter a value:" in shown.stderr
    assert f"{shown.stdout.split('Plan checksum: ')[1][:64]}\n✓ Mettl · 769688 · Java Hiring Drive\n" \
        in shown.stdout  # the question and the answer stay off stdout
    assert "Apply: 4 applied, 0 failed." in shown.stdout
    live = json.loads(acme.state_file.read_text(encoding="utf-8"))
    assert "Open Practice" in {s["name"] for s in live["schedules"]}


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_one_decision_for_colour(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert color_on(_Tty(), no_color=False) and not color_on(io.StringIO(), no_color=False)
    monkeypatch.setenv("NO_COLOR", "")
    assert not color_on(_Tty(), no_color=False)
    monkeypatch.delenv("NO_COLOR")
    assert not color_on(_Tty(), no_color=True)
