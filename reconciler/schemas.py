"""JSON Schemas for editors, generated from the pydantic models: desired-state files, reconciler.yaml, plans.

`reconciler schema` (or `python -m reconciler.schemas`) writes them to `schemas/`; a test fails when the
committed files are stale. Point an editor at them, e.g. with a first line in a desired-state file:
`# yaml-language-server: $schema=../schemas/desired-state.schema.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, JsonSchemaValue
from pydantic_core import core_schema

from .models import DesiredFile, ProjectConfig, base as models_base
from .plan import NewParticipants, Plan
from .render.jsonplan import plan_document

DIALECT = "https://json-schema.org/draft/2020-12/schema"
LOCAL_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"

_SCHEMAS: dict[str, tuple[type[BaseModel], str, JsonSchemaMode, str]] = {
    "desired-state.schema.json": (
        DesiredFile, "Reconciler desired-state file", "validation",
        "Schedules, candidate lists and suppressions; any number of such files are merged.",
    ),
    "reconciler.schema.json": (
        ProjectConfig, "Reconciler project file (reconciler.yaml)", "validation",
        "Providers, where the desired-state files are, and the safety limits of apply.",
    ),
    "plan.schema.json": (
        Plan, "Reconciler plan document (plan.json)", "serialization",
        "The machine-readable plan written by `reconciler plan --out` and `--format json`.",
    ),
}

_DOCUMENT_KEYS: dict[str, JsonSchemaValue] = {
    "checksum": {
        "type": "string", "pattern": "^[0-9a-f]{64}$",
        "description": "SHA-256 of the canonical plan; `apply --expect-checksum` compares it.",
    },
    "has_changes": {"type": "boolean", "description": "Whether apply would write anything."},
}


class _Generator(GenerateJsonSchema):
    """Pydantic's generator, with the types whose input is wider or narrower than their Python type."""

    def function_before_schema(self, schema: core_schema.BeforeValidatorFunctionSchema) -> JsonSchemaValue:
        function = schema["function"].get("function")
        if function is models_base._naive_local:
            return {
                "type": "string",
                "pattern": LOCAL_TIME_PATTERN,
                "description": "Local wall-clock time without an offset, e.g. 2026-12-01T09:00; "
                               "the zone goes in time_zone.",
            }
        inner = super().function_before_schema(schema)
        if function is models_base._to_str_id and self.mode == "validation":
            return {"anyOf": [inner, {"type": "integer", "minimum": 0}]}
        return inner


def _summary_schema() -> JsonSchemaValue:
    summary = plan_document(Plan())["summary"]
    return {
        "type": "object",
        "description": "Counts: schedules to create, update and disable; candidates to add, remove, "
                       "protected; schedules in sync and unmanaged.",
        "properties": {key: {"type": "integer", "minimum": 0} for key in sorted(summary)},
        "required": sorted(summary),
        "additionalProperties": False,
    }


def _plan_extras(schema: dict[str, Any]) -> None:
    """The keys jsonplan adds around Plan.data(): checksum, has_changes, summary; all always present."""
    properties = schema["properties"]
    properties.update(_DOCUMENT_KEYS)
    properties["summary"] = _summary_schema()
    document = plan_document(Plan())
    missing = sorted(set(document) - set(properties))
    if missing:
        raise RuntimeError(f"plan_document has keys the plan schema does not describe: {missing}")
    schema["required"] = sorted(document)
    _new_participants(schema)


def _new_participants(schema: dict[str, Any]) -> None:
    """`participants` of a create or update: in the JSON only when the provider planned new accounts."""
    definitions = schema.get("$defs", {})
    definitions["NewParticipants"] = NewParticipants.model_json_schema(mode="serialization",
                                                                      schema_generator=_Generator)
    for name in ("Create", "Update"):
        definitions[name]["properties"]["participants"] = {
            "$ref": "#/$defs/NewParticipants",
            "description": "New accounts apply creates for added candidates, and how they will sign in "
                           "(Questionmark; absent when there are none)."}


def generate() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema (draft 2020-12), deterministic."""
    result: dict[str, dict[str, Any]] = {}
    for filename, (model, title, mode, description) in _SCHEMAS.items():
        schema: dict[str, Any] = model.model_json_schema(mode=mode, schema_generator=_Generator)
        if model is Plan:
            _plan_extras(schema)
        schema["$schema"] = DIALECT
        schema["$id"] = f"urn:reconciler:schema:{filename.removesuffix('.schema.json')}"
        schema["title"] = title
        schema["description"] = description
        result[filename] = schema
    return result


def dump(schema: dict[str, Any]) -> str:
    """The file text: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write(folder: Path) -> list[Path]:
    """Write every schema into `folder` (created if needed); returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for filename, schema in sorted(generate().items()):
        path = folder / filename
        path.write_text(dump(schema), encoding="utf-8")
        written.append(path)
    return written


def stale(folder: Path) -> list[str]:
    """Names of schema files in `folder` that are missing or differ from what `generate()` gives."""
    out: list[str] = []
    for filename, schema in sorted(generate().items()):
        path = folder / filename
        if not path.is_file() or path.read_text(encoding="utf-8") != dump(schema):
            out.append(filename)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m reconciler.schemas [--check] [FOLDER]`: write the schemas, or exit 1 when stale."""
    parser = argparse.ArgumentParser(prog="reconciler schema", description=main.__doc__)
    parser.add_argument("folder", nargs="?", default="schemas", type=Path)
    parser.add_argument("--check", action="store_true", help="Only report stale files (exit 1 if any).")
    args = parser.parse_args(argv)
    if args.check:
        names = stale(args.folder)
        for name in names:
            print(f"stale: {args.folder / name} (run `reconciler schema`)", file=sys.stderr)
        return 1 if names else 0
    for path in write(args.folder):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
