"""The embedded sandbox behind `--sandbox`: emulators on loopback whose world persists in a folder."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .launch import start_vendor

# name -> (base_url, user, secret, QMWISe URL or None); plain tuples so this layer does not import the providers.
Endpoints = dict[str, tuple[str, str, str, str | None]]


@contextmanager
def embedded_sandbox(state_dir: Path, names: Iterable[str]) -> Iterator[Endpoints]:
    """Start one emulator per provider; a new folder is seeded with the demo world first."""
    endpoints: Endpoints = {}
    with ExitStack() as stack:
        for name in sorted(set(names)):
            sandbox = stack.enter_context(start_vendor(name, seed_world=True, state_dir=state_dir))
            endpoints[name] = (sandbox.url, sandbox.user, sandbox.secret, sandbox.qmwise_url)
        yield endpoints
