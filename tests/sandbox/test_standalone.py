"""The sandbox used on its own: `python -m reconciler.sandbox VENDOR` and the pytest plugin's fixtures."""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest

from reconciler.providers.mettl.client import MettlClient
from reconciler.providers.questionmark.client import QuestionmarkClient

from ..clocks import python_at_test_time

STARTUP_SECONDS = 30


def _lines(stream: IO[str]) -> queue.Queue[str]:
    """The stream's lines as they come, read by a thread (so a silent process cannot hang the test); "" at the
    end."""
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        for line in stream:
            lines.put(line)
        lines.put("")

    threading.Thread(target=pump, daemon=True).start()
    return lines


def _rest(lines: queue.Queue[str]) -> str:
    """What the stream still says, up to its end."""
    text = ""
    while line := lines.get(timeout=STARTUP_SECONDS):
        text += line
    return text


def _settings(lines: queue.Queue[str]) -> dict[str, str]:
    """The `  key: value` lines the sandbox prints, up to its `Stop with Ctrl-C.`"""
    found: dict[str, str] = {}
    while (line := lines.get(timeout=STARTUP_SECONDS)).strip() != "Stop with Ctrl-C.":
        assert line, f"the sandbox ended before it was ready; it printed {found}"
        key, sep, value = line.strip().partition(": ")
        if line.startswith("  ") and sep:
            found[key] = value
    return found


def _read_one_schedule_name(vendor: str, settings: dict[str, str]) -> list[str]:
    if vendor == "mettl":
        mettl = MettlClient(settings["base_url"], settings["public_key"], settings["private_key"])
        try:
            return [s["name"] for s in mettl.assessment_schedules("769688")]
        finally:
            mettl.close()
    questionmark = QuestionmarkClient(settings["base_url"], settings["username"], settings["password"])
    try:
        return [s["Name"] for s in questionmark.schedules()]
    finally:
        questionmark.close()


@pytest.mark.parametrize(("vendor", "demo_schedule"), [("mettl", "Java Hiring Drive"),
                                                       ("questionmark", "Manual Retake")])
def test_the_module_serves_one_vendor_until_ctrl_c(vendor: str, demo_schedule: str, tmp_path: Path) -> None:
    command = [*python_at_test_time(), "-m", "reconciler.sandbox", vendor, "--seed-world", "--state", str(tmp_path),
               "--latency", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    lines = _lines(process.stdout)
    try:
        settings = _settings(lines)
        assert settings["base_url"].startswith("http://127.0.0.1:")
        assert demo_schedule in _read_one_schedule_name(vendor, settings)
        if vendor == "questionmark":  # membership mode's QMWISe endpoint, as a project file takes it
            expected = settings["base_url"].replace("/deliveryodata/", "/qmwise/") + "/qmwise.asmx"
            assert settings["qmwise_url"] == expected
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=STARTUP_SECONDS)
    err = process.stderr.read()
    assert process.returncode == 0, err
    assert _rest(lines) == f"{vendor} sandbox stopped\n" and err == ""
    assert (tmp_path / f"{vendor}.json").exists()  # the demo world was saved where --state said


@pytest.mark.parametrize(("args", "message"), [
    (["zoom"], "error: argument vendor: invalid choice: 'zoom'"),
    (["mettl", "--port", "70000"], "error: argument --port: '70000' is not a port"),
    (["mettl", "--state", __file__], f"error: --state {__file__} is not a folder"),
])
def test_a_usage_mistake_is_one_line_and_exit_1(args: list[str], message: str) -> None:
    result = subprocess.run([sys.executable, "-m", "reconciler.sandbox", *args], capture_output=True, text=True,
                            timeout=STARTUP_SECONDS)
    assert result.returncode == 1
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    assert result.stdout == ""


DEFAULT_WORLDS = '''
from reconciler.providers.mettl.client import MettlClient
from reconciler.providers.questionmark.client import QuestionmarkClient


def test_demo_worlds(mettl_sandbox, questionmark_sandbox):
    mettl = MettlClient(mettl_sandbox.url, mettl_sandbox.user, mettl_sandbox.secret)
    assert "Java Hiring Drive" in [s["name"] for s in mettl.assessment_schedules("769688")]
    assert [c.path for c in mettl_sandbox.calls] == ["/v2/assessments/769688/schedules"]
    qm = QuestionmarkClient(questionmark_sandbox.url, questionmark_sandbox.user, questionmark_sandbox.secret)
    questionmark_sandbox.faults.fail_next("error", "GET", path="/Schedules$")
    assert "Manual Retake" in [s["Name"] for s in qm.schedules()]
    assert qm.http.stats.retries == 1
'''

OWN_WORLD = '''
import pytest

from reconciler.providers.mettl.client import MettlClient
from reconciler.sandbox.mettl import MettlApp


@pytest.fixture
def mettl_sandbox_app():
    app = MettlApp()
    app.add_assessment(111, "Empty")
    return app


def test_own_world(mettl_sandbox, mettl_sandbox_app):
    assert mettl_sandbox.app is mettl_sandbox_app
    mettl = MettlClient(mettl_sandbox.url, mettl_sandbox.user, mettl_sandbox.secret)
    assert list(mettl.assessment_schedules("111")) == []
'''


def test_the_pytest_plugin_serves_demo_worlds_that_a_test_may_replace(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_defaults=DEFAULT_WORLDS, test_own_world=OWN_WORLD)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist", "-q")
    result.assert_outcomes(passed=2)


def test_the_plugin_is_registered_by_the_installed_package() -> None:
    from importlib.metadata import entry_points

    [plugin] = [e for e in entry_points(group="pytest11") if e.name == "reconciler_sandbox"]
    assert plugin.value == "reconciler.sandbox.pytest_plugin"
