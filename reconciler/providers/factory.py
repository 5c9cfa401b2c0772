"""Build providers from the project file (or from sandbox endpoints)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import ConfigError, Position, Problem
from ..models import ProjectConfig
from .base import Provider


@dataclass(frozen=True)
class Endpoint:
    """Where a provider lives and how to log in (used to point providers at the sandbox)."""

    base_url: str
    user: str
    secret: str


_CREDENTIALS = {"mettl": ("public_key", "private_key"), "questionmark": ("username", "password")}


def make_providers(
    project: ProjectConfig,
    names: Iterable[str],
    *,
    missing_env: Mapping[str, tuple[str, Position]] | None = None,
    endpoints: Mapping[str, Endpoint] | None = None,
    config_file: str = "reconciler.yaml",
) -> dict[str, Provider]:
    """One provider per name; credentials missing from the environment are reported with file:line."""
    providers: dict[str, Provider] = {}
    problems: list[Problem] = []
    for name in sorted(set(names)):
        endpoint = (endpoints or {}).get(name) or _endpoint(project, name, missing_env or {}, config_file, problems)
        if endpoint is None:
            continue
        providers[name] = _build(project, name, endpoint)
    if problems:
        for provider in providers.values():
            provider.close()
        raise ConfigError(problems)
    return providers


def _endpoint(
    project: ProjectConfig,
    name: str,
    missing_env: Mapping[str, tuple[str, Position]],
    config_file: str,
    problems: list[Problem],
) -> Endpoint | None:
    config = getattr(project.providers, name)
    if config is None:
        problems.append(Problem(Position(config_file), f"providers.{name}", "provider is not configured"))
        return None
    user_field, secret_field = _CREDENTIALS[name]
    values: list[str] = []
    for field in (user_field, secret_field):
        value = getattr(config, field)
        if value is None:
            path = f"providers.{name}.{field}"
            var, position = missing_env.get(path, ("", Position(config_file)))
            reason = f"environment variable {var} is not set" if var else "is required"
            problems.append(Problem(position, path, reason))
            continue
        values.append(value if isinstance(value, str) else value.get_secret_value())
    if len(values) != 2:
        return None
    return Endpoint(config.base_url, values[0], values[1])


def _build(project: ProjectConfig, name: str, endpoint: Endpoint) -> Provider:
    if name == "mettl":
        from .mettl.client import MettlClient
        from .mettl.provider import MettlProvider

        mettl = project.providers.mettl
        version = mettl.api_version if mettl else "v2"
        timeout = mettl.timeout if mettl else 30.0
        workers = mettl.max_workers if mettl else 8
        client = MettlClient(endpoint.base_url, endpoint.user, endpoint.secret, version=version,
                             timeout=timeout, pool_size=max(workers, 4))
        batch = mettl.max_candidates_per_edit if mettl else 2000
        source_app = mettl.source_app if mettl else "reconciler"
        return MettlProvider(client, max_workers=workers, max_candidates_per_edit=batch, source_app=source_app)
    if name == "questionmark":
        from .questionmark.provider import make_questionmark_provider

        return make_questionmark_provider(project.providers.questionmark, endpoint)
    raise ValueError(f"unknown provider {name!r}")
