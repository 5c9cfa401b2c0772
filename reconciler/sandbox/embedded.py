"""The embedded sandbox behind `--sandbox`: emulators on loopback whose world persists in a folder."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .base import SandboxServer

# name -> (base_url, user, secret); plain tuples so this layer does not import the providers.
Endpoints = dict[str, tuple[str, str, str]]


@contextmanager
def embedded_sandbox(state_dir: Path, names: Iterable[str]) -> Iterator[Endpoints]:
    """Start one emulator per provider; a new folder is seeded with the demo world first."""
    endpoints: Endpoints = {}
    with ExitStack() as stack:
        for name in sorted(set(names)):
            server, base_url, user, secret = _start(name, state_dir)
            stack.callback(server.stop)
            endpoints[name] = (base_url, user, secret)
        yield endpoints


def _start(name: str, state_dir: Path) -> tuple[SandboxServer, str, str, str]:
    fresh = not (state_dir / f"{name}.json").exists()
    if name == "mettl":
        from .mettl import SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY, MettlApp
        from .worlds import seed_mettl

        app = MettlApp()
        server = SandboxServer(app, state_dir=state_dir)
        if fresh:
            seed_mettl(app)
            server.save()
        return server.start(), server.url, SANDBOX_PUBLIC_KEY, SANDBOX_PRIVATE_KEY
    if name == "questionmark":
        from .questionmark import SANDBOX_PASSWORD, SANDBOX_USERNAME, QuestionmarkApp
        from .worlds import seed_questionmark

        qm = QuestionmarkApp()
        server = SandboxServer(qm, state_dir=state_dir)
        if fresh:
            seed_questionmark(qm)
            server.save()
        return server.start(), f"{server.url}/deliveryodata/{qm.customer_id}", SANDBOX_USERNAME, SANDBOX_PASSWORD
    raise ValueError(f"no sandbox for provider {name!r}")
