"""The fast way to read YAML: libyaml's C parser (ruamel.yaml.clib) and a small composer, for plain files.

It reads only the plain subset of YAML that desired state is written in: no anchors or aliases, no tags,
no merge keys, no `%YAML`/`%TAG` directives, no tab or other character where libyaml and
ruamel differ, no block scalar (`|`, `>`), mapping keys that are strings, nesting under MAX_DEPTH, no
repeated key, one document. Anything else, and any text the C parser refuses, is `NotFast`: the caller then
reads the text the round-trip way (`yaml_source`), which refuses or accepts it with its own exact message.
Scalars are resolved and built by the round-trip loader's own resolver and constructor, so values are the
same either way. Positions are kept only down to MAX_KEPT levels (schedules, lists) and for `${` templates;
the rest are found by a round-trip re-parse when a problem needs one (`SourceDoc.position`).
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml.events import (
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from ruamel.yaml.nodes import ScalarNode

from ..errors import Position

CParser: Any
"""libyaml's parser (ruamel.yaml.clib), through ruamel.yaml's public `cyaml` module; None without it."""
try:
    from ruamel.yaml.cyaml import CBaseLoader as CParser
except ImportError:  # pragma: no cover - ruamel.yaml.clib is a dependency; without it every read is round-trip
    CParser = None

MAX_KEPT = 2
"""Positions kept by the fast read: `schedules[3]`, `candidate_lists.ops-team` (the rest on demand)."""

_ODD = re.compile("[^\n\r\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
"""Characters the two parsers treat differently (tab, BOM, NEL, the Unicode line separators, controls)."""
_STR = "tag:yaml.org,2002:str"
_BUILT = frozenset(f"tag:yaml.org,2002:{kind}" for kind in ("int", "float", "bool", "null", "timestamp"))


class NotFast(Exception):
    """The text is outside the fast subset (or the C parser refuses it): read it the round-trip way."""


class _Composer:
    """Plain data from the C parser's events, with positions for the first MAX_KEPT levels."""

    def __init__(self, text: str, display: str, max_depth: int, loader: Any) -> None:
        self.next_event = CParser(text).get_event
        self.display = display
        self.max_depth = max_depth
        self.construct = loader.constructor.construct_object
        table = loader.resolver.versioned_resolver  # YAML 1.2's implicit resolvers by first character
        self.resolvers: dict[str, list[tuple[str, Any]]] = {
            first: [(str(tag), regexp) for tag, regexp in (*table.get(first, ()), *table.get(None, ()))]
            for first in table if first is not None
        }
        self.where: dict[tuple[str | int, ...], tuple[int, int]] = {(): (1, 1)}
        self.templates: dict[tuple[str | int, ...], tuple[str, Position]] = {}

    def document(self) -> Any:
        """The one document of the text (None when there is none)."""
        self.next_event()  # StreamStartEvent
        event = self.next_event()
        if type(event) is StreamEndEvent:
            return None
        if type(event) is not DocumentStartEvent or event.version is not None or event.tags:
            raise NotFast
        event = self.next_event()
        if type(event) is MappingStartEvent or type(event) is SequenceStartEvent:
            self.where[()] = (event.start_mark.line + 1, event.start_mark.column + 1)
        data = self.node(event, (), 0)
        if self.next_event().explicit or type(self.next_event()) is not StreamEndEvent:
            raise NotFast  # `...`, or more than one document: the round-trip read decides
        return data

    def node(self, event: Any, loc: tuple[str | int, ...], depth: int) -> Any:
        if depth >= self.max_depth or event.anchor is not None or event.tag is not None:
            raise NotFast
        kind = type(event)
        if kind is ScalarEvent:
            return self.scalar(event, loc)
        keep = depth < MAX_KEPT
        if kind is MappingStartEvent:
            out: dict[str, Any] = {}
            while True:
                key = self.next_event()
                if type(key) is MappingEndEvent:
                    return out
                if (type(key) is not ScalarEvent or key.anchor is not None or key.tag is not None
                        or key.style == "|" or key.style == ">"):
                    raise NotFast  # a key that is not a plain or quoted scalar (a block scalar: `? |`)
                name = key.value
                if (key.implicit[0] and self._resolved(name) != _STR) or name in out:
                    raise NotFast  # a key that is not a string, `<<`, or a repeated key
                sub = (*loc, name)
                if keep:
                    self.where[sub] = (key.start_mark.line + 1, key.start_mark.column + 1)
                out[name] = self.node(self.next_event(), sub, depth + 1)
        if kind is SequenceStartEvent:
            items: list[Any] = []
            while True:
                item = self.next_event()
                if type(item) is SequenceEndEvent:
                    return items
                sub = (*loc, len(items))
                if keep:
                    self.where[sub] = (item.start_mark.line + 1, item.start_mark.column + 1)
                items.append(self.node(item, sub, depth + 1))
        raise NotFast  # an alias

    def _resolved(self, value: str) -> str:
        """The tag of a plain scalar, as the round-trip resolver gives it (`resolve`, without its overhead)."""
        for tag, regexp in self.resolvers.get(value[:1], ()):
            if regexp.match(value):
                return tag
        return _STR

    def scalar(self, event: Any, loc: tuple[str | int, ...]) -> Any:
        value: str = event.value
        if event.style == "|" or event.style == ">":
            raise NotFast  # block scalars: the two parsers differ on their headers
        if event.implicit[0]:  # plain: resolved as the round-trip loader does
            tag = self._resolved(value)
            if tag != _STR:
                if tag not in _BUILT:
                    raise NotFast
                return plain_value(self.construct(ScalarNode(tag, value), deep=True))
        if "${" in value:
            mark = event.start_mark
            line, column = (mark.line + 1, mark.column + 1) if loc else (1, 1)  # a root scalar: as round-trip
            self.templates[loc] = (value, Position(self.display, line, column))
        return value


def plain_value(value: Any) -> Any:
    """A scalar the round-trip constructor built, as plain Python (bool, int, float, str or None)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return bool(value) if type(value).__name__ == "ScalarBoolean" else int(value)
    if isinstance(value, float):
        return float(value)
    return value


def fast_read(
    text: str, display: str, max_depth: int, loader: Any
) -> tuple[Any, dict[tuple[str | int, ...], tuple[int, int]], dict[tuple[str | int, ...], tuple[str, Position]]]:
    """(data, positions of the first levels, templates) of text; NotFast when the round-trip read must do it.

    loader: a round-trip `YAML` object, whose resolver and constructor build the scalars."""
    if CParser is None or _ODD.search(text):
        raise NotFast
    composer = _Composer(text, display, max_depth, loader)
    try:
        data = composer.document()
    except NotFast:
        raise
    except Exception:  # the C parser refused the text: the round-trip read gives the message
        raise NotFast from None
    return data, composer.where, composer.templates
