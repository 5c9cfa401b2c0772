"""Checking a vendor answer against a pydantic model of the parts the plan depends on.

Vendor answers are untrusted: a missing or mistyped field must stop the run with the call and the field
named, never be read as "unset" (which would turn into a write). Extra fields are allowed (vendors add them).
Each provider describes its answers in its own `answers.py`; this is the part they share.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from .errors import MalformedResponseError


class Answer(BaseModel):
    """Base of every answer model: strict types (no "2" for 2), unknown fields kept."""

    model_config = ConfigDict(extra="allow", strict=True)


M = TypeVar("M", bound=Answer)


def checked(provider: str, model: type[M], data: Any, call: str, item: str = "") -> dict[str, Any]:
    """`data` unchanged when it has the shape `model` describes; otherwise an error naming call and field.

    `item` says which entity of a listing was wrong (`schedule 17`), for answers that carry many.
    """
    try:
        model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(the answer)"
        problem = "is missing" if first["type"] == "missing" else f"is invalid ({first['msg']})"
        of = f" of {item}" if item else ""
        raise MalformedResponseError(provider, f"{call}: answer field {where}{of} {problem}") from None
    assert isinstance(data, dict)
    return data
