"""The templates start and stay honest (docs/security.md): every pinned action names the real commit of its
tag (a table taken from the actions' own repositories, checked offline), every job that can write runs only on
main in the environment reconciler-apply, plans and drift use the read-only environment, every pull request
gets a status (forks and Dependabot a clear skip), and no plan file (personal data) is kept as an artifact.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .gha import ACTION, PLACEHOLDER, ROOT, TEMPLATES, WORKFLOWS, load, run_bash, step, template

PINS = json.loads((Path(__file__).with_name("action_pins.json")).read_text(encoding="utf-8"))
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>[\w.-]+/[\w.-]+)(?P<sub>/[\w./-]*)?@(?P<sha>[0-9a-f]{40})"
                  r"\s+#\s*(?P<tag>v[\w.]+)\s*$")


def pin_problems(text: str, name: str) -> list[str]:
    """Every `uses: owner/repo@sha # tag` line of text whose sha is not the table's for that tag."""
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not re.match(r"\s*(-\s+)?uses:", line) or "uses: ./" in line:
            continue
        found = USES.match(line)
        if found is None:
            problems.append(f"{name}:{number}: not `owner/repo@<40 hex> # <tag>`: {line.strip()}")
            continue
        action, sha, tag = found["action"], found["sha"], found["tag"]
        if f"{action}@{sha}" == PLACEHOLDER:
            continue
        wanted = PINS.get(action, {}).get(tag)
        if wanted is None:
            problems.append(f"{name}:{number}: {action} {tag} is not in tests/gitops/action_pins.json")
        elif wanted != sha:
            problems.append(f"{name}:{number}: {action}@{sha} is not {tag} ({wanted})")
    return problems


@pytest.mark.parametrize("path", [*WORKFLOWS, *TEMPLATES, ACTION], ids=lambda p: p.name)
def test_every_pinned_sha_is_the_real_commit_of_its_tag(path: Path) -> None:
    assert pin_problems(path.read_text(encoding="utf-8"), path.name) == []


def test_the_pin_check_catches_a_one_character_typo() -> None:
    """The broken pin the templates once had (one character off v4.4.3's commit)."""
    typo = "      - uses: actions/upload-artifact@b4b15b8c7c6ac21ea08fcf65892d2ee8c75cf882 # v4.4.3\n"
    [problem] = pin_problems(typo, "plan.yml")
    assert "is not v4.4.3 (b4b15b8c7c6ac21ea08fcf65892d2ee8f75cf882)" in problem
    assert pin_problems(typo.replace("actions/upload-artifact", "actions/unknown"), "x")[0].endswith(
        "actions/unknown v4.4.3 is not in tests/gitops/action_pins.json")


def test_the_table_is_complete_and_has_no_stale_rows() -> None:
    used = set()
    for path in [*WORKFLOWS, *TEMPLATES, ACTION]:
        for line in path.read_text(encoding="utf-8").splitlines():
            found = USES.match(line)
            if found and f"{found['action']}@{found['sha']}" != PLACEHOLDER:
                used.add((found["action"], found["tag"]))
    table = {(action, tag) for action, tags in PINS.items() if not action.startswith("_") for tag in tags}
    assert used == table
    for action, tags in PINS.items():
        if not action.startswith("_"):
            assert all(re.fullmatch(r"[0-9a-f]{40}", sha) for sha in tags.values()), action


# --------------------------------------------------------------------------- who can write, with what


def _calls_the_action(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if s.get("uses") == PLACEHOLDER]


def _can_write(job: dict[str, Any]) -> bool:
    """A job whose call of the action is not literally plan, drift or validate (apply, or an expression)."""
    return any(str(s["with"]["command"]) not in ("plan", "drift", "validate") for s in _calls_the_action(job))


def test_every_job_that_can_write_runs_only_on_main_in_the_apply_environment() -> None:
    writers = {(path.stem, name): job for path in TEMPLATES for name, job in load(path)["jobs"].items()
               if _can_write(job)}
    assert set(writers) == {("apply", "apply"), ("apply-sharded", "shard")}
    for (workflow, name), job in writers.items():
        assert "reconciler-apply" in str(job["environment"]), (workflow, name)
        assert job["if"].startswith("github.ref == 'refs/heads/main'"), (workflow, name)
    assert template("apply-sharded")["jobs"]["shard"]["environment"] == (
        "${{ inputs.command == 'apply' && 'reconciler-apply' || 'reconciler-read' }}")


def test_plan_and_drift_use_the_read_only_environment() -> None:
    assert template("plan")["jobs"]["plan"]["environment"] == "reconciler-read"
    assert template("drift")["jobs"]["drift"]["environment"] == "reconciler-read"


def test_a_sharded_plan_is_not_in_the_apply_concurrency_group() -> None:
    group = template("apply-sharded")["concurrency"]["group"]
    assert group == ("${{ inputs.command == 'apply' && 'reconciler-apply' || "
                     "format('reconciler-sharded-plan-{0}', github.run_id) }}")
    assert template("apply")["concurrency"]["group"] == "reconciler-apply"
    assert "reconciler-apply" not in str(template("plan")["concurrency"])


def test_no_plan_file_is_kept_and_summaries_only_a_day() -> None:
    for path in TEMPLATES:
        text = path.read_text(encoding="utf-8")
        assert "outputs.plan-file" not in text, path.name
        for found in [s for job in load(path)["jobs"].values() for s in job.get("steps", [])
                      if str(s.get("uses", "")).startswith("actions/upload-artifact@")]:
            assert found["with"]["retention-days"] == 1, path.name
    assert not [s for s in template("plan")["jobs"]["plan"]["steps"] if "upload-artifact" in str(s.get("uses"))]


def test_the_plan_uses_the_base_branchs_project_file() -> None:
    workflow = template("plan")
    trusted = step(workflow, "plan", "Check out the trusted project file (base branch)")
    assert trusted["with"]["ref"] == "${{ github.event.pull_request.base.sha || github.event.merge_group.base_sha }}"
    assert trusted["with"]["sparse-checkout"] == "reconciler.yaml" and trusted["with"]["persist-credentials"] is False
    planning = step(workflow, "plan", "plan")
    assert planning["env"]["RECONCILER_TRUSTED_CONFIG"] == "${{ steps.trusted.outputs.path }}"
    assert "RECONCILER_ALLOWED_BASE_URLS" not in json.dumps(workflow)  # the documented hosts only
    finder = step(workflow, "plan", "trusted")
    assert finder["env"]["TRUSTED"] == f"{trusted['with']['path']}/reconciler.yaml"


def test_the_first_plan_without_a_project_file_on_the_base_branch_says_so(tmp_path: Path) -> None:
    finder = step(template("plan"), "plan", "trusted")
    code, output, outputs = run_bash(finder["run"], tmp_path, {"TRUSTED": finder["env"]["TRUSTED"]})
    assert code == 0 and outputs == {"path": ""}  # unset: the tool reads the pull request's file
    assert "::warning title=reconciler plan::the base branch has no reconciler.yaml yet" in output
    (tmp_path / ".reconciler-trusted").mkdir()
    (tmp_path / ".reconciler-trusted" / "reconciler.yaml").write_text("providers: {}\n")
    code, output, outputs = run_bash(finder["run"], tmp_path, {"TRUSTED": finder["env"]["TRUSTED"]})
    assert code == 0 and outputs == {"path": ".reconciler-trusted/reconciler.yaml"}


def test_codeowners_suggestion_covers_the_workflows_and_the_project_file() -> None:
    owners = (ROOT / "examples" / "github" / "CODEOWNERS").read_text(encoding="utf-8")
    rules = [line.split()[0] for line in owners.splitlines() if line.strip() and not line.startswith("#")]
    assert {"/.github/", "/reconciler.yaml"} <= set(rules)


# --------------------------------------------------------------------------- every pull request gets a status


def _repository(folder: Path, changed: str) -> str:
    """A git repository whose HEAD changes `changed` on top of a base commit; returns the base commit."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args], cwd=folder,
                              check=True, capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    (folder / "reconciler.yaml").write_text("providers: {}\n")
    (folder / "desired").mkdir()
    (folder / "desired" / "exams.yaml").write_text("schedules: []\n")
    (folder / "README.md").write_text("hello\n")
    git("add", "-A")
    git("commit", "-qm", "base")
    base = git("rev-parse", "HEAD")
    target = folder / changed
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("changed\n")
    git("add", "-A")
    git("commit", "-qm", "change")
    return base


def _decide(tmp_path: Path, changed: str, **env: str) -> tuple[int, str, dict[str, str]]:
    base = _repository(tmp_path, changed)
    found = step(template("plan"), "plan", "decide")
    variables = {"EVENT": "pull_request", "REPOSITORY": "acme/schedules", "HEAD_REPOSITORY": "acme/schedules",
                 "AUTHOR": "ana", "BASE_SHA": base, "PLANNED_PATHS": found["env"]["PLANNED_PATHS"], **env}
    return run_bash(found["run"], tmp_path, variables)


@pytest.mark.parametrize(("changed", "run"), [
    ("desired/exams.yaml", "plan"),
    ("desired/more/new.yaml", "plan"),
    ("reconciler.yaml", "plan"),
    (".github/workflows/plan.yml", "plan"),
    ("README.md", "none"),
    ("docs/desired/notes.md", "none"),
    ("reconciler.yaml.bak", "plan"),  # a prefix match errs on the side of planning
])
def test_a_change_is_planned_only_when_a_desired_file_changed(tmp_path: Path, changed: str, run: str) -> None:
    code, _, outputs = _decide(tmp_path, changed)
    assert code == 0 and outputs == {"run": run}
    if run == "none":
        assert "No desired file changed" in (tmp_path / "step_summary").read_text()


def test_a_merge_group_is_planned_against_its_base(tmp_path: Path) -> None:
    code, _, outputs = _decide(tmp_path, "desired/exams.yaml", EVENT="merge_group", HEAD_REPOSITORY="", AUTHOR="")
    assert code == 0 and outputs == {"run": "plan"}


@pytest.mark.parametrize("who", [{"HEAD_REPOSITORY": "mallory/schedules"}, {"AUTHOR": "dependabot[bot]"}])
def test_forks_and_dependabot_are_skipped_with_a_clear_summary(tmp_path: Path, who: dict[str, str]) -> None:
    code, output, outputs = _decide(tmp_path, "desired/exams.yaml", **who)
    assert code == 0 and outputs == {"run": "skipped"}
    assert "::notice title=reconciler plan::skipped: no credentials for forks" in output
    assert "Skipped: no credentials for forks" in (tmp_path / "step_summary").read_text()
    comment = step(template("plan"), "plan", "Comment the plan and record its checksum")
    assert "steps.decide.outputs.run != 'skipped'" in comment["if"]  # a read-only token: no status call
    assert step(template("plan"), "plan", "plan")["if"] == "${{ steps.decide.outputs.run == 'plan' }}"


def test_a_missing_base_commit_fails(tmp_path: Path) -> None:
    code, output, _ = _decide(tmp_path, "desired/exams.yaml", BASE_SHA="")
    assert code == 1 and "no base commit" in output


def test_every_test_the_threat_model_names_exists() -> None:
    """docs/security.md proves each claim with a test: every `tests/…py::name` (and `::name` after it) it
    cites is a test function of that file."""
    text = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
    cited, current = 0, ROOT
    for cell in re.findall(r"`(tests/[\w/]+\.py(?:::\w+)?|::test_\w+)`", text):
        if cell.startswith("tests/"):
            path, _, name = cell.partition("::")
            current = ROOT / path
            assert current.is_file(), cell
        else:
            name = cell.removeprefix("::")
        if name:
            assert re.search(rf"^def {name}\(", current.read_text(encoding="utf-8"), re.M), cell
            cited += 1
    assert cited >= 30
