"""`reconciler doctor`: read-only checks that a tenant behaves as the tool assumes (docs/vendor-assumptions.md)."""

from __future__ import annotations

from collections.abc import Mapping

from ..checks.probe import Probe
from ..checks.report import Report, Result, render_json, render_text
from ..loader import LoadedProject
from ..providers.base import Provider
from ..providers.registry import VENDORS
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
        found, probe = VENDORS[name].doctor(providers[name], desired, positions, probe_access=probe_access)
        results += found
        probes.append(probe)
    return Report(tuple(results)), probes
