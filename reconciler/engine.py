"""Plan and apply for a desired state against providers. No file I/O, no click, no printing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from .diff import build_plan, diff_schedule
from .errors import AmbiguousWriteError, ProviderError, ReconcilerError, StalePlanError, UnsafePlanError
from .models import DesiredState, SafetyConfig, ScheduleKey
from .observed import ApplyOutcome, Observed, ObservedWorld
from .plan import Disable, NoOp, Plan, ScheduleChange, UnmanagedSchedule, Writing
from .providers.base import Provider


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class PlanRun:
    """A plan and the live objects it was computed from (apply needs them)."""

    plan: Plan
    observed: dict[ScheduleKey, Observed]
    calls: dict[str, int] = field(default_factory=dict)


@dataclass
class ApplyReport:
    outcomes: list[ApplyOutcome] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)

    @property
    def failed(self) -> list[ApplyOutcome]:
        return [o for o in self.outcomes if not o.ok]


class ProviderMissingError(ReconcilerError):
    """A schedule names a provider that is not configured."""


ReadHook = Callable[[str, ObservedWorld], None]
"""Called as each provider finishes reading (progress on a terminal)."""


def observe_all(
    desired: DesiredState, providers: Mapping[str, Provider], on_read: ReadHook | None = None
) -> dict[str, ObservedWorld]:
    """Read every provider concurrently."""
    needed = sorted({s.provider for s in desired.schedules} | set(providers))
    missing = [name for name in needed if name not in providers]
    if missing:
        raise ProviderMissingError(f"no provider configured for: {', '.join(missing)}")
    with ThreadPoolExecutor(max(1, len(needed))) as pool:
        futures = {pool.submit(providers[name].observe, desired.schedules): name for name in needed}
        for future in as_completed(futures):
            if on_read and future.exception() is None:
                on_read(futures[future], future.result())
        return {name: future.result() for future, name in sorted(futures.items(), key=lambda item: item[1])}


def make_plan(
    desired: DesiredState,
    providers: Mapping[str, Provider],
    *,
    safety: SafetyConfig | None = None,
    now: datetime | None = None,
    resend_secrets: bool = False,
    on_read: ReadHook | None = None,
) -> PlanRun:
    """Read live state and compute the plan, with safety and provider reviews folded in."""
    worlds = observe_all(desired, providers, on_read)
    observed: dict[ScheduleKey, Observed] = {}
    retired: list[Observed] = []
    unmanaged = []
    for world in worlds.values():
        observed.update(world.managed)
        retired.extend(world.retired.values())
        unmanaged.extend(world.unmanaged)
    observed = _protect_started(desired, observed, providers)
    retired, undeclared = _split_retired(retired, desired.prune)
    plan = build_plan(desired.schedules, observed, retired, unmanaged, safety=safety, now=now or utcnow(),
                      resend_secrets=resend_secrets, undeclared=undeclared)
    plan = _review(plan, providers, {**observed, **{o.schedule.key: o for o in retired}})
    return PlanRun(plan, {**observed, **{o.schedule.key: o for o in retired}},
                   {name: p.calls for name, p in providers.items()})


def _split_retired(
    retired: list[Observed], prune: frozenset[str]
) -> tuple[list[Observed], list[UnmanagedSchedule]]:
    """Owned schedules no longer declared: retired where the project prunes, else only reported."""
    keep: list[Observed] = []
    left: list[UnmanagedSchedule] = []
    for observed in retired:
        live = observed.schedule
        if live.provider in prune:
            keep.append(observed)
        else:
            left.append(UnmanagedSchedule(provider=live.provider, assessment_id=live.assessment_id, name=live.name,
                                          ref=observed.ref))
    return keep, left


def _protect_started(
    desired: DesiredState, observed: dict[ScheduleKey, Observed], providers: Mapping[str, Provider]
) -> dict[ScheduleKey, Observed]:
    """Ask providers which would-be-removed candidates have begun the test; those become protected.

    Only schedules that would lose candidates are asked, so an unchanged schedule costs no extra read.
    """
    asks: list[tuple[ScheduleKey, frozenset[str]]] = []
    for schedule in desired.schedules:
        live = observed.get(schedule.key)
        if live is None or schedule.candidates is None:
            continue
        gone = live.schedule.candidate_emails() - schedule.candidate_emails() - live.protected.keys()
        if gone:
            asks.append((schedule.key, frozenset(gone)))
    if not asks:
        return observed

    def ask(item: tuple[ScheduleKey, frozenset[str]]) -> Mapping[str, str]:
        key, gone = item
        return providers[key.provider].started(observed[key], gone)

    with ThreadPoolExecutor(min(8, len(asks))) as pool:
        answers = list(pool.map(ask, asks))
    result = dict(observed)
    for (key, _), started in zip(asks, answers, strict=True):
        if started:
            result[key] = replace(observed[key], protected={**observed[key].protected, **started})
    return result


def _review(plan: Plan, providers: Mapping[str, Provider], observed: Mapping[ScheduleKey, Observed]) -> Plan:
    """Let each provider mark changes its API cannot make (e.g. write-once metadata)."""
    reviewed: list[ScheduleChange] = []
    for change in plan.changes:
        if isinstance(change, NoOp):
            reviewed.append(change)
            continue
        blocked = providers[change.provider].review(change, observed.get(change.key))
        reviewed.append(change.model_copy(update={"blocked": blocked}) if blocked else change)
    return plan.model_copy(update={"changes": tuple(reviewed)})


def check_safety(plan: Plan, *, force: bool) -> None:
    """Refuse (exit 3) when a change is blocked, or breaks a safety rule and --force was not given."""
    blocked = [f"{c.key}: {reason}" for c in plan.actionable for reason in c.blocked]
    if blocked:
        raise UnsafePlanError("cannot apply:\n  " + "\n  ".join(blocked))
    unsafe = [f"{c.key}: {reason}" for c in plan.actionable for reason in c.needs_force]
    if unsafe and not force:
        raise UnsafePlanError(
            "refused as unsafe (re-run with --force if this is intended):\n  " + "\n  ".join(unsafe))


def check_saved(saved: Mapping[str, object], run: PlanRun) -> None:
    """Refuse when the saved plan no longer matches what a fresh plan says, naming what moved."""
    fresh = run.plan
    if saved.get("checksum") == fresh.checksum:
        return
    moved: list[str] = []
    saved_prints = saved.get("fingerprints")
    saved_prints = saved_prints if isinstance(saved_prints, dict) else {}
    labels = _labels(fresh, saved.get("changes"))
    for key, value in sorted(saved_prints.items()):
        now_value = fresh.fingerprints.get(key)
        if now_value != value:
            moved.append(f"{labels.get(key, key)} changed on the platform since the plan was made")
    for key in sorted(set(fresh.fingerprints) - set(saved_prints)):
        moved.append(f"{labels.get(key, key)} is now part of the plan")
    if not moved:
        moved.append("the desired state or the live state changed since the plan was made")
    raise StalePlanError("saved plan is stale, nothing was applied:\n  " + "\n  ".join(moved))


def _labels(fresh: Plan, saved_changes: object) -> dict[str, str]:
    """Fingerprint key (`mettl/769688/Name`) → how every output names that schedule."""
    keys = [c.key for c in fresh.changes]
    if isinstance(saved_changes, list):
        keys += [ScheduleKey(str(c.get("provider")), str(c.get("assessment_id")), str(c.get("name")))
                 for c in saved_changes if isinstance(c, dict)]
    return {key.path: str(key) for key in keys}


def apply_plan(
    run: PlanRun,
    providers: Mapping[str, Provider],
    *,
    force: bool = False,
    on_outcome: Callable[[ApplyOutcome], None] | None = None,
) -> ApplyReport:
    """Apply every actionable change; a failure is recorded and the others go on (the next run repairs)."""
    check_safety(run.plan, force=force)
    report = ApplyReport()
    for change in run.plan.actionable:
        outcome = _apply_one(change, providers[change.provider], run.observed.get(change.key))
        report.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    report.calls = {name: p.calls for name, p in providers.items()}
    return report


def _apply_one(change: Writing, provider: Provider, observed: Observed | None) -> ApplyOutcome:
    try:
        return provider.apply(change, observed)
    except AmbiguousWriteError as exc:
        return _verify(change, provider, str(exc))
    except ProviderError as exc:
        return ApplyOutcome(change.key, False, message=str(exc))


def _verify(change: Writing, provider: Provider, reason: str) -> ApplyOutcome:
    """After a write whose answer was lost: re-read and check whether the live object converged."""
    try:
        live = provider.observe_one(change.key, change.desired)
    except ProviderError as exc:
        return ApplyOutcome(change.key, False, message=f"{reason}; re-reading failed too: {exc}")
    if isinstance(change, Disable):
        converged = live is not None and live.live.disabled
    elif live is not None:
        remaining = diff_schedule(change.desired, live)
        converged = remaining is None or not remaining.actionable
    else:
        converged = False
    if converged:
        return ApplyOutcome(change.key, True, message="answer lost, verified by re-reading",
                            ref=live.ref if live else None)
    return ApplyOutcome(change.key, False, message=f"{reason}; re-read shows it did not land (run again)")
