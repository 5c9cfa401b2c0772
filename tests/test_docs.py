"""The published mapping tables are generated from the code's own tables and must not go stale."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.providers.mettl.mapping import mapping_markdown as mettl_table
from reconciler.providers.questionmark.mapping import mapping_markdown as questionmark_table

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize(("doc", "table", "module"), [
    ("mettl-mapping.md", mettl_table, "reconciler.providers.mettl.mapping"),
    ("questionmark-mapping.md", questionmark_table, "reconciler.providers.questionmark.mapping"),
])
def test_mapping_doc_is_fresh(doc: str, table: Callable[[], str], module: str) -> None:
    assert (DOCS / doc).read_text(encoding="utf-8").endswith(table()), (
        f"docs/{doc} is stale: regenerate its table with `python -m {module}`")
