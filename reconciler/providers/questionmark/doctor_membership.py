"""Doctor's checks for Questionmark membership mode (assumptions Q-14…Q-18): one read-only check that the two
documented membership navigations agree, and manual notes for what only a QMWISe write could show (doctor
sends nothing but GET, and QMWISe is POST-only)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...checks.probe import Probe
from ...checks.report import REPORT_ADVICE, Check, Result
from ...errors import ProviderError
from .client import QuestionmarkClient

PROVIDER = "questionmark"
NAVIGATIONS = Check(PROVIDER, "questionmark membership navigations", "Q-16")
GROUPS_TRIED = 5
MEMBERSHIP_MANUAL = (
    Check(PROVIDER, "questionmark QMWISe batch size", "Q-14").manual(
        "in a test area, AddGroupParticipantList with providers.questionmark.qmwise_batch participant IDs to a test "
        "group answers without a fault, and DeleteGroupParticipantList with the same list empties it again"),
    Check(PROVIDER, "questionmark QMWISe add again", "Q-15").manual(
        "AddGroupParticipantList of someone who is already a member (and DeleteGroupParticipantList of a "
        "non-member) answers without a fault and changes nothing"),
    Check(PROVIDER, "questionmark QMWISe fault changes nothing", "Q-17").manual(
        "AddGroupParticipantList to a group ID that does not exist answers a SOAP fault; no group gains a member"),
    Check(PROVIDER, "questionmark removed member keeps results", "Q-18").manual(
        "take a test participant with a finished attempt out of a group (DeleteGroupParticipantList): the attempt "
        "and its result stay, still reported under that group"),
)


def membership_navigations(client: QuestionmarkClient, probe: Probe, group_ids: Iterable[int]) -> Result:
    """Q-16: a member listed by `Groups(id)/Participants` lists that group in `Participants(id)?$expand=Groups`
    (the tool reads the roster through the first; QMWISe writes must show in both)."""
    tried = 0
    for group_id in list(dict.fromkeys(group_ids))[:GROUPS_TRIED]:
        tried += 1
        try:
            with probe.kind("group-participants"):
                members = client.get(f"Groups({group_id})/Participants").get("value")
            member = next((m for m in members or [] if isinstance(m, dict) and isinstance(m.get("ID"), int)), None)
            if member is None:
                continue
            with probe.kind("participant-groups"):
                participant: dict[str, Any] = client.get(f"Participants({member['ID']})", {"$expand": "Groups"})
        except ProviderError as exc:
            return NAVIGATIONS.failed(str(exc), "membership mode reads the roster through Groups(id)/Participants")
        groups = participant.get("Groups")
        listed = {g.get("ID") for g in groups if isinstance(g, dict)} if isinstance(groups, list) else set()
        if group_id not in listed:
            return NAVIGATIONS.failed(
                f"participant {member['ID']} is listed by `Groups({group_id})/Participants` but its `Groups` "
                f"expansion does not list group {group_id}", REPORT_ADVICE)
        return NAVIGATIONS.passed(f"`Groups({group_id})/Participants` and `Participants({member['ID']})?$expand="
                                  "Groups` agree")
    return NAVIGATIONS.skipped(f"none of the {tried} group(s) read has a member" if tried else "no group to read")
