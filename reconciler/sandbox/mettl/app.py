"""A faithful emulator of the Mercer | Mettl REST API (v1/v2/v3) for the loopback sandbox server.

Every request is authenticated (ak, ts, asgn: see `auth`); answers use the vendor's envelope
`{"status": "SUCCESS", ...}` / `{"status": "ERROR", "error": {"code", "message"}}` with HTTP 200, except
E509 (429 + Retry-After) and E503 (503). Schedules are stored vendor-shaped, filled with the vendor's
defaults; `testNotificationBasicAuthHeader` is write-only. Serve it with `launch.start(MettlApp())`.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import unquote

from ..base import AnsweredFault, SandboxApp, SandboxRequest, SandboxResponse
from ..wire import record_internal_error
from .auth import verify
from .common import MettlError, bad_request, http_date
from .status import AccountQuirks, apply_limits, new_candidate, set_status, status_row
from .validate import ScheduleChange, parse_sc, validate_sc
from .views import CANDIDATE_PAGE_SIZE, filtered, find_candidate, page, schedule_view

SANDBOX_PUBLIC_KEY = "sandbox-public-key"
SANDBOX_PRIVATE_KEY = "sandbox-private-key"
ACCESS_URL_PREFIX = "https://tests.mettl.com/authenticateKey/"
STATE_FORMAT = 2  # 2: candidates carry testStatus; the account's quirks are kept

_VERSIONED = re.compile(r"/(v[123])(/.*)")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"

Handler = Callable[[SandboxRequest, "re.Match[str]"], dict[str, Any]]


def _listed(schedule: dict[str, Any]) -> dict[str, Any]:
    return schedule_view(schedule, candidates=False)


def _named(schedule: dict[str, Any]) -> tuple[int, str]:
    """A schedule's place in the name index: its assessment and its name."""
    return schedule["assessmentDetails"]["id"], schedule["name"]


def access_key_for(counter: int) -> str:
    """A deterministic, unique 10-character lowercase alphanumeric key for the n-th schedule."""
    # The multiplier is coprime with 36, so this is a bijection on 0 .. 36**10 - 1: keys never collide.
    value = (counter * 1_442_695_040_888_963_407 + 1_000_003) % 36**10
    chars = []
    for _ in range(10):
        value, digit = divmod(value, 36)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


class MettlApp(SandboxApp):
    """The Mettl API as one account: assessments, their schedules (test links) and candidates."""

    name = "mettl"

    def __init__(
        self,
        credentials: dict[str, str] | None = None,
        *,
        now: Callable[[], float] = time.time,
        max_candidates_per_request: int = 5000,
    ) -> None:
        self.credentials = dict(credentials) if credentials is not None else {
            SANDBOX_PUBLIC_KEY: SANDBOX_PRIVATE_KEY}
        self.now = now
        self.max_candidates_per_request = max_candidates_per_request
        self._lock = threading.RLock()
        self._account: dict[str, Any] = {"id": 1, "name": "Sandbox Account", "status": "ACTIVE"}
        self._assessments: dict[int, dict[str, Any]] = {}
        self._schedules: dict[str, dict[str, Any]] = {}
        self._names: dict[tuple[int, str], str] = {}  # (assessment id, name) → access key: names are unique
        self._counter = 0
        self.quirks = AccountQuirks()
        self._routes: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
            (re.compile(r"/account"), {"GET": self._get_account}),
            (re.compile(r"/assessments"), {"GET": self._list_assessments}),
            (re.compile(r"/assessments/([^/]+)/schedules"),
             {"GET": self._list_assessment_schedules, "POST": self._create_schedule}),
            (re.compile(r"/schedules"), {"GET": self._list_schedules}),
            (re.compile(r"/schedules/([^/]+)"), {"GET": self._get_schedule}),
            (re.compile(r"/schedules/([^/]+)/edit"), {"POST": self._edit_schedule}),
            (re.compile(r"/schedules/([^/]+)/candidates"), {"GET": self._list_candidates}),
            (re.compile(r"/schedules/([^/]+)/candidates/([^/]+)"), {"GET": self._get_candidate}),
        ]

    # ------------------------------------------------------------------------------------------ HTTP

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Route, authenticate and answer one request."""
        with self._lock:
            try:
                return SandboxResponse(200, self._dispatch(request))
            except MettlError as err:
                return err.response()
            except Exception as exc:  # an emulator bug: answer like the vendor's catch-all, and record it
                record_internal_error(self.name, request, exc)
                return MettlError("E000", f"unspecified error ({type(exc).__name__})").response()

    def fault_response(self, kind: AnsweredFault, retry_after: float) -> SandboxResponse:
        """An injected fault in the vendor's envelope: E503 (HTTP 503) or E509 (HTTP 429 with Retry-After)."""
        if kind == "rate_limit":
            return MettlError("E509", "Rate limit exceeded").response(retry_after)
        return MettlError("E503", "Service unavailable").response()

    def authenticate(self, method: str, url: str, params: Mapping[str, str]) -> str:
        """Verify ak/ts/asgn for a call of `method url`; return the public key or raise MettlError."""
        return verify(method, url, params, self.credentials, self.now())

    def _dispatch(self, request: SandboxRequest) -> dict[str, Any]:
        versioned = _VERSIONED.fullmatch(request.path)
        if versioned:
            for pattern, methods in self._routes:
                found = pattern.fullmatch(versioned[2])
                if not found:
                    continue
                handler = methods.get(request.method)
                if handler is None:
                    allowed = ", ".join(sorted(methods))
                    raise MettlError("E405", f"method {request.method} not allowed on {request.path}; "
                                             f"use {allowed}")
                self.authenticate(request.method, request.base_url + request.path, request.params)
                return handler(request, found)
        raise MettlError("E404", f"no such endpoint: {request.path}")

    def _get_account(self, request: SandboxRequest, match: re.Match[str]) -> dict[str, Any]:
        return {"status": "SUCCESS", "account": dict(self._account)}

    def _list_assessments(self, request: SandboxRequest, match: re.Match[str]) -> dict[str, Any]:
        sort = request.params.get("sort", "id")
        order = request.params.get("sort_order", "asc")
        if sort not in ("id", "name") or order not in ("asc", "desc"):
            raise bad_request("sort must be id or name, sort_order asc or desc")
        items = sorted(self._assessments.values(), key=lambda a: a[sort], reverse=order == "desc")
        return page(request, "assessments", [dict(a) for a in items])

    def _list_assessment_schedules(self, request: SandboxRequest, match: re.Match[str]) -> dict[str, Any]:
        assessment = self._assessment(match[1])
        items = [s for s in self._schedules.values() if s["assessmentDetails"]["id"] == assessment["id"]]
        return page(request, "schedules", filtered(request, items), view=_listed)

    def _list_schedules(self, request: SandboxRequest, match: re.Match[str]) -> dict[str, Any]:
        items = filtered(request, list(self._schedules.values()))
        return page(request, "schedules", items, view=_listed)

    def _get_schedule(self, request: SandboxRequest, match: re.Match[str]) -> dict[str, Any]:
        return {"status": "SUCCESS", "schedule": schedule_view(self._stored(match[1]))}

    def _list_candidates(self, request: SandboxRequest, match: re.Match[str]) -> dict[str, Any]:
        """Status rows (assumption M-06); v1/v2 page by offset only at a fixed size (assumption M-10)."""
        schedule = self._stored(match[1])
        rows = [row for c in schedule["access"]["candidates"] if (row := status_row(c, self.quirks))]
        fixed = None if request.path.startswith("/v3/") else CANDIDATE_PAGE_SIZE  # assumption M-10
        return page(request, "candidates", rows, fixed_size=fixed)

    def _get_candidate(self, request: SandboxRequest, match: re.Match[str]) -> dict[str, Any]:
        candidate = find_candidate(self._stored(match[1]), unquote(match[2]))
        row = status_row(candidate, self.quirks) if candidate else None
        if row is None:
            raise MettlError("E404", "candidate not found in this schedule")
        return {"status": "SUCCESS", "candidate": row}

    def _create_schedule(self, request: SandboxRequest, match: re.Match[str]) -> dict[str, Any]:
        assessment = self._assessment(match[1])
        key = self._create(assessment, parse_sc(request.params.get("sc")))
        # assumption M-04: the new schedule comes back under createdSchedule
        return {"status": "SUCCESS", "createdSchedule": schedule_view(self._schedules[key])}

    def _edit_schedule(self, request: SandboxRequest, match: re.Match[str]) -> dict[str, Any]:
        current = self._stored(match[1])
        change = validate_sc(parse_sc(request.params.get("sc")), creating=False,
                             max_candidates=self.max_candidates_per_request)
        updated = self._apply(current, change)
        self._put(updated)
        # assumption M-11: the answer carries the schedule as stored, so a value not kept shows there
        return {"status": "SUCCESS", "schedule": schedule_view(updated)}

    # ------------------------------------------------------------------------------------------ the world

    def _assessment(self, raw_id: str) -> dict[str, Any]:
        if raw_id.isascii() and raw_id.isdigit() and int(raw_id) in self._assessments:
            return self._assessments[int(raw_id)]
        raise MettlError("E404", f"assessment {raw_id} not found")

    def _stored(self, access_key: str) -> dict[str, Any]:
        if access_key not in self._schedules:
            raise MettlError("E404", f"schedule {access_key} not found")
        return self._schedules[access_key]

    def _create(self, assessment: dict[str, Any], sc: dict[str, Any]) -> str:
        change = validate_sc(sc, creating=True, max_candidates=self.max_candidates_per_request)
        key = access_key_for(self._counter + 1)
        created = http_date(self.now())
        blank: dict[str, Any] = {
            "id": 1_000_000 + self._counter + 1, "name": "", "accessKey": key,
            "accessUrl": ACCESS_URL_PREFIX + key, "status": "ACTIVE", "createdAt": created,
            "imageProctoring": False,
            "webProctoring": {"enabled": False, "count": 0, "showRemainingCounts": False},
            "scheduleType": "AlwaysOn",
            "access": {"type": "OpenForAll", "candidates": [], "sendEmail": False, "sendReminders": False,
                       "isCandidateCrfPrefilled": False},
            "ipAccessRestriction": {"enabled": False}, "isCandidateAuthProctored": False,
            "testGradeNotification": {"enabled": False, "recipients": []},
            "visualProctoring": {"options": {"candidateScreenCapture": False, "candidateAuthorization": False,
                                             "audioOptional": True, "isAudioProctoring": False},
                                 "mode": "OFF"},
            "allowTestResume": "UnSuperVised", "secureBrowser": {"enabled": False},
            "assessmentDetails": {k: assessment[k] for k in ("id", "duration", "name", "instructions",
                                                             "createdAt")},
            "protected": "NotEnabled",
        }
        schedule = self._apply(blank, change)
        self._counter += 1
        self._put(schedule)
        return key

    def _put(self, schedule: dict[str, Any]) -> None:
        """Store a created or edited schedule under its access key, and its name in the index."""
        key = schedule["accessKey"]
        old = self._schedules.get(key)
        if old is not None and self._names.get(_named(old)) == key:
            del self._names[_named(old)]
        self._schedules[key] = schedule
        self._names[_named(schedule)] = key

    def _apply(self, current: dict[str, Any], change: ScheduleChange) -> dict[str, Any]:
        """The schedule after a validated change; raises E400 and leaves `current` alone on conflict.

        assumption M-02: a property left out of `sc` keeps its value (a nested object sent is replaced whole).
        """
        new = copy.deepcopy(current)
        for key, value in change.fields.items():  # assumption M-02
            if key == "access":
                new["access"].update(value)
            elif value is None:
                new.pop(key, None)
            else:
                new[key] = copy.deepcopy(value)
        if new["scheduleType"] == "AlwaysOn":
            new.pop("scheduleWindow", None)
        elif "scheduleWindow" not in new:
            raise bad_request("scheduleType Fixed needs a scheduleWindow")
        candidates: list[dict[str, Any]] = new["access"]["candidates"]
        if change.remove:  # "accepts only emails id which are already added": as the schedule holds them
            held = {c["email"] for c in candidates}
            missing = [e for e in change.remove if e not in held]
            if missing:
                raise bad_request(f"cannot remove candidates not on the schedule (emails as added): "
                                  f"{', '.join(missing)}")
            candidates = [c for c in candidates if c["email"] not in change.remove]
        present = {c["email"].lower() for c in candidates}
        for item in change.add:
            if item["email"].lower() not in present:
                present.add(item["email"].lower())
                candidates.append(new_candidate(item, invited=new["access"]["sendEmail"]))
        new["access"]["candidates"] = candidates
        apply_limits(new, self.quirks.limits)
        new["imageProctoring"] = new["visualProctoring"]["mode"] == "PHOTO"
        new["isCandidateAuthProctored"] = new["visualProctoring"]["options"]["candidateAuthorization"]
        holder = self._names.get(_named(new))
        if holder is not None and holder != new["accessKey"]:
            raise bad_request(f"a schedule named {new['name']!r} already exists in assessment "
                              f"{new['assessmentDetails']['id']}")
        return new

    # ------------------------------------------------------------------------------------------ helpers

    def add_assessment(self, assessment_id: int, name: str, duration: int = 60) -> dict[str, Any]:
        """Create (or rename) an assessment; schedules are created under it."""
        with self._lock:
            assessment = self._assessments.setdefault(assessment_id, {
                "id": assessment_id, "instructions": "", "createdAt": http_date(self.now())})
            assessment.update(name=name, duration=duration)
            return dict(assessment)

    def add_schedule(self, assessment_id: int, sc: dict[str, Any]) -> str:
        """Create a schedule as the API would (same validation); return its access key."""
        with self._lock:
            return self._create(self._assessment(str(assessment_id)), copy.deepcopy(sc))

    def mark_started(self, access_key: str, email: str) -> None:
        """A candidate started the test but has not submitted it yet."""
        self.set_status(access_key, email, "In-progress", "In-progress")

    def mark_submitted(self, access_key: str, email: str, when: str | None = None) -> None:
        """A candidate took the test: Completed, with its submissionDate (default: now)."""
        self.set_status(access_key, email, "Completed", "Test-taker completed", when)

    def set_status(self, access_key: str, email: str, overall: str, detail: str, when: str | None = None) -> None:
        """Move a candidate to an (overall, detailed) status of the seed's table."""
        with self._lock:
            candidate = find_candidate(self._stored(access_key), email)
            if candidate is None:
                raise KeyError(f"{email} is not a candidate of schedule {access_key}")
            set_status(candidate, overall, detail, when or http_date(self.now()))

    def set_deadline(self, access_key: str, email: str, when: str) -> None:
        """A deadline-based assessment: the candidate's `submissionDate` is its deadline, whatever its status
        (the seed's "Not Started … when submission date is elapsed"). assumption M-18"""
        with self._lock:
            candidate = find_candidate(self._stored(access_key), email)
            if candidate is None:
                raise KeyError(f"{email} is not a candidate of schedule {access_key}")
            candidate["submissionDate"] = when

    def schedule(self, access_key: str) -> dict[str, Any]:
        """A copy of the stored schedule (including write-only properties)."""
        with self._lock:
            return copy.deepcopy(self._stored(access_key))

    def find(self, assessment_id: int, name: str) -> dict[str, Any] | None:
        """A copy of the stored schedule with this name in this assessment, if any."""
        with self._lock:
            key = self._names.get((assessment_id, name))
            return None if key is None else copy.deepcopy(self._schedules[key])

    def dump_state(self) -> dict[str, Any]:
        """The whole world as JSON-able data (credentials are not part of it)."""
        with self._lock:
            return copy.deepcopy({
                "format": STATE_FORMAT, "counter": self._counter, "account": self._account,
                "assessments": list(self._assessments.values()), "schedules": list(self._schedules.values()),
                "quirks": self.quirks.dump(),
            })

    def load_state(self, state: dict[str, Any]) -> None:
        """Replace the world with a dumped one."""
        with self._lock:
            if state.get("format") != STATE_FORMAT:
                raise ValueError(f"unsupported Mettl sandbox state format: {state.get('format')!r} "
                                 "(delete the sandbox folder to start a fresh world)")
            state = copy.deepcopy(state)
            self._counter = int(state["counter"])
            self._account = state["account"]
            self._assessments = {int(a["id"]): a for a in state["assessments"]}
            self._schedules = {s["accessKey"]: s for s in state["schedules"]}
            self._names = {_named(s): s["accessKey"] for s in state["schedules"]}
            self.quirks = AccountQuirks.load(state.get("quirks"))
