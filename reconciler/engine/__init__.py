"""Plan and apply for a desired state against providers. No file I/O, no click, no printing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from datetime import datetime

from .. import clock
from ..errors import AmbiguousWriteError, ProviderError, ReconcilerError, StalePlanError, UnsafePlanError
from ..models import DesiredState, SafetyConfig, ScheduleKey
from ..observed import ApplyOutcome, Observed, ObservedWorld
from ..plan import Create, Disable, NoOp, Plan, ScheduleChange, UnmanagedSchedule, Update, Writing
from ..providers.base import Provider
from ..scope import Scope
from .pool import run_in_order


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
    desired: DesiredState, providers: Mapping[str, Provider], on_read: ReadHook | None = None,
    scope: Scope | None = None,
) -> dict[str, ObservedWorld]:
    """Read every provider (the scope's only) concurrently; what is out of scope is dropped."""
    scope = scope or Scope()
    return _observe_narrowed(scope.narrow(desired), providers, on_read, scope)


def _observe_narrowed(
    desired: DesiredState, providers: Mapping[str, Provider], on_read: ReadHook | None, scope: Scope,
) -> dict[str, ObservedWorld]:
    """observe_all, for a desired state the scope has already narrowed."""
    needed = [scope.provider] if scope.provider else sorted({s.provider for s in desired.schedules} | set(providers))
    missing = [name for name in needed if name not in providers]
    if missing:
        raise ProviderMissingError(f"no provider configured for: {', '.join(missing)}")
    with ThreadPoolExecutor(max(1, len(needed))) as pool:
        futures = {pool.submit(providers[name].observe, desired.schedules): name for name in needed}
        for future in as_completed(futures):
            if on_read and future.exception() is None:
                on_read(futures[future], future.result())
        return {name: scope.world(future.result())
                for future, name in sorted(futures.items(), key=lambda item: item[1])}


def make_plan(
    desired: DesiredState,
    providers: Mapping[str, Provider],
    *,
    safety: SafetyConfig | None = None,
    now: datetime | None = None,
    resend_secrets: bool = False,
    on_read: ReadHook | None = None,
    scope: Scope | None = None,
) -> PlanRun:
    """Read live state and compute the plan, with safety and provider reviews folded in; with a scope, only
    its schedules are read, planned, retired and reported, and the plan records it."""
    return _make_plan(desired, providers, safety=safety, now=now, resend_secrets=resend_secrets,
                      on_read=on_read, scope=scope or Scope())


def _make_plan(
    desired: DesiredState,
    providers: Mapping[str, Provider],
    *,
    safety: SafetyConfig | None,
    now: datetime | None,
    resend_secrets: bool,
    on_read: ReadHook | None,
    scope: Scope,
) -> PlanRun:
    desired = scope.narrow(desired)  # the one narrowing of a plan
    worlds = _observe_narrowed(desired, providers, on_read, scope)
    observed: dict[ScheduleKey, Observed] = {}
    retired: list[Observed] = []
    unmanaged = []
    for world in worlds.values():
        observed.update(world.managed)
        retired.extend(world.retired.values())
        unmanaged.extend(world.unmanaged)
    observed = _protect_started(desired, observed, providers)
    retired, undeclared = _split_retired(retired, desired.prune)
    from ..diff import build_plan  # here, not at the top: `validate` starts without DeepDiff

    plan = build_plan(desired.schedules, observed, retired, unmanaged, safety=safety, now=now or clock.utcnow(),
                      resend_secrets=resend_secrets, undeclared=undeclared)
    plan = _review(plan, providers, {**observed, **{o.schedule.key: o for o in retired}})
    plan = plan.model_copy(update={"scope": scope.label}) if scope else plan
    access = {path: mode for provider in providers.values() for path, mode in
              provider.access_modes(desired.schedules).items()}
    plan = plan.model_copy(update={"access": dict(sorted(access.items()))}) if access else plan
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
        gone = live.candidate_emails() - schedule.candidate_emails() - live.protected.keys()
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
        provider, live = providers[change.provider], observed.get(change.key)
        change = provider.annotate(change, live)
        blocked = provider.review(change, live)
        reviewed.append(change.model_copy(update={"blocked": (*change.blocked, *blocked)}) if blocked else change)
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


def check_saved(saved: Plan, run: PlanRun) -> None:
    """Refuse when the saved plan (validated, its checksum checked) no longer matches what a fresh plan says,
    naming what moved."""
    fresh = run.plan
    if saved.checksum == fresh.checksum:
        return
    moved: list[str] = []
    saved_prints = saved.fingerprints
    labels = {change.key.path: str(change.key) for change in (*fresh.changes, *saved.changes)}
    for key, value in sorted(saved_prints.items()):
        now_value = fresh.fingerprints.get(key)
        if now_value != value:
            moved.append(f"{labels.get(key, key)} changed on the platform since the plan was made")
    for key in sorted(set(fresh.fingerprints) - set(saved_prints)):
        moved.append(f"{labels.get(key, key)} is now part of the plan")
    if not moved:
        moved.append("the desired state or the live state changed since the plan was made")
    raise StalePlanError("saved plan is stale, nothing was applied:\n  " + "\n  ".join(moved))


def apply_plan(
    run: PlanRun,
    providers: Mapping[str, Provider],
    *,
    force: bool = False,
    safety_checked: bool = False,
    on_outcome: Callable[[ApplyOutcome], None] | None = None,
) -> ApplyReport:
    """Apply every actionable change, each vendor's concurrently (see pool.py); a failure is recorded and
    the others go on (the next run repairs). Outcomes come in plan order. The safety check runs here unless
    the caller ran it already (`safety_checked`: the CLI does, before it asks to confirm)."""
    if not safety_checked:
        check_safety(run.plan, force=force)
    report = ApplyReport()

    def apply(change: Writing) -> ApplyOutcome:
        return _apply_one(change, providers[change.provider], run.observed.get(change.key))

    def resources(change: Writing) -> frozenset[str]:
        return providers[change.provider].resources(change, run.observed.get(change.key))

    for outcome in run_in_order(run.plan.actionable, providers, apply, resources):
        report.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    report.calls = {name: p.calls for name, p in providers.items()}
    return report


def _apply_one(change: Writing, provider: Provider, observed: Observed | None) -> ApplyOutcome:
    before = provider.calls
    try:
        return provider.apply(change, observed)
    except AmbiguousWriteError as exc:
        outcome = _verify(change, provider, str(exc))
        return replace(outcome, calls=provider.calls - before)
    except ProviderError as exc:
        return ApplyOutcome(change.key, False, message=str(exc))


MAX_RESUMES = 3
"""Re-read-and-resume rounds after a lost answer, on top of one per object the change writes."""


def _verify(change: Writing, provider: Provider, reason: str) -> ApplyOutcome:
    """After a write whose answer was lost: re-read, and either find the change landed or resume it.

    Writes are never resent blind: each round re-reads the live object and sends only what the re-read shows
    missing, and only what the planned change itself would have written (a remaining difference outside it,
    e.g. someone removed by hand since the plan, is left for the next plan). A resumed write whose answer is
    lost again starts another round, up to one per object the change writes plus MAX_RESUMES.
    """
    rounds = MAX_RESUMES + len(change.fields) + len(change.candidates.add) + len(change.candidates.remove)
    resumed = 0
    for _ in range(rounds + 1):
        try:
            live = provider.observe_one(change.key, change.desired)
        except ProviderError as exc:
            return ApplyOutcome(change.key, False, message=f"{reason}; re-reading failed too: {exc}")
        rest = _remaining(change, live)
        if rest is None:
            how = f"resumed {resumed} time(s) after re-reading" if resumed else "verified by re-reading"
            return ApplyOutcome(change.key, True, message=f"answer lost, {how}", ref=live.ref if live else None)
        if not _within(rest, change):
            return ApplyOutcome(change.key, False, message=f"{reason}; the re-read shows changes this plan does "
                                "not make (made since the plan?): plan again")
        if resumed == rounds:
            break
        resumed += 1
        try:
            outcome = provider.apply(rest, live)
        except AmbiguousWriteError as exc:
            reason = str(exc)
            continue
        except ProviderError as exc:
            return ApplyOutcome(change.key, False, message=f"{reason}; resuming after re-reading failed: {exc}")
        if not outcome.ok:
            return replace(outcome, message=f"{reason}; resumed after re-reading: {outcome.message}")
        return replace(outcome, message=f"answer lost, resumed {resumed} time(s) after re-reading")
    return ApplyOutcome(change.key, False, message=f"{reason}; re-read shows it did not land (run again)")


def _remaining(change: Writing, live: Observed | None) -> Writing | None:
    """What is still to do after a re-read: None once the live object matches the change."""
    if isinstance(change, Disable):
        return None if live is None or live.live.disabled else change
    from ..diff import diff_schedule  # as in plan: DeepDiff only where a diff is made

    rest = diff_schedule(change.desired, live)
    return rest if isinstance(rest, (Create, Update)) and rest.actionable else None


def _within(rest: Writing, change: Writing) -> bool:
    """Whether the remaining change only does what the planned one would have done (an update is never
    turned into a create: a schedule that vanished since the plan is for the next plan to see)."""
    if change.action == "disable" or rest.action == "create":
        return rest.action == change.action
    if change.action == "create":
        return not rest.candidates.remove
    planned = {f.path for f in change.fields}
    adds = {c.email for c in change.candidates.add}
    return ({f.path for f in rest.fields} <= planned and {c.email for c in rest.candidates.add} <= adds
            and set(rest.candidates.remove) <= set(change.candidates.remove))
