"""`reconciler schema`: writes the JSON Schemas the imported files point at; --check lists stale ones."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from reconciler import cli


def test_schema_writes_then_checks(tmp_path: Path) -> None:
    folder = tmp_path / "schemas"
    runner = CliRunner()
    missing = runner.invoke(cli.main, ["schema", "--out", str(folder), "--check"])
    assert missing.exit_code == 1
    assert "stale: desired-state.schema.json" in missing.stderr

    written = runner.invoke(cli.main, ["schema", "--out", str(folder)])
    assert written.exit_code == 0, written.output
    paths = [Path(line) for line in written.stdout.splitlines()]
    assert {p.name for p in paths} >= {"desired-state.schema.json", "reconciler.schema.json"}
    assert json.loads((folder / "desired-state.schema.json").read_text(encoding="utf-8"))["$schema"]

    fresh = runner.invoke(cli.main, ["schema", "--out", str(folder), "--check"])
    assert fresh.exit_code == 0 and "up to date" in fresh.stdout

    (folder / "plan.schema.json").write_text("{}\n", encoding="utf-8")
    stale = runner.invoke(cli.main, ["schema", "--out", str(folder), "--check"])
    assert stale.exit_code == 1
    assert stale.stderr.splitlines()[0] == "stale: plan.schema.json"
