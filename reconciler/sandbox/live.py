"""Both emulators on loopback, seeded with the demo world, and project files that point at them.

This is what runs the real command line against hostile or faulty vendors outside `--sandbox`: the
fault-convergence script (`scripts/faults.py`) and the tests of hostile answers and of secrets. The servers
take faults and quirks; the credentials are whatever the caller chooses (distinctive ones, to scan output for).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .base import Faults, RecordedCall, SandboxServer
from .mettl import SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY, MettlApp
from .questionmark import SANDBOX_PASSWORD, SANDBOX_USERNAME, QuestionmarkApp
from .worlds import seed_mettl, seed_questionmark

_CREDENTIAL_FIELDS = {
    "mettl": (("public_key", "METTL_PUBLIC_KEY"), ("private_key", "METTL_PRIVATE_KEY")),
    "questionmark": (("username", "QUESTIONMARK_USERNAME"), ("password", "QUESTIONMARK_PASSWORD")),
}


@dataclass(frozen=True)
class Credentials:
    """What the emulators accept, and the environment variables the project file reads them from."""

    mettl_public: str = SANDBOX_PUBLIC_KEY
    mettl_private: str = SANDBOX_PRIVATE_KEY
    qm_user: str = SANDBOX_USERNAME
    qm_password: str = SANDBOX_PASSWORD

    def env(self) -> dict[str, str]:
        return {"METTL_PUBLIC_KEY": self.mettl_public, "METTL_PRIVATE_KEY": self.mettl_private,
                "QUESTIONMARK_USERNAME": self.qm_user, "QUESTIONMARK_PASSWORD": self.qm_password}


@dataclass
class LiveVendors:
    """Running emulators of both vendors."""

    mettl: MettlApp
    questionmark: QuestionmarkApp
    servers: dict[str, SandboxServer]
    credentials: Credentials
    env: dict[str, str] = field(default_factory=dict)

    def base_url(self, provider: str) -> str:
        url = self.servers[provider].url
        return f"{url}/deliveryodata/{self.questionmark.customer_id}" if provider == "questionmark" else url

    def write_project(self, root: Path, *, timeout: float = 30.0, extra: str = "") -> Path:
        """`root/reconciler.yaml` pointing at these emulators (desired files go in `root/desired`)."""
        lines = ["providers:"]
        for name, settings in _CREDENTIAL_FIELDS.items():
            lines += [f"  {name}:", f"    base_url: {self.base_url(name)}", f"    timeout: {timeout}"]
            lines += [f"    {setting}: ${{{variable}}}" for setting, variable in settings]
        lines += ["secrets: [WEBHOOK_AUTH]", "desired: [desired]", extra]
        (root / "desired").mkdir(parents=True, exist_ok=True)
        config = root / "reconciler.yaml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return config

    def writes(self) -> list[RecordedCall]:
        """Every write either emulator received."""
        return [call for server in self.servers.values() for call in server.writes()]


@contextmanager
def live_vendors(
    credentials: Credentials | None = None,
    *,
    faults: Mapping[str, Faults] | None = None,
    quirks: Mapping[str, Iterable[str]] | None = None,
    quirk_settings: Mapping[str, float] | None = None,
) -> Iterator[LiveVendors]:
    """Start both emulators (seeded with the demo world the acme example meets) for a with-block."""
    creds = credentials or Credentials()
    mettl = MettlApp(credentials={creds.mettl_public: creds.mettl_private})
    seed_mettl(mettl)
    questionmark = QuestionmarkApp(users={creds.qm_user: creds.qm_password})
    seed_questionmark(questionmark, creds.qm_user)
    with ExitStack() as stack:
        servers = {
            name: stack.enter_context(SandboxServer(
                app, faults=(faults or {}).get(name), quirks=(quirks or {}).get(name, ()),
                quirk_settings=quirk_settings))
            for name, app in (("mettl", mettl), ("questionmark", questionmark))
        }
        yield LiveVendors(mettl, questionmark, servers, creds, creds.env())
