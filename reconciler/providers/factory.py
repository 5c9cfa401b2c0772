"""Build providers from the project file (or from sandbox endpoints)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..errors import ConfigError, Position, Problem
from ..models import ProjectConfig
from ..vendors import VENDORS
from .base import Endpoint as Endpoint, Provider


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
    user_field, secret_field = VENDORS[name].credentials
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
    if name not in VENDORS:
        raise ValueError(f"unknown provider {name!r}")
    provider: Provider = VENDORS[name].make_provider()(getattr(project.providers, name), endpoint,
                                                       shard=project.shard)
    return provider
