"""The committed JSON Schemas are fresh, and they accept what the models accept and refuse unknown fields.

No JSON-Schema library is a dependency, so a small validator below covers the keywords pydantic emits.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler import schemas
from reconciler.models import Candidate, DesiredFile, ProjectConfig, Window
from reconciler.plan import CandidateChanges, FieldChange, NewParticipants, Plan
from reconciler.render.jsonplan import plan_document
from tests.changes import update

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "schemas"

_TYPES: dict[str, Any] = {
    "object": dict, "array": list, "string": str, "boolean": bool, "null": type(None),
    "integer": int, "number": (int, float),
}


def errors(instance: Any, schema: dict[str, Any], root: dict[str, Any] | None = None,
           where: str = "$") -> list[str]:
    """Why `instance` does not match `schema` (empty when it does). A subset of draft 2020-12."""
    root = root or schema
    found: list[str] = []
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        found += errors(instance, target, root, where)
    if "anyOf" in schema:
        options = [errors(instance, option, root, where) for option in schema["anyOf"]]
        if all(options):
            closest = sorted(options, key=len)[0]
            found.append(f"{where}: matches none of anyOf: " + "; ".join(closest))
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        ok = any(isinstance(instance, _TYPES[t]) and not (t in ("integer", "number") and isinstance(instance, bool))
                 for t in types)
        if not ok:
            return [*found, f"{where}: {instance!r} is not {schema['type']}"]
    if "enum" in schema and instance not in schema["enum"]:
        found.append(f"{where}: {instance!r} not in {schema['enum']}")
    if "const" in schema and instance != schema["const"]:
        found.append(f"{where}: {instance!r} != {schema['const']!r}")
    if isinstance(instance, str):
        if len(instance) < schema.get("minLength", 0) or len(instance) > schema.get("maxLength", 10**9):
            found.append(f"{where}: length {len(instance)} out of range")
        if "pattern" in schema and not re.search(schema["pattern"], instance):
            found.append(f"{where}: {instance!r} does not match {schema['pattern']}")
    if isinstance(instance, int | float) and not isinstance(instance, bool):
        if instance < schema.get("minimum", float("-inf")) or instance > schema.get("maximum", float("inf")):
            found.append(f"{where}: {instance} out of range")
        if "exclusiveMinimum" in schema and instance <= schema["exclusiveMinimum"]:
            found.append(f"{where}: {instance} <= {schema['exclusiveMinimum']}")
    if isinstance(instance, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(instance):
            found += errors(item, schema["items"], root, f"{where}[{index}]")
    if isinstance(instance, dict):
        properties = schema.get("properties", {})
        found += [f"{where}: missing {key!r}" for key in schema.get("required", []) if key not in instance]
        for key, value in instance.items():
            if key in properties:
                found += errors(value, properties[key], root, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{where}: unknown field {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                found += errors(value, schema["additionalProperties"], root, f"{where}.{key}")
    return found


def _as_editor_sees(value: Any) -> Any:
    """YAML timestamps as the strings an editor validates."""
    if isinstance(value, dict):
        return {str(k): _as_editor_sees(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_editor_sees(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def generated() -> dict[str, dict[str, Any]]:
    return schemas.generate()


def test_committed_schemas_are_fresh() -> None:
    stale = schemas.stale(FOLDER)
    assert not stale, f"stale JSON Schemas in schemas/: {stale}. Run `reconciler schema` and commit the result."


def test_generation_is_deterministic_and_well_formed(generated: dict[str, dict[str, Any]]) -> None:
    assert set(generated) == {"desired-state.schema.json", "reconciler.schema.json", "plan.schema.json"}
    again = schemas.generate()
    for name, schema in generated.items():
        assert schemas.dump(schema) == schemas.dump(again[name])
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].startswith("urn:reconciler:schema:") and schema["title"]
        assert schemas.dump(schema).endswith("}\n") and '\n  "$defs"' in schemas.dump(schema)


def test_write_and_stale(tmp_path: Path) -> None:
    written = schemas.write(tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(schemas.generate())
    assert schemas.stale(tmp_path / "out") == []
    (tmp_path / "out" / "plan.schema.json").write_text("{}\n")
    (tmp_path / "out" / "reconciler.schema.json").unlink()
    assert schemas.stale(tmp_path / "out") == ["plan.schema.json", "reconciler.schema.json"]
    assert schemas.main(["--check", str(tmp_path / "out")]) == 1
    assert schemas.main([str(tmp_path / "out")]) == 0 and schemas.stale(tmp_path / "out") == []


MINIMAL = {"schedules": [{"name": "Final", "provider": "mettl", "assessment_id": 769688}]}
RICHER = {
    "candidate_lists": {"cohort": [{"email": "a@example.com", "name": "A"}], "ops": {"csv": "ops.csv"}},
    "schedules": [{
        "name": "Resit", "provider": "questionmark", "assessment_id": "65433000065433",
        "window": {"start": "2026-12-01T09:00:00", "end": "2026-12-05T18:00", "time_zone": "Europe/London"},
        "candidates": ["cohort", {"email": "b@example.com", "name": "B"}],
        "accommodations": {"a@example.com": {"extra_time": 30}}, "metadata": {"Cohort": "2026-Q4"},
        "questionmark": {"max_attempts": 2, "report_window": {"start": "2027-01-01T00:00"}},
    }],
    "suppressions": [{"schedule": "Resit", "owner": "ops", "reason": "vendor bug", "expires": "2027-01-01"}],
}


@pytest.mark.parametrize("document", [MINIMAL, RICHER], ids=["minimal", "richer"])
def test_valid_desired_files_validate(generated: dict[str, dict[str, Any]], document: dict[str, Any]) -> None:
    DesiredFile.model_validate(document)  # the models agree that it is valid
    assert errors(document, generated["desired-state.schema.json"]) == []


@pytest.mark.parametrize(("document", "why"), [
    ({"schedulez": []}, "unknown field 'schedulez'"),
    ({"schedules": [{"name": "F", "provider": "mettl", "assessment_id": 1, "colour": "red"}]}, "unknown field"),
    ({"schedules": [{"name": "F", "provider": "mettl", "assessment_id": 1,
                     "mettl": {"web_proctoring": {"enabled": True, "cout": 3}}}]}, "unknown field 'cout'"),
    ({"schedules": [{"name": "F", "provider": "moodle", "assessment_id": 1}]}, "not in"),
    ({"schedules": [{"name": "F", "provider": "mettl"}]}, "missing 'assessment_id'"),
    ({"schedules": [{"name": "F", "provider": "mettl", "assessment_id": 1,
                     "window": {"start": "2026-12-01T09:00:00+05:30", "end": "2026-12-02T09:00"}}]}, "match"),
], ids=["top", "schedule", "nested", "enum", "required", "offset"])
def test_invalid_desired_files_do_not(generated: dict[str, dict[str, Any]], document: dict[str, Any],
                                      why: str) -> None:
    found = errors(document, generated["desired-state.schema.json"])
    assert any(why in e for e in found), found


def test_example_files_validate(generated: dict[str, dict[str, Any]]) -> None:
    yaml = YAML(typ="safe")
    checked = 0
    for path in sorted((ROOT / "examples").rglob("*.yaml")):
        if ".reconciler-sandbox" in path.parts:
            continue
        data = _as_editor_sees(yaml.load(path.read_text(encoding="utf-8")))
        name = "reconciler.schema.json" if path.name == "reconciler.yaml" else "desired-state.schema.json"
        assert errors(data, generated[name]) == [], path
        checked += 1
    if checked == 0:
        pytest.skip("no example files")


def test_project_file_schema(generated: dict[str, dict[str, Any]]) -> None:
    config = {"providers": {"mettl": {"public_key": "${METTL_PUBLIC_KEY}", "private_key": "${X}"}},
              "safety": {"max_removal_fraction": 0.1}}
    ProjectConfig.model_validate(config)
    assert errors(config, generated["reconciler.schema.json"]) == []
    assert errors({"safety": {"max_removal": 0.1}}, generated["reconciler.schema.json"])


def test_a_real_plan_document_validates(generated: dict[str, dict[str, Any]]) -> None:
    before = Window(start=datetime(2026, 12, 1, 9), end=datetime(2026, 12, 2, 9), time_zone="Asia/Kolkata")
    change = update(
        "mettl", "1", "A", ref="ak",
        fields=(FieldChange(path="mettl.web_proctoring.enabled", before=False, after=True),),
        candidates=CandidateChanges(add=(Candidate(email="a@example.com", name="A"),), remove=("b@example.com",),
                                    existing=2),
        window_before=before, window_after=before, fingerprint="f" * 16,
    )
    document = json.loads(json.dumps(plan_document(Plan.build([change], in_sync=1))))
    assert errors(document, generated["plan.schema.json"]) == []
    assert any("unknown field" in e for e in errors({**document, "extra": 1}, generated["plan.schema.json"]))
    assert any("missing 'checksum'" in e for e in errors({k: v for k, v in document.items() if k != "checksum"},
                                                         generated["plan.schema.json"]))


def test_a_plan_with_new_participants_validates(generated: dict[str, dict[str, Any]]) -> None:
    change = update("questionmark", "1", "A", ref="7", fingerprint="f" * 16,
                    candidates=CandidateChanges(add=(Candidate(email="a@example.com", name="A"),), existing=1))
    planned = change.model_copy(update={"participants": NewParticipants(emails=("a@example.com",),
                                                                        sign_in="welcome email")})
    document = json.loads(json.dumps(plan_document(Plan.build([planned]))))
    assert document["changes"][0]["participants"] == {"emails": ["a@example.com"], "sign_in": "welcome email",
                                                      "unchecked": 0}
    schema = generated["plan.schema.json"]
    assert errors(document, schema) == []
    updated = document["changes"][0]  # the changes are a oneOf, which `errors` leaves out: check the Update
    assert errors(updated, schema["$defs"]["Update"], schema) == []
    assert errors({**updated, "participants": {"emails": "a@example.com"}}, schema["$defs"]["Update"], schema) != []
