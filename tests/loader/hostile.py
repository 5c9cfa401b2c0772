"""The hostile corpus: projects under tests/fixtures/hostile/, copied to a temporary folder and completed
there with what git cannot hold or should not (symlinks out, FIFOs, an 11 MB file, 10,000 levels).

Next to each copied project lie an outside file and folder holding a distinctive value, so a test can
prove that nothing outside the project was read: that value never appears in any output.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

HOSTILE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "hostile"

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
"""The clock of the corpus: fixture windows are in 2027, the past ones in 2020."""

OUTSIDE_VALUE = "SENTINEL-OUTSIDE-FILE-2b7"
SECRET_ENV = {
    "METTL_PUBLIC_KEY": "sentinel-public-7c41",
    "METTL_PRIVATE_KEY": "SENTINEL-METTL-PRIVATE-5d2e",
    "QUESTIONMARK_USERNAME": "sentinel-qm-user-19",
    "QUESTIONMARK_PASSWORD": "SENTINEL-QM-PASSWORD-81af",
    "WEBHOOK_AUTH": "Basic SENTINEL-WEBHOOK-33c",
    "RECONCILER_PII_KEY": "SENTINEL-PII-KEY-6b0c",
    "OTHER_SECRET": "SENTINEL-OTHER-90aa",
}
"""The environment every corpus project is loaded in: none of these values may reach any output."""

FORBIDDEN = (*SECRET_ENV.values(), OUTSIDE_VALUE, "SENTINEL-CSV-HEADER-4e1", "SENTINEL-CSV-TAIL-77d")


def _link(name: str, target: str | Callable[[Path], Path]) -> Callable[[Path], None]:
    def make(project: Path) -> None:
        (project / name).symlink_to(target(project) if callable(target) else target)

    return make


def _fifo(name: str) -> Callable[[Path], None]:
    return lambda project: os.mkfifo(project / name)


def _big(project: Path) -> None:
    with (project / "desired" / "big.yaml").open("wb") as handle:
        handle.truncate(11 * 1024 * 1024)  # sparse: costs no disk and no time


def _deep(text: str) -> Callable[[Path], None]:
    return lambda project: (project / "desired" / "deep.yaml").write_text(text, encoding="utf-8")


SPECIAL: dict[str, Callable[[Path], None]] = {
    "path-symlink-out-csv": _link("desired/team.csv", lambda p: p.parent / "outside-secret.csv"),
    "path-device-csv": _link("desired/zero.csv", "/dev/zero"),
    "path-fifo-csv": _fifo("desired/pipe.csv"),
    "path-symlink-out-yaml": _link("desired/evil.yaml", lambda p: p.parent / "outside" / "x.yaml"),
    "path-symlink-dir-out": _link("desired/shared", lambda p: p.parent / "outside"),
    "path-device-yaml": _link("desired/zero.yaml", "/dev/zero"),
    "path-fifo-yaml": _fifo("desired/pipe.yaml"),
    "path-looping-symlink": _link("desired/loop.yaml", "loop.yaml"),
    "path-dangling-symlink": _link("desired/gone.yaml", "nowhere.yaml"),
    "limit-big-file": _big,
    "limit-deep-nesting-flow": _deep("schedules: " + "[" * 10_000 + "]" * 10_000 + "\n"),
    "limit-deep-nesting-block": _deep("schedules:\n" + "- " * 10_000 + "x\n"),
}


def prepare(case: str, workdir: Path) -> Path:
    """Copy the case to workdir/project (with its special files) beside the outside bait; return it."""
    project = workdir / "project"
    shutil.copytree(HOSTILE_DIR / case, project, symlinks=True)
    (workdir / "outside-secret.csv").write_text(f"LEAKED={OUTSIDE_VALUE},name\nana@example.com,Ana\n",
                                               encoding="utf-8")
    (workdir / "outside").mkdir()
    (workdir / "outside" / "x.yaml").write_text(f"schedules: [{{name: {OUTSIDE_VALUE}}}]\n", encoding="utf-8")
    (workdir / "elsewhere").mkdir()
    (workdir / "elsewhere" / "a.yaml").write_text(f"schedules: [{{name: {OUTSIDE_VALUE}}}]\n", encoding="utf-8")
    if case in SPECIAL:
        SPECIAL[case](project)
    return project
