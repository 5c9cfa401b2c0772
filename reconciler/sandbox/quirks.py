"""Switches that make an emulator break one vendor assumption, so tests can prove `reconciler doctor` notices.

A quirk post-processes the emulator's answer (`SandboxServer.dispatch`) or skews the server's clock (its
`Date` header). Quirks are named, mostly by the assumption id of `docs/vendor-assumptions.md` they break,
and are set when a server is built (`SandboxServer(app, quirks=["M-06"])`) or through the control endpoint
(`POST /__sandbox/quirks {"enabled": ["M-06"]}`). None is on by default. The hostile-answer switches of
`hostile.py` (drip-feed, a huge body, a redirect, ...) are switched the same way.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from . import guess_quirks as guess
from .hostile import HOSTILE, Settings

if TYPE_CHECKING:
    from .wire import SandboxApp, SandboxRequest, SandboxResponse

Rewrite = Callable[["SandboxApp", "SandboxRequest", "SandboxResponse"], None]

TWO_DAYS = 2 * 24 * 3600.0
_METTL = r"/v[123]"
_QM = r"/deliveryodata/[^/]+"
FOREIGN_NEXT_LINK = "https://elsewhere.invalid/deliveryodata/0/Schedules?$skiptoken=100"


@dataclass(frozen=True)
class Quirk:
    """One way to break an assumption: which answers it touches (GET on `path`) and how."""

    name: str
    assumption: str
    description: str
    path: str = ""
    rewrite: Rewrite | None = None
    clock_offset: float = 0.0
    delivery: str = ""  # "drip" or "huge": how the server sends the answer (hostile.py)
    method: str = "GET"  # a read-only POST action (ActionableSchedules) is rewritten too

    def applies(self, request: SandboxRequest) -> bool:
        matches = re.fullmatch(self.path, request.path) is not None
        return (self.rewrite is not None or bool(self.delivery)) and request.method == self.method and matches


# ------------------------------------------------------------------------------------------------ rewrites


def _body(response: SandboxResponse) -> dict[str, Any]:
    return response.body if isinstance(response.body, dict) else {}


def _no_groups(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    body = _body(response)
    if "Groups" in body:
        body["Groups"] = []


def _drop_paging(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    _body(response).pop("paging", None)


def _drop_submission_dates(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    access = (_body(response).get("schedule") or {}).get("access") or {}
    for candidate in access.get("candidates") or ():
        candidate.pop("submissionDate", None)


def _drop_test_status(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    for row in _body(response).get("candidates") or ():
        row.pop("testStatus", None)


def _leak_write_only_header(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """Echo the stored webhook auth header into the read, as a vendor that does not hide it would."""
    schedule = _body(response).get("schedule")
    if not isinstance(schedule, dict):
        return
    stored = app.dump_state().get("schedules") or ()
    for item in stored:
        if item.get("accessKey") == schedule.get("accessKey"):
            schedule["testNotificationBasicAuthHeader"] = item.get("testNotificationBasicAuthHeader") or "Basic ***"


_READS = itertools.count()


def _unstable_order(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """Every other read of a schedule lists its properties in reverse order (same content, other bytes)."""
    body = _body(response)
    schedule = body.get("schedule")
    if isinstance(schedule, dict) and next(_READS) % 2:
        body["schedule"] = dict(reversed(schedule.items()))


def _volatile_entities(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """Every read of a Schedules page gives each entity a property that changes from read to read."""
    body = _body(response)
    values = body.get("value")
    if isinstance(values, list):
        read = next(_READS)
        body["value"] = [{**v, "LastReadSequence": read} if isinstance(v, dict) else v for v in values]


def _bare_errors(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """Errors as a bare HTTP status with an empty body (no Mettl envelope, no `odata.error`)."""
    body = _body(response)
    if body.get("status") == "ERROR" or "odata.error" in body:
        response.status = response.status if response.status >= 400 else 404
        response.body = None


def _refuse_expand(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    if "$expand" in request.query:
        response.status = 400
        response.body = {"odata.error": {"code": "", "message": {
            "lang": "en-US", "value": "Query option $expand is not allowed on this feed."}}}


def _foreign_next_link(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    if "value" in _body(response):
        _body(response)["odata.nextLink"] = FOREIGN_NEXT_LINK


def _empty_feed(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    if "value" in _body(response):
        _body(response).update(value=[])
        _body(response).pop("odata.nextLink", None)


def _refuse_bad_request(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    response.status = 400
    response.body = {"odata.error": {"code": "", "message": {"lang": "en-US", "value": "Bad Request"}}}


def _metadata_without_external_id(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    pattern = r'<Property\s+Name="ExternalID"[^>]*/>'
    if isinstance(response.body, str):
        response.body = re.sub(pattern, "", response.body)
    elif isinstance(response.body, bytes):
        response.body = re.sub(pattern.encode(), b"", response.body)


def _no_unmonitored(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """The tenant's types carry other names: none is called UNMONITORED (the default name, Q-20)."""
    for item in _body(response).get("value") or ():
        if isinstance(item, dict) and item.get("Name") == "UNMONITORED":
            item["Name"] = "NOT_MONITORED"


def _logins_not_emails(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """Every participant logs in with an employee number, not their email (Q-22)."""
    for item in _body(response).get("value") or ():
        if isinstance(item, dict) and isinstance(item.get("ID"), int):
            item["Name"] = f"E{item['ID']}"


def _no_primary_email(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
    """The Participants feed leaves PrimaryEmail out (Q-26: nobody can be found by email)."""
    for item in _body(response).get("value") or ():
        if isinstance(item, dict):
            item.pop("PrimaryEmail", None)


def _reading(reading: str) -> Rewrite:
    """ActionableSchedules answered under another reading of a participant schedule (assumption Q-02)."""
    def rewrite(app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> None:
        from .questionmark.actions import actionable
        from .questionmark.odata import as_utc
        world = getattr(app, "world", None)
        key = re.search(r"Participants\((\d+)\)", request.path)
        if response.status == 200 and world is not None and key is not None:
            _body(response)["value"] = actionable(world, int(key.group(1)), as_utc(world.now()), reading)  # type: ignore[arg-type]
    return rewrite


QUIRKS: dict[str, Quirk] = {q.name: q for q in (
    Quirk("M-01", "M-01", "schedule listings answer without `paging`",
          rf"{_METTL}(?:/assessments/[^/]+)?/schedules", _drop_paging),
    Quirk("M-05", "M-05", "a schedule read lists its candidates without `submissionDate`",
          rf"{_METTL}/schedules/[^/]+", _drop_submission_dates),
    Quirk("M-06", "M-06", "candidate status rows come without `testStatus`",
          rf"{_METTL}/schedules/[^/]+/candidates", _drop_test_status),
    Quirk("M-07", "M-07", "a schedule read returns the write-only `testNotificationBasicAuthHeader`",
          rf"{_METTL}/schedules/[^/]+", _leak_write_only_header),
    Quirk("M-08", "M-08", "errors are a bare HTTP status without the Mettl envelope",
          rf"{_METTL}/.*", _bare_errors),
    Quirk("M-14", "M-14", "two reads of one unchanged schedule list its properties in different orders",
          rf"{_METTL}/schedules/[^/]+", _unstable_order),
    Quirk("clock-skew", "M-09", "the server's `Date` header is two days ahead", clock_offset=TWO_DAYS),
    Quirk("Q-01", "Q-01", "`$expand` on Schedules is refused with 400", rf"{_QM}/Schedules", _refuse_expand),
    Quirk("Q-04", "Q-04", "`odata.nextLink` of Schedules and of `Groups(id)/Participants` points at another host",
          rf"{_QM}/(?:Schedules|Groups\(\d+\)/Participants)", _foreign_next_link),
    Quirk("Q-13", "Q-13", "every read of a Schedules page carries a property that changes from read to read",
          rf"{_QM}/Schedules", _volatile_entities),
    Quirk("Q-05", "Q-05", "errors are a bare HTTP status without `odata.error`", rf"{_QM}/.*", _bare_errors),
    Quirk("Q-07", "Q-07", "no Administrator has the service account's Name", rf"{_QM}/Administrators", _empty_feed),
    Quirk("qm-metadata", "documented", "`$metadata` does not declare Schedule.ExternalID",
          rf"{_QM}/\$metadata", _metadata_without_external_id),
    Quirk("qm-permission", "documented", "no group of the service account may schedule any assessment",
          rf"{_QM}/Groups\([^/]+\)/SchedulableAssessments", _empty_feed),
    Quirk("qm-monitoring-types", "Q-20", "the tenant has no MonitoringTypes",
          rf"{_QM}/MonitoringTypes", _empty_feed),
    Quirk("qm-participant-lookup", "Q-10", "`Participants?$filter=Name eq '…' or Name eq '…'` is refused with 400",
          rf"{_QM}/Participants", _refuse_bad_request),
    Quirk("Q-20", "Q-20", "no monitoring type is named UNMONITORED", rf"{_QM}/MonitoringTypes", _no_unmonitored),
    Quirk("Q-22", "Q-22", "participants log in with an employee number, not their email", rf"{_QM}/Participants",
          _logins_not_emails),
    Quirk("Q-26", "Q-26", "the Participants feed carries no PrimaryEmail", rf"{_QM}/Participants", _no_primary_email),
    Quirk("Q-02", "Q-02", "ActionableSchedules offers a participant schedule only while the participant is also a "
          "member of its group (the AND reading)", rf"{_QM}/Participants\(\d+\)/ActionableSchedules",
          _reading("and"), method="POST"),
    Quirk("Q-02-or", "Q-02", "ActionableSchedules offers a participant schedule to every member of its group too "
          "(the OR reading)", rf"{_QM}/Participants\(\d+\)/ActionableSchedules", _reading("or"), method="POST"),
    Quirk("qm-attempts", "documented", "`Attempts?$filter=ScheduleID eq N` is refused with 400",
          rf"{_QM}/Attempts", _refuse_bad_request),
    Quirk("M-01-offset", "M-01", "an assessment's schedule listing ignores `offset`: every page starts at the first",
          rf"{_METTL}/assessments/[^/]+/schedules", guess.offset_ignored),
    Quirk("M-06-vocabulary", "M-06", f"status rows report `{guess.UNKNOWN_STATUS}`, a value outside Mettl's table",
          rf"{_METTL}/schedules/[^/]+/candidates", guess.unknown_statuses),
    Quirk("M-10", "M-10", "status rows leave out the last candidate of each page",
          rf"{_METTL}/schedules/[^/]+/candidates", guess.row_left_out),
    Quirk("M-10-extra", "M-10", "status rows include one for an email that is not a candidate of the schedule",
          rf"{_METTL}/schedules/[^/]+/candidates", guess.stranger_row),
    Quirk("Q-12", "Q-12", "a Schedules page read by `$skip` from the third page on misses its first schedule",
          rf"{_QM}/Schedules", guess.skip_drifts),
    Quirk("Q-13-later-pages", "Q-13", "a Schedules page other than the first carries a property that "
          "changes from read to read", rf"{_QM}/Schedules", guess.unstable_later_pages),
    Quirk("Q-16", "Q-16", "`Participants(id)?$expand=Groups` lists no group (membership not shown there)",
          rf"{_QM}/Participants\(\d+\)", _no_groups),
)}

HOSTILE_QUIRKS: dict[str, Quirk] = {
    name: Quirk(name, assumption, description, path, rewrite, delivery=delivery)
    for name, (assumption, description, path, rewrite, delivery) in HOSTILE.items()
}
KNOWN: dict[str, Quirk] = {**QUIRKS, **HOSTILE_QUIRKS}


class Quirks:
    """The quirks switched on for one server, and the settings of the delivery quirks."""

    def __init__(self, names: Iterable[str] = (), settings: Mapping[str, float] | None = None) -> None:
        self.enabled: tuple[Quirk, ...] = ()
        self.settings = Settings()
        self.set(names, settings)

    def set(self, names: Iterable[str], settings: Mapping[str, float] | None = None) -> None:
        """Switch on exactly these quirks, and change the given settings (unknown names raise ValueError)."""
        wanted = list(dict.fromkeys(names))
        unknown = [n for n in wanted if n not in KNOWN]
        if unknown:
            raise ValueError(f"unknown quirk(s) {', '.join(unknown)}; known: {', '.join(KNOWN)}")
        known_settings = {f.name for f in fields(Settings)}
        wrong = sorted(set(settings or {}) - known_settings)
        if wrong:
            raise ValueError(f"unknown quirk setting(s) {', '.join(wrong)}; known: {', '.join(sorted(known_settings))}")
        for key, value in (settings or {}).items():
            setattr(self.settings, key, type(getattr(self.settings, key))(value))
        self.enabled = tuple(KNOWN[n] for n in wanted)

    @property
    def names(self) -> list[str]:
        return [q.name for q in self.enabled]

    @property
    def clock_offset(self) -> float:
        """Seconds the server's `Date` header is off its real clock."""
        return sum(q.clock_offset for q in self.enabled)

    def apply(self, app: SandboxApp, request: SandboxRequest, response: SandboxResponse) -> SandboxResponse:
        """The answer after every enabled quirk that applies to this request rewrote it."""
        for quirk in self.enabled:
            if not quirk.applies(request):
                continue
            if quirk.rewrite is not None:
                quirk.rewrite(app, request, response)
            if quirk.delivery == "drip":
                response.drip_interval = self.settings.drip_interval
            elif quirk.delivery == "huge":
                response.filler_bytes = self.settings.huge_bytes
        return response
