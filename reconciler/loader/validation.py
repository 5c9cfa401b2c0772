"""Turning pydantic validation errors into `file:line: field.path: message` problems."""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..errors import Problem
from ..models import Candidate, desired_candidate
from .yaml_source import Loc, SourceDoc, format_loc

M = TypeVar("M", bound=BaseModel)

_PREFIXES = ("Value error, ", "Assertion failed, ")
MAX_MESSAGE = 200


def describe(value: Any) -> str:
    """A YAML-flavoured name for the kind of a value."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def suggest(word: str, choices: list[str]) -> str:
    """` (did you mean 'x'?)` or ` (allowed: a, b)` for a word that is not among choices."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.7)
    if close:
        return f" (did you mean {close[0]!r}?)"
    return f" (allowed: {', '.join(choices)})" if choices else ""


def _strip(tp: Any) -> Any:
    """Drop Annotated and Optional wrappers; of a union of models, keep the first model."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin is Union or origin is types.UnionType:
            args = [a for a in get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            if len(args) == 1:
                tp = args[0]
            elif models:
                tp = models[0]
            else:
                return tp
        else:
            return tp


def model_at(root: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the value at loc (relative to root), if there is one."""
    tp: Any = root
    for step in loc:
        tp = _strip(tp)
        origin = get_origin(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(step))
            if field is None:
                return None
            tp = field.annotation
        elif origin in (list, tuple) and get_args(tp):
            tp = get_args(tp)[0]
        elif origin is dict and len(get_args(tp)) == 2:
            tp = get_args(tp)[1]
        else:
            return None
    tp = _strip(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _data_loc(data: Any, loc: tuple[Any, ...]) -> tuple[Loc, bool]:
    """The loc as it exists in the data (union tags dropped) and whether it names a mapping key."""
    out: list[str | int] = []
    is_key = False
    node = data
    for index, step in enumerate(loc):
        if step == "[key]":
            is_key = True
            continue
        last = index == len(loc) - 1 or (index == len(loc) - 2 and loc[-1] == "[key]")
        if isinstance(node, dict):
            if str(step) in node:
                out.append(str(step))
                node = node[str(step)]
            elif last or not isinstance(step, str):
                out.append(step)
                node = None
            # otherwise a union tag such as 'function-after[...]': not part of the data
        elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            out.append(step)
            node = node[step]
        else:
            out.append(step)
            node = None
    return tuple(out), is_key


def _message(error: ErrorDetails, root: type[BaseModel], rel: Loc, is_key: bool) -> str:
    kind = error["type"]
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        model = model_at(root, rel[:-1])
        allowed = list(model.model_fields) if model else []
        return f"unknown field {rel[-1]!r}" + suggest(str(rel[-1]), allowed)
    if kind == "missing":
        return "required field is missing"
    if kind == "literal_error":
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:60] + "…"
        return f"{shown} is not allowed; use {ctx.get('expected', 'one of the listed values')}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping, got {describe(value)}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {describe(value)}"
    if kind == "string_type" and isinstance(value, int | float | bool):
        return f"expected a string, got {describe(value)} (put it in quotes)"
    message = str(error["msg"])
    for prefix in _PREFIXES:
        message = message.removeprefix(prefix)
    if message[:1].isupper() and not message[1:2].isupper():
        message = message[0].lower() + message[1:]
    message = " ".join(message.split())
    if len(message) > MAX_MESSAGE:  # a message quotes at most the start of the offending value
        message = message[:MAX_MESSAGE] + "…"
    return f"key: {message}" if is_key else message


def validation_problems(
    exc: ValidationError, doc: SourceDoc, base: Loc, root: type[BaseModel], shown: Loc | None = None
) -> list[Problem]:
    """One problem per pydantic error, placed at the nearest YAML node to its loc.

    `base` is where the validated value sits in doc; `shown` (default: base) prefixes the field path.
    """
    node = doc.value_at(base)
    problems = []
    for error in exc.errors(include_url=False):
        rel, is_key = _data_loc(node, tuple(error["loc"]))
        path = format_loc((*(base if shown is None else shown), *rel))
        problems.append(Problem(doc.position((*base, *rel)), path, _message(error, root, rel, is_key)))
    return problems


def validate(model: type[M], data: Any, doc: SourceDoc, base: Loc, problems: list[Problem]) -> M | None:
    """Validate data (found at base in doc) as model; on failure add the problems and return None."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(validation_problems(exc, doc, base, model))
        return None


_CANDIDATE_KEYS = frozenset(Candidate.model_fields) - {"questionmark_login"}  # with a login: pydantic
_ABSENT: Any = object()


def validate_candidate(item: Any, doc: SourceDoc, base: Loc, problems: list[Problem]) -> Candidate | None:
    """`validate(Candidate, …)`, quick for the usual `{email, name[, fields]}` of strings (a project may list
    hundreds of thousands); anything else, and any mistake, is left to pydantic and its messages."""
    if type(item) is dict and item.keys() <= _CANDIDATE_KEYS:
        fields = item.get("fields", _ABSENT)
        if fields is _ABSENT:
            candidate = desired_candidate(item.get("email"), item.get("name"))
        elif type(fields) is dict and all(type(k) is str and type(v) is str for k, v in fields.items()):
            candidate = desired_candidate(item.get("email"), item.get("name"), dict(fields))
        else:
            candidate = None
        if candidate is not None:
            return candidate
    return validate(Candidate, item, doc, base, problems)
