"""The README as a newcomer follows it: a fresh `git clone` of this repository, a fresh venv, `pip install .`,
then the commands of "Quick start" and "Try it further" exactly as written, each with the exit code the
README promises (`# exit N`, else 0). Slow (it builds and installs the package): `./scripts/test` runs it in
its release step (RECONCILER_NEWCOMER_TEST=1); a plain `pytest` skips it.

It runs the real clock: the example's windows (2036) are what keeps it valid, which is what a newcomer needs."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ENABLED = os.environ.get("RECONCILER_NEWCOMER_TEST") == "1"
EXPECTED = re.compile(r"#\s*exit (\d)")

pytestmark = pytest.mark.skipif(not ENABLED, reason="slow: run by ./scripts/test (RECONCILER_NEWCOMER_TEST=1)")


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(rf"\n## {re.escape(title)}\n(.*?)(?=\n## )", text, re.DOTALL)
    assert found, f"README has no section {title!r}"
    return found[1]


def _commands(section: str) -> list[tuple[str, int]]:
    """Each command line of the section's ```sh blocks, with the exit code its comment promises."""
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL):
        for line in block.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            expected = EXPECTED.search(line)
            commands.append((line, int(expected[1]) if expected else 0))
    return commands


def _script(commands: list[tuple[str, int]]) -> str:
    """One shell session (the venv activated by the first command stays active), stopping at the first
    command whose exit code differs from the README's."""
    lines = ["set -u"]
    for command, expected in commands:
        lines += [f"echo {shlex.quote('$ ' + command)}", command, "code=$?",
                  f'[ "$code" = {expected} ] || {{ echo "exit $code, README says {expected}" >&2; exit 99; }}']
    return "\n".join(lines) + "\n"


def test_the_readme_quick_start_and_walkthrough_work_in_a_fresh_clone(tmp_path: Path) -> None:
    quick = _commands(_section("Quick start"))
    assert quick[-1] == ("./scripts/test", 0)  # the second command is this suite itself: not run again here
    walkthrough = _commands(_section("Try it further: apply, converge, drift"))
    assert any("reconciler.sandbox mettl" in c and " edit " in c for c, _ in walkthrough)
    clone = tmp_path / "reconciler"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=120)
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if ".venv" not in p)
    env = {"PATH": path, "HOME": str(tmp_path), "LANG": "C.UTF-8",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "n", "GIT_COMMITTER_NAME": "n",
           **{k: v for k, v in os.environ.items() if k.startswith(("PIP_", "PYTHON", "SSL_", "REQUESTS_CA"))}}

    done = subprocess.run(["bash", "--noprofile", "--norc", "-c", _script(quick[:-1] + walkthrough)], cwd=clone,
                          env=env, capture_output=True, text=True, timeout=1200)

    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-6000:]
    out = done.stdout
    assert "+ create Mettl · 769700 · Ops On-call Certification" in out
    assert "mettl.web_proctoring.count: live 3, desired 10 (as applied)" in out
    assert "In sync." in out.split("mettl.web_proctoring.count")[-1]  # drift after the apply
    # what the walkthrough left behind is ignored by git: a fresh clone stays clean
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True, check=True)
    assert status.stdout == ""
