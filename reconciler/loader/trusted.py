"""The settings of the trusted project file (in CI: the base branch's `reconciler.yaml`), which rule a run
whose own project file comes from a pull request (see `reconciler.trust`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import Position
from ..models import ProjectConfig


@dataclass(frozen=True)
class TrustedSettings:
    """The trusted file's validated project settings, where its credentials were read, and the values read."""

    display: str
    project: ProjectConfig
    missing_env: Mapping[str, tuple[str, Position]] = field(default_factory=dict)
    """Credentials whose variable is unset, by dotted path (`providers.mettl.private_key`)."""
    secret_values: frozenset[str] = frozenset()
    positions: Mapping[str, Position] = field(default_factory=dict)
    """Where each provider setting is written in the trusted file, by dotted path (`providers.mettl.base_url`)."""
