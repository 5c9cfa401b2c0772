"""Field paths: tuples inside, dotted text only at the edges (JSON, renderers); one place for the named ones."""

from __future__ import annotations

from typing import Any

from pydantic import field_serializer, field_validator

from ..models import Accommodation, Frozen

FieldPath = tuple[str, ...]
"""Where a field is: `("mettl", "web_proctoring", "count")`, `("accommodations", email, "extra_time")`,
`("metadata", key)`. Shown as dotted text only at the edges (JSON, renderers); keys may contain dots."""
WINDOW: FieldPath = ("window",)
WINDOW_END: FieldPath = ("window", "end")
NAME: FieldPath = ("name",)
INVITATION_ONLY: FieldPath = ("invitation_only",)
DISABLED: FieldPath = ("disabled",)
GROUP: FieldPath = ("group",)
ACCOMMODATIONS, METADATA = "accommodations", "metadata"


def dotted(path: FieldPath) -> str:
    """The text form of a path (as the JSON plan and every renderer show it)."""
    return ".".join(path)


def parse_path(text: str) -> FieldPath:
    """The path behind its text form: an email or metadata key keeps its dots."""
    head, _, rest = text.partition(".")
    if head == METADATA and rest:
        return (METADATA, rest)
    if head == ACCOMMODATIONS and rest:
        email, _, name = rest.rpartition(".")
        return (ACCOMMODATIONS, email, name) if email and name in Accommodation.model_fields else (ACCOMMODATIONS, rest)
    return tuple(text.split("."))


class FieldChange(Frozen):
    """One field that differs: its path, before (live) and after (desired)."""

    path: FieldPath
    before: Any = None
    after: Any = None
    sensitive: bool = False

    @field_validator("path", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return parse_path(value) if isinstance(value, str) else value

    @field_serializer("path")
    def _dotted(self, path: FieldPath) -> str:
        return dotted(path)

    @property
    def text(self) -> str:
        """The dotted path."""
        return dotted(self.path)
