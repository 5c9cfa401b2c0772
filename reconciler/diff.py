"""Desired vs observed → Plan. Generic: it never knows a vendor. The only user of deepdiff.

Only what the desired state manages is compared: a setting left out of the YAML is left as it is live.
Candidates are compared as sets of normalised emails; windows as UTC instants (so zone spellings and DST
never cause a perpetual diff).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from deepdiff import DeepDiff
from deepdiff.helper import NotPresent
from deepdiff.operator import BaseOperator

from .models import WRITE_ONLY_FIELDS, SafetyConfig, Schedule, ScheduleKey, managed_view
from .observed import Observed
from .plan import (
    DISABLED,
    INVITATION_ONLY,
    NAME,
    CandidateChanges,
    Create,
    Disable,
    FieldChange,
    FieldPath,
    NoOp,
    Plan,
    ScheduleChange,
    UnmanagedSchedule,
    Update,
)
from .vendors import SECTIONS, VENDOR_NAMES


def scoped(live: Any, wanted: Any) -> Any:
    """The live view over what the desired view manages: its keys only, None where live has nothing."""
    if isinstance(wanted, dict):
        source = live if isinstance(live, dict) else {}
        return {key: scoped(source.get(key), sub) for key, sub in wanted.items()}
    return live


def _section_views(schedule: Schedule) -> dict[str, Any]:
    return {name: managed_view(getattr(schedule, name)) for name in SECTIONS}


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (`True != 1`, `1 != 1.0`), as DeepDiff compares."""
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


class _WholeLists(BaseOperator):
    """A list is one setting (recipients, IP ranges): compared and reported whole, never per index."""

    def give_up_diffing(self, level: Any, diff_instance: Any) -> bool:
        if not same(level.t1, level.t2):
            diff_instance.custom_report_result("values_changed", level)
        return True


def field_changes(desired: Schedule, live: Schedule) -> list[FieldChange]:
    """Changed settings, one per leaf the desired state sets (lists whole); nothing when the views are equal."""
    wanted = {name: view for name, view in _section_views(desired).items() if view not in (None, {})}
    have = scoped(_section_views(live), wanted)
    if same(have, wanted):
        return []
    diff = DeepDiff(have, wanted, verbose_level=2, view="tree", custom_operators=[_WholeLists(types=[list])])
    changes = [FieldChange(path=tuple(str(p) for p in item.path(output_format="list")),
                           before=_value(item.t1), after=_value(item.t2))
               for items in diff.values() for item in items]
    return sorted(changes, key=lambda f: f.text)


def _value(value: Any) -> Any:
    return None if isinstance(value, NotPresent) else value


def candidate_changes(desired: Schedule, observed: Observed | None) -> CandidateChanges:
    """Set arithmetic on normalised emails; protected candidates are never in `remove`."""
    live = observed.candidate_emails() if observed else frozenset()
    if desired.candidates is None:
        return CandidateChanges(existing=len(live))
    wanted = desired.candidate_emails()
    if live == wanted:  # the common case, in one set comparison
        return CandidateChanges(existing=len(live))
    add = tuple(sorted((c for c in desired.candidates if c.email not in live), key=lambda c: c.email))
    gone = live - wanted
    reasons = {email: why for email, why in observed.protected.items() if email in gone} if observed else {}
    remove = tuple(sorted(gone - reasons.keys()))
    names = observed.live_names(remove) if observed and remove else {}
    return CandidateChanges(
        add=add, remove=remove, protected=tuple(sorted(reasons)),
        protected_reasons=dict(sorted(reasons.items())), existing=len(live), remove_names=names,
    )


def write_only_paths(schedule: Schedule) -> list[FieldPath]:
    """Paths of the write-only (secret) settings this schedule sets; the vendor never returns them."""
    paths: list[FieldPath] = []
    for section in VENDOR_NAMES:
        block = getattr(schedule, section)
        for name in WRITE_ONLY_FIELDS:
            if block is not None and getattr(block, name, None) is not None:
                paths.append((section, name))
    return paths


def diff_schedule(
    desired: Schedule, observed: Observed | None, *, resend_secrets: bool = False
) -> ScheduleChange | None:
    """The change that turns observed into desired, or None when they already match.

    Write-only secrets cannot be compared; with `resend_secrets` they are sent again (to rotate them).
    """
    candidates = candidate_changes(desired, observed)
    if observed is None:
        return Create(provider=desired.provider, assessment_id=desired.assessment_id, name=desired.name,
                      candidates=candidates, desired=desired)
    live = observed.schedule
    fields = field_changes(desired, live) + rename_changes(desired, live)
    if resend_secrets:
        fields.extend(FieldChange(path=path, before="(write-only)", after="(sensitive)", sensitive=True)
                      for path in write_only_paths(desired))
    if (desired.candidates is None) != (live.candidates is None):
        fields.append(FieldChange(path=INVITATION_ONLY, before=live.candidates is not None,
                                  after=desired.candidates is not None))
    change = Update(
        provider=desired.provider, assessment_id=desired.assessment_id, name=desired.name, ref=observed.ref,
        settings=tuple(sorted(fields, key=lambda f: f.text)), candidates=candidates,
        fingerprint=observed.fingerprint, desired=desired, window_before=live.window,
    )
    if not change.actionable:
        return _protected_only(desired, observed, candidates) if candidates.protected else None
    return change


def rename_changes(desired: Schedule, live: Schedule) -> list[FieldChange]:
    """A live schedule adopted under a previous name (or renamed by hand) gets the declared name back."""
    if live.name == desired.name:
        return []
    return [FieldChange(path=NAME, before=live.name, after=desired.name)]


RETIRE_BY_DISABLING = FieldChange(path=DISABLED, before=False, after=True)


def _protected_only(desired: Schedule, observed: Observed, candidates: CandidateChanges) -> NoOp:
    """In sync but for candidates the desired state drops and live data protects: a no-op that reports them."""
    kept = CandidateChanges(protected=candidates.protected, protected_reasons=candidates.protected_reasons,
                            existing=candidates.existing)
    return NoOp(provider=desired.provider, assessment_id=desired.assessment_id, name=desired.name,
                ref=observed.ref, candidates=kept)


def retire(observed: Observed) -> Disable:
    """An owned schedule gone from desired state, with prune on: made unavailable the provider's reversible
    way (its `retirement` field change; by default `disabled`), never deleted."""
    live = observed.schedule
    how = observed.live.retirement
    return Disable(
        provider=live.provider, assessment_id=live.assessment_id, name=live.name,
        ref=observed.ref, fingerprint=observed.fingerprint, window_before=live.window,
        candidates=CandidateChanges(existing=len(observed.candidate_emails())),
        fields=(how or RETIRE_BY_DISABLING,),
    )


def mass_retirement(changes: list[ScheduleChange], managed: Iterable[ScheduleKey],
                    safety: SafetyConfig) -> list[ScheduleChange]:
    """Like octoDNS's 30% rule: retiring too large a share of a provider's live managed schedules at once
    (declared ones plus those retired now) needs --force, on each of those retirements."""
    live = Counter(key.provider for key in managed)
    retiring = Counter(c.provider for c in changes if c.action == "disable")
    out = []
    for change in changes:
        count, total = retiring[change.provider], live[change.provider] + retiring[change.provider]
        if (change.action == "disable" and total >= safety.min_schedules_for_retire_fraction
                and count / total > safety.max_retire_fraction):
            reason = (f"retires {count} of {total} managed {change.provider} schedules ({count / total:.0%} > "
                      f"{safety.max_retire_fraction:.0%} limit)")
            change = change.model_copy(update={"needs_force": (*change.needs_force, reason)})
        out.append(change)
    return out


def safety_reasons(change: ScheduleChange, safety: SafetyConfig, now: datetime) -> tuple[str, ...]:
    """Safety rules this change breaks (each needs --force)."""
    reasons: list[str] = []
    existing = change.candidates.existing
    removing = len(change.candidates.remove) if change.action != "disable" else existing
    over_limit = existing and removing / existing > safety.max_removal_fraction
    if existing >= safety.min_candidates_for_fraction and over_limit:
        reasons.append(
            f"removes {removing} of {existing} candidates ({removing / existing:.0%} > "
            f"{safety.max_removal_fraction:.0%} limit)"
        )
    before = change.window_before
    live_now = before is not None and before.start_utc <= now < before.end_utc
    if safety.protect_live_windows and live_now and (change.window_changed or isinstance(change, Disable)):
        reasons.append("its exam window is live now")
    return tuple(reasons)


def build_plan(
    desired: Iterable[Schedule],
    observed: Mapping[ScheduleKey, Observed],
    retired: Iterable[Observed] = (),
    unmanaged: Iterable[UnmanagedSchedule] = (),
    *,
    safety: SafetyConfig | None = None,
    now: datetime,
    resend_secrets: bool = False,
    undeclared: Iterable[UnmanagedSchedule] = (),
) -> Plan:
    """Every change needed, with the safety rules each breaks, in a deterministic order.

    `retired`: owned schedules no longer declared, to retire (prune on); `undeclared`: the same, reported only.
    """
    safety = safety or SafetyConfig()
    changes: list[ScheduleChange] = []
    in_sync = 0
    for schedule in desired:
        change = diff_schedule(schedule, observed.get(schedule.key), resend_secrets=resend_secrets)
        if change is None or change.action == "no-op":
            in_sync += 1  # a no-op (protected candidates only) is in sync: it is listed, as a note
        if change is not None:
            changes.append(change)
    changes.extend(retire(o) for o in retired)
    changes = [c if isinstance(c, NoOp) else c.model_copy(update={"needs_force": safety_reasons(c, safety, now)})
               for c in changes]
    changes = mass_retirement(changes, observed, safety)
    return Plan.build(changes, unmanaged, in_sync, undeclared)
