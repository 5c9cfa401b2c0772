"""One vendor emulator started for a client: its world, its server, and the URL and credentials to use.

The embedded sandbox (`--sandbox`), `python -m reconciler.sandbox` and the pytest plugin start emulators
here. Vendor modules are imported when first needed, so loading this module (or the plugin) stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..vendors import VENDOR_NAMES
from .base import Faults, RecordedCall, SandboxApp, SandboxServer

EMULATED: tuple[str, ...] = VENDOR_NAMES
"""The vendors this sandbox emulates: every one the tool speaks to."""


@dataclass(frozen=True)
class Credential:
    """One credential a client needs: its key in the project file, the variable the examples read, the value."""

    key: str
    env: str
    value: str


@dataclass
class Sandbox:
    """A started emulator: `url` is the base URL a client is configured with, `user`/`secret` its login."""

    vendor: str
    server: SandboxServer
    url: str
    credentials: tuple[Credential, Credential]

    @property
    def app(self) -> SandboxApp:
        return self.server.app

    @property
    def user(self) -> str:
        """Mettl's public key, Questionmark's user name."""
        return self.credentials[0].value

    @property
    def secret(self) -> str:
        """Mettl's private key, Questionmark's password."""
        return self.credentials[1].value

    @property
    def qmwise_url(self) -> str | None:
        """Questionmark's QMWISe SOAP endpoint (group membership); None for a vendor without one."""
        service = getattr(self.app, "qmwise", None)
        path = getattr(service, "path", None)
        return self.server.url + path if isinstance(path, str) else None

    @property
    def faults(self) -> Faults:
        return self.server.faults

    @property
    def calls(self) -> list[RecordedCall]:
        """Every call the emulator answered (injected faults aside), oldest first."""
        return self.server.calls

    def writes(self) -> list[RecordedCall]:
        return self.server.writes()

    def reset_calls(self) -> None:
        self.server.reset_calls()

    def stop(self) -> None:
        self.server.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def new_app(vendor: str, *, seed_world: bool = False) -> SandboxApp:
    """A fresh emulator of `vendor`: empty, or holding the demo world (`worlds.py`, imported on first use)."""
    if vendor not in EMULATED:
        raise ValueError(f"no sandbox for provider {vendor!r}")
    from .worlds import mettl_app, questionmark_app

    app: SandboxApp = mettl_app(seed_world) if vendor == "mettl" else questionmark_app(seed_world)
    return app


def start(
    app: SandboxApp,
    *,
    port: int = 0,
    state_dir: str | Path | None = None,
    latency: float = 0.0,
    quirks: Iterable[str] = (),
) -> Sandbox:
    """Serve `app` on 127.0.0.1 (`port` 0: a free one). With `state_dir`, a world saved there replaces the app's
    and every write is saved; `latency` is in seconds."""
    root, credentials = _access(app)
    server = SandboxServer(app, port=port, state_dir=state_dir, faults=Faults(latency=latency), quirks=quirks)
    return Sandbox(app.name, server.start(), server.url + root, credentials)


def start_vendor(
    vendor: str, *, seed_world: bool = False, port: int = 0, state_dir: str | Path | None = None,
    latency: float = 0.0,
) -> Sandbox:
    """Serve a new emulator of `vendor`; with `seed_world`, the demo world when `state_dir` holds none yet."""
    fresh = state_dir is None or not (Path(state_dir) / f"{vendor}.json").exists()
    sandbox = start(new_app(vendor, seed_world=seed_world and fresh), port=port, state_dir=state_dir,
                    latency=latency)
    if fresh and seed_world:
        sandbox.server.save()
    return sandbox


def _access(app: SandboxApp) -> tuple[str, tuple[Credential, Credential]]:
    """The path of the service root a client uses, and the sandbox login as the example project names it."""
    if app.name == "mettl":
        from .mettl import SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY

        return "", (Credential("public_key", "METTL_PUBLIC_KEY", SANDBOX_PUBLIC_KEY),
                            Credential("private_key", "METTL_PRIVATE_KEY", SANDBOX_PRIVATE_KEY))
    from .questionmark import SANDBOX_PASSWORD, SANDBOX_USERNAME, QuestionmarkApp

    if not isinstance(app, QuestionmarkApp):
        raise ValueError(f"no sandbox for provider {app.name!r}")
    return f"/deliveryodata/{app.customer_id}", (
        Credential("username", "QUESTIONMARK_USERNAME", SANDBOX_USERNAME),
        Credential("password", "QUESTIONMARK_PASSWORD", SANDBOX_PASSWORD))
