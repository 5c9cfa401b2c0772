"""Read an OData v3 `$metadata` document (EDMX/CSDL XML): each entity set with its type's properties."""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree import ElementTree


@dataclass(frozen=True)
class EntitySet:
    name: str
    type_name: str
    properties: frozenset[str]
    navigations: frozenset[str]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def entity_sets(document: bytes) -> dict[str, EntitySet]:
    """Entity set name → its declared properties and navigation properties (base types included).

    Raises ValueError when the document is not XML or carries a DTD (never expanded)."""
    if b"<!DOCTYPE" in document.upper():
        raise ValueError("the document carries a DTD")
    try:
        root = ElementTree.fromstring(document)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not XML ({exc})") from None
    types: dict[str, ElementTree.Element] = {}
    for schema in (e for e in root.iter() if _local(e.tag) == "Schema"):
        namespace = schema.get("Namespace", "")
        for entity_type in (e for e in schema if _local(e.tag) == "EntityType"):
            name = entity_type.get("Name", "")
            types[f"{namespace}.{name}"] = types[name] = entity_type

    def members(type_name: str, kind: str, seen: frozenset[str] = frozenset()) -> set[str]:
        element = types.get(type_name) or types.get(type_name.rsplit(".", 1)[-1])
        if element is None or type_name in seen:
            return set()
        found = {e.get("Name", "") for e in element if _local(e.tag) == kind}
        base = element.get("BaseType")
        return found | (members(base, kind, seen | {type_name}) if base else set())

    sets: dict[str, EntitySet] = {}
    for element in (e for e in root.iter() if _local(e.tag) == "EntitySet"):
        name, type_name = element.get("Name", ""), element.get("EntityType", "")
        sets[name] = EntitySet(name, type_name, frozenset(members(type_name, "Property")),
                               frozenset(members(type_name, "NavigationProperty")))
    if not sets:
        raise ValueError("no EntitySet is declared")
    return sets
