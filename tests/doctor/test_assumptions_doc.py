"""docs/vendor-assumptions.md and doctor agree: every row says where the code relies on it and which doctor
check verifies it (by its printed name), and every assumption doctor prints has its row."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import TenantFactory

DOC = Path(__file__).resolve().parents[2] / "docs" / "vendor-assumptions.md"
ROW = re.compile(r"^\| ([MQ]-\d\d) \|")
CHECK_NAME = re.compile(r"`((?:mettl|questionmark) [^`]+)`")


def _rows() -> dict[str, tuple[str, str]]:
    """id → (where, doctor check) cells."""
    rows = {}
    for line in DOC.read_text(encoding="utf-8").splitlines():
        if ROW.match(line):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            assert len(cells) == 5, line
            rows[cells[0]] = (cells[3], cells[4])
    return rows


def _base(name: str) -> str:
    return re.sub(r" (<[a-z]+>|\d+)$", "", name)


def test_every_row_names_where_and_its_doctor_check(tenant: TenantFactory) -> None:
    live = tenant()  # wrong credentials: every check is still printed (skipped), fast and read-only
    _, printed = live.rows(env={"METTL_PRIVATE_KEY": "wrong", "QUESTIONMARK_PASSWORD": "wrong"})
    names = {_base(n): row for n, row in printed.items()}
    rows = _rows()

    assert set(rows) >= {f"M-0{i}" for i in range(1, 10)} | {f"Q-0{i}" for i in range(1, 9)}
    for assumption, (where, doctor) in rows.items():
        assert where and doctor, assumption
        named = [_base(n) for n in CHECK_NAME.findall(doctor)]
        assert named or doctor.startswith("manual"), f"{assumption}: the doctor column names no check"
        for name in named:
            assert name in names, f"{assumption}: doctor prints no check named {name!r}"
        manual = [names[n] for n in named if names[n]["status"] == "manual"]
        assert not named or doctor.startswith("manual") == bool(manual), assumption
    for name, row in names.items():
        if row["assumption"] != "documented":
            documented = {_base(n) for n in CHECK_NAME.findall(rows[row["assumption"]][1])}
            assert name in documented, f"{name} ({row['assumption']}) is not in its row's doctor column"
