"""Did Mettl keep what was written? Compare a create/edit `sc` with the schedule the answer carries.

Both sides go through the same mapping used for reading, so only a real difference counts (a zone spelled
another way, an email in another case, a default filled in for an unmanaged sub-property are not). A value
Mettl silently changed (clamped, ignored) would otherwise show up as the same change on every plan.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ...errors import MalformedResponseError
from ...models import managed_view, normalize_email
from .client import PROVIDER
from .mapping import SETTING_PATHS, camel, settings_from_sc, window_from_sc


def unkept(sent: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    """One `path: sent X, Mettl kept Y` line per written value the answer does not hold.

    assumption M-11: the answer's schedule is what Mettl stored. A property the answer does not carry at
    all cannot be checked and is skipped.
    """
    try:
        return [*_plain(sent, answer), *_window(sent, answer), *_settings(sent, answer), *_candidates(sent, answer)]
    except (KeyError, ValueError, TypeError) as exc:
        raise MalformedResponseError(PROVIDER, f"cannot read the schedule in the answer: {exc}") from None


def _show(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _line(path: str, sent: Any, kept: Any) -> str:
    return f"{path}: sent {_show(sent)}, Mettl kept {_show(kept)}"


def _plain(sent: dict[str, Any], answer: dict[str, Any]) -> Iterator[str]:
    for key in ("name", "scheduleType"):
        if key in sent and key in answer and sent[key] != answer[key]:
            yield _line(key, sent[key], answer[key])


def _window(sent: dict[str, Any], answer: dict[str, Any]) -> Iterator[str]:
    if sent.get("scheduleType") != "Fixed" or answer.get("scheduleType") != "Fixed":
        return
    wanted = window_from_sc(sent["scheduleWindow"])
    kept = window_from_sc(answer["scheduleWindow"]) if isinstance(answer.get("scheduleWindow"), dict) else None
    if not wanted.same_instants(kept):
        yield _line("scheduleWindow", _window_text(sent["scheduleWindow"]),
                    _window_text(answer.get("scheduleWindow") or {}))


def _window_text(raw: dict[str, Any]) -> str:
    zone = raw.get("locationTimeZone") or raw.get("timeZone") or ""
    return (f"{raw.get('startsOnDate')} {raw.get('startsOnTime')} → {raw.get('endsOnDate')} "
            f"{raw.get('endsOnTime')} {zone}").strip()


def _settings(sent: dict[str, Any], answer: dict[str, Any]) -> Iterator[str]:
    wanted = managed_view(settings_from_sc(sent))  # write-only settings are left out: never returned
    kept = managed_view(settings_from_sc(answer))
    for parts, value in _leaves(wanted):
        path = SETTING_PATHS[parts[0]]
        if path[0] not in answer:
            continue
        got = _dig(kept, parts)
        if got != value:
            yield _line(".".join([*path, *(camel(p) for p in parts[1:])]), value, got)


def _leaves(view: Any, parts: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(view, dict):
        for key, item in view.items():
            yield from _leaves(item, (*parts, key))
    else:
        yield parts, view


def _dig(view: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        view = view.get(part) if isinstance(view, dict) else None
    return view


def _candidates(sent: dict[str, Any], answer: dict[str, Any]) -> Iterator[str]:
    given = (sent.get("access") or {}).get("candidates")
    held = (answer.get("access") or {}).get("candidates")
    if given is None or not isinstance(held, list):
        return
    added = given if isinstance(given, list) else given.get("add") or []
    removed = [] if isinstance(given, list) else given.get("remove") or []
    listed = {c.get("email") for c in held if isinstance(c, dict)}
    # Most sent emails come back spelled as sent: only the others (and the removals) need normalising.
    unlisted = [email for email in (str(c["email"]) for c in added) if email not in listed]
    if not unlisted and not removed:
        return
    on_schedule = {normalize_email(str(email)) for email in listed}
    for email in unlisted:
        if normalize_email(email) not in on_schedule:
            yield f"access.candidates.add: sent {email}, Mettl does not list it"
    for email in removed:
        if normalize_email(email) in on_schedule:
            yield f"access.candidates.remove: sent {email}, Mettl still lists it"
