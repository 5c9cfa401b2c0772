"""Helpers for the workflow tests: the files, their steps, and two ways to run a step for real here —
a `run:` script with bash, and an actions/github-script `script:` with node against a recording fake of the
GitHub API (the REST calls it makes, the outputs it sets, the summary it writes).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
TEMPLATES = sorted((ROOT / "examples" / "github").glob("*.yml"))
ACTION = ROOT / "action.yml"
PLACEHOLDER = "OWNER/reconciler@" + "0" * 40
"""How the templates name the action; README's setup replaces it with the real repository and commit."""


def load(path: Path) -> dict[str, Any]:
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def template(name: str) -> dict[str, Any]:
    return load(ROOT / "examples" / "github" / f"{name}.yml")


def step(workflow: dict[str, Any], job: str, key: str) -> dict[str, Any]:
    """The step of `job` whose id or name is `key`."""
    for found in workflow["jobs"][job]["steps"]:
        if key in (found.get("id"), found.get("name")):
            return dict(found)
    raise AssertionError(f"no step {key!r} in job {job}")


def node() -> str:
    found = shutil.which("node")
    if found is None:
        if os.environ.get("RECONCILER_REQUIRE_ACTIONLINT") == "1":
            pytest.fail("node is not installed (the test command needs node/npm)")
        pytest.skip("node is not installed")
    return found


_HARNESS = r"""
const fs = require('fs');
const [scriptFile, scenarioFile] = process.argv.slice(1);
const scenario = JSON.parse(fs.readFileSync(scenarioFile, 'utf8'));
const calls = [], outputs = {}, failures = [], summary = [];
const answer = (name, args) => {
  calls.push({ name, args });
  const error = (scenario.errors || {})[name];
  if (error && (!error.once || calls.filter((c) => c.name === name).length === 1)) {
    const e = new Error(`${name} failed`); e.status = error.status; throw e;
  }
  return { data: (scenario.responses || {})[name] ?? {} };
};
const rest = new Proxy({}, { get: (_, ns) => new Proxy({}, {
  get: (_, method) => async (args) => answer(`${ns}.${method}`, args),
}) });
const paginate = async (f, args) => { const d = (await f(args)).data; return Array.isArray(d) ? d : []; };
const github = { rest, paginate };
const chain = {
  addHeading: (text) => { summary.push(`# ${text}`); return chain; },
  addRaw: (text) => { summary.push(text); return chain; },
  write: async () => chain,
};
const core = {
  setOutput: (k, v) => { outputs[k] = String(v); },
  setFailed: (m) => { failures.push(String(m)); },
  info: () => {}, warning: () => {}, summary: chain,
};
const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;
new AsyncFunction('github', 'context', 'core', 'require', 'process', fs.readFileSync(scriptFile, 'utf8'))(
  github, scenario.context, core, require, process,
).then(() => {
  process.stdout.write(JSON.stringify({ calls, outputs, failures, summary: summary.join('\n') }));
}).catch((error) => { console.error(error); process.exit(3); });
"""


@dataclass
class ScriptRun:
    """What a github-script step did against the fake API."""

    calls: list[dict[str, Any]]
    outputs: dict[str, str]
    failures: list[str]
    summary: str

    def called(self, name: str) -> list[dict[str, Any]]:
        return [c["args"] for c in self.calls if c["name"] == name]


def run_script(found: dict[str, Any], tmp: Path, *, context: dict[str, Any], env: dict[str, str] | None = None,
               responses: dict[str, Any] | None = None, errors: dict[str, Any] | None = None) -> ScriptRun:
    """Run an actions/github-script step's script with node: `env` stands in for its `${{ }}` values."""
    assert str(found["uses"]).startswith("actions/github-script@")
    script, scenario = tmp / "script.js", tmp / "scenario.json"
    script.write_text(found["with"]["script"], encoding="utf-8")
    scenario.write_text(json.dumps({"context": context, "responses": responses or {}, "errors": errors or {}}),
                        encoding="utf-8")
    plain = {k: str(v) for k, v in (found.get("env") or {}).items() if "${{" not in str(v)}
    result = subprocess.run([node(), "-e", _HARNESS, str(script), str(scenario)], capture_output=True, text=True,
                            timeout=60, cwd=tmp, env={"PATH": os.environ["PATH"], **plain, **(env or {})})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    return ScriptRun(data["calls"], data["outputs"], data["failures"], data["summary"])


def run_bash(script: str, cwd: Path, env: dict[str, str]) -> tuple[int, str, dict[str, str]]:
    """Run a `run:` script as `shell: bash` does; returns its exit code, output and step outputs."""
    output = cwd / "github_output"
    output.write_text("")
    variables = {"PATH": os.environ["PATH"], "HOME": str(cwd), "GITHUB_OUTPUT": str(output),
                 "GITHUB_STEP_SUMMARY": str(cwd / "step_summary"), **env}
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script], cwd=cwd,
                            env=variables, capture_output=True, text=True, timeout=120)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return result.returncode, result.stdout + result.stderr, outputs
