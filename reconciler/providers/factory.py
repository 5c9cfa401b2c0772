"""Build providers from the project file (or from sandbox endpoints)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import ConfigError, Position, Problem
from ..models import ProjectConfig
from ..trust import provider_urls, url_refusal
from .base import Endpoint as Endpoint, Provider
from .registry import VENDORS


def make_providers(
    project: ProjectConfig,
    names: Iterable[str],
    *,
    missing_env: Mapping[str, tuple[str, Position]] | None = None,
    endpoints: Mapping[str, Endpoint] | None = None,
    config_file: str = "reconciler.yaml",
    positions: Mapping[str, Position] | None = None,
    env: Mapping[str, str] | None = None,
) -> dict[str, Provider]:
    """One provider per name; credentials missing from the environment are reported with file:line. Without
    sandbox `endpoints`, credentials go only to hosts `trust.url_refusal` allows (env: os.environ), else
    ConfigError at the URL's file:line and nothing is sent."""
    providers: dict[str, Provider] = {}
    problems: list[Problem] = []
    where = _Where(config_file, positions or {}, os.environ if env is None else env)
    for name in sorted(set(names)):
        endpoint = (endpoints or {}).get(name) or _endpoint(project, name, missing_env or {}, where, problems)
        if endpoint is None:
            continue
        providers[name] = _build(project, name, endpoint)
    if problems:
        for provider in providers.values():
            provider.close()
        raise ConfigError(problems)
    return providers


@dataclass(frozen=True)
class _Where:
    config_file: str
    positions: Mapping[str, Position]
    env: Mapping[str, str]

    def position(self, path: str) -> Position:
        return self.positions.get(path) or Position(self.config_file)


def _endpoint(
    project: ProjectConfig,
    name: str,
    missing_env: Mapping[str, tuple[str, Position]],
    where: _Where,
    problems: list[Problem],
) -> Endpoint | None:
    config_file = where.config_file
    config = getattr(project.providers, name)
    if config is None:
        problems.append(Problem(Position(config_file), f"providers.{name}", "provider is not configured"))
        return None
    refused = False
    for field, url in provider_urls(config):
        reason = url_refusal(name, url, where.env)
        if reason is not None:
            path = f"providers.{name}.{field}"
            problems.append(Problem(where.position(path), path, reason))
            refused = True
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
    if len(values) != 2 or refused:
        return None
    return Endpoint(config.base_url, values[0], values[1])


def _build(project: ProjectConfig, name: str, endpoint: Endpoint) -> Provider:
    if name not in VENDORS:
        raise ValueError(f"unknown provider {name!r}")
    return VENDORS[name].factory(getattr(project.providers, name), endpoint, shard=project.shard)
