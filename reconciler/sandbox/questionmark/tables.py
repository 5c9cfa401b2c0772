"""Indexed in-memory tables for the Questionmark emulator: rows by ID in ID order, unique names, relations.

Every feed request would otherwise scan every entity; with these a page, a `Name eq` lookup or a
navigation read costs what it returns, which keeps the emulator fast at benchmark sizes.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator
from typing import Any


class Table:
    """The entities of one feed by ID, iterated in ID order; optionally unique by case-folded Name."""

    def __init__(self, *, unique_name: bool = False) -> None:
        self.rows: dict[int, dict[str, Any]] = {}
        self.ids: list[int] = []
        self.unique_name = unique_name
        self.by_name: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, key: object) -> bool:
        return key in self.rows

    def get(self, key: int) -> dict[str, Any] | None:
        return self.rows.get(key)

    def insert(self, entity: dict[str, Any]) -> dict[str, Any]:
        key = int(entity["ID"])
        self.rows[key] = entity
        if not self.ids or key > self.ids[-1]:
            self.ids.append(key)
        else:
            bisect.insort(self.ids, key)
        if self.unique_name and isinstance(entity.get("Name"), str):
            self.by_name[entity["Name"].casefold()] = key
        return entity

    def delete(self, key: int) -> None:
        entity = self.rows.pop(key)
        self.ids.pop(bisect.bisect_left(self.ids, key))
        if self.unique_name and isinstance(entity.get("Name"), str):
            self.by_name.pop(entity["Name"].casefold(), None)

    def named(self, name: str) -> dict[str, Any] | None:
        """The entity with this Name, compared case-insensitively (SQL Server's default collation)."""
        key = self.by_name.get(name.casefold())
        return None if key is None else self.rows[key]

    def values(self, after: int | None = None, skip: int = 0) -> Iterator[dict[str, Any]]:
        """Entities in ID order, optionally only those with an ID above `after`, the first `skip` left out
        (found by index, never by walking past them)."""
        start = (0 if after is None else bisect.bisect_right(self.ids, after)) + skip  # assumption Q-12: ID order
        for index in range(start, len(self.ids)):
            yield self.rows[self.ids[index]]

    def pick(self, keys: Iterable[int]) -> list[dict[str, Any]]:
        """The entities with these IDs that exist, in ID order."""
        return [self.rows[k] for k in sorted(set(keys)) if k in self.rows]


class Links:
    """A relation between two feeds' IDs, indexed both ways (memberships, ownership, associations)."""

    def __init__(self) -> None:
        self.forward: dict[int, set[int]] = {}
        self.backward: dict[int, set[int]] = {}

    def add(self, left: int, right: int) -> None:
        self.forward.setdefault(left, set()).add(right)
        self.backward.setdefault(right, set()).add(left)

    def rights(self, left: int) -> set[int]:
        return self.forward.get(left, set())

    def lefts(self, right: int) -> set[int]:
        return self.backward.get(right, set())

    def discard(self, left: int, right: int) -> None:
        self.forward.get(left, set()).discard(right)
        self.backward.get(right, set()).discard(left)

    def drop_left(self, left: int) -> None:
        for right in self.forward.pop(left, set()):
            self.backward[right].discard(left)

    def drop_right(self, right: int) -> None:
        for left in self.backward.pop(right, set()):
            self.forward[left].discard(right)

    def pairs(self) -> list[list[int]]:
        return sorted([left, right] for left, rights in self.forward.items() for right in rights)


class ForeignKey:
    """Children by the value of one of their properties (metadata by ScheduleID, exceptions by parent)."""

    def __init__(self, prop: str) -> None:
        self.prop = prop
        self.index: dict[int, list[int]] = {}

    def add(self, entity: dict[str, Any]) -> None:
        parent = entity.get(self.prop)
        if isinstance(parent, int):
            bisect.insort(self.index.setdefault(parent, []), int(entity["ID"]))

    def remove(self, entity: dict[str, Any]) -> None:
        parent = entity.get(self.prop)
        if isinstance(parent, int) and entity["ID"] in self.index.get(parent, []):
            self.index[parent].remove(entity["ID"])

    def of(self, parent: int) -> list[int]:
        return self.index.get(parent, [])
