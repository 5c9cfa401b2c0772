"""Reading YAML (ruamel, round-trip) into plain Python data plus a map of where each value was written.

Every string scalar is passed through `interpolate` on the way; an unset variable is a problem at the
scalar's position, except where the caller allows it to stay unresolved (then the value becomes None and
the variable is recorded).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scanner import ScannerError

from .errors import Position, Problem

Loc = tuple[str | int, ...]

_REF = re.compile(r"\$\$\{|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}|\$\{")
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_-]{1,60}$")


def interpolate(value: str, env: Mapping[str, str]) -> str:
    """Replace `${VAR}` and `${VAR:-default}` in value; `$${` gives a literal `${`.

    `${VAR:-default}` uses the default when VAR is unset or empty. Raises KeyError(var) when a `${VAR}`
    without default is unset, and ValueError for a malformed reference such as `${1x}`.
    """

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "$${":
            return "${"
        name = match.group("name")
        if name is None:
            raise ValueError("malformed variable reference: write ${NAME} or ${NAME:-default}")
        default = match.group("default")
        if default is not None:
            return env.get(name) or default
        if name not in env:
            raise KeyError(name)
        return env[name]

    if "${" not in value:
        return value
    return _REF.sub(replace, value)


def format_loc(loc: Loc) -> str:
    """`schedules[1].window.time_zone`; keys that are not plain words are quoted and shortened."""
    out = ""
    for step in loc:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _PLAIN_KEY.match(step):
            out += f".{step}" if out else step
        else:
            shown = step if len(step) <= 40 else step[:40] + "…"
            out += '["' + shown.replace('"', '\\"') + '"]'
    return out


@dataclass
class SourceDoc:
    """One parsed YAML file: plain data and the 1-based (line, column) where each loc is written."""

    path: Path
    display: str
    data: Any
    where: dict[Loc, tuple[int, int]] = field(default_factory=dict)

    def position(self, loc: Loc) -> Position:
        """The position of loc, or of its nearest ancestor that exists in the file."""
        for end in range(len(loc), -1, -1):
            found = self.where.get(loc[:end])
            if found is not None:
                return Position(self.display, found[0], found[1])
        return Position(self.display, 1, 1)

    def value_at(self, loc: Loc) -> Any:
        """The plain value at loc, or None when there is none."""
        node = self.data
        for step in loc:
            if isinstance(node, dict):
                node = node.get(step)
            elif isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
                node = node[step]
            else:
                return None
        return node

    def problem(self, loc: Loc, message: str) -> Problem:
        return Problem(self.position(loc), format_loc(loc), message)


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that keeps timestamps as the text written (no tz-aware or shifted values)."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_str)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    return yaml


def _pos(pair: Any) -> tuple[int, int] | None:
    try:
        return int(pair[0]) + 1, int(pair[1]) + 1
    except (TypeError, IndexError, ValueError):
        return None


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if key is None:
        return "null"
    return str(key)


@dataclass
class _Converter:
    doc: SourceDoc
    env: Mapping[str, str]
    lenient: Callable[[Loc], bool]
    problems: list[Problem] = field(default_factory=list)
    missing: dict[Loc, tuple[str, Position]] = field(default_factory=dict)

    def node(self, value: Any, loc: Loc, at: tuple[int, int]) -> Any:
        if isinstance(value, CommentedMap):
            out: dict[str, Any] = {}
            for key, item in value.items():
                name = _key_text(key)
                sub = (*loc, name)
                try:
                    key_at, value_at = _pos(value.lc.key(key)), _pos(value.lc.value(key))
                except (KeyError, AttributeError):
                    key_at = value_at = None  # a key merged in with `<<:` has no position of its own
                self.doc.where[sub] = key_at or at
                out[name] = self.node(item, sub, value_at or key_at or at)
            return out
        if isinstance(value, CommentedSeq):
            items: list[Any] = []
            for index, item in enumerate(value):
                sub = (*loc, index)
                try:
                    item_at = _pos(value.lc.item(index))
                except (KeyError, AttributeError):
                    item_at = None
                self.doc.where[sub] = item_at or at
                items.append(self.node(item, sub, item_at or at))
            return items
        return self.scalar(value, loc, at)

    def scalar(self, value: Any, loc: Loc, at: tuple[int, int]) -> Any:
        if isinstance(value, TaggedScalar):
            value = value.value
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return bool(value) if type(value).__name__ == "ScalarBoolean" else int(value)
        if isinstance(value, float):
            return float(value)
        if not isinstance(value, str):
            return value
        text = str(value)
        try:
            return interpolate(text, self.env)
        except KeyError as exc:
            var = str(exc.args[0])
            position = Position(self.doc.display, at[0], at[1])
            if self.lenient(loc):
                self.missing[loc] = (var, position)
                return None
            self.problems.append(Problem(position, format_loc(loc), f"environment variable {var} is not set"))
        except ValueError as exc:
            self.problems.append(Problem(Position(self.doc.display, at[0], at[1]), format_loc(loc), str(exc)))
        return None


def _syntax_problem(exc: YAMLError, display: str) -> Problem:
    if not isinstance(exc, MarkedYAMLError):
        return Problem(Position(display), "", f"YAML error: {str(exc).splitlines()[0] if str(exc) else exc}")
    mark = exc.problem_mark
    gave_up_late = (
        isinstance(exc, ScannerError) or "stream end" in str(exc.problem) or "end of stream" in str(exc.problem)
    )
    if gave_up_late and exc.context_mark is not None:
        mark = exc.context_mark  # the parser noticed later (next line, end of file); the context is the mistake
    mark = mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark is not None else (None, None)
    problem = str(exc.problem or "").strip()
    if isinstance(exc, DuplicateKeyError):
        match = re.match(r'found duplicate key "(.*?)"', problem)
        message = f"duplicate key {match.group(1)!r}" if match else "duplicate key"
    else:
        context = str(exc.context or "").strip()
        message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Problem(Position(display, line, column), "", " ".join(message.split()))


def read_yaml(
    path: Path,
    display: str,
    env: Mapping[str, str],
    lenient: Callable[[Loc], bool] = lambda loc: False,
) -> tuple[SourceDoc | None, list[Problem], dict[Loc, tuple[str, Position]]]:
    """Parse one YAML file into a SourceDoc (None if it cannot be read or parsed) and its problems."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [Problem(Position(display), "", f"not UTF-8 text (bad byte at offset {exc.start})")], {}
    except OSError as exc:
        return None, [Problem(Position(display), "", f"cannot read file: {exc.strerror or exc}")], {}
    try:
        raw = _yaml().load(text)
    except YAMLError as exc:
        return None, [_syntax_problem(exc, display)], {}
    doc = SourceDoc(path, display, None)
    root_at = (1, 1)
    if isinstance(raw, CommentedMap | CommentedSeq):
        root_at = (raw.lc.line + 1, raw.lc.col + 1)
    doc.where[()] = root_at
    converter = _Converter(doc, env, lenient)
    doc.data = converter.node(raw, (), root_at)
    return doc, converter.problems, converter.missing
