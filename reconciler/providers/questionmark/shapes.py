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
Table = dict[type, Test | None]
"""A field's accepted exact types (strict: no bool for int), each with a further test or None (accepted)."""
_PLAIN = (int, str, bool, type(None))
_NO = object()
_SIGNATURES = 1024  # kept per model: a service sends a few shapes (null or not)


@cache
def shape_test(model: type[BaseModel]) -> Test | None:
    """A test accepting what `model` accepts; None when a field's type is beyond this module (use pydantic)."""
    decorators = model.__pydantic_decorators__
    if decorators.model_validators or decorators.field_validators or not model.model_config.get("strict"):
        return None
    fields: list[tuple[str, Table, bool]] = []
    for name, info in model.model_fields.items():
        table = _table(info.annotation, info.metadata)
        if table is None or info.alias not in (None, name):
            return None
        fields.append((name, table, info.is_required()))

    further = [(name, table) for name, table, _ in fields if any(test is not None for test in table.values())]
    passed: set[tuple[Any, ...]] = set()  # the keys and value types of answers that passed the type tests

    def accepts(data: Any) -> bool:
        if type(data) is not dict:
            return False
        signature = (*data, *map(type, data.values()))
        if signature in passed:  # the same fields of the same types: only the values' own tests are left
            for name, table in further:
                value = data.get(name, _NO)
                test = table.get(type(value))
                if test is not None and not test(value):
                    return False
            return True
        if not _all_of(fields, data):
            return False
        if len(passed) < _SIGNATURES:
            passed.add(signature)
        return True

    return accepts


def _all_of(fields: list[tuple[str, Table, bool]], data: dict[str, Any]) -> bool:
    """Every field present when required, of an accepted type, passing its further test."""
    for name, table, required in fields:
        value = data.get(name, _NO)
        if value is _NO:
            if required:
                return False
            continue
        test = table.get(type(value), _NO)
        if test is _NO or (test is not None and not test(value)):  # type: ignore[operator]
            return False
    return True


def _table(annotation: Any, metadata: list[Any]) -> Table | None:
    """The accepted types of an annotation with its metadata (patterns, after-validators)."""
    base = _type_table(annotation)
    checks = [_meta_test(item) for item in metadata]
    if base is None or any(check is None for check in checks):
        return None
    if not checks:
        return base
    if len(base) != 1 or next(iter(base.values())) is not None:
        return None
    tests = [check for check in checks if check is not None]
    only = tests[0]
    return {next(iter(base)): only if len(tests) == 1 else lambda value: all(test(value) for test in tests)}


def _type_table(annotation: Any) -> Table | None:
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if annotation in _PLAIN:
        return {annotation: None}
    if origin is typing.Annotated:
        return _table(args[0], list(args[1:]))
    if origin in (typing.Union, types.UnionType):
        out: Table = {}
        for arg in args:
            table = _type_table(arg)
            if table is None or out.keys() & table.keys():
                return None
            out.update(table)
        return out
    if origin is list and len(args) == 1:
        item = _type_table(args[0])
        return None if item is None else {list: lambda value: not value or all(_accepts(item, v) for v in value)}
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        test = shape_test(annotation)
        return None if test is None else {dict: test}
    return None


def _accepts(table: Table, value: Any) -> bool:
    test = table.get(type(value), _NO)
    return test is not _NO and (test is None or test(value))  # type: ignore[operator]


def _meta_test(item: Any) -> Test | None:
    if isinstance(item, StringConstraints):
        others = [f.name for f in dataclasses.fields(item) if f.name != "pattern" and getattr(item, f.name) is not None]
        if others or not isinstance(item.pattern, str):
            return None
        search = re.compile(item.pattern).search
        return lambda value: search(value) is not None
    if isinstance(item, AfterValidator) and len(inspect.signature(item.func).parameters) == 1:
        return _after_test(typing.cast(Callable[[Any], Any], item.func))
    return None


def _after_test(func: Callable[[Any], Any]) -> Test:
    """Whether `func` accepts a value; the values it accepted are remembered (an after-validator of an answer
    model checks the value alone: the same text passes again)."""
    accepted: set[Any] = set()

    def test(value: Any) -> bool:
        if value in accepted:
            return True
        try:
            func(value)
        except (ValueError, AssertionError):
            return False
        if len(accepted) < _SIGNATURES:
            accepted.add(value)
        return True

    return test
