"""Read every schedule of a Mettl assessment for `reconciler import` (reads only, never writes)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ...errors import MalformedResponseError
from ...importer_types import Discovered, Discovery
from . import mapping
from .client import PROVIDER
from .provider import MettlProvider

# What a schedule created without a setting gets (Edit Schedule documentation): the importer leaves a
# setting out when it equals this, so imported files stay short. Values are the JSON view of MettlSettings.
VENDOR_DEFAULTS: dict[str, Any] = {
    "access": {"send_email": False, "is_candidate_crf_prefilled": False},
    "fixed_access_option": "ExactTime",
    "web_proctoring": {"enabled": False, "count": 0, "show_remaining_counts": False},
    "visual_proctoring": {"mode": "OFF", "options": {"candidate_screen_capture": False,
                                                     "candidate_authorization": False}},
    "secure_browser": {"enabled": False},
    "protected": "NotEnabled",
    "test_grade_notification": {"enabled": False, "recipients": []},
    "ip_access_restriction": {"enabled": False},
}

UNREADABLE_NOTE = (
    "mettl.test_notification_basic_auth_header is write-only at Mettl and cannot be read back: it was not "
    "imported. If your webhooks need it, add `test_notification_basic_auth_header: ${VAR}` under `mettl:`."
)


def discover_assessment(provider: MettlProvider, assessment_id: str) -> Discovery:
    """List the assessment's schedules, then GET each one (concurrently) and map it."""
    summaries = list(provider.client.assessment_schedules(assessment_id))
    keys = [str(s.get("accessKey") or "") for s in summaries]
    if not all(keys):
        raise MalformedResponseError(PROVIDER, "a listed schedule has no accessKey")
    with ThreadPoolExecutor(max(1, min(provider.max_workers, len(keys) or 1))) as pool:
        raws = list(pool.map(provider.client.schedule, keys))
    found = [_discovered(assessment_id, raw) for raw in raws]
    found.sort(key=lambda d: d.schedule.name)
    return Discovery(provider=PROVIDER, scope=str(assessment_id), schedules=found, defaults=VENDOR_DEFAULTS,
                     notes=(UNREADABLE_NOTE,))


def _discovered(assessment_id: str, raw: dict[str, Any]) -> Discovered:
    try:
        schedule = mapping.schedule_from_sc(raw, str(assessment_id))
    except (KeyError, ValueError, TypeError) as exc:
        raise MalformedResponseError(PROVIDER, f"cannot read schedule {raw.get('accessKey')!r}: {exc}") from None
    return Discovered(schedule=schedule, ref=str(raw.get("accessKey")), raw=raw,
                      protected=mapping.protected_emails(raw))
