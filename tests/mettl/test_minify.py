"""`minify` writes `sc` as json.dumps(separators=(",", ":"), ensure_ascii=False) would, whichever encoder runs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.providers.mettl.client import minify


@pytest.mark.parametrize("value", [
    {"name": "Zoë \u2028 \"q\" \\ \t", "access": {"candidates": [{"email": "a@b.org", "name": "Ann"}]},
     "webProctoring": {"enabled": True, "count": 3}, "sourceApp": None, "list": [], "n": -1},
    {1: "int key"},  # orjson refuses it: json's own encoder answers
    {"big": 2**70},
])
def test_minify_is_compact_unescaped_json(value: dict[Any, Any]) -> None:
    assert minify(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)
