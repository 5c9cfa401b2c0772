"""Read every schedule of a Mettl assessment for `reconciler import` (reads only, never writes)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ...errors import MalformedResponseError
from ...observed import Live, Observed
from ...plan import fingerprint_bytes
from . import mapping
from .client import PROVIDER
from .provider import MettlProvider
from .roster import read_roster

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
"""What a schedule created without a setting has (JSON view of `mettl:` settings): left out on import."""

NOTES = (
    "mettl.test_notification_basic_auth_header is write-only at Mettl and cannot be read back, so it was "
    "not imported. If your webhooks need it, add `test_notification_basic_auth_header: ${VAR}` under "
    "`mettl:` (it is sent when a schedule is created, or with apply --resend-secrets).",
)


def discover_assessment(provider: MettlProvider, assessment_id: str) -> list[Observed]:
    """List the assessment's schedules, then GET each one (concurrently) and map it; sorted by name."""
    summaries = list(provider.client.assessment_schedules(assessment_id))
    keys = [str(s.get("accessKey") or "") for s in summaries]
    if not all(keys):
        raise MalformedResponseError(PROVIDER, "a listed schedule has no accessKey")
    with ThreadPoolExecutor(max(1, min(provider.max_workers, len(keys)))) as pool:
        answers = list(pool.map(provider.client.schedule_answer, keys))
    found = (_observed(str(assessment_id), raw, content, provider.source_app) for raw, content in answers)
    return sorted(found, key=lambda o: o.schedule.name)


def _observed(assessment_id: str, raw: dict[str, Any], content: bytes, own_source_app: str) -> Observed:
    """The schedule as imported; a `sourceApp` equal to the project's own is left out (creates send it)."""
    try:
        roster = read_roster(raw)
        schedule = mapping.schedule_from_sc(raw, assessment_id)
    except (KeyError, ValueError, TypeError) as exc:
        raise MalformedResponseError(PROVIDER, f"cannot read schedule {raw.get('accessKey')!r}: {exc}") from None
    if schedule.mettl is not None and schedule.mettl.source_app == own_source_app:
        schedule = schedule.model_copy(update={"mettl": schedule.mettl.model_copy(update={"source_app": None})})
    return Observed(schedule=schedule, ref=str(raw.get("accessKey")), fingerprint=fingerprint_bytes(content),
                    raw=raw, live=Live(noted={e: f"submissionDate {d}" for e, d in roster.submitted.items()}))
