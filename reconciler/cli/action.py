"""The GitHub Action's runner, `python -m reconciler.cli.action`, called by the repository's action.yml.

It reads the action's inputs from RECONCILER_INPUT_* variables (action.yml passes them through `env:`, never
into a script), exports the `secrets` mapping to the tool's environment with every value masked in the log
(`::add-mask::`), validates, runs one `reconciler` command, masks emails in everything it prints, and writes
the step outputs (exit-code, result, checksum, markdown, plan-file) and the job summary. What the CLI prints
(plans name schedules and people, some read from the vendors) is framed by `::stop-commands::<random token>`,
so no line of it is taken as a workflow command (`::add-mask::`, `::warning`, …).

Step result: success for validate 0, plan 0/2, apply 0, drift 0/2; a failed step otherwise, with the outputs
set all the same. Outcomes are told apart by the CLI's exit codes (docs/exit-codes.md), never by its wording.
"""

from __future__ import annotations

import json
import os
import re
import secrets as tokens
import shutil
import subprocess
import sys
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from ..render.pii import KEY_ENV, MASK_ENV, NO_KEY_NOTICE, make_masker, scrub
from .state import scrub_values

COMMANDS = ("validate", "plan", "apply", "drift")
PREFIX = "RECONCILER_INPUT_"
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RESERVED = re.compile(r"(GITHUB|RUNNER|ACTIONS|INPUT|RECONCILER_INPUT)_.*|PATH|HOME|SHELL|BASH_ENV|ENV|IFS|"
                      r"LD_\w+|DYLD_\w+|PYTHON\w*|NODE_OPTIONS|CI", re.IGNORECASE)
"""Names the mapping may not set: they would change how the runner, the shell or Python behave."""
PLAN_CHANGED = 4
"""The CLI's exit code for "the plan changed since it was reviewed" (docs/exit-codes.md)."""
SUMMARY_LIMIT = 900_000


class InputError(Exception):
    """A wrong action input: reported as one ::error line, exit 1."""


@dataclass
class Inputs:
    command: str
    config: str = "reconciler.yaml"
    env: dict[str, str] = field(default_factory=dict)
    force: bool = False
    baseline: str = ""
    sandbox: bool = False
    expect_checksum: str = ""
    summary: bool = True


def _flag(raw: Mapping[str, str], name: str) -> bool:
    value = raw.get(PREFIX + name.upper().replace("-", "_"), "").strip().lower() or "false"
    if value not in ("true", "false"):
        raise InputError(f"input {name}: expected true or false, got {value!r}")
    return value == "true"


def parse_secrets(text: str) -> dict[str, str]:
    """`NAME=value` lines (blank lines and `#` comments skipped) → a mapping; an empty value is left unset
    (a repository secret that does not exist reads as empty). Errors name the line, never the value."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        name, equals, value = stripped.partition("=")
        name = name.strip()
        if not equals or not NAME.fullmatch(name):
            raise InputError(f"input secrets, line {number}: expected NAME=value (NAME: letters, digits, _)")
        if RESERVED.fullmatch(name):
            raise InputError(f"input secrets, line {number}: {name} is reserved and cannot be set here")
        if name in found:
            raise InputError(f"input secrets, line {number}: {name} is given twice")
        found[name] = value.strip()
    return found


def read_inputs(raw: Mapping[str, str]) -> Inputs:
    command = raw.get(PREFIX + "COMMAND", "").strip()
    if command not in COMMANDS:
        raise InputError(f"input command: expected one of {', '.join(COMMANDS)}, got {command!r}")
    inputs = Inputs(
        command=command,
        config=raw.get(PREFIX + "CONFIG", "").strip() or "reconciler.yaml",
        env=parse_secrets(raw.get(PREFIX + "SECRETS", "")),
        force=_flag(raw, "force"),
        baseline=raw.get(PREFIX + "BASELINE", "").strip(),
        sandbox=_flag(raw, "sandbox"),
        expect_checksum=raw.get(PREFIX + "EXPECT_CHECKSUM", "").strip(),
        summary=_flag(raw, "summary") if raw.get(PREFIX + "SUMMARY", "").strip() else True,
    )
    for name, given, used_by in (("force", inputs.force, "apply"), ("expect-checksum", inputs.expect_checksum,
                                 "apply"), ("baseline", inputs.baseline, "drift")):
        if given and inputs.command != used_by:
            raise InputError(f"input {name} is for {used_by} only, not {inputs.command}")
    return inputs


def _mask_command(value: str) -> str:
    escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return f"::add-mask::{escaped}"


@dataclass
class Run:
    """What one CLI call did: its exit code and its output with emails masked."""

    code: int
    log: str


class Runner:
    """Runs the reconciler CLI with the mapping's environment; every printed line is masked."""

    def __init__(self, inputs: Inputs, folder: Path, base_env: Mapping[str, str]) -> None:
        self.inputs, self.folder = inputs, folder
        self.env = {k: v for k, v in base_env.items() if not k.startswith(PREFIX)}
        self.env.update({k: v for k, v in inputs.env.items() if v})
        self.env["PYTHONUNBUFFERED"] = "1"
        self.env[MASK_ENV] = "1"  # apply logs show people as the PR comment does: initials, masked addresses
        if not self.env.get(KEY_ENV):  # one random key for every command of this step, so pseudonyms match
            print(NO_KEY_NOTICE, flush=True)
            self.env[KEY_ENV] = tokens.token_hex(32)
        self.secrets = tuple(sorted((v for v in [*inputs.env.values(), self.env[KEY_ENV]] if v), key=len,
                                    reverse=True))
        self.mask = make_masker(self.env.get(KEY_ENV))
        self.program = _program()

    def clean(self, text: str) -> str:
        """Emails as pseudonyms, values of the secrets mapping as ***."""
        return scrub(scrub_values(text, self.secrets), self.mask)

    def run(self, *args: str, stdout: Path | None = None) -> Run:
        """Run `reconciler args…`; stdout to a file (plan/drift markdown) or, with stderr, into the log."""
        common = ["--config", self.inputs.config, *(["--sandbox"] if self.inputs.sandbox else [])]
        argv = [self.program, *args, *common]
        print(f"$ reconciler {' '.join(args)} --config {self.inputs.config}"
              f"{' --sandbox' if self.inputs.sandbox else ''}", flush=True)
        token = tokens.token_hex(16)  # the runner reads no workflow command in what the CLI prints
        print(f"::stop-commands::{token}", flush=True)
        try:
            return self._stream(argv, stdout, token)
        finally:
            print(f"::{token}::", flush=True)

    def _stream(self, argv: list[str], stdout: Path | None, token: str) -> Run:
        lines: list[str] = []
        with stdout.open("w", encoding="utf-8") if stdout else nullcontext(None) as out:
            process = subprocess.Popen(argv, stdout=out or subprocess.PIPE, env=self.env, encoding="utf-8",
                                       errors="replace", stderr=subprocess.PIPE if out else subprocess.STDOUT)
            stream = process.stderr if out else process.stdout
            assert stream is not None
            for line in stream:
                masked = self.clean(line).replace(token, "***")
                lines.append(masked)
                sys.stdout.write(masked)
                sys.stdout.flush()
            code = process.wait()
        if stdout:
            stdout.write_text(scrub_values(stdout.read_text(encoding="utf-8"), self.secrets), encoding="utf-8")
        return Run(code, "".join(lines))


def _program() -> str:
    beside = Path(sys.executable).with_name("reconciler")
    found = str(beside) if beside.exists() else shutil.which("reconciler")
    if not found:
        raise InputError("the reconciler command is not installed in this Python environment")
    return found


# --------------------------------------------------------------------------- the commands


@dataclass
class Outcome:
    """The step's outputs, its summary (markdown) and whether the step passes."""

    code: int
    result: str
    summary: str
    ok: bool
    outputs: dict[str, str] = field(default_factory=dict)


def _fence(text: str) -> str:
    """The (masked) log in a code block, its end kept when it is too long for a job summary."""
    tail = text[-SUMMARY_LIMIT:].rstrip("\n")
    return f"````text\n{tail}\n````\n"


def _validate(runner: Runner) -> Outcome:
    done = runner.run("validate")
    title = f"reconciler {runner.inputs.command}"
    if done.code == 0:
        return Outcome(0, "valid", f"### {title}\n\n✅ {done.log.strip()}\n", True)
    summary = f"### {title}\n\n⛔ The desired state is invalid; nothing was planned or applied.\n\n{_fence(done.log)}"
    return Outcome(done.code, "invalid", summary, False)


def _plan(runner: Runner) -> Outcome:
    markdown, plan_file = runner.folder / "plan.md", runner.folder / "plan.json"
    plan_file.unlink(missing_ok=True)
    done = runner.run("plan", "--format", "markdown", "--detailed-exitcode", "--out", str(plan_file),
                      stdout=markdown)
    if done.code in (0, 2) and plan_file.is_file():
        checksum = str(json.loads(plan_file.read_text(encoding="utf-8"))["checksum"])
        outputs = {"checksum": checksum, "plan-file": str(plan_file), "markdown": str(markdown)}
        result = "changes" if done.code == 2 else "no-changes"
        return Outcome(done.code, result, markdown.read_text(encoding="utf-8"), True, outputs)
    summary = f"### reconciler plan\n\n⛔ The plan failed (exit code {done.code}).\n\n{_fence(done.log)}"
    return Outcome(done.code, "error", summary, False)  # markdown: this summary, with the (masked) error


def _apply(runner: Runner) -> Outcome:
    inputs = runner.inputs
    args = ["apply", "--auto-approve", *(["--force"] if inputs.force else [])]
    args += ["--expect-checksum", inputs.expect_checksum] if inputs.expect_checksum else []
    if inputs.force:
        print("::warning title=reconciler apply::--force: the safety limits are overridden", flush=True)
    done = runner.run(*args)
    if done.code == 0:
        return Outcome(0, "applied", f"### reconciler apply\n\n✅ Applied.\n\n{_fence(done.log)}", True)
    if done.code == 3:
        summary = ("### reconciler apply\n\n⚠️ Refused as unsafe: a change breaks a safety limit (mass removal, a "
                   "live window). Nothing was applied. Review the changes below; if they are intended, run "
                   f"apply again with force.\n\n{_fence(done.log)}")
        return Outcome(3, "unsafe", summary, False)
    if done.code == PLAN_CHANGED:
        return _changed_plan(runner, done)
    summary = ("### reconciler apply\n\n⛔ Apply failed (exit code 1). Changes already made stay; the next apply "
               f"converges what is left.\n\n{_fence(done.log)}")
    return Outcome(done.code, "error", summary, False)


def _changed_plan(runner: Runner, done: Run) -> Outcome:
    """Refused because the fresh plan is not the reviewed one: show the fresh plan, its checksum (read from the
    saved plan file, also the `checksum` and `plan-file` outputs) and say what to do."""
    plan_file = runner.folder / "fresh-plan.json"
    plan_file.unlink(missing_ok=True)
    fresh = runner.run("plan", "--format", "markdown", "--out", str(plan_file),
                       stdout=runner.folder / "fresh-plan.md")
    now = str(json.loads(plan_file.read_text(encoding="utf-8"))["checksum"]) if plan_file.is_file() else ""
    reviewed = runner.inputs.expect_checksum[:12] or "(the saved plan's)"
    summary = (
        "### reconciler apply: not applied\n\n"
        f"⛔ **The plan changed since it was reviewed; nothing was applied.** The reviewed plan has checksum "
        f"`{reviewed}`; what apply would do now has checksum `{now or '?'}` (the desired files or the platforms "
        "changed in between, or another change was merged first).\n\n"
        "**What to do**: read the fresh plan below. If it is what you want, run apply again expecting its "
        f"checksum (in the apply workflow: *Run workflow* with checksum `{now or '?'}`). If not, fix the desired "
        "state in a new pull request: its plan is reviewed and recorded, and its merge applies it.\n\n"
        f"{_fence(done.log)}\n")
    if fresh.code == 0:
        summary += (runner.folder / "fresh-plan.md").read_text(encoding="utf-8").replace(
            "## Reconciler plan", "## The fresh plan", 1)
    outputs = {"checksum": now, "plan-file": str(plan_file)} if now else {"checksum": ""}
    return Outcome(done.code, "plan-changed", summary, False, outputs)


def _drift(runner: Runner) -> Outcome:
    markdown = runner.folder / "drift.md"
    args = ["drift", "--format", "markdown", *(["--baseline", runner.inputs.baseline] if runner.inputs.baseline
                                               else [])]
    done = runner.run(*args, stdout=markdown)
    if done.code in (0, 2):
        result = "drift" if done.code == 2 else "in-sync"
        return Outcome(done.code, result, markdown.read_text(encoding="utf-8"), True, {"markdown": str(markdown)})
    return Outcome(done.code, "error", f"### reconciler drift\n\n⛔ Drift failed (exit code {done.code}).\n\n"
                   f"{_fence(done.log)}", False)


def execute(inputs: Inputs, folder: Path, env: Mapping[str, str]) -> Outcome:
    """Validate, then run the command (validate alone for `validate`)."""
    folder.mkdir(parents=True, exist_ok=True)
    for value in inputs.env.values():
        if value:
            print(_mask_command(value), flush=True)
    runner = Runner(inputs, folder, env)
    checked = _validate(runner)
    if inputs.command == "validate" or not checked.ok:
        outcome = checked
    else:
        outcome = {"plan": _plan, "apply": _apply, "drift": _drift}[inputs.command](runner)
    outcome.summary = scrub_values(outcome.summary, runner.secrets)  # emails: masked once, upstream
    summary = folder / "summary.md"
    summary.write_text(outcome.summary, encoding="utf-8")
    outcome.outputs |= {"exit-code": str(outcome.code), "result": outcome.result}
    outcome.outputs.setdefault("markdown", str(summary))
    return outcome


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)


def main(env: Mapping[str, str] | None = None) -> int:
    """Entry point: inputs from the environment, outputs to $GITHUB_OUTPUT, summary to $GITHUB_STEP_SUMMARY."""
    env = os.environ if env is None else env
    try:
        inputs = read_inputs(env)
        folder = Path(env.get("RUNNER_TEMP") or ".") / "reconciler" / tokens.token_hex(4)
        outcome = execute(inputs, folder, env)
    except InputError as exc:
        print(f"::error title=reconciler action::{exc}", flush=True)
        _append(env.get("GITHUB_OUTPUT"), "exit-code=1\nresult=input-error\n")
        return 1
    _append(env.get("GITHUB_OUTPUT"), "".join(f"{k}={v}\n" for k, v in sorted(outcome.outputs.items())))
    if inputs.summary:
        _append(env.get("GITHUB_STEP_SUMMARY"), outcome.summary + "\n")
    if not outcome.ok:
        print(f"::error title=reconciler {inputs.command}::{outcome.result} (exit code {outcome.code}); "
              "see the job summary", flush=True)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
