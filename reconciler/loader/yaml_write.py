"""YAML the tool writes (the importer's documents) and reads leniently outside a project load.

The round-trip node types keep comments and flow style; they are re-exported here so that ruamel.yaml is
imported by the loader package alone.
"""

from __future__ import annotations

import io
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

__all__ = ["CommentedMap", "CommentedSeq", "dump_document", "read_plain"]


def dump_document(root: CommentedMap) -> str:
    """A round-trip document as text: 120 columns, mappings indented by 2, list items by 4 (dash at 2)."""
    yaml = YAML(typ="rt")
    yaml.width = 120
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(root, stream)
    return stream.getvalue()


def read_plain(text: str) -> Any:
    """Plain data (dicts, lists, scalars) from YAML text, with no positions; raises on invalid YAML."""
    return YAML(typ="safe", pure=True).load(text)  # pure: as read before libyaml was installed (it refuses more)
