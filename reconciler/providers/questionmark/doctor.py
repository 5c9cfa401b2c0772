"""Doctor's Questionmark checks: credentials, `$metadata`, the feeds and filters the provider reads (Q-01…Q-08).

Reads only, through the provider's own client (made GET-only). Calls: MonitoringTypes, `$metadata`, the
Schedules pages (up to SKIP_CHECK_PAGES, each by `odata.nextLink` and by `$skip`; the first and second twice
more), one impossible participant lookup, one attempts page, the service account's Administrator and its
groups, each group's SchedulableAssessments until every desired assessment is found, and one filter that must
fail.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

from ...checks.common import clock_result, in_order, json_of
from ...checks.edmx import entity_sets
from ...checks.probe import Probe, ReadOnlyHttp, read_only
from ...checks.report import DOCUMENTED, REPORT_ADVICE, Check, Result, skip_all
from ...errors import AuthenticationError, Position, ProviderError
from ...models import QuestionmarkProviderConfig, Schedule, ScheduleKey
from ..base import Provider
from . import doctor_identity
from .client import AUTH_HINT, EXPAND, QuestionmarkClient, quote_literal
from .doctor_membership import MEMBERSHIP_MANUAL, membership_navigations
from .mapping import SETTINGS
from .observe import fingerprint
from .provider import QuestionmarkProvider

PROVIDER = "questionmark"
IMPOSSIBLE_NAME = "reconciler-doctor's probe#"
"""`'` and `#` are illegal in participant login names: no participant can have this one."""
NO_SUCH_PROPERTY = "ReconcilerDoctorNoSuchProperty"
EXPANSIONS = tuple(EXPAND.split(","))
"""What the provider's listing of Schedules expands (assumption Q-01)."""
SCHEDULE_CORE = frozenset({"ID", "Name", "AssessmentID", "GroupID", "ParticipantID", "ParentScheduleID",
                           "ExternalID", "StartFrom", "StartTo", "Disabled", "MonitoringTypeID"})
REQUIRED: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Schedules": (SCHEDULE_CORE, frozenset(EXPANSIONS)),
    "ScheduleMetadata": (frozenset({"ID", "ScheduleID", "Key", "Value"}), frozenset()),
    "Participants": (frozenset({"ID", "Name", "FirstName", "LastName", "PrimaryEmail"}), frozenset()),
    "Groups": (frozenset({"ID", "Name"}), frozenset({"Participants", "SchedulableAssessments"})),
    "Attempts": (frozenset({"ID", "ScheduleID"}), frozenset()),
    "MonitoringTypes": (frozenset({"ID", "Name"}), frozenset()),
    "Administrators": (frozenset({"ID", "Name"}), frozenset({"Groups"})),
    "Assessments": (frozenset({"ID", "Name"}), frozenset()),
}
PERMISSION_RULE = "only owners of a group associated with an assessment may schedule it"
MANUAL = (
    Check(PROVIDER, "questionmark ExternalID round trip", "Q-03").manual(
        "in a test area, create and then PATCH a schedule with an ExternalID; read it back unchanged"),
    Check(PROVIDER, "questionmark disabled exception schedule", "Q-06").manual(
        "give a member of a group schedule a disabled exception schedule; logged in as them, the test must not start"),
    Check(PROVIDER, "questionmark schedule IDs grow", "Q-11").manual(
        "in a test area create two schedules one after the other and read them back: the second has the higher ID "
        "(the Schedules feed of a live tenant shows it too: IDs rise with `Created`)"),
)


def assessment_key(value: Any) -> str:
    """An Int64 assessment id as digits (the wire sends it as a string)."""
    text = str(value).strip().removesuffix("L")
    return str(int(text)) if text.isdigit() else text


def used_settings(schedules: Sequence[Schedule]) -> set[str]:
    """Schedule properties the desired schedules set (an older tenant may lack the others, harmlessly)."""
    wires: set[str] = set()
    for schedule in schedules:
        for setting in SETTINGS:
            value: Any = schedule.questionmark
            for part in setting.path.split("."):
                value = getattr(value, part, None)
            if value is not None:
                wires.add(setting.wire)
        if schedule.accommodations:
            wires |= {"ExtraTime", "MaxAttempts"}
    return wires


SKIP_CHECK_PAGES = 50
"""Q-12: pages compared by `$skip` and by `odata.nextLink`, and counted against `$count`, up to this many (5,000
schedules at 100 a page: two reads a page, a minute at most on a slow tenant)."""


class QuestionmarkDoctor:
    """Runs the Questionmark checks in order; later checks are skipped when the credentials fail."""

    def __init__(self, client: QuestionmarkClient, http: ReadOnlyHttp, probe: Probe, desired: Sequence[Schedule],
                 positions: Mapping[ScheduleKey, Position], *, config: QuestionmarkProviderConfig | None = None,
                 probe_access: bool = False) -> None:
        self.client = client
        self.config = config or QuestionmarkProviderConfig()
        self.probe_access = probe_access
        self.http = http
        self.probe = probe
        self.desired = [s for s in desired if s.provider == PROVIDER]
        self.positions = positions
        self.types: list[dict[str, Any]] = []
        self.schedule_ids: list[int] = []
        self.second_link = ""  # the first page's `odata.nextLink` (Q-13 reads that page twice)
        self.group_ids: list[int] = []

    def run(self) -> list[Result]:
        first = self.credentials()
        clock = clock_result(_LATER[0], self.probe, "monitoring-types", None)
        access = [doctor_identity.PROBE_NOTE]
        if first.status == "fail":
            return [first, clock, *skip_all(_LATER[1:]), *skip_all(doctor_identity.LATER), *MANUAL, *access,
                    *doctor_identity.MANUAL, *MEMBERSHIP_MANUAL]
        if self.probe_access:
            access = doctor_identity.probe_access(self.client, self.probe)
        identity = doctor_identity.participant_feed(self.client, self.probe, self.config)
        return [first, clock, self.metadata(), *self.schedules(), self.metadata_feed(), self.participant_lookup(),
                self.attempts(), *self.permissions(), self.monitoring_types(), self.error_envelope(),
                membership_navigations(self.client, self.probe, self.group_ids), *identity,
                *access, *MANUAL, *doctor_identity.MANUAL, *MEMBERSHIP_MANUAL]

    def credentials(self) -> Result:
        check = Check(PROVIDER, "questionmark credentials")
        try:
            with self.probe.kind("monitoring-types"):
                self.types = list(self.client.feed("MonitoringTypes"))
        except AuthenticationError as exc:
            rights = "" if exc.status == 401 else " (the account needs the Admin role or Access Server Configuration)"
            return check.failed(str(exc), AUTH_HINT + rights)
        except ProviderError as exc:
            return check.failed(str(exc), f"check providers.questionmark.base_url ({self.client.base_url}): the "
                                          "service root is …/deliveryodata/<customer ID>/")
        return check.passed("GET MonitoringTypes answered for the service account")

    def metadata(self) -> Result:
        """`$metadata` declares every entity set, property and navigation property the tool uses."""
        check = Check(PROVIDER, "questionmark $metadata")
        try:
            with self.probe.kind("metadata"):
                document = self.http.get_document(self.client.url("$metadata"), "application/xml").content
            sets = entity_sets(document)
        except ProviderError as exc:
            return check.failed(str(exc))
        except ValueError as exc:
            return check.failed(f"not an OData EDMX document: {exc}")
        needed = dict(REQUIRED)
        core, navigations = needed["Schedules"]
        needed["Schedules"] = (core | used_settings(self.desired), navigations)
        missing: list[str] = []
        for name, (properties, navs) in needed.items():
            found = sets.get(name)
            if found is None:
                missing.append(name)
                continue
            missing += [f"{name}.{p}" for p in sorted(properties - found.properties)]
            missing += [f"{name}.{n} (navigation)" for n in sorted(navs - found.navigations)]
        if missing:
            return check.failed(f"does not declare {', '.join(missing)}",
                                f"the tool reads or writes these; ask Questionmark which release the tenant runs, "
                                f"and {REPORT_ADVICE}")
        deleted = sets["Schedules"].properties >= {"IsDeleted"}
        note = "declared (Q-08: soft-deleted schedules are skipped)" if deleted else "absent (Q-08 does not apply)"
        return check.passed(f"the {len(needed)} entity sets and the properties used are declared; "
                            f"Schedule.IsDeleted {note}")

    def schedules(self) -> list[Result]:
        """Q-01: the listing with the provider's `$expand`; Q-04: paging of it and of a group's `Participants`
        navigation feed."""
        expand = Check(PROVIDER, "questionmark schedules $expand", "Q-01")
        paging = Check(PROVIDER, "questionmark paging", "Q-04")
        skip = Check(PROVIDER, "questionmark $skip pages", "Q-12")
        try:
            with self.probe.kind("schedules"):
                body = self.client.get("Schedules", {"$expand": ",".join(EXPANSIONS)})
        except ProviderError as exc:
            return [expand.failed(str(exc)), paging.skipped("the Schedules feed could not be read"),
                    skip.skipped("the Schedules feed could not be read")]
        values = body.get("value")
        if not isinstance(values, list):
            return [expand.failed("no `value` list in the answer"), paging.skipped("no page to follow"),
                    skip.skipped("no page to compare")]
        entities = [v for v in values if isinstance(v, dict)]
        self.schedule_ids = [v["ID"] for v in entities if isinstance(v.get("ID"), int)]
        self.group_ids = [v["GroupID"] for v in entities if isinstance(v.get("GroupID"), int)]
        expanded = [v for v in entities if isinstance(v.get("ScheduleMetadata"), list)
                    and all(nav in v for nav in EXPANSIONS)]
        bad = len(values) - len(expanded)
        names = ", ".join(f"`{nav}`" for nav in EXPANSIONS)
        if bad:
            first = expand.failed(f"{bad} of {len(values)} schedule(s) without the expanded {names}")
        else:
            first = expand.passed(f"{len(values)} schedule(s) on the first page, each with {names}")
        group_id = next((v["GroupID"] for v in entities if isinstance(v.get("GroupID"), int)), None)
        return [first, self.paging(paging, body, group_id), self.skip_pages(skip, body), self.stable_reads(entities)]

    def stable_reads(self, entities: Sequence[Mapping[str, Any]]) -> Result:
        """Q-13: the first page read again, nothing changed between, gives every schedule the same fingerprint
        (no property changes from read to read: a saved plan's fingerprint hashes every property read); so does
        the second page, read twice in a row by its `odata.nextLink`, when there is one."""
        check = Check(PROVIDER, "questionmark stable reads", "Q-13")
        if not entities:
            return check.skipped("no schedule on the first page")
        try:
            with self.probe.kind("schedules"):
                again, _ = self.client.page("Schedules", {"$expand": ",".join(EXPANSIONS)})
            pairs: list[tuple[Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]]] = [(entities, again)]
            if self.second_link:
                with self.probe.kind("next-page"):
                    pairs.append((self.client.page(self.second_link)[0], self.client.page(self.second_link)[0]))
        except ProviderError as exc:
            return check.failed(str(exc))
        moved: list[str] = []
        compared = 0
        for before_page, after_page in pairs:
            before = {v.get("ID"): fingerprint(v, (), ()) for v in before_page if isinstance(v, dict)}
            after = {v.get("ID"): fingerprint(v, (), ()) for v in after_page if isinstance(v, dict)}
            compared += len(before.keys() & after.keys())
            moved += sorted(str(i) for i in before.keys() & after.keys() if before[i] != after[i])
        if moved:
            return check.failed(f"{len(moved)} schedule(s) read twice came back in another form (IDs "
                                f"{', '.join(moved[:5])})", "every saved plan would read as stale (apply --plan "
                                "refuses it: it fails safe); report it so the fingerprint can be revised")
        pages = "the first and second pages" if len(pairs) > 1 else "the first page"
        return check.passed(f"{compared} schedule(s) of {pages} read twice, the same each time")

    def skip_pages(self, check: Check, first: Mapping[str, Any]) -> Result:
        """Q-12: every page read by `$skip` holds the schedules the same page read by `odata.nextLink` holds,
        and `Schedules/$count` is the number listed (up to SKIP_CHECK_PAGES pages)."""
        values = [v for v in first.get("value") or () if isinstance(v, dict)]
        link = first.get("odata.nextLink")
        expand = {"$expand": ",".join(EXPANSIONS)}
        try:
            with self.probe.kind("schedules-count"):
                total = self.client.count("Schedules")
            if not link:
                if total != len(values):
                    return check.failed(f"`Schedules/$count` says {total}, the only page lists {len(values)}")
                return check.passed(f"one page: `Schedules/$count` agrees ({total})")
            self.second_link = str(link)
            listed, number = len(values), 1
            while link and number < SKIP_CHECK_PAGES:
                number += 1
                with self.probe.kind("next-page"):
                    by_link, link = self.client.page(str(link))
                    by_skip, _ = self.client.page("Schedules", {**expand, "$skip": str((number - 1) * len(values))})
                if [v.get("ID") for v in by_link] != [v.get("ID") for v in by_skip]:
                    return check.failed(f"page {number} by `$skip` and by `odata.nextLink` list different schedules",
                                        "the plan reads the pages by `$skip` and falls back to the links when they "
                                        "do not add up; report it if this tenant never pages by `$skip`")
                listed += len(by_link)
        except (ProviderError, ValueError) as exc:
            return check.failed(str(exc))
        if link:
            return check.passed(f"pages 2–{number} by `$skip` = by `odata.nextLink`; `Schedules/$count` = {total} "
                                f"(not compared: more than {SKIP_CHECK_PAGES} pages)")
        if listed != total:
            return check.failed(f"`Schedules/$count` says {total}, the {number} page(s) list {listed}")
        return check.passed(f"pages 2–{number} by `$skip` = by `odata.nextLink`; `Schedules/$count` = {listed} "
                            "listed")

    def paging(self, check: Check, schedules: Mapping[str, Any], group_id: int | None) -> Result:
        """Each feed's `odata.nextLink`, when there is one, stays on the service root and answers a page."""
        feeds: list[tuple[str, Mapping[str, Any]]] = [("Schedules", schedules)]
        try:
            if group_id is not None:
                with self.probe.kind("group-participants"):
                    feeds.append((f"Groups({group_id})/Participants",
                                  self.client.get(f"Groups({group_id})/Participants")))
            notes = [self._follow(name, page) for name, page in feeds]
        except (ProviderError, ValueError) as exc:
            return check.failed(str(exc))
        return check.passed("; ".join(notes))

    def _follow(self, name: str, page: Mapping[str, Any]) -> str:
        """What the feed's first page says about paging; raises ValueError when it breaks the rules."""
        if not isinstance(page.get("value"), list):
            raise ValueError(f"{name}: no `value` list")
        link = page.get("odata.nextLink")
        if not link:
            return f"{name}: {len(page['value'])} on one page"
        root, target = urlsplit(self.client.base_url), urlsplit(urljoin(self.client.base_url, str(link)))
        if (target.scheme, target.netloc) != (root.scheme, root.netloc) or not target.path.startswith(root.path):
            raise ValueError(f"{name}: `odata.nextLink` leaves the service root (to {target.scheme}://{target.netloc})")
        with self.probe.kind("next-page"):
            following = self.client.get(str(link))
        if not isinstance(following.get("value"), list):
            raise ValueError(f"{name}: the page behind `odata.nextLink` has no `value` list")
        return f"{name}: `odata.nextLink` stays on the service root and answers a page"

    def metadata_feed(self) -> Result:
        """Q-09: a schedule's `ScheduleMetadata` navigation feed (read when an expansion may have been cut)."""
        check = Check(PROVIDER, "questionmark schedule metadata feed", "Q-09")
        if not self.schedule_ids:
            return check.skipped("no schedule to read")
        path = f"Schedules({self.schedule_ids[0]})/ScheduleMetadata"
        try:
            with self.probe.kind("schedule-metadata"):
                body = self.client.get(path)
        except ProviderError as exc:
            return check.failed(str(exc), "the tool reads it when a schedule has 100 or more metadata items")
        if not isinstance(body.get("value"), list):
            return check.failed("no `value` list in the answer")
        return check.passed(f"`{path}` answered a `value` list")

    def participant_lookup(self) -> Result:
        """The lookup the tool makes before creating a participant: both login spellings in one `or` filter (Q-10)."""
        check = Check(PROVIDER, "questionmark participant lookup", "Q-10")
        try:
            with self.probe.kind("participants"):
                values = self.client.participants_named(IMPOSSIBLE_NAME, IMPOSSIBLE_NAME + "~2")
        except ProviderError as exc:
            return check.failed(str(exc), "the tool finds participants by login name this way before creating one")
        if values:
            return check.failed(f"the filter was ignored: {len(values)} participant(s) for names none can have",
                                REPORT_ADVICE)
        return check.passed("`Participants?$filter=Name eq '…' or Name eq '…'` answered an empty `value` list")

    def attempts(self) -> Result:
        check = Check(PROVIDER, "questionmark attempts feed")
        schedule_id = self.schedule_ids[0] if self.schedule_ids else 0
        try:
            with self.probe.kind("attempts"):
                body = self.client.get("Attempts", {"$filter": f"ScheduleID eq {schedule_id}"})
        except ProviderError as exc:
            return check.failed(str(exc), "the tool reads attempts to protect candidates who started")
        values = body.get("value")
        if not isinstance(values, list):
            return check.failed("no `value` list in the answer")
        if any(isinstance(v, dict) and v.get("ScheduleID") != schedule_id for v in values):
            return check.failed("the filter was ignored: attempts of other schedules came back", REPORT_ADVICE)
        return check.passed(f"`Attempts?$filter=ScheduleID eq {schedule_id}` answered {len(values)} attempt(s)")

    def permissions(self) -> list[Result]:
        """Q-07: the service account is an Administrator; then, per desired assessment, one of its groups may
        schedule it (`Groups(id)/SchedulableAssessments`)."""
        account = Check(PROVIDER, "questionmark service account", "Q-07")
        wanted = in_order(assessment_key(s.assessment_id) for s in self.desired)
        checks = {a: Check(PROVIDER, f"questionmark scheduling permission {a}") for a in wanted}
        user = self.http.user or ""
        try:
            with self.probe.kind("administrators"):
                admins = list(self.client.feed("Administrators", {"$filter": f"Name eq {quote_literal(user)}"}))
            mine = [a for a in admins if str(a.get("Name", "")).casefold() == user.casefold()]
            if len(mine) != 1:
                found = "no Administrator" if not mine else f"{len(mine)} Administrators"
                return [account.failed(f"{found} named {user!r}", "the tool finds the groups the service account "
                                       "owns through the Administrator with its user name; check "
                                       "QUESTIONMARK_USERNAME is that login name"),
                        *(c.skipped("the service account was not found") for c in checks.values())]
            with self.probe.kind("administrator-groups"):
                groups = list(self.client.feed(f"Administrators({int(mine[0]['ID'])})/Groups"))
            schedulable = self._schedulable(groups, set(wanted))
        except (ProviderError, KeyError, TypeError, ValueError) as exc:
            return [account.failed(str(exc)), *(c.skipped("the account's groups could not be read")
                                                for c in checks.values())]
        results = [account.passed(f"Administrator {user!r} owns {len(groups)} group(s)")]
        for assessment_id, check in checks.items():
            group = schedulable.get(assessment_id)
            results.append(check.passed(f"group {group!r}, owned by the service account, may schedule it") if group
                           else check.failed(f"assessment {assessment_id}: no group the service account owns is "
                                             f"associated with it; {PERMISSION_RULE}",
                                             "in Questionmark, associate the assessment with a group the service "
                                             "account owns, or make the account an owner of such a group"))
        return results

    def _schedulable(self, groups: list[dict[str, Any]], wanted: set[str]) -> dict[str, str]:
        """Assessment id → the first owned group that may schedule it; stops once every wanted one is found."""
        found: dict[str, str] = {}
        for group in groups:
            if wanted <= found.keys():
                break
            with self.probe.kind("schedulable-assessments"):
                items = list(self.client.feed(f"Groups({int(group['ID'])})/SchedulableAssessments"))
            for item in items:
                found.setdefault(assessment_key(item.get("ID")), str(group.get("Name")))
        return found

    def monitoring_types(self) -> Result:
        """Q-20: the monitoring types the desired schedules name (or the default name) exist and are enabled."""
        return doctor_identity.monitoring_types(self.types, self.desired, self.config)

    def error_envelope(self) -> Result:
        """Q-05: a refused request answers 4xx with `{"odata.error": {"code", "message": {"value"}}}`."""
        check = Check(PROVIDER, "questionmark error envelope", "Q-05")
        try:
            with self.probe.kind("error"):
                self.client.get("MonitoringTypes", {"$filter": f"{NO_SUCH_PROPERTY} eq 1"})
        except ProviderError:
            pass
        else:
            return check.skipped("a filter on a property that does not exist was not refused: no error to inspect")
        answer = self.probe.last
        body = json_of(answer)
        error = body.get("odata.error") if isinstance(body, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        status = answer.status if answer else 0
        if 400 <= status < 600 and isinstance(message, dict) and isinstance(message.get("value"), str):
            return check.passed(f"HTTP {status} with `odata.error`")
        return check.failed(f"HTTP {status} without an `odata.error` body",
                            "errors will show only the HTTP status; report it so the error reading can be adapted")


_LATER = tuple(Check(PROVIDER, name, assumption) for name, assumption in (
    ("questionmark clock skew", DOCUMENTED), ("questionmark $metadata", DOCUMENTED),
    ("questionmark schedules $expand", "Q-01"), ("questionmark paging", "Q-04"),
    ("questionmark $skip pages", "Q-12"), ("questionmark stable reads", "Q-13"),
    ("questionmark schedule metadata feed", "Q-09"), ("questionmark participant lookup", "Q-10"),
    ("questionmark attempts feed", DOCUMENTED),
    ("questionmark service account", "Q-07"), ("questionmark scheduling permission", DOCUMENTED),
    ("questionmark monitoring types", "Q-20"),
    ("questionmark error envelope", "Q-05"), ("questionmark membership navigations", "Q-16")))


def diagnose(provider: Provider, desired: Sequence[Schedule], positions: Mapping[ScheduleKey, Position], *,
             probe_access: bool = False) -> tuple[list[Result], Probe]:
    """Every Questionmark check, through the provider's client made GET-only first (but for the read-only
    ActionableSchedules action of `probe_access`)."""
    if not isinstance(provider, QuestionmarkProvider):
        raise TypeError(f"the Questionmark doctor needs the Questionmark provider, not {type(provider).__name__}")
    http, probe = read_only(provider.client, PROVIDER)
    doctor = QuestionmarkDoctor(provider.client, http, probe, desired, positions, config=provider.config,
                                probe_access=probe_access)
    return doctor.run(), probe
