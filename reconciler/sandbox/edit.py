"""A hand edit of a sandbox world, as a person would make it in the vendor's UI: `python -m reconciler.sandbox
VENDOR --state DIR edit --schedule NAME --set JSON`. The edit is the vendor's own call, sent over HTTP to the
emulator serving that world (so it is validated exactly as the vendor would), and saved there; `drift` and
`plan` then see it. Mettl: Edit Schedule (`POST /v2/schedules/{key}/edit`, `sc` = the JSON); Questionmark:
`PATCH Schedules(ID)` with the JSON as body, for every schedule of that name (the anchor and each seat)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import requests

from .launch import Sandbox, start_vendor

TIMEOUT = 30.0
MAX_PAGES = 1000


class EditError(Exception):
    """A hand edit that cannot be made: one line for the user."""


def parse_body(text: str) -> dict[str, Any]:
    """The `--set` JSON: an object of the vendor's own field names."""
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise EditError(f"--set is not JSON: {exc}") from None
    if not isinstance(body, dict) or not body:
        raise EditError("--set must be a JSON object of the vendor's fields, e.g. '{\"MaxAttempts\": 3}'")
    return body


def edit(vendor: str, state_dir: Path, schedule: str, body: Mapping[str, Any]) -> list[str]:
    """Apply the edit to the world saved in `state_dir`; the ids of the schedules changed."""
    if not (state_dir / f"{vendor}.json").is_file():
        raise EditError(f"no {vendor} world in {state_dir} (run a command with --sandbox first, or --seed-world)")
    with start_vendor(vendor, state_dir=state_dir) as sandbox:
        if vendor == "mettl":
            return [_edit_mettl(sandbox, schedule, body)]
        return _edit_questionmark(sandbox, schedule, body)


def _edit_mettl(sandbox: Sandbox, name: str, body: Mapping[str, Any]) -> str:
    state = sandbox.app.dump_state()
    keys = [s["accessKey"] for s in state["schedules"] if s.get("name") == name]
    if len(keys) != 1:
        raise EditError(f"{len(keys)} Mettl schedules are named {name!r}: expected exactly one")
    from .mettl.auth import compute_signature

    url = f"{sandbox.url.rstrip('/')}/v2/schedules/{keys[0]}/edit"
    params = {"ak": sandbox.user, "ts": str(int(time.time())), "sc": json.dumps(body, separators=(",", ":"))}
    params["asgn"] = compute_signature("POST", url, params, sandbox.secret)
    answer = requests.post(url, data=params, timeout=TIMEOUT)
    _check(answer, f"POST {url}")
    return str(keys[0])


def _edit_questionmark(sandbox: Sandbox, name: str, body: Mapping[str, Any]) -> list[str]:
    auth = (sandbox.user, sandbox.secret)
    root = sandbox.url.rstrip("/")
    ids: list[str] = []
    link: str | None = f"{root}/Schedules"
    for _ in range(MAX_PAGES):  # the feed has no filter on Name: read it all, following the paging links
        if link is None:
            break
        listing = requests.get(link, auth=auth, headers={"Accept": "application/json"}, timeout=TIMEOUT)
        _check(listing, "GET Schedules")
        page = listing.json()
        ids += [str(s["ID"]) for s in page.get("value", []) if s.get("Name") == name]
        link = page.get("odata.nextLink")
    if not ids:
        raise EditError(f"no Questionmark schedule is named {name!r}")
    for schedule_id in ids:
        answer = requests.patch(f"{root}/Schedules({schedule_id})", json=dict(body), auth=auth,
                                headers={"Accept": "application/json"}, timeout=TIMEOUT)
        _check(answer, f"PATCH Schedules({schedule_id})")
    return ids


def _check(answer: requests.Response, call: str) -> None:
    if answer.status_code >= 400 or _mettl_failed(answer):
        raise EditError(f"the emulator refused {call}: HTTP {answer.status_code} {answer.text[:300]}")


def _mettl_failed(answer: requests.Response) -> bool:
    try:
        data = answer.json()
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("status") == "ERROR"
