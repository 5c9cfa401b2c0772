"""Shared helpers for the loader tests: fixture folders under tests/fixtures/config/."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.loader import LoadedProject, load_project

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "config"

FULL_ENV = {
    "METTL_PUBLIC_KEY": "pub-key",
    "METTL_PRIVATE_KEY": "priv-key",
    "QUESTIONMARK_USERNAME": "qm-user",
    "QUESTIONMARK_PASSWORD": "qm-pass",
    "WEBHOOK_AUTH": "Basic d2ViaG9vazpzZWNyZXQ=",
}


@pytest.fixture
def load_fixture(monkeypatch: pytest.MonkeyPatch) -> Callable[..., LoadedProject]:
    """Load a fixture folder's reconciler.yaml from inside that folder (so positions are relative to it)."""

    def load(name: str, env: dict[str, str] | None = None) -> LoadedProject:
        monkeypatch.chdir(FIXTURES / name)
        return load_project("reconciler.yaml", FULL_ENV if env is None else env)

    return load
