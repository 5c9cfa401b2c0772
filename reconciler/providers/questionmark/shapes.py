"""A quick test that an answer has the shape of an `Answer` model, derived from the model's own fields.

A listing of 200,000 schedules is checked item by item; pydantic's validation costs ~11 µs per schedule,
this ~2 µs. It accepts exactly what the model accepts for the field types used in `answers` (strict `int`,
`str`, `bool`, None, lists, nested models, patterns, after-validators) and says "not sure" (False) for
anything else: the caller then validates with pydantic, which names the field that is wrong.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from pydantic import AfterValidator, BaseModel, StringConstraints

Test = Callable[[Any], bool]
_PLAIN = {int: int, str: str, bool: bool, type(None): type(None)}


@cache
def shape_test(model: type[BaseModel]) -> Test | None:
    """A test accepting what `model` accepts; None when a field's type is beyond this module (use pydantic)."""
    decorators = model.__pydantic_decorators__
    if decorators.model_validators or decorators.field_validators or not model.model_config.get("strict"):
        return None
    fields: list[tuple[str, Test, bool]] = []
    for name, info in model.model_fields.items():
        test = _test(info.annotation, info.metadata)
        if test is None or info.alias not in (None, name):
            return None
        fields.append((name, test, info.is_required()))

    def accepts(data: Any) -> bool:
        if type(data) is not dict:
            return False
        for name, test, required in fields:
            if name in data:
                if not test(data[name]):
                    return False
            elif required:
                return False
        return True

    return accepts


def _test(annotation: Any, metadata: list[Any]) -> Test | None:
    base = _type_test(annotation)
    checks = [_meta_test(item) for item in metadata]
    if base is None or any(check is None for check in checks):
        return None
    if not checks:
        return base
    return lambda value: base(value) and all(check(value) for check in checks if check is not None)


def _type_test(annotation: Any) -> Test | None:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation in _PLAIN:
        exact = _PLAIN[annotation]
        return lambda value: type(value) is exact
    if origin is typing.Annotated:
        return _test(args[0], list(args[1:]))
    if origin in (typing.Union, types.UnionType):
        tests = [_type_test(arg) for arg in args]
        if any(test is None for test in tests):
            return None
        return lambda value: any(test(value) for test in tests if test is not None)
    if origin is list and len(args) == 1:
        item = _type_test(args[0])
        return None if item is None else (lambda value: type(value) is list and all(item(v) for v in value))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return shape_test(annotation)
    return None


def _meta_test(item: Any) -> Test | None:
    if isinstance(item, StringConstraints):
        others = [f.name for f in dataclasses.fields(item) if f.name != "pattern" and getattr(item, f.name) is not None]
        if others or not isinstance(item.pattern, str):
            return None
        search = re.compile(item.pattern).search
        return lambda value: search(value) is not None
    if isinstance(item, AfterValidator) and len(inspect.signature(item.func).parameters) == 1:
        func = typing.cast(Callable[[Any], Any], item.func)
        return lambda value: _passes(func, value)
    return None


def _passes(func: Callable[[Any], Any], value: Any) -> bool:
    try:
        func(value)
    except (ValueError, AssertionError):
        return False
    return True
