"""`reconciler doctor`: read-only checks that a tenant behaves as the tool assumes (docs/vendor-assumptions.md)."""

from __future__ import annotations

from collections.abc import Mapping

from ..checks.probe import Probe, read_only
from ..checks.report import Report, Result, render_json, render_text
from ..loader import LoadedProject
from ..providers.base import Provider
from ..providers.mettl.doctor import MettlDoctor
from ..providers.mettl.provider import MettlProvider
from ..providers.questionmark.doctor import QuestionmarkDoctor
from ..providers.questionmark.provider import QuestionmarkProvider
from .samples import save_samples

__all__ = ["Report", "Result", "diagnose", "render_json", "render_text", "save_samples"]


def diagnose(loaded: LoadedProject, providers: Mapping[str, Provider], *,
             probe_access: bool = False) -> tuple[Report, list[Probe]]:
    """Run every check of every configured provider; each provider's client is made GET-only first (but for
    the read-only ActionableSchedules action of `probe_access`)."""
    results: list[Result] = []
    probes: list[Probe] = []
    desired, positions = loaded.desired.schedules, loaded.positions
    for name in sorted(providers):
        provider = providers[name]
        if isinstance(provider, MettlProvider):
            _, probe = read_only(provider.client, name)
            results += MettlDoctor(provider.client, probe, desired, positions).run()
        elif isinstance(provider, QuestionmarkProvider):
            http, probe = read_only(provider.client, name)
            results += QuestionmarkDoctor(provider.client, http, probe, desired, positions, config=provider.config,
                                          probe_access=probe_access).run()
        else:  # pragma: no cover - every provider has its doctor
            raise TypeError(f"no doctor for provider {name!r}")
        probes.append(probe)
    return Report(tuple(results)), probes
