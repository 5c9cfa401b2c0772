"""Validation of the `sc` schedule JSON, as the Edit Schedule page describes it.

`validate_sc` checks one create or edit request and returns a `ScheduleChange`: every top-level property
that was sent, normalised with the vendor's defaults for missing sub-properties, plus the candidates to add
and remove. Every problem is an E400 with a message that names the property.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...models import is_email
from .common import MettlError, bad_request

ACCESS_TYPES = ("OpenForAll", "ByInvitation")
SCHEDULE_TYPES = ("AlwaysOn", "Fixed")
FIXED_ACCESS_OPTIONS = ("ExactTime", "SlotWise")
VISUAL_MODES = ("PHOTO", "OFF")
PROTECTED_VALUES = ("OtpOnEmail", "NotEnabled")
IP_RESTRICTION_TYPES = ("SINGLE", "RANGE")
URL_PROPERTIES = (
    "testStartNotificationUrl",
    "testFinishNotificationUrl",
    "testGradedNotificationUrl",
    "testResumeEnabledForExpiredTestURL",
)
#: Stored but never sent back in any response (assumption M-07).
WRITE_ONLY_PROPERTIES = ("testNotificationBasicAuthHeader",)
#: Optional strings that `null` clears.
CLEARABLE_PROPERTIES = ("sourceApp", *URL_PROPERTIES, *WRITE_ONLY_PROPERTIES)
TOP_LEVEL_PROPERTIES = frozenset({
    "name", "access", "scheduleType", "scheduleWindow", "webProctoring", "visualProctoring",
    "secureBrowser", "protected", "testGradeNotification", "ipAccessRestriction", *CLEARABLE_PROPERTIES,
})
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_DATE = re.compile(rf"({'|'.join(WEEKDAYS)}), ([0-9]{{2}}) ({'|'.join(MONTHS)}) ([0-9]{{4}})")
_TIME = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])")
_OFFSET = re.compile(r"UTC([+-])([0-9]{2}):([0-5][0-9])")


@dataclass
class ScheduleChange:
    """What one `sc` asks for. `fields` maps property → normalised value (None clears a clearable one)."""

    fields: dict[str, Any] = field(default_factory=dict)
    add: list[dict[str, Any]] = field(default_factory=list)
    remove: list[str] = field(default_factory=list)


def parse_sc(raw: str | None) -> dict[str, Any]:
    """Parse the `sc` parameter into a JSON object."""
    if raw is None:
        raise bad_request("missing parameter sc")
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise bad_request(f"sc is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise bad_request("sc must be a JSON object")
    return value


def validate_sc(sc: dict[str, Any], *, creating: bool, max_candidates: int) -> ScheduleChange:
    """Check one create (flat candidate list) or edit (add/remove delta) request.

    Only the input properties of the Edit Schedule page are taken, at every level: a property a read answer
    shows but the table does not list (imageProctoring, sendReminders, audioOptional, ...) is refused.
    """
    unknown = sorted(set(sc) - TOP_LEVEL_PROPERTIES)
    if unknown:
        raise bad_request(f"unknown sc properties: {', '.join(unknown)}")
    if creating:
        missing = [key for key in ("name", "sourceApp", "access", "scheduleType") if key not in sc]
        if missing:
            raise bad_request(f"sc is missing mandatory properties: {', '.join(missing)}")
        if not isinstance(sc["sourceApp"], str) or not sc["sourceApp"].strip():
            raise bad_request("sourceApp is mandatory when creating a schedule: a non-empty string")
    change = ScheduleChange()
    for key, value in sc.items():
        if key in CLEARABLE_PROPERTIES:
            change.fields[key] = _clearable(key, value)
        elif key == "name":
            if not isinstance(value, str) or not value.strip():
                raise bad_request("name must be a non-empty string")
            change.fields[key] = value
        elif key == "access":
            change.fields[key] = _access(value, change, creating=creating, max_candidates=max_candidates)
        elif key == "scheduleType":
            change.fields[key] = _choice(value, SCHEDULE_TYPES, key)
        elif key == "protected":
            change.fields[key] = _choice(value, PROTECTED_VALUES, key)
        else:
            change.fields[key] = _NESTED[key](value)
    return change


# ---------------------------------------------------------------------------------------------- helpers


def _object(value: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"{path} must be a JSON object")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise bad_request(f"unknown properties in {path}: {', '.join(unknown)}")
    return value


def _bool(obj: dict[str, Any], key: str, path: str, default: bool) -> bool:
    value = obj.get(key, default)
    if not isinstance(value, bool):
        raise bad_request(f"{path}.{key} must be true or false")
    return value


def _choice(value: Any, allowed: tuple[str, ...], path: str) -> str:
    if value not in allowed:
        raise bad_request(f"{path} must be one of {', '.join(allowed)}; got {value!r}")
    return str(value)


def _clearable(key: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise bad_request(f"{key} must be a non-empty string or null")
    if key in URL_PROPERTIES:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise bad_request(f"{key} must be an http(s) URL")
    return value


def _email(value: Any, path: str) -> str:
    if not isinstance(value, str) or not is_email(value):
        raise bad_request(f"{path} is not a valid email address: {value!r}")
    return value


def _ipv4(value: Any, path: str) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(value)
    except (ipaddress.AddressValueError, ValueError):
        raise bad_request(f"{path} is not a valid IPv4 address: {value!r}") from None


# ---------------------------------------------------------------------------------------------- access


def _access(value: Any, change: ScheduleChange, *, creating: bool, max_candidates: int) -> dict[str, Any]:
    obj = _object(value, "access", ("type", "sendEmail", "isCandidateCrfPrefilled", "candidates"))
    if "type" not in obj:
        raise bad_request("access.type is mandatory whenever access is sent")
    out: dict[str, Any] = {"type": _choice(obj["type"], ACCESS_TYPES, "access.type")}
    for flag in ("sendEmail", "isCandidateCrfPrefilled"):
        if flag in obj:
            out[flag] = _bool(obj, flag, "access", False)
    if "candidates" in obj:
        candidates = obj["candidates"]
        if creating:  # assumption M-03: a flat list on create
            if not isinstance(candidates, list):
                raise bad_request("access.candidates must be a list of candidates when creating a schedule")
            add, remove = candidates, []
        else:
            delta = _object(candidates, "access.candidates", ("add", "remove"))
            add, remove = delta.get("add", []), delta.get("remove", [])
            if not isinstance(add, list) or not isinstance(remove, list):
                raise bad_request("access.candidates.add and access.candidates.remove must be lists")
        if len(add) + len(remove) > max_candidates:
            raise bad_request(f"too many candidates in one request (at most {max_candidates})")
        change.add = _candidates(add)
        change.remove = _removals(remove)
        overlap = {c["email"].lower() for c in change.add} & {e.lower() for e in change.remove}
        if overlap:
            raise bad_request(f"emails both added and removed: {', '.join(sorted(overlap))}")
    if change.add and out["type"] != "ByInvitation":
        raise bad_request("candidates can only be added to a ByInvitation schedule")
    return out


def _candidates(items: list[Any]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise bad_request(f"access.candidates[{index}] must be a JSON object with name and email")
        if "email" not in item or "name" not in item:
            raise bad_request(f"access.candidates[{index}] needs both name and email")
        email = item["email"]
        if not isinstance(email, str) or not is_email(email):
            _email(email, f"access.candidates[{index}].email")  # raises, naming the candidate
        name = item["name"]
        if not isinstance(name, str) or not name.strip():
            raise bad_request(f"access.candidates[{index}].name must be a non-empty string")
        extra = {k: v for k, v in item.items() if k not in ("name", "email")} if len(item) > 2 else {}
        if any(isinstance(v, (dict, list)) for v in extra.values()):
            raise bad_request(f"access.candidates[{index}]: registration fields must be plain values")
        folded = email.lower()
        if folded not in seen:
            seen.add(folded)
            out.append({"name": name, "email": email, "registrationDetails": extra})
    return out


def _removals(items: list[Any]) -> list[str]:
    out: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, str) or not item:
            raise bad_request(f"access.candidates.remove[{index}] must be an email string")
        if item.lower() not in {e.lower() for e in out}:
            out.append(item)
    return out


# ---------------------------------------------------------------------------------------------- window


def _date(value: Any, path: str) -> date:
    match = _DATE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise bad_request(f'{path} must look like "Mon, 07 Feb 2022"; got {value!r}')
    try:
        day = date(int(match[4]), MONTHS.index(match[3]) + 1, int(match[2]))
    except ValueError:
        raise bad_request(f"{path} is not a real date: {value!r}") from None
    if WEEKDAYS[day.weekday()] != match[1]:
        raise bad_request(f"{path}: {value!r} is a {WEEKDAYS[day.weekday()]}, not a {match[1]}")
    return day


def _time(value: Any, path: str) -> time:
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise bad_request(f'{path} must look like "HH:MM:SS"; got {value!r}')
    return time(int(match[1]), int(match[2]), int(match[3]))


def _offset(value: Any) -> timezone:
    match = _OFFSET.fullmatch(value) if isinstance(value, str) else None
    if not match or int(match[2]) > 14:
        raise bad_request(f'scheduleWindow.timeZone must look like "UTC+05:30"; got {value!r}')
    minutes = int(match[2]) * 60 + int(match[3])
    return timezone(timedelta(minutes=-minutes if match[1] == "-" else minutes))


def _zone(value: Any) -> ZoneInfo:
    if isinstance(value, str) and value:
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    raise bad_request(f"scheduleWindow.locationTimeZone is not a known IANA time zone: {value!r}")


def _window(value: Any) -> dict[str, Any]:
    keys = ("fixedAccessOption", "startsOnDate", "startsOnTime", "endsOnDate", "endsOnTime", "timeZone",
            "locationTimeZone")
    obj = _object(value, "scheduleWindow", keys)
    missing = [k for k in keys[1:5] if k not in obj]
    if missing:
        raise bad_request(f"scheduleWindow is missing {', '.join(missing)}")
    if "timeZone" not in obj and "locationTimeZone" not in obj:
        raise bad_request("scheduleWindow needs timeZone or locationTimeZone")
    option = _choice(obj.get("fixedAccessOption", "ExactTime"), FIXED_ACCESS_OPTIONS,
                     "scheduleWindow.fixedAccessOption")
    start_day, end_day = _date(obj["startsOnDate"], "scheduleWindow.startsOnDate"), \
        _date(obj["endsOnDate"], "scheduleWindow.endsOnDate")
    start_time, end_time = _time(obj["startsOnTime"], "scheduleWindow.startsOnTime"), \
        _time(obj["endsOnTime"], "scheduleWindow.endsOnTime")
    offset = _offset(obj["timeZone"]) if "timeZone" in obj else None
    location = _zone(obj["locationTimeZone"]) if "locationTimeZone" in obj else None
    zone: tzinfo | None = location or offset
    start = datetime.combine(start_day, start_time, tzinfo=zone)
    end = datetime.combine(end_day, end_time, tzinfo=zone)
    if end <= start:  # assumption M-12: no other rule on the dates; an end already past is accepted
        raise bad_request("scheduleWindow must end after it starts")
    if option == "SlotWise" and end_time <= start_time:  # assumption M-12: a daily slot starts before it ends
        raise bad_request("a SlotWise scheduleWindow is open daily from startsOnTime to endsOnTime: "
                          "startsOnTime must be before endsOnTime")
    out: dict[str, Any] = {"fixedAccessOption": option}
    out.update({k: obj[k] for k in keys[1:] if k in obj})
    return out


# ---------------------------------------------------------------------------------------------- the rest


def _web_proctoring(value: Any) -> dict[str, Any]:
    obj = _object(value, "webProctoring", ("enabled", "count", "showRemainingCounts"))
    count = obj.get("count", 0)
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        raise bad_request(f"webProctoring.count must be an integer >= 0; got {count!r}")
    return {"enabled": _bool(obj, "enabled", "webProctoring", False), "count": count,
            "showRemainingCounts": _bool(obj, "showRemainingCounts", "webProctoring", False)}


def _visual_proctoring(value: Any) -> dict[str, Any]:
    obj = _object(value, "visualProctoring", ("mode", "options"))
    flags = {"candidateScreenCapture": False, "candidateAuthorization": False}
    options = _object(obj.get("options", {}), "visualProctoring.options", tuple(flags))
    chosen = {k: _bool(options, k, "visualProctoring.options", v) for k, v in flags.items()}
    # audioOptional and isAudioProctoring are shown by reads but are not inputs: the account's values
    return {"options": {**chosen, "audioOptional": True, "isAudioProctoring": False},
            "mode": _choice(obj.get("mode", "OFF"), VISUAL_MODES, "visualProctoring.mode")}


def _secure_browser(value: Any) -> dict[str, Any]:
    obj = _object(value, "secureBrowser", ("enabled",))
    return {"enabled": _bool(obj, "enabled", "secureBrowser", False)}


def _grade_notification(value: Any) -> dict[str, Any]:
    obj = _object(value, "testGradeNotification", ("enabled", "recipients"))
    recipients = obj.get("recipients", [])
    if not isinstance(recipients, list):
        raise bad_request("testGradeNotification.recipients must be a list of emails")
    emails = [_email(r, f"testGradeNotification.recipients[{i}]") for i, r in enumerate(recipients)]
    return {"enabled": _bool(obj, "enabled", "testGradeNotification", False), "recipients": emails}


def _ip_restriction(value: Any) -> dict[str, Any]:
    obj = _object(value, "ipAccessRestriction", ("enabled", "type", "ip", "ranges"))
    out: dict[str, Any] = {"enabled": _bool(obj, "enabled", "ipAccessRestriction", False)}
    if "type" in obj or out["enabled"]:
        out["type"] = _choice(obj.get("type"), IP_RESTRICTION_TYPES, "ipAccessRestriction.type")
    if "ip" in obj or out.get("type") == "SINGLE":
        out["ip"] = str(_ipv4(obj.get("ip"), "ipAccessRestriction.ip"))
    if "ranges" in obj or out.get("type") == "RANGE":
        ranges = obj.get("ranges")
        if not isinstance(ranges, list) or not ranges:
            raise bad_request("ipAccessRestriction.ranges must be a non-empty list of {start, end}")
        out["ranges"] = []
        for index, item in enumerate(ranges):
            path = f"ipAccessRestriction.ranges[{index}]"
            pair = _object(item, path, ("start", "end"))
            start, end = _ipv4(pair.get("start"), f"{path}.start"), _ipv4(pair.get("end"), f"{path}.end")
            if end < start:
                raise bad_request(f"{path}: end {end} is before start {start}")
            out["ranges"].append({"start": str(start), "end": str(end)})
    return out


_NESTED = {
    "scheduleWindow": _window,
    "webProctoring": _web_proctoring,
    "visualProctoring": _visual_proctoring,
    "secureBrowser": _secure_browser,
    "testGradeNotification": _grade_notification,
    "ipAccessRestriction": _ip_restriction,
}

__all__ = ["MettlError", "ScheduleChange", "parse_sc", "validate_sc"]
