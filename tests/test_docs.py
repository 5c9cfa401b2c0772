"""The published mapping table is generated from the code's own table and must not go stale."""

from __future__ import annotations

from pathlib import Path

from reconciler.providers.mettl.mapping import mapping_markdown

DOC = Path(__file__).resolve().parents[1] / "docs" / "mettl-mapping.md"


def test_mettl_mapping_doc_is_fresh() -> None:
    assert DOC.read_text(encoding="utf-8").endswith(mapping_markdown()), (
        "docs/mettl-mapping.md is stale: regenerate its table with `python -m reconciler.providers.mettl.mapping`")
