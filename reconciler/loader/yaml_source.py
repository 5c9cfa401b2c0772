"""Reading YAML (ruamel, round-trip) into plain Python data plus a map of where each value was written.

Bounded: nesting deeper than MAX_DEPTH levels and aliases that repeat more than ALIAS_BUDGET values in all
are errors at their line (a 1 KB alias bomb stops at once); so are explicit tags other than `!!str` and
keys that are lists or mappings. String values holding `${` are recorded as templates, left as written:
`env` decides where the environment may be read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, ScalarEvent
from ruamel.yaml.nodes import MappingNode, SequenceNode
from ruamel.yaml.scanner import RoundTripScanner, ScannerError

from ..errors import Position, Problem
from .yaml_fast import NotFast, fast_read, plain_value

Loc = tuple[str | int, ...]

MAX_DEPTH = 32
ALIAS_BUDGET = 20_000

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
    templates: dict[Loc, tuple[str, Position]] = field(default_factory=dict)
    """String values holding `${`, as written, with their position."""
    locate: Callable[[], dict[Loc, tuple[int, int]]] | None = None
    """Set when `where` holds only the first levels (a fast read): gives every position (a re-parse)."""

    def position(self, loc: Loc) -> Position:
        """The position of loc, or of its nearest ancestor that exists in the file."""
        if self.locate is not None and loc not in self.where:
            self.where, self.locate = self.locate(), None
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

    def set_at(self, loc: Loc, value: Any) -> None:
        """Replace the value at loc (which exists)."""
        node = self.data
        for step in loc[:-1]:
            node = node[step]
        if loc:
            node[loc[-1]] = value
        else:
            self.data = value

    def problem(self, loc: Loc, message: str) -> Problem:
        return Problem(self.position(loc), format_loc(loc), message)


class _Constructor(RoundTripConstructor):
    """Round-trip constructor that keeps timestamps as the text written (no tz-aware or shifted values)."""


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_str)


class _Unbounded(MarkedYAMLError):
    """Refused while parsing: nesting past MAX_DEPTH or an alias inside its own anchor (both before Python's
    recursion limit is near), an explicit tag (`!!set`, `!custom`) or a key that is a list or a mapping,
    which desired state never needs (and some of which ruamel cannot build)."""


_ALLOWED_TAGS = {None, "!", "tag:yaml.org,2002:str"}


def _tag_text(tag: str) -> str:
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    return repr(shown if len(shown) <= 40 else shown[:40] + "…")


class _Scanner(RoundTripScanner):
    """ruamel's scanner, stopping at flow nesting past MAX_DEPTH (`[[[…`): its look-ahead for keys would
    otherwise cost time in proportion to the depth for every bracket."""

    def fetch_flow_collection_start(self, *args: Any, **kwargs: Any) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise _Unbounded(None, None, f"nested deeper than {MAX_DEPTH} levels", self.reader.get_mark())
        super().fetch_flow_collection_start(*args, **kwargs)


class _Composer(Composer):
    """ruamel's composer with a depth limit (whatever the ruamel version) and no self-containing aliases."""

    level = 0
    open_anchors: tuple[str, ...] = ()

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.warn_double_anchors = False  # legal YAML (the later anchor wins); a warning would break the output

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent) and event.anchor in self.open_anchors:
            raise _Unbounded(None, None, f"the alias *{event.anchor} is inside its own anchor (endless data)",
                             event.start_mark)
        if self.level >= MAX_DEPTH:
            raise _Unbounded(None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        if isinstance(parent, MappingNode) and index is None and not self._plain(event):
            raise _Unbounded(None, None, "a mapping key must be a plain value, not a list or a mapping",
                             event.start_mark)
        tag = None if isinstance(event, AliasEvent) else getattr(event, "tag", None)
        if tag not in _ALLOWED_TAGS:
            raise _Unbounded(None, None, f"the YAML tag {_tag_text(str(tag))} is not supported: write plain values "
                                         "(quote a value to keep it a string)", event.start_mark)
        self.level += 1
        anchors = self.open_anchors
        if getattr(event, "anchor", None) is not None and not isinstance(event, AliasEvent):
            self.open_anchors = (*anchors, event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self.level -= 1
            self.open_anchors = anchors

    def _plain(self, event: Any) -> bool:
        """Whether event is a scalar, or an alias of one (or of nothing: ruamel reports that itself)."""
        if isinstance(event, AliasEvent):
            return not isinstance(self.anchors.get(event.anchor), MappingNode | SequenceNode)
        return isinstance(event, ScalarEvent)


class _AliasBomb(Exception):
    def __init__(self, at: tuple[int, int], message: str) -> None:
        super().__init__(message)
        self.at = at


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    yaml.Composer = _Composer
    yaml.Scanner = _Scanner
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
    seen: set[int] = field(default_factory=set)
    repeated: int = 0

    def node(self, value: Any, loc: Loc, at: tuple[int, int], alias: tuple[int, int] | None = None) -> Any:
        """The plain value of a node; alias is where the alias being expanded was used, if any."""
        if len(loc) > MAX_DEPTH:  # the composer refuses this already; kept so recursion stays bounded here too
            raise _AliasBomb(at, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, CommentedMap | CommentedSeq):
            if alias is None and id(value) in self.seen:
                alias = at
            self.seen.add(id(value))
        if alias is not None:
            self.repeated += 1
            if self.repeated > ALIAS_BUDGET:
                raise _AliasBomb(alias, f"aliases (*name) repeat more than {ALIAS_BUDGET} values in all: write "
                                        "the data out instead of nesting aliases")
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
                out[name] = self.node(item, sub, value_at or key_at or at, alias)
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
                items.append(self.node(item, sub, item_at or at, alias))
            return items
        return self.scalar(value, loc, at)

    def scalar(self, value: Any, loc: Loc, at: tuple[int, int]) -> Any:
        if isinstance(value, TaggedScalar):
            value = value.value
        value = plain_value(value)
        if not isinstance(value, str):
            return value
        text = str(value)
        if "${" in text:
            self.doc.templates[loc] = (text, Position(self.doc.display, at[0], at[1]))
        return text


def _syntax_problem(exc: YAMLError, display: str) -> Problem:
    if isinstance(exc, _Unbounded) and exc.problem_mark is not None:
        mark = exc.problem_mark
        return Problem(Position(display, mark.line + 1, mark.column + 1), "", str(exc.problem))
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


def read_yaml(text: str, path: Path, display: str) -> tuple[SourceDoc | None, list[Problem]]:
    """Parse one YAML text into a SourceDoc (None if it cannot be parsed) and its problems.

    A plain text is read the fast way (`yaml_fast`), its deeper positions found by a round-trip re-parse
    only when a problem needs one; anything else is read the round-trip way, which refuses what it must.
    """
    try:
        data, where, templates = fast_read(text, display, MAX_DEPTH, _yaml())
    except NotFast:
        return _read_round_trip(text, path, display)

    def locate() -> dict[Loc, tuple[int, int]]:
        doc, _ = _read_round_trip(text, path, display)
        return {**where, **doc.where} if doc is not None else where

    return SourceDoc(path, display, data, where, templates, locate), []


def _read_round_trip(text: str, path: Path, display: str) -> tuple[SourceDoc | None, list[Problem]]:
    try:
        raw = _yaml().load(text)
    except YAMLError as exc:
        return None, [_syntax_problem(exc, display)]
    except (ValueError, IndexError) as exc:  # a scalar taken for a number it cannot convert (`._`, `-_`)
        message = " ".join(f"YAML value error: {exc}".split())[:200]
        return None, [Problem(Position(display), "", message)]
    doc = SourceDoc(path, display, None)
    root_at = (1, 1)
    if isinstance(raw, CommentedMap | CommentedSeq):
        root_at = (raw.lc.line + 1, raw.lc.col + 1)
    doc.where[()] = root_at
    try:
        doc.data = _Converter(doc).node(raw, (), root_at)
    except _AliasBomb as exc:
        return None, [Problem(Position(display, *exc.at), "", str(exc))]
    return doc, []
