"""README "Adopt it in your config repo", steps 1 and 3, run as written (the install line aside: this test uses
the package under test, run at the test's instant) in a temp directory, against the sandbox."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import datetime
from pathlib import Path

from ..clocks import reconciler_at_test_time
from .gha import PLACEHOLDER, ROOT, TEMPLATES

SECTION = re.compile(r"\n## Adopt it in your config repo\n(.*?)\n## ", re.DOTALL)


def _blocks() -> list[str]:
    found = SECTION.search((ROOT / "README.md").read_text(encoding="utf-8"))
    assert found, "README has no section 'Adopt it in your config repo'"
    return re.findall(r"```sh\n(.*?)```", found[1], re.DOTALL)


def _run(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    shims = reconciler_at_test_time(Path(tempfile.mkdtemp(prefix="shim-"))).parent
    env = {"PATH": f"{shims}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "HOME": str(cwd)}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def test_step_1_writes_a_valid_project_that_plans_applies_and_converges(
        tmp_path: Path, at_acme_time: datetime) -> None:
    """At a fixed instant before the example's window (2036), whatever today's date is."""
    first = _blocks()[0]
    assert 'pip install "git+https://github.com/OWNER/reconciler"' in first  # nothing is published on PyPI
    script = "\n".join(line for line in first.splitlines() if not line.startswith(("python3 -m venv", "pip ")))
    done = _run(script, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid: 1 schedule(s) in 1 file(s)" in done.stdout
    assert "+ create Mettl · 769688 · Spring Intake" in done.stdout
    last = done.stdout.rstrip().splitlines()
    assert last[-2].startswith("No changes.") and re.fullmatch(r"Plan checksum: [0-9a-f]{64}", last[-1])
    ignored = (tmp_path / "schedules" / ".gitignore").read_text().splitlines()
    assert ignored == [".reconciler-sandbox/", ".reconciler-apply.lock*", "plan.json", "*.plan", "*.plan.json"]


def test_step_3_pins_the_templates_to_the_release_commit(tmp_path: Path) -> None:
    third = next(block for block in _blocks() if "examples/github" in block)
    clone = tmp_path / "reconciler"
    shutil.copytree(ROOT / "examples", clone / "examples")
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q",
                    "--allow-empty", "-m", "v0.2.0"], check=True)
    commit = subprocess.run(["git", "-C", str(clone), "rev-parse", "HEAD"], capture_output=True, text=True,
                            check=True).stdout.strip()
    script = "\n".join(line.replace("/tmp/reconciler", str(clone)) for line in third.splitlines()
                       if not line.startswith(("git clone", "git add")))
    (tmp_path / "schedules").mkdir()
    done = _run(script.replace("ACTION=OWNER/reconciler", "ACTION=acme-org/reconciler"), tmp_path / "schedules")
    assert done.returncode == 0, done.stderr
    copied = sorted((tmp_path / "schedules" / ".github" / "workflows").glob("*.yml"))
    assert [p.name for p in copied] == [p.name for p in TEMPLATES]
    for path in copied:
        text = path.read_text(encoding="utf-8")
        assert PLACEHOLDER not in text
        assert f"uses: acme-org/reconciler@{commit} # v0.2.0" in text
