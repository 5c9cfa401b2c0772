"""The composite action: its install step (with a stub Python), and its runner `python -m reconciler.cli.action`
for real — the reconciler CLI against the embedded sandbox in a copy of examples/acme, as action.yml runs it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from reconciler import cli
from reconciler.cli.action import PLAN_CHANGED, InputError, parse_secrets, read_inputs

from ..clocks import python_at_test_time, reconciler_at_test_time
from ..support.examples import copy_example
from .gha import ACTION, ROOT, load, run_bash

ACME = ROOT / "examples" / "acme"
WEBHOOK = "Basic d2ViaG9vay11c2VyOnMzY3IzdC12YWx1ZQ=="
PII_KEY = "pseudonym-key-for-tests"
EMAIL = "ana.lima@example.com"


def _pyproject() -> dict[str, Any]:
    project: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project


# --------------------------------------------------------------------------- one version everywhere


def test_one_distribution_name_and_one_version_everywhere() -> None:
    project = _pyproject()
    assert project["name"] == "exam-reconciler"
    assert project["scripts"] == {"reconciler": "reconciler.cli:main"}
    version = str(project["version"])
    assert load(ACTION)["inputs"]["version"]["default"] == version
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.findall(r"^## \[(\d[^\]]*)\]", changelog, re.MULTILINE)[0] == version
    assert installed_version("exam-reconciler") == version
    shown = CliRunner().invoke(cli.main, ["--version"])
    assert shown.exit_code == 0 and shown.output.strip().endswith(f" {version}")


# --------------------------------------------------------------------------- the install step

_BASE_PYTHON = r"""#!/usr/bin/env bash
# Stands in for setup-python's interpreter: `-m venv DIR` makes a venv whose python records `pip install`.
echo "venv $3" >> "$CALLS"
mkdir -p "$3/bin"
cat > "$3/bin/python" <<'STUB'
#!/usr/bin/env bash
spec="${@: -1}"
echo "pip $spec" >> "$CALLS"
case "$spec" in check|*.txt) exit 0 ;; esac
case "$spec" in exam-reconciler==*) got="${spec#exam-reconciler==}" ;; *) got="$OWN" ;; esac
printf '#!/bin/sh\necho "reconciler %s"\n' "$got" > "$(dirname "$0")/reconciler"
chmod +x "$(dirname "$0")/reconciler"
STUB
chmod +x "$3/bin/python"
"""


@pytest.fixture
def install(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    base = tmp_path / "base-python"
    base.write_text(_BASE_PYTHON)
    base.chmod(0o755)
    own = str(_pyproject()["version"])
    env = {"GITHUB_ACTION_PATH": str(ROOT), "RUNNER_TEMP": str(tmp_path / "temp"), "BASE_PYTHON": str(base),
           "CALLS": str(tmp_path / "calls"), "OWN": own}
    (tmp_path / "temp").mkdir()
    return tmp_path, env


def _install_script() -> str:
    return str(next(s for s in load(ACTION)["runs"]["steps"] if s.get("id") == "install")["run"])


@pytest.mark.parametrize(("wanted", "source"), [
    (None, str(ROOT)), ("local", str(ROOT)), ("0.1.9", "exam-reconciler==0.1.9"),
    ("1.0.0rc1", "exam-reconciler==1.0.0rc1"),
])
def test_install_pins_the_tool(install: tuple[Path, dict[str, str]], wanted: str | None, source: str) -> None:
    folder, env = install
    given = wanted or env["OWN"]  # the input's default is the action's own version
    code, log, outputs = run_bash(_install_script(), folder, {**env, "WANTED": given})
    assert code == 0, log
    # the hashed dependencies first, then the tool alone, then pip's consistency check
    assert (folder / "calls").read_text().splitlines()[1:] == [
        f"pip {ROOT}/action-requirements.txt", f"pip {source}", "pip check"]
    assert outputs["python"] == f"{folder}/temp/reconciler-venv/bin/python"
    again, log, _ = run_bash(_install_script(), folder, {**env, "WANTED": given})
    assert again == 0 and (folder / "calls").read_text().count("pip ") == 3, "the same version is installed once"


@pytest.mark.parametrize("wanted", ["latest", "0.2; curl evil.example", "--index-url=https://evil.example", ""])
def test_install_refuses_a_version_that_is_not_a_release(install: tuple[Path, dict[str, str]], wanted: str) -> None:
    folder, env = install
    code, log, outputs = run_bash(_install_script(), folder, {**env, "WANTED": wanted})
    assert code == 1 and "::error title=reconciler action::input version" in log
    assert not (folder / "calls").exists() and "python" not in outputs


# --------------------------------------------------------------------------- inputs


def test_the_secrets_mapping() -> None:
    text = "\n  # the credentials\nMETTL_PUBLIC_KEY = pub\nWEBHOOK_AUTH=Basic a=b==\nUNSET_ONE=\n"
    assert parse_secrets(text) == {"METTL_PUBLIC_KEY": "pub", "WEBHOOK_AUTH": "Basic a=b==", "UNSET_ONE": ""}


@pytest.mark.parametrize(("text", "message"), [
    ("no-equals-sign-s3cr3t", "line 1: expected NAME=value"),
    ("\nBAD NAME=s3cr3t", "line 2: expected NAME=value"),
    ("PATH=/tmp/evil", "line 1: PATH is reserved"),
    ("github_token=x", "line 1: github_token is reserved"),
    ("LD_PRELOAD=x", "line 1: LD_PRELOAD is reserved"),
    ("A=1\nA=2", "line 2: A is given twice"),
])
def test_a_wrong_mapping_names_the_line_never_the_value(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_secrets(text)
    assert message in str(caught.value)
    assert "s3cr3t" not in str(caught.value) and "evil" not in str(caught.value)


@pytest.mark.parametrize(("given", "message"), [
    ({"COMMAND": "destroy"}, "input command: expected one of validate, plan, apply, drift"),
    ({"COMMAND": "apply", "FORCE": "yes"}, "input force: expected true or false"),
    ({"COMMAND": "plan", "FORCE": "true"}, "input force is for apply only"),
    ({"COMMAND": "plan", "EXPECT_CHECKSUM": "0123456789ab"}, "input expect-checksum is for apply only"),
    ({"COMMAND": "apply", "BASELINE": "main"}, "input baseline is for drift only"),
])
def test_wrong_inputs(given: dict[str, str], message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        read_inputs({f"RECONCILER_INPUT_{k}": v for k, v in given.items()})


# --------------------------------------------------------------------------- the runner, for real


@dataclass
class Step:
    """One run of the action's runner: its exit code, log, outputs and job summary."""

    code: int
    log: str
    outputs: dict[str, str]
    summary: str

    def shown(self) -> str:
        """What people see: the log, the job summary, the outputs and the markdown (the PR comment)."""
        markdown = Path(self.outputs["markdown"]).read_text(encoding="utf-8") if "markdown" in self.outputs else ""
        return "\n".join([self.log, self.summary, json.dumps(self.outputs), markdown])


@pytest.fixture
def project(tmp_path: Path, at_acme_time: datetime) -> Path:
    """A copy of examples/acme whose webhook header comes from ${WEBHOOK_AUTH}, a secret only the mapping gives;
    the test runs at ACME_NOW (and so do the processes it starts)."""
    root = tmp_path / "schedules"
    copy_example(ACME, root)
    mettl = root / "desired" / "mettl.yaml"
    text = mettl.read_text(encoding="utf-8")
    hook = "      test_finish_notification_url: https://hooks.example.com/mettl/finished\n"
    assert hook in text
    mettl.write_text(text.replace(hook, hook + "      test_notification_basic_auth_header: ${WEBHOOK_AUTH}\n"),
                     encoding="utf-8")
    return root


# The runner starts `reconciler` beside its Python; here it starts a shim that runs it at the test's instant too
# (a clock does not cross processes), so the example's windows are read as of the test's date, not today's.
_RUNNER_AT_TEST_TIME = """
import sys
from reconciler.cli import action
action._program = lambda: sys.argv[1]
raise SystemExit(action.main())
"""


def _action(root: Path, command: str, *, secrets: str = "", **inputs: str) -> Step:
    temp = root.parent / "runner-temp"
    temp.mkdir(exist_ok=True)
    output, summary = temp / "output", temp / "summary"
    output.write_text("")
    summary.write_text("")
    env = {"PATH": os.environ["PATH"], "HOME": str(root.parent), "RUNNER_TEMP": str(temp),
           "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary), "RECONCILER_INPUT_COMMAND": command,
           "RECONCILER_INPUT_SANDBOX": "true", "RECONCILER_INPUT_SECRETS": secrets,
           **{f"RECONCILER_INPUT_{k.upper()}": v for k, v in inputs.items()}}
    shim = reconciler_at_test_time(root.parent / "bin")
    done = subprocess.run([*python_at_test_time(), "-c", _RUNNER_AT_TEST_TIME, str(shim)], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return Step(done.returncode, done.stdout + done.stderr, outputs, summary.read_text(encoding="utf-8"))


SECRETS = f"WEBHOOK_AUTH={WEBHOOK}\nRECONCILER_PII_KEY={PII_KEY}\n"


def _clean(step: Step) -> None:
    """No email where people look, and the secret nowhere but in its ::add-mask:: command (which the runner
    hides from the log) — not in the plan file either, which keeps emails for apply --plan."""
    text = step.shown()
    assert EMAIL not in text
    assert text.count(WEBHOOK) == text.count(f"::add-mask::{WEBHOOK}") <= 1
    if "plan-file" in step.outputs:
        assert WEBHOOK not in Path(step.outputs["plan-file"]).read_text(encoding="utf-8")


def test_validate_gets_the_secrets_of_the_mapping(project: Path) -> None:
    missing = _action(project, "validate")
    assert (missing.code, missing.outputs["result"], missing.outputs["exit-code"]) == (1, "invalid", "1")
    assert re.search(r"desired/mettl\.yaml:\d+: .*WEBHOOK_AUTH is not set", missing.summary), missing.summary
    assert "::error title=reconciler validate::invalid" in missing.log
    valid = _action(project, "validate", secrets=SECRETS)
    assert (valid.code, valid.outputs["result"]) == (0, "valid")
    assert f"::add-mask::{WEBHOOK}" in valid.log
    _clean(valid)


def test_the_reviewed_plan_is_applied_and_a_changed_one_refused(project: Path) -> None:
    state = project / ".reconciler-sandbox" / "mettl.json"
    planned = _action(project, "plan", secrets=SECRETS)
    assert (planned.code, planned.outputs["exit-code"], planned.outputs["result"]) == (0, "2", "changes")
    checksum = planned.outputs["checksum"]
    assert json.loads(Path(planned.outputs["plan-file"]).read_text(encoding="utf-8"))["checksum"] == checksum
    comment = Path(planned.outputs["markdown"]).read_text(encoding="utf-8")
    assert comment.startswith("<!-- reconciler-plan -->") and f"Plan checksum: `{checksum}`" in comment
    assert planned.summary.strip() == comment.strip()
    _clean(planned)
    before = state.read_bytes()

    refused = _action(project, "apply", secrets=SECRETS, expect_checksum="0123456789abcdef")
    assert (refused.code, refused.outputs["exit-code"], refused.outputs["result"]) == (1, "4", "plan-changed")
    assert PLAN_CHANGED == 4
    assert state.read_bytes() == before, "nothing may be written"
    assert refused.outputs["checksum"] == checksum  # whole, read from the fresh saved plan
    fresh_plan = json.loads(Path(refused.outputs["plan-file"]).read_text(encoding="utf-8"))
    assert fresh_plan["checksum"] == checksum
    assert "**What to do**" in refused.summary and f"checksum `{checksum}`" in refused.summary
    assert "## The fresh plan" in refused.summary
    _clean(refused)

    applied = _action(project, "apply", secrets=SECRETS, expect_checksum=checksum)
    assert (applied.code, applied.outputs["result"]) == (0, "applied"), applied.log
    assert state.read_bytes() != before
    log = applied.summary
    assert log.index("Plan: 3 to create") < log.index("Apply: 4 applied, 0 failed")  # the plan it applied
    assert "cand-" in log
    # people as the PR comment shows them (initials, masked address, pseudonym), never a name beside a pseudonym
    assert re.search(r"\+ [A-Z]\.[A-Z]\. [a-z]\*\*\*@example\.com \(cand-[0-9a-f]{10}\)", log), log
    assert not re.search(r"cand-[0-9a-f]{10}@[\w.]+ \(", applied.shown())
    _clean(applied)

    again = _action(project, "plan", secrets=SECRETS)
    assert (again.code, again.outputs["exit-code"], again.outputs["result"]) == (0, "0", "no-changes")
    drift = _action(project, "drift", secrets=SECRETS)
    assert (drift.code, drift.outputs["result"]) == (0, "in-sync"), drift.log


def _java_cohort(root: Path, count: int) -> None:
    """java-cohort becomes `count` people: ana.lima first, then person.NN."""
    people = ["    - {email: ana.lima@example.com, name: Ana Lima}"] + [
        f"    - {{email: person.{n:02d}@example.com, name: Person {n:02d}}}" for n in range(count - 1)]
    path = root / "desired" / "candidate-lists.yaml"
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition("  java-cohort:\n")
    tail = rest[rest.index("  ops-team:"):]
    path.write_text(head + "  java-cohort:\n" + "\n".join(people) + "\n" + tail, encoding="utf-8")


def test_an_unsafe_apply_is_refused_until_a_person_forces_it(project: Path) -> None:
    _java_cohort(project, 12)
    assert _action(project, "apply", secrets=SECRETS).outputs["result"] == "applied"
    _java_cohort(project, 4)  # removes 8 of 13: over the 25 % limit
    state = project / ".reconciler-sandbox" / "mettl.json"
    before = state.read_bytes()

    refused = _action(project, "apply", secrets=SECRETS)
    assert (refused.code, refused.outputs["exit-code"], refused.outputs["result"]) == (1, "3", "unsafe")
    assert "Refused as unsafe" in refused.summary and "needs --force" in refused.summary  # the plan is shown
    assert state.read_bytes() == before
    assert "--force" not in refused.log.split("$ reconciler apply", 1)[1].splitlines()[0]

    forced = _action(project, "apply", secrets=SECRETS, force="true")
    assert (forced.code, forced.outputs["result"]) == (0, "applied"), forced.log
    assert "::warning title=reconciler apply::--force" in forced.log
    assert state.read_bytes() != before
    _clean(forced)


def test_drift_passes_the_baseline(project: Path) -> None:
    done = _action(project, "drift", secrets=SECRETS, baseline="no-such-ref")
    assert (done.code, done.outputs["result"]) == (1, "error")
    assert "--baseline no-such-ref" in done.summary


def test_an_invalid_project_is_never_planned_or_applied(project: Path) -> None:
    done = _action(project, "apply", secrets=SECRETS.replace("WEBHOOK_AUTH", "OTHER_NAME"))
    assert (done.code, done.outputs["result"]) == (1, "invalid")
    assert "$ reconciler apply" not in done.log and not (project / ".reconciler-sandbox").exists()


def test_a_failed_plan_explains_itself_where_the_comment_reads(project: Path) -> None:
    done = _action(project, "plan", secrets=SECRETS, sandbox="false")  # the real platforms, no credentials
    assert (done.code, done.outputs["result"], done.outputs["exit-code"]) == (1, "error", "1")
    assert "checksum" not in done.outputs and "plan-file" not in done.outputs
    comment = Path(done.outputs["markdown"]).read_text(encoding="utf-8")
    assert "⛔ The plan failed (exit code 1)" in comment and "METTL_PUBLIC_KEY" in comment
    _clean(done)


def test_a_wrong_input_is_one_error_line(project: Path) -> None:
    done = _action(project, "plan", secrets="NOT VALID=s3cr3t-value", force="false")
    assert done.code == 1 and done.outputs == {"exit-code": "1", "result": "input-error"}
    assert done.log.strip() == ("::error title=reconciler action::input secrets, line 1: expected NAME=value "
                                "(NAME: letters, digits, _)")


# --------------------------------------------------------------------------- pre-commit


def test_the_pre_commit_hook_validates_the_config_files(project: Path) -> None:
    [hook] = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["id"] == "reconciler-validate" and hook["language"] == "python" and hook["pass_filenames"] is False
    files = re.compile(hook["files"])
    assert all(files.search(p) for p in ["reconciler.yaml", "desired/mettl.yaml", "desired/x/ops.csv"])
    assert not any(files.search(p) for p in ["README.md", "tests/reconciler.yaml", "desired/notes.md"])
    entry = hook["entry"].split()
    assert entry[0] == "reconciler"
    done = CliRunner().invoke(cli.main, [*entry[1:], "--config", str(project / "reconciler.yaml")],
                              env={"WEBHOOK_AUTH": WEBHOOK})
    assert done.exit_code == 0 and done.output.startswith("valid: ")



def test_what_the_cli_prints_is_framed_by_stop_commands(project: Path) -> None:
    """A schedule or person name read from a vendor reaches the log: between `::stop-commands::<token>` and
    `::<token>::` the runner takes no line as a workflow command. The masks come first, outside the frame."""
    planned = _action(project, "plan", secrets=SECRETS)
    lines = planned.log.splitlines()
    starts = [at for at, line in enumerate(lines) if line.startswith("::stop-commands::")]
    assert len(starts) == 2  # validate, then plan
    frames = []
    for start in starts:
        token = lines[start].removeprefix("::stop-commands::")
        assert re.fullmatch(r"[0-9a-f]{32}", token)
        end = lines.index(f"::{token}::", start)
        assert lines[start - 1].startswith("$ reconciler ")
        frames.append((token, lines[start + 1:end]))
    assert frames[0][0] != frames[1][0]  # a fresh token each time: none can be guessed from an earlier log
    assert any("HTTP calls:" in line for line in frames[1][1])  # the CLI's own output is inside the frame
    assert max(at for at, line in enumerate(lines) if line.startswith("::add-mask::")) < starts[0]
    outside = [line for at, line in enumerate(lines) if not any(s <= at for s in starts)]
    assert all(not line.startswith("::") or line.startswith("::add-mask::") for line in outside)
