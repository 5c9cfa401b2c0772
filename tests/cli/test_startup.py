"""`validate` starts light: in a fresh process it never imports DeepDiff, the HTTP client, the renderers, the
engine or the plan (modules asserted, not time: the figures are in `benchmarks/loading.py`)."""

from __future__ import annotations

import json
import subprocess

from ..clocks import python_at_test_time
from .conftest import ACME

PROBE = """
import json, runpy, sys
sys.argv = ["reconciler", "validate", "--config", sys.argv[1]]
try:
    runpy.run_module("reconciler", run_name="__main__")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""
HEAVY = ("deepdiff", "requests", "urllib3", "reconciler.render", "reconciler.diff", "reconciler.engine",
         "reconciler.plan", "rich")


def _validate_modules(config: str) -> tuple[int, list[str], str]:
    done = subprocess.run([*python_at_test_time(), "-c", PROBE, config], capture_output=True, text=True, timeout=120,
                          env={"PATH": "", "NO_COLOR": "1"})
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return found["code"], found["modules"], done.stdout


def test_validate_imports_no_diff_http_client_or_renderer() -> None:
    code, modules, output = _validate_modules(str(ACME / "reconciler.yaml"))
    assert code in (0, None) and "valid: 4 schedule(s)" in output
    heavy = [m for m in modules if m.split(".")[0] in HEAVY or m.startswith(HEAVY)]
    assert heavy == []
    assert "reconciler.loader" in modules  # the probe did run validate


def test_a_failing_validate_stays_light_too() -> None:
    code, modules, _ = _validate_modules("/nonexistent/reconciler.yaml")
    assert code == 1
    assert not [m for m in modules if m.startswith(HEAVY)]
