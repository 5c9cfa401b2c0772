"""`$metadata`: the OData v3 CSDL (EDMX) document describing the feeds, properties and navigation the emulator
serves, generated from the same tables that drive it (so it can never describe something it does not do)."""

from __future__ import annotations

from functools import lru_cache
from xml.etree import ElementTree as ET

from .model import EDM, NAVIGATIONS, TYPES

NAMESPACE = "deliveryodata"
EDMX = "http://schemas.microsoft.com/ado/2007/06/edmx"
EDM_NS = "http://schemas.microsoft.com/ado/2009/11/edm"
META = "http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"


def _association(entity_set: str, nav: str) -> str:
    return f"{TYPES[entity_set][0]}_{nav}"


@lru_cache(maxsize=2)
def metadata_document(*, legacy: bool) -> bytes:
    """The EDMX XML (UTF-8) for this tenant; a legacy tenant leaves out the newer properties."""
    ET.register_namespace("edmx", EDMX)
    ET.register_namespace("m", META)
    ET.register_namespace("", EDM_NS)
    root = ET.Element(f"{{{EDMX}}}Edmx", {"Version": "1.0"})
    services = ET.SubElement(root, f"{{{EDMX}}}DataServices", {
        f"{{{META}}}DataServiceVersion": "3.0", f"{{{META}}}MaxDataServiceVersion": "3.0"})
    schema = ET.SubElement(services, f"{{{EDM_NS}}}Schema", {"Namespace": NAMESPACE})
    for entity_set, (type_name, props) in TYPES.items():
        entity = ET.SubElement(schema, f"{{{EDM_NS}}}EntityType", {"Name": type_name})
        ET.SubElement(ET.SubElement(entity, f"{{{EDM_NS}}}Key"), f"{{{EDM_NS}}}PropertyRef", {"Name": "ID"})
        for name, spec in props.items():
            if legacy and spec.newer:
                continue
            attrs = {"Name": name, "Type": EDM[spec.kind]}
            if not spec.nullable:
                attrs["Nullable"] = "false"
            ET.SubElement(entity, f"{{{EDM_NS}}}Property", attrs)
        for (owner, nav), link in NAVIGATIONS.items():
            if owner == entity_set:
                ET.SubElement(entity, f"{{{EDM_NS}}}NavigationProperty", {
                    "Name": nav, "Relationship": f"{NAMESPACE}.{_association(owner, nav)}",
                    "FromRole": f"{type_name}_Source", "ToRole": f"{TYPES[link.target][0]}_Target"})
    container = ET.Element(f"{{{EDM_NS}}}EntityContainer", {
        "Name": "DeliveryODataService", f"{{{META}}}IsDefaultEntityContainer": "true"})
    for entity_set, (type_name, _) in TYPES.items():
        ET.SubElement(container, f"{{{EDM_NS}}}EntitySet", {
            "Name": entity_set, "EntityType": f"{NAMESPACE}.{type_name}"})
    for (owner, nav), link in NAVIGATIONS.items():
        name = _association(owner, nav)
        source, target = f"{TYPES[owner][0]}_Source", f"{TYPES[link.target][0]}_Target"
        association = ET.SubElement(schema, f"{{{EDM_NS}}}Association", {"Name": name})
        ET.SubElement(association, f"{{{EDM_NS}}}End", {
            "Type": f"{NAMESPACE}.{TYPES[owner][0]}", "Role": source, "Multiplicity": "*"})
        ET.SubElement(association, f"{{{EDM_NS}}}End", {
            "Type": f"{NAMESPACE}.{TYPES[link.target][0]}", "Role": target,
            "Multiplicity": "*" if link.many else "0..1"})
        pair = ET.SubElement(container, f"{{{EDM_NS}}}AssociationSet", {
            "Name": name, "Association": f"{NAMESPACE}.{name}"})
        ET.SubElement(pair, f"{{{EDM_NS}}}End", {"Role": source, "EntitySet": owner})
        ET.SubElement(pair, f"{{{EDM_NS}}}End", {"Role": target, "EntitySet": link.target})
    schema.append(container)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return b'<?xml version="1.0" encoding="utf-8"?>' + document
