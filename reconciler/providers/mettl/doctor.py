"""Doctor's Mettl checks: credentials, clock, and the response shapes the provider relies on (M-01…M-14).

Reads only, through the provider's own client (made GET-only): the account, per desired assessment one listing
page and, when it holds two schedules or more, the page at offset 1 (M-01), up to three schedule reads
(desired ones first) plus the first one twice more (M-14), and the candidate-status pages of one schedule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ...checks.common import clock_result, has_key, in_order, json_of
from ...checks.probe import Probe, read_only
from ...checks.report import REPORT_ADVICE, Check, Result, skip_all
from ...errors import AuthenticationError, NotFoundError, Position, ProviderError
from ...models import Schedule, ScheduleKey
from ..base import Provider
from .client import PAGE_LIMIT, MettlClient
from .doctor_rows import VALUES_SHOWN, status_checks
from .provider import MettlProvider
from .status import shown

PROVIDER = "mettl"
SKEW_LIMIT = 3600.0
"""Mettl accepts a `ts` within 24 h of its clock, but plan judges live windows (the safety rule) by this
machine's clock: past an hour off, the clock is broken (wrong zone, dead NTP), not drifting, and a window
starting or ending within that hour would be misjudged. Ordinary drift never comes near an hour."""
SCHEDULES_TO_READ = 3
WRITE_ONLY = "testNotificationBasicAuthHeader"
PROBE_ACCESS_KEY = "reconciler-doctor-no-such-schedule"
WINDOW_KEYS = ("startsOnDate", "startsOnTime", "endsOnDate", "endsOnTime")
KEYS_FIX = "check METTL_PUBLIC_KEY/METTL_PRIVATE_KEY"
MANUAL = (
    Check(PROVIDER, "mettl edit is a delta", "M-02").manual(
        "on a test schedule, change one setting in the YAML, apply, and check in Mettl that the others stayed"),
    Check(PROVIDER, "mettl create candidate list", "M-03").manual(
        "apply a new ByInvitation schedule with one candidate to a test assessment; the candidate appears in Mettl"),
    Check(PROVIDER, "mettl create answer", "M-04").manual(
        "the same apply prints ✓ and a second plan shows no changes (the access key was read from the answer)"),
    Check(PROVIDER, "mettl kept values", "M-11").manual(
        "edit a test schedule to an unusual value (e.g. browsing tolerance 99) with apply; the edit's answer and "
        "a later read agree"),
    Check(PROVIDER, "mettl closing window", "M-12").manual(
        "on a test schedule in a test assessment (one SlotWise, one ExactTime), retire it with `prune: true` and "
        "apply; Mettl answers SUCCESS with the closed window, and the test link refuses to start"),
    Check(PROVIDER, "mettl form body", "M-15").manual(
        "apply one edit to a test schedule (e.g. add a test candidate): ✓ means Mettl read `ak`/`ts`/`asgn`/`sc` "
        "from the form body; an E401/E400 naming a missing parameter means it reads only the query string: "
        "report it"),
    Check(PROVIDER, "mettl form charset", "M-16").manual(
        "add a candidate whose name has a letter outside ASCII (e.g. Zoë) to a test schedule and apply: ✓ and the "
        "name reads back as typed; E401 (signature mismatch) means the charset of the form body was ignored"),
)
OWNERSHIP = Check(PROVIDER, "mettl sourceApp ownership", "M-13")
OWNERSHIP_NOTE = ("no other application of the account may send this project's `source_app`; compare the "
                  "sourceApp values seen on each desired assessment with the tools you know")


def schedule_problems(schedule: Mapping[str, Any]) -> list[str]:
    """What differs from the documented read shape (M-05): access type, inline candidates, window keys."""
    problems: list[str] = []
    access = schedule.get("access")
    if not isinstance(access, dict) or not isinstance(access.get("type"), str):
        return ["no `access.type`"]
    candidates = access.get("candidates")
    if access["type"] == "ByInvitation" and not isinstance(candidates, list):
        problems.append("a ByInvitation schedule without an `access.candidates` list")
    rows = [c for c in candidates if isinstance(c, dict)] if isinstance(candidates, list) else []
    missing = sum(1 for c in rows if "submissionDate" not in c or "email" not in c)
    if missing:
        problems.append(f"{missing} of {len(rows)} inline candidate(s) without `email`/`submissionDate`")
    if schedule.get("scheduleType") == "Fixed":
        window = schedule.get("scheduleWindow")
        window = window if isinstance(window, dict) else {}
        absent = [k for k in WINDOW_KEYS if k not in window]
        if not ("timeZone" in window or "locationTimeZone" in window):
            absent.append("timeZone|locationTimeZone")
        if absent:
            problems.append(f"a Fixed schedule whose `scheduleWindow` lacks {', '.join(absent)}")
    return problems


class MettlDoctor:
    """Runs the Mettl checks in order; later checks are skipped when the credentials fail."""

    def __init__(self, client: MettlClient, probe: Probe, desired: Sequence[Schedule],
                 positions: Mapping[ScheduleKey, Position]) -> None:
        self.client = client
        self.probe = probe
        self.desired = [s for s in desired if s.provider == PROVIDER]
        self.positions = positions
        self.stable = Check(PROVIDER, "mettl stable reads", "M-14").skipped("no schedule was read")

    def run(self) -> list[Result]:
        first = self.credentials()
        clock = clock_result(_LATER[0], self.probe, "account", SKEW_LIMIT, "synchronise this machine's clock (NTP)")
        if first.status == "fail":  # the refusal still carries the server's Date: a wrong clock shows as such
            return [first, clock, *skip_all(_LATER[1:]), *MANUAL, OWNERSHIP.manual(OWNERSHIP_NOTE)]
        results = [first, clock]
        summaries: list[dict[str, Any]] = []
        owners: dict[str, list[dict[str, Any]]] = {}
        for assessment_id in in_order(s.assessment_id for s in self.desired):
            result, found = self.listing(assessment_id)
            results.append(result)
            summaries += found
            owners[assessment_id] = found
        results += self.schedule_reads(summaries)
        results += [self.stable, self.write_only(), self.error_envelope(), *MANUAL, self.ownership(owners)]
        return results

    def ownership(self, listings: Mapping[str, Sequence[Mapping[str, Any]]]) -> Result:
        """M-13 (manual): the sourceApp values each desired assessment's listing shows, so a person can spot
        another tool sending this project's value."""
        parts = []
        for assessment_id, items in listings.items():
            values = Counter(str(i["sourceApp"]) if "sourceApp" in i else "(not in the listing)" for i in items)
            seen = ", ".join(f"{shown(v)} ×{n}" for v, n in sorted(values.items())[:VALUES_SHOWN]) or "no schedule"
            parts.append(f"{assessment_id}: {seen}")
        return OWNERSHIP.manual(f"{OWNERSHIP_NOTE} (first listing page) — {'; '.join(parts) or 'none listed'}")

    def credentials(self) -> Result:
        check = Check(PROVIDER, "mettl credentials")
        try:
            with self.probe.kind("account"):
                self.client.account()
        except AuthenticationError as exc:
            clock = exc.code in ("E422", "E504")
            return check.failed(str(exc), f"check this machine's clock (a signature is valid 24 h), then {KEYS_FIX}"
                                if clock else KEYS_FIX)
        except ProviderError as exc:
            return check.failed(str(exc), f"check providers.mettl.base_url ({self.client.base_url}) and the network")
        return check.passed(f"GET /{self.client.version}/account answered SUCCESS")

    def listing(self, assessment_id: str) -> tuple[Result, list[dict[str, Any]]]:
        """M-01: the first page has a `schedules` list beside `paging.next`."""
        check = Check(PROVIDER, f"mettl schedule listing {assessment_id}", "M-01")
        try:
            with self.probe.kind("schedule-listing"):
                body = self.client.call("GET", f"/assessments/{quote(assessment_id, safe='')}/schedules",
                                        {"limit": str(PAGE_LIMIT), "offset": "0"})
        except NotFoundError as exc:
            return check.failed(str(exc), f"check assessment_id {assessment_id} at {self._where(assessment_id)}"), []
        except ProviderError as exc:
            return check.failed(str(exc)), []
        items, paging = body.get("schedules"), body.get("paging")
        problems = [] if isinstance(items, list) else ["no `schedules` list"]
        if not (isinstance(paging, dict) and "next" in paging):
            problems.append("no `paging.next`")
        if problems:
            return check.failed(" and ".join(problems) + " in the first page"), []
        assert isinstance(items, list)
        found = [i for i in items if isinstance(i, dict) and i.get("accessKey")]
        try:
            advance = self.second_page(assessment_id, found)
        except ProviderError as exc:
            return check.failed(f"the page at offset 1: {exc}"), found
        if advance.startswith("✗"):
            return check.failed(advance[2:], "the tool pages this listing by `limit`/`offset` (M-17); "
                                f"{REPORT_ADVICE}"), found
        return check.passed(f"{len(items)} schedule(s) under `schedules`, with `paging.next`; {advance}"), found

    def second_page(self, assessment_id: str, first: Sequence[Mapping[str, Any]]) -> str:
        """M-01/M-17: the page at `offset` 1 starts with the first page's second schedule (the offset advances).
        `limit` 1 is asked too: a server that ignores it is harmless (the client moves by the items received).
        A note, starting with "✗ " when the offset did not advance."""
        if len(first) < 2:
            return "a second page needs two schedules in the assessment: not checked"
        with self.probe.kind("schedule-listing"):
            body = self.client.call("GET", f"/assessments/{quote(assessment_id, safe='')}/schedules",
                                    {"limit": "1", "offset": "1"})
        items = body.get("schedules")
        if not isinstance(items, list) or not items or not isinstance(items[0], dict):
            return "✗ the page at offset 1 (limit 1) lists no schedule, though the first page lists two or more"
        if items[0].get("accessKey") != first[1].get("accessKey"):
            return "✗ the page at offset 1 (limit 1) does not start with the first page's second schedule: " \
                   "`offset` does not advance (a listing would repeat or skip schedules)"
        limit = "`limit` honoured" if len(items) == 1 else f"`limit` ignored ({len(items)} items; harmless)"
        return f"the page at offset 1 advances, {limit}"

    def schedule_reads(self, summaries: list[dict[str, Any]]) -> list[Result]:
        """M-05 on the first schedule read; M-06 and M-10 on the first one read that has candidates."""
        shape = Check(PROVIDER, "mettl schedule read", "M-05")
        status = Check(PROVIDER, "mettl candidate status rows", "M-06")
        coverage = Check(PROVIDER, "mettl status rows per candidate", "M-10")
        wanted = {s.name for s in self.desired}
        ordered = sorted(summaries, key=lambda s: s.get("name") not in wanted)[:SCHEDULES_TO_READ]
        if not ordered:
            none = "no live schedule in the desired assessments to read"
            return [shape.skipped(none), status.skipped(none), coverage.skipped(none)]
        first: Result | None = None
        for summary in ordered:
            key = str(summary["accessKey"])
            try:
                with self.probe.kind("schedule"):
                    schedule = self.client.schedule(key)
            except ProviderError as exc:
                return [first or shape.failed(str(exc)), status.skipped(f"reading schedule {key} failed"),
                        coverage.skipped(f"reading schedule {key} failed")]
            if first is None:
                problems = schedule_problems(schedule)
                first = (shape.failed("; ".join(problems)) if problems else
                         shape.passed("`access.type`, inline candidates with `submissionDate`, window keys"))
                self.stable = self.stable_reads(key)
            candidates = (schedule.get("access") or {}).get("candidates")
            if isinstance(candidates, list) and candidates:
                inline = [c for c in candidates if isinstance(c, dict)]
                return [first, *status_checks(self.client, self.probe, key, inline)]
        assert first is not None
        none = f"none of the {len(ordered)} schedule(s) read has candidates"
        return [first, status.skipped(none), coverage.skipped(none)]

    def stable_reads(self, access_key: str) -> Result:
        """M-14: the same schedule read twice, nothing changed between, answers the same bytes (the fingerprint
        of a saved plan is the hash of those bytes)."""
        check = Check(PROVIDER, "mettl stable reads", "M-14")
        try:
            with self.probe.kind("schedule"):
                _, first = self.client.schedule_answer(access_key)
                _, second = self.client.schedule_answer(access_key)
        except ProviderError as exc:
            return check.failed(str(exc))
        if first != second:
            return check.failed(f"two reads of schedule {access_key} answered different bytes",
                                "every saved plan would read as stale (apply --plan refuses it: it fails safe); "
                                "report it so the fingerprint can be revised")
        return check.passed(f"two reads of one schedule answered the same {len(first)} bytes")

    def write_only(self) -> Result:
        """M-07: no answer read carries the webhook auth header."""
        check = Check(PROVIDER, "mettl write-only header", "M-07")
        bodies = [json_of(a) for a in self.probe.answers if a.kind in ("schedule-listing", "schedule")]
        if not bodies:
            return check.skipped("no schedule was read")
        if any(has_key(b, WRITE_ONLY) for b in bodies):
            return check.failed(f"a read returned `{WRITE_ONLY}` (its value is never shown)",
                                "the tool treats it as write-only and never compares it; report it so the "
                                "assumption can be revised (samples are redacted)")
        return check.passed(f"`{WRITE_ONLY}` absent from {len(bodies)} answer(s)")

    def error_envelope(self) -> Result:
        """M-08: an error is `{"status": "ERROR", "error": {"code", …}}`, whatever the HTTP status."""
        check = Check(PROVIDER, "mettl error envelope", "M-08")
        try:
            with self.probe.kind("error"):
                self.client.call("GET", f"/schedules/{PROBE_ACCESS_KEY}")
        except ProviderError:
            pass
        else:
            return check.failed("reading a schedule that cannot exist answered SUCCESS")
        answer = self.probe.last
        body = json_of(answer)
        error = body.get("error") if isinstance(body, dict) else None
        status = answer.status if answer else "?"
        if isinstance(body, dict) and body.get("status") == "ERROR" and isinstance(error, dict) and error.get("code"):
            return check.passed(f"{error['code']} in the envelope (HTTP {status})")
        return check.failed(f"HTTP {status} without the `status`/`error.code` envelope")

    def _where(self, assessment_id: str) -> str:
        places = [str(p) for k, p in self.positions.items()
                  if k.provider == PROVIDER and k.assessment_id == assessment_id]
        return ", ".join(sorted(places)) or "the desired files"


_LATER = tuple(Check(PROVIDER, name, assumption) for name, assumption in (
    ("mettl clock skew", "M-09"), ("mettl schedule listing", "M-01"), ("mettl schedule read", "M-05"),
    ("mettl candidate status rows", "M-06"), ("mettl status rows per candidate", "M-10"),
    ("mettl stable reads", "M-14"), ("mettl write-only header", "M-07"),
    ("mettl error envelope", "M-08")))


def diagnose(provider: Provider, desired: Sequence[Schedule], positions: Mapping[ScheduleKey, Position], *,
             probe_access: bool = False) -> tuple[list[Result], Probe]:
    """Every Mettl check, through the provider's client made GET-only first (`probe_access`: Questionmark's)."""
    if not isinstance(provider, MettlProvider):
        raise TypeError(f"the Mettl doctor needs the Mettl provider, not {type(provider).__name__}")
    _, probe = read_only(provider.client, PROVIDER)
    return MettlDoctor(provider.client, probe, desired, positions).run(), probe
