"""`python -m reconciler.sandbox VENDOR --state DIR edit`: a hand edit of a saved world through the vendor's own
call (validated as the vendor would), which the next run reads; mistakes are one line and exit 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.sandbox.__main__ import main
from reconciler.sandbox.launch import start_vendor

PROCTORING = {"webProctoring": {"enabled": True, "count": 3, "showRemainingCounts": True}}


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A folder holding both demo worlds, as `--sandbox` leaves it."""
    for vendor in ("mettl", "questionmark"):
        start_vendor(vendor, seed_world=True, state_dir=tmp_path).stop()
    return tmp_path


def _saved(state: Path, vendor: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((state / f"{vendor}.json").read_text(encoding="utf-8"))
    return data


def _mettl_schedule(state: Path, name: str) -> dict[str, Any]:
    [found] = [s for s in _saved(state, "mettl")["schedules"] if s["name"] == name]
    return found


def test_a_mettl_edit_is_saved_in_the_world(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = _mettl_schedule(state, "Java Hiring Drive")
    assert before["webProctoring"]["count"] == 5

    code = main(["mettl", "--state", str(state), "edit", "--schedule", "Java Hiring Drive",
                 "--set", json.dumps(PROCTORING)])

    assert code == 0
    after = _mettl_schedule(state, "Java Hiring Drive")
    assert after["webProctoring"] == PROCTORING["webProctoring"]
    assert after["scheduleWindow"] == before["scheduleWindow"]  # nothing else changed
    assert capsys.readouterr().out == f"edited mettl schedule 'Java Hiring Drive' ({before['accessKey']}) in {state}\n"


def test_a_questionmark_edit_patches_every_schedule_of_that_name(state: Path) -> None:
    before = _saved(state, "questionmark")["Schedules"]
    assert [s["MaxAttempts"] for s in before if s["Name"] == "Manual Retake"] != [4]

    code = main(["questionmark", "--state", str(state), "edit", "--schedule", "Manual Retake",
                 "--set", '{"MaxAttempts": 4}'])

    assert code == 0
    after = _saved(state, "questionmark")["Schedules"]
    assert [s["MaxAttempts"] for s in after if s["Name"] == "Manual Retake"] == [4]
    assert [s for s in after if s["Name"] != "Manual Retake"] == [s for s in before if s["Name"] != "Manual Retake"]


def test_the_emulator_refuses_what_the_vendor_would(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (state / "mettl.json").read_bytes()

    code = main(["mettl", "--state", str(state), "edit", "--schedule", "Java Hiring Drive",
                 "--set", '{"webProctoring": {"enabled": true, "count": "many"}}'])

    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: the emulator refused POST ") and err.count("\n") == 1, err
    assert (state / "mettl.json").read_bytes() == before


@pytest.mark.parametrize(("args", "message"), [
    (["mettl", "edit", "--schedule", "X", "--set", "{}"], "error: edit needs --state DIR"),
    (["mettl", "--state", "STATE", "edit", "--schedule", "Nope", "--set", '{"a": 1}'],
     "error: 0 Mettl schedules are named 'Nope': expected exactly one"),
    (["questionmark", "--state", "STATE", "edit", "--schedule", "Nope", "--set", '{"MaxAttempts": 1}'],
     "error: no Questionmark schedule is named 'Nope'"),
    (["mettl", "--state", "STATE", "edit", "--schedule", "Java Hiring Drive", "--set", "[1]"],
     "error: --set must be a JSON object"),
    (["mettl", "--state", "STATE", "edit", "--schedule", "Java Hiring Drive", "--set", "{"],
     "error: --set is not JSON"),
    (["mettl", "--state", "EMPTY", "edit", "--schedule", "Java Hiring Drive", "--set", '{"a": 1}'],
     "error: no mettl world in"),
])
def test_a_mistake_is_one_line_and_exit_1(args: list[str], message: str, state: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    argv = [str(state) if a == "STATE" else str(tmp_path / "empty") if a == "EMPTY" else a for a in args]

    code = main(argv)

    err = capsys.readouterr().err
    assert code == 1 and err.startswith(message) and err.count("\n") == 1, err
