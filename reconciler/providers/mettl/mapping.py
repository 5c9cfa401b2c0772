"""Mettl `sc` JSON ⇄ the shared models. One table drives both directions and the published docs."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from pydantic import BaseModel, SecretStr

from ...models import (
    WRITE_ONLY_FIELDS,
    Candidate,
    MettlSettings,
    Schedule,
    Window,
    localize,
    offset_label,
    parse_zone,
)
from ...plan import INVITATION_ONLY, NAME, WINDOW, CandidateChanges, FieldChange, FieldPath
from .roster import full_candidates

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# snake_case name in `mettl:` → where it lives in sc. Nested models map their own fields by camelCase.
SETTING_PATHS: dict[str, tuple[str, ...]] = {
    "source_app": ("sourceApp",),
    "access": ("access",),
    "fixed_access_option": ("scheduleWindow", "fixedAccessOption"),
    "web_proctoring": ("webProctoring",),
    "visual_proctoring": ("visualProctoring",),
    "secure_browser": ("secureBrowser",),
    "protected": ("protected",),
    "test_start_notification_url": ("testStartNotificationUrl",),
    "test_finish_notification_url": ("testFinishNotificationUrl",),
    "test_graded_notification_url": ("testGradedNotificationUrl",),
    "test_resume_enabled_for_expired_test_url": ("testResumeEnabledForExpiredTestURL",),
    "test_notification_basic_auth_header": ("testNotificationBasicAuthHeader",),
    "test_grade_notification": ("testGradeNotification",),
    "ip_access_restriction": ("ipAccessRestriction",),
}
WRITE_ONLY = WRITE_ONLY_FIELDS  # the `Secret` settings: never read back

_FLAT = None  # a property without sub-properties
# The `sc` input properties, every level, as the Edit Schedule page's table lists them. A read answer carries
# more (imageProctoring, allowTestResume, sendReminders, audioOptional, ...): those never go back into an sc.
# `access.candidates` is built from the models, never copied from a read, so it is not described here.
SC_INPUT: dict[str, Any] = {
    "name": _FLAT, "sourceApp": _FLAT,
    "access": {"type": _FLAT, "sendEmail": _FLAT, "isCandidateCrfPrefilled": _FLAT, "candidates": _FLAT},
    "scheduleType": _FLAT,
    "scheduleWindow": dict.fromkeys(("fixedAccessOption", "startsOnDate", "startsOnTime", "endsOnDate",
                                     "endsOnTime", "timeZone", "locationTimeZone")),
    "webProctoring": dict.fromkeys(("enabled", "count", "showRemainingCounts")),
    "visualProctoring": {"mode": _FLAT, "options": dict.fromkeys(("candidateScreenCapture",
                                                                   "candidateAuthorization"))},
    "secureBrowser": {"enabled": _FLAT},
    "protected": _FLAT,
    "testStartNotificationUrl": _FLAT, "testFinishNotificationUrl": _FLAT, "testGradedNotificationUrl": _FLAT,
    "testResumeEnabledForExpiredTestURL": _FLAT, "testNotificationBasicAuthHeader": _FLAT,
    "testGradeNotification": {"enabled": _FLAT, "recipients": _FLAT},
    "ipAccessRestriction": {"enabled": _FLAT, "type": _FLAT, "ip": _FLAT,
                            "ranges": {"start": _FLAT, "end": _FLAT}},
}


def input_only(value: Any, shape: Any) -> Any:
    """`value` (read from Mettl) cut down to the input properties `shape` describes, at every level."""
    if isinstance(shape, dict) and isinstance(value, dict):
        return {k: input_only(v, shape[k]) for k, v in value.items() if k in shape}
    if isinstance(shape, dict) and isinstance(value, list):
        return [input_only(item, shape) for item in value]
    return value


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


@lru_cache(maxsize=1024)  # the same few vendor property names on every schedule read
def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# --------------------------------------------------------------------------- dates and windows


def format_date(value: datetime) -> str:
    """`Mon, 07 Feb 2022` without depending on the machine's locale."""
    return f"{_DAYS[value.weekday()]}, {value.day:02d} {_MONTHS[value.month - 1]} {value.year}"


def parse_date_time(day: str, clock: str) -> datetime:
    """Parse Mettl's `Mon, 07 Feb 2022` + `12:00:00` into a naive local datetime."""
    match = re.match(r"^\s*(?:\w{3},\s*)?(\d{1,2}) (\w{3}) (\d{4})\s*$", day)
    if not match or match.group(2) not in _MONTHS:
        raise ValueError(f"unreadable Mettl date {day!r}")
    hour, minute, *second = (int(p) for p in clock.split(":"))
    return datetime(int(match.group(3)), _MONTHS.index(match.group(2)) + 1, int(match.group(1)),
                    hour, minute, second[0] if second else 0)


def window_to_sc(window: Window, fixed_access_option: str | None) -> dict[str, Any]:
    """An IANA zone travels as locationTimeZone (DST-correct), a fixed offset as timeZone."""
    result: dict[str, Any] = {}
    if fixed_access_option:
        result["fixedAccessOption"] = fixed_access_option
    result.update({
        "startsOnDate": format_date(window.start),
        "startsOnTime": window.start.strftime("%H:%M:%S"),
        "endsOnDate": format_date(window.end),
        "endsOnTime": window.end.strftime("%H:%M:%S"),
    })
    if window.time_zone.startswith("UTC"):
        result["timeZone"] = offset_label(localize(window.start, window.time_zone).utcoffset())
    else:
        result["locationTimeZone"] = window.time_zone
    return result


def window_from_sc(raw: dict[str, Any]) -> Window:
    zone = raw.get("locationTimeZone") or raw.get("timeZone") or "UTC"
    return _window(zone, raw["startsOnDate"], raw["startsOnTime"], raw["endsOnDate"], raw["endsOnTime"])


@lru_cache(maxsize=1024)  # schedules of one project share their windows; a Window is immutable
def _window(zone: str, start_day: str, start_clock: str, end_day: str, end_clock: str) -> Window:
    parse_zone(zone)
    return Window(start=parse_date_time(start_day, start_clock), end=parse_date_time(end_day, end_clock),
                  time_zone=zone)


# --------------------------------------------------------------------------- settings


def _model_to_sc(model: BaseModel) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if value is None:
            continue
        out[camel(name)] = _value_to_sc(value)
    return out


def _value_to_sc(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _model_to_sc(value)
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, tuple | list):
        return [_value_to_sc(v) for v in value]
    return value


def _sc_to_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {snake(k): _sc_to_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sc_to_value(v) for v in value]
    return value


def settings_to_sc(settings: MettlSettings | None, *, include_write_only: bool) -> dict[str, Any]:
    """Top-level sc properties for the managed (non-None) settings; `fixed_access_option` is left out."""
    out: dict[str, Any] = {}
    if settings is None:
        return out
    for name, path in SETTING_PATHS.items():
        value = getattr(settings, name)
        if value is None or len(path) > 1 or name == "access":
            continue
        if name in WRITE_ONLY and not include_write_only:
            continue
        out[path[0]] = _value_to_sc(value)
    return out


def settings_from_sc(raw: dict[str, Any]) -> MettlSettings:
    """Observed settings. Properties the answer lacks stay None; extra vendor keys are dropped."""
    data: dict[str, Any] = {}
    for name, path in SETTING_PATHS.items():
        if name in WRITE_ONLY:
            continue
        node: Any = raw
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            continue
        if name == "access":
            node = {k: node[k] for k in ("sendEmail", "isCandidateCrfPrefilled") if k in node}
        data[name] = _sc_to_value(node)
    try:
        key = orjson.dumps(data, option=_ONLY_JSON)
    except TypeError:  # not only JSON types: not remembered
        return _settings(data)
    known = _SETTINGS.get(key)
    if known is None:
        known = _settings(data)
        with _SETTINGS_LOCK:
            if len(_SETTINGS) >= 1024:
                _SETTINGS.clear()
            _SETTINGS[key] = known
    return known


_SETTINGS: dict[bytes, MettlSettings] = {}
"""Settings read before, by the JSON of what was read (schedules of one project share theirs; the model is
immutable): the model check once per distinct value, not once per schedule."""
_SETTINGS_LOCK = threading.Lock()
_ONLY_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def _settings(data: dict[str, Any]) -> MettlSettings:
    return MettlSettings.model_validate(_only_known(data, MettlSettings.model_fields))


def _only_known(data: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """Drop keys our models do not know (vendor answers carry extras such as audioOptional)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key not in fields:
            continue
        annotation = fields[key].annotation
        model = _model_in(annotation)
        if model is not None and isinstance(value, dict):
            value = _only_known(value, model.model_fields)
        out[key] = value
    return out


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for candidate in getattr(annotation, "__args__", (annotation,)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


# --------------------------------------------------------------------------- schedules


def candidate_to_sc(candidate: Candidate) -> dict[str, Any]:
    return {"name": candidate.name, "email": candidate.email, **candidate.fields}


def access_to_sc(schedule: Schedule) -> dict[str, Any]:
    access: dict[str, Any] = {"type": "OpenForAll" if schedule.candidates is None else "ByInvitation"}
    if schedule.mettl and schedule.mettl.access:
        access.update(_model_to_sc(schedule.mettl.access))
    return access


def schedule_to_sc(
    schedule: Schedule, candidates: Iterable[Candidate] | None = None, *, source_app: str
) -> dict[str, Any]:
    """The full `sc` to create a schedule (candidates as a flat list, as create wants them).

    `sourceApp` is mandatory on create: the schedule's own `mettl.source_app`, else the project's default.
    """
    sc: dict[str, Any] = {"name": schedule.name, "sourceApp": source_app}
    access = access_to_sc(schedule)
    if schedule.candidates is not None:
        access["candidates"] = [candidate_to_sc(c) for c in (schedule.candidates if candidates is None
                                                                else candidates)]
    sc["access"] = access
    sc.update(schedule_type_to_sc(schedule))
    sc.update(settings_to_sc(schedule.mettl, include_write_only=True))
    return sc


def schedule_type_to_sc(schedule: Schedule) -> dict[str, Any]:
    if schedule.window is None:
        return {"scheduleType": "AlwaysOn"}
    option = schedule.mettl.fixed_access_option if schedule.mettl else None
    return {"scheduleType": "Fixed", "scheduleWindow": window_to_sc(schedule.window, option)}


def schedule_from_sc(raw: dict[str, Any], assessment_id: str, *, lean: bool = False) -> Schedule:
    """A live Mettl schedule as the shared model (candidates only if the answer lists them). `lean`: the
    candidates are kept apart (`roster.read_roster`): an invitation-only schedule gets an empty list."""
    candidates: tuple[Candidate, ...] | None
    if lean:
        candidates = () if (raw.get("access") or {}).get("type") == "ByInvitation" else None
    else:
        candidates = full_candidates(raw)
    window = window_from_sc(raw["scheduleWindow"]) if raw.get("scheduleType") == "Fixed" else None
    return Schedule(
        name=raw["name"],
        provider="mettl",
        assessment_id=assessment_id,
        window=window,
        candidates=candidates,
        mettl=settings_from_sc(raw),
    )


def edit_sc(
    fields: Iterable[FieldChange], candidates: CandidateChanges, desired: Schedule, live: dict[str, Any],
    spellings: Mapping[str, str],
) -> dict[str, Any]:
    """The delta `sc` for one edit: only the top-level properties that changed, nested objects whole.

    Unmanaged sub-properties of a changed nested object keep their live value (only its input properties);
    removals name each email as Mettl holds it (`spellings`).
    """
    sc: dict[str, Any] = {}
    tops = {_top_of(f.path) for f in fields}
    if NAME[0] in tops:  # a rename (previous_names): the same edit, candidates untouched
        sc["name"] = desired.name
    if candidates or "access" in tops or INVITATION_ONLY[0] in tops:
        access = access_to_sc(desired)
        if candidates:
            delta: dict[str, Any] = {}
            if candidates.add:
                delta["add"] = [candidate_to_sc(c) for c in candidates.add]
            if candidates.remove:
                delta["remove"] = [spellings.get(email, email) for email in candidates.remove]
            access["candidates"] = delta
        sc["access"] = access
    if WINDOW[0] in tops or "fixed_access_option" in tops:
        sc.update(schedule_type_to_sc(desired))
    wanted = settings_to_sc(desired.mettl, include_write_only=bool(tops & WRITE_ONLY))
    for top in tops:
        path = SETTING_PATHS.get(top)
        if not path or len(path) > 1 or top == "access":
            continue
        key = path[0]
        if key not in wanted:
            continue
        sc[key] = _merge(input_only(live.get(key), SC_INPUT[key]), wanted[key])
    return sc


def _top_of(path: FieldPath) -> str:
    return path[1] if path[0] == "mettl" and len(path) > 1 else path[0]


def _merge(live: Any, wanted: Any) -> Any:
    """Desired values over the live nested object, so unmanaged sub-properties keep their value."""
    if isinstance(live, dict) and isinstance(wanted, dict):
        merged = dict(live)
        for key, value in wanted.items():
            merged[key] = _merge(live.get(key), value)
        return merged
    return wanted


def mapping_table() -> list[tuple[str, str]]:
    """(YAML path, sc path) rows for the docs."""
    rows = [
        ("name", "name"),
        ("previous_names (renamed: adopted under an old name)", "name (one edit)"),
        ("candidates (absent → OpenForAll)", "access.type, access.candidates.add / .remove"),
        ("window.start / end / time_zone (absent → AlwaysOn)",
         "scheduleType, scheduleWindow.startsOnDate/startsOnTime/endsOnDate/endsOnTime, "
         "locationTimeZone (IANA) or timeZone (UTC±hh:mm)"),
        ("candidates[].fields.<registration field>", "access.candidates.add[].<registration field>"),
    ]
    for name, path in SETTING_PATHS.items():
        field = MettlSettings.model_fields[name]
        model = _model_in(field.annotation)
        if model is None:
            rows.append((f"mettl.{name}", ".".join(path)))
            continue
        rows.extend(_nested_rows(f"mettl.{name}", ".".join(path), model))
    return rows


def _nested_rows(yaml_path: str, sc_path: str, model: type[BaseModel]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for name, field in model.model_fields.items():
        inner = _model_in(field.annotation)
        y, s = f"{yaml_path}.{name}", f"{sc_path}.{camel(name)}"
        rows.extend(_nested_rows(y, s, inner) if inner else [(y, s)])
    return rows


def mapping_markdown() -> str:
    """The YAML → Mettl `sc` table published in docs/mettl-mapping.md."""
    lines = ["| YAML (schedule entry) | Mettl `sc` property |", "|---|---|"]
    lines += [f"| `{yaml_path}` | `{sc_path}` |" for yaml_path, sc_path in mapping_table()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - `python -m reconciler.providers.mettl.mapping` prints the table
    print(mapping_markdown(), end="")
