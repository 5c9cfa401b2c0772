"""The trust boundary of a run: which hosts may receive credentials, and which project settings only the trusted
project file (in CI: the base branch's) may set.

A pull request carries its own `reconciler.yaml`. Its desired state is what the plan is about, but its
provider sections (where credentials go), `safety`, `secrets`, `prune` and `limits` are not trusted: with a
trusted project file named (`--trusted-config` or $RECONCILER_TRUSTED_CONFIG) those come from it, and the plan
says which of them the pull request changes. Credentials are sent only to https on the vendors' documented
hosts, or to a URL prefix listed in $RECONCILER_ALLOWED_BASE_URLS (set in the environment, never by the
repository); the embedded sandbox (--sandbox) needs no opt-in. See docs/security.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from pydantic import BaseModel

TRUSTED_CONFIG_ENV = "RECONCILER_TRUSTED_CONFIG"
ALLOWED_BASE_URLS_ENV = "RECONCILER_ALLOWED_BASE_URLS"

TRUSTED_KEYS: tuple[str, ...] = ("providers", "safety", "secrets", "prune", "limits")
"""Top-level keys of the project file taken only from the trusted file (provider sections wholesale, so a
key added to them later is covered too)."""

DOCUMENTED_HOSTS: dict[str, tuple[str, ...]] = {
    "mettl": ("api.mettl.com", "api.mercermettl.eu"),
    "questionmark": ("ondemand.questionmark.com", "ondemand.questionmark.eu"),
}
"""The hosts the vendors' documents name for their APIs (Mettl: API docs, global and EU; Questionmark:
qm-oap-docs, OnDemand US and EU)."""


def allowed_prefixes(env: Mapping[str, str]) -> tuple[str, ...]:
    """The URL prefixes $RECONCILER_ALLOWED_BASE_URLS opts in (comma-separated; blanks skipped)."""
    return tuple(p.strip() for p in env.get(ALLOWED_BASE_URLS_ENV, "").split(",") if p.strip())


def url_refusal(provider: str, url: str, env: Mapping[str, str]) -> str | None:
    """Why credentials may not be sent to url (None: they may)."""
    documented = DOCUMENTED_HOSTS.get(provider, ())
    try:
        parts = urlsplit(url)
        plain = "@" not in parts.netloc  # `http://127.0.0.1:80@evil.example/` is evil.example's
        fits = plain and parts.scheme == "https" and parts.hostname in documented and parts.port in (None, 443)
    except ValueError:
        plain = fits = False
    if fits or (plain and url.startswith(allowed_prefixes(env))):
        return None
    hosts = ", ".join(f"https://{h}" for h in documented)
    return (f"{_shown(url)} is not a documented {provider} host ({hosts}): credentials are sent only there, unless "
            f"the environment lists the URL's prefix in {ALLOWED_BASE_URLS_ENV} (comma-separated, e.g. "
            "http://127.0.0.1:); the repository cannot opt in")


def _shown(url: str) -> str:
    """The URL without user info, query or fragment (never echo a password written into it)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        return "the URL given"
    return f"{parts.scheme}://{host}{port}{parts.path}" if parts.scheme else "the URL given"


def provider_urls(config: BaseModel) -> list[tuple[str, str]]:
    """(field, URL) of every URL setting of a provider section: `base_url` and any other `*_url` set."""
    found: list[tuple[str, str]] = []
    for name in type(config).model_fields:
        value = getattr(config, name)
        if (name == "base_url" or name.endswith("_url")) and isinstance(value, str) and value:
            found.append((name, value))
    return found
