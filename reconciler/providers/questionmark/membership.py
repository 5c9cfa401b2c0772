"""Membership mode (`providers.questionmark.access: membership`): a candidate list is the members of the
schedule's group, the schedule is one group schedule "for all members of the group".

- Shape: one group schedule per desired schedule (ownership mark, window, settings, metadata; `GroupID` = the
  `group:`); accommodations are exception schedules, as in group mode.
- Reading: the roster is `Groups(id)/Participants` (paged at 100, following `odata.nextLink`).
- Writing: a window or setting change is one PATCH of the group schedule; adding candidates is one QMWISe
  `AddGroupParticipantList` per `qmwise_batch` IDs (plus the creates of new participants), removing one
  `DeleteGroupParticipantList`.
- Ownership of the group: the group schedule carries the ScheduleMetadata record `reconciler:roster` = its
  GroupID, written right after the schedule is created (or by `import --adopt`) and before any member is added.
  Members are changed only under that record. A group schedule of ours without it (a lost answer before the
  record was written) is claimed only while the group has no members; a group that exists already with
  members is never taken over (adopt it with `import questionmark --group NAME --adopt`).
- An existing seats-mode schedule (it has seats) keeps its seats when the project turns to membership mode: the
  project's mode applies to new schedules, the plan header names each schedule's mode. To move one to
  membership, retire it and declare it under a new name. A membership-mode schedule under `access: seats`
  (no QMWISe) is refused with a message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from typing import Any

from ...errors import BadRequestError
from ...models import Candidate, Schedule, ScheduleKey
from ...observed import LiveCandidates, Observed
from ...plan import Update
from . import mapping, people
from .answers import MetadataEntity
from .client import PROVIDER, QuestionmarkClient
from .listing import Listing
from .live import GroupLive, MembershipLive, QuestionmarkLive, QuestionmarkState, questionmark_live
from .observe import build_observed, metadata_of
from .qmwise import QmwiseClient
from .writes import Writer, differing

MEMBERSHIP, SEATS, GROUP_ACCESS = "membership", "seats", "group"
ROSTER_KEY = "reconciler:roster"
"""ScheduleMetadata key on a membership-mode group schedule: its value is the GroupID whose members this tool
manages for it (metadata is write-once: the record stays with the schedule)."""


def has_roster(raw: Mapping[str, Any] | None) -> bool:
    """Whether a group schedule carries the roster record for its own group."""
    if not raw:
        return False
    return metadata_of(raw).get(ROSTER_KEY) == str(raw.get("GroupID"))


def mode_of(desired: Schedule, access: str) -> str:
    """How this schedule's candidates reach Questionmark: membership, seats, or group (no candidate list)."""
    return GROUP_ACCESS if desired.candidates is None else access


def build_membership_observed(
    raw: dict[str, Any], key: ScheduleKey, desired: Schedule, listing: Listing,
    participants: Sequence[Mapping[str, Any]],
) -> Observed:
    """The group schedule as the shared model, its candidates the group's members."""
    known = desired.candidate_emails()
    members: dict[str, int] = {}
    names: dict[str, str] = {}  # only those the desired state does not list (the plan may remove them)
    for participant in participants:  # one pass; emails the desired state lists are taken as they are
        email = mapping.email_of(participant, known)
        if email is None or not isinstance(participant.get("ID"), int) or email in members:
            continue
        members[email] = int(participant["ID"])
        if email not in known:
            names[email] = mapping.name_of(participant, email)
    base = build_observed(raw, key, desired.model_copy(update={"candidates": None}), listing, members)
    live = questionmark_live(base)
    metadata = {k: v for k, v in base.schedule.metadata.items() if k != ROSTER_KEY}
    schedule = base.schedule.model_copy(update={"candidates": (), "metadata": metadata})
    candidates = LiveCandidates(frozenset(members), names)
    state = _membership(live, members, roster_owned=has_roster(raw))
    digest = hashlib.blake2b(f"{base.fingerprint}:{sorted(members.values())}".encode(), digest_size=8).hexdigest()
    return Observed(schedule=schedule, ref=base.ref, fingerprint=digest, raw=raw, live=state, candidates=candidates)


def imported_observed(
    raw: dict[str, Any], key: ScheduleKey, listing: Listing, participants: Sequence[Mapping[str, Any]],
) -> Observed:
    """`import` of a roster (owned or just adopted): the group schedule with every member as a candidate."""
    members = mapping.members_by_email(participants)
    base = build_observed(raw, key, None, listing, members)
    candidates = tuple(sorted((c for p in participants if (c := mapping.candidate_of(p)) is not None
                               and c.email in members), key=lambda c: c.email))
    unique = tuple({c.email: c for c in candidates}.values())
    metadata = {k: v for k, v in base.schedule.metadata.items() if k != ROSTER_KEY}
    schedule = base.schedule.model_copy(update={"candidates": unique, "metadata": metadata})
    live = questionmark_live(base)
    return replace(base, schedule=schedule, live=_membership(live, members, roster_owned=True))


def _membership(live: QuestionmarkState, members: Mapping[str, int], *, roster_owned: bool) -> MembershipLive:
    """The group schedule's state read as membership mode: the group's members are its candidates."""
    common = {f.name: getattr(live, f.name) for f in fields(QuestionmarkLive)}
    children, enabled = (live.children, live.enabled_children) if isinstance(live, GroupLive) else ({}, ())
    return MembershipLive(**common, children=children, enabled_children=enabled, member_ids=members,
                          roster_owned=roster_owned)


def review_problems(desired: Schedule, observed: Observed | None) -> list[str]:
    """Why a membership-mode change cannot be applied: a group that is not ours."""
    if observed is None or not isinstance(observed.live, MembershipLive):
        return []
    live = observed.live
    group = mapping.group_name(desired)
    if not live.roster_owned and live.member_ids:
        return [f"group {group!r} already has {len(live.member_ids)} member(s) this tool did not add; it never "
                "changes the members of a group it does not own — adopt the group explicitly (with this schedule "
                f"not yet in the YAML: reconciler import questionmark --group {group!r} --adopt) or choose another "
                "group"]
    return []


class MembershipWriter(Writer):
    """Turns one membership-mode change into calls (a fresh writer per change)."""

    def __init__(self, client: QuestionmarkClient, qmwise: QmwiseClient, **options: Any) -> None:
        super().__init__(client, **options)
        self.qmwise = qmwise

    # ------------------------------------------------------------------ create

    def create(self, desired: Schedule) -> str:
        """The group (new, or an existing one without members), the group schedule, the roster record, its
        metadata, the participants, one AddGroupParticipantList per batch, then the accommodations."""
        with self._settled():
            name = mapping.group_name(desired)
            group = self.client.find_group(name)
            existing: dict[str, int] = {}
            if group is not None:
                members = self.client.group_members(int(group["ID"]))
                if members and not self._our_roster(int(group["ID"])):
                    raise BadRequestError(PROVIDER, f"group {name!r} already has {len(members)} member(s) this tool "
                                          "did not add: it is never taken over — adopt it (import questionmark "
                                          f"--group {name!r} --adopt) or choose another group")
                existing = mapping.members_by_email(members)
            else:
                group = self.client.create_group(name)
            group_id = int(group["ID"])
            parent = self.client.create_schedule(mapping.create_body(desired, group_id, self.shard,
                                                                     self.monitoring_id(desired)))
            parent_id = int(parent["ID"])
            self.client.create_metadata(parent_id, ROSTER_KEY, str(group_id))  # before any member
            self._patch(parent_id, {}, self._metadata(parent_id, desired.metadata, {}))
            ids = self._add(group_id, list(desired.candidates or ()), existing)
            self._exceptions(desired, parent, {}, [], members=ids)
            return self.finish(str(parent_id))

    def _our_roster(self, group_id: int) -> bool:
        """Whether another group schedule of ours (this shard's mark) already holds this group as its roster: two
        desired schedules may share one (validation makes them list the same candidates)."""
        ours = [s for s in self.client.group_schedules(group_id) if mapping.is_owned(s, self.shard)
                and s.get("ParticipantID") is None and s.get("ParentScheduleID") is None]
        for schedule in ours:
            path = f"Schedules({int(schedule['ID'])})/ScheduleMetadata"
            for item in self.client.feed(path, None, MetadataEntity, "metadata"):
                if item.get("Key") == ROSTER_KEY and item.get("Value") == str(group_id):
                    return True
        return False

    def _add(self, group_id: int, adds: Sequence[Candidate], members: Mapping[str, int]) -> dict[str, int]:
        """Find or create the added candidates' participants, make them members; their IDs by email."""
        new = sorted((c for c in adds if c.email not in members), key=lambda c: c.email)
        ids, failures = people.resolve(self.client, new, max_workers=self.max_workers, sign_in=self.config.sign_in,
                                       scan_limit=self.config.max_participants_scanned)
        self.failures.extend(failures)
        self.batch.join()  # the schedule, its record and metadata before any member
        if ids:
            self.qmwise.add_members(group_id, list(ids.values()))
        return {**members, **ids}

    # ------------------------------------------------------------------ update

    def update(self, change: Update, desired: Schedule, observed: Observed) -> str:
        with self._settled():
            return self._update_members(change, desired, observed)

    def _update_members(self, change: Update, desired: Schedule, observed: Observed) -> str:
        live = observed.live
        if not isinstance(live, MembershipLive):
            raise BadRequestError(PROVIDER, "not a membership-mode schedule; plan again")
        raw = dict(observed.raw or {})
        schedule_id, group_id = live.schedule_id, int(raw["GroupID"])
        if not live.roster_owned:
            if live.member_ids:
                raise BadRequestError(PROVIDER, review_problems(desired, observed)[0])
            self.client.create_metadata(schedule_id, ROSTER_KEY, str(group_id))  # claim the empty group
        paths, wanted = self.parent_changes(change, desired, observed)
        if not live.roster_owned and raw.get("Disabled") is True and not _wants_disabled(desired):
            wanted["Disabled"] = False  # a claimed former anchor opens to its members
        body = differing(wanted, raw)
        self._patch(schedule_id, body, self._metadata(schedule_id, desired.metadata,
                                                      live.metadata.get(schedule_id, {})))
        self.batch.join()  # the group schedule first
        removed = {e for e in change.candidates.remove if e in live.member_ids}
        for email in sorted(removed):  # an exception schedule is that participant's own: switch it off too
            child = live.children.get(email)
            if child is not None and child.get("Disabled") is not True:
                self._patch(int(child["ID"]), {"Disabled": True})
        self.batch.join()
        if removed:
            self.qmwise.remove_members(group_id, [live.member_ids[e] for e in sorted(removed)])
        kept = {e: i for e, i in live.member_ids.items() if e not in removed}
        members = self._add(group_id, list(change.candidates.add), kept)
        enabled = [c for c in live.enabled_children if mapping.email_of(c.get("Participant")) not in removed]
        self._exceptions(desired, {**raw, **body}, live.children, paths, members=members, wanted=wanted,
                         enabled=enabled)
        return self.finish(observed.ref)


def _wants_disabled(desired: Schedule) -> bool:
    return bool(desired.questionmark and desired.questionmark.disabled)
