"""Doctor's checks of one Mettl schedule's candidate status rows: their shape and vocabulary (M-06), and one row
per inline candidate, compared both ways (M-10; with what the rows say of candidates that have a
`submissionDate`, M-18). Emails are never printed, only counts and status values."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ...checks.probe import Probe
from ...checks.report import REPORT_ADVICE, Check, Result
from ...errors import ProviderError
from ...models import normalize_email
from .client import MettlClient
from .status import is_known, row_email, seen_values, shown, status_values

PROVIDER = "mettl"
VALUES_SHOWN = 12  # distinct status values printed at most
KEPT_AS_UNKNOWN = "such candidates are never removed (kept as \"status unknown\")"


def tally(values: Iterable[str]) -> str:
    """`Completed ×1, Invited ×4` (most frequent first, at most VALUES_SHOWN, each bounded)."""
    counts = Counter(values).most_common()
    text = ", ".join(f"{shown(v)} ×{n}" for v, n in counts[:VALUES_SHOWN])
    more = len(counts) - VALUES_SHOWN
    return (text + (f", and {more} more" if more > 0 else "")) or "none"


def status_checks(client: MettlClient, probe: Probe, access_key: str,
                  inline: Sequence[Mapping[str, Any]]) -> list[Result]:
    """M-06 and M-10 on the rows of one schedule whose read listed `inline` candidates."""
    status = Check(PROVIDER, "mettl candidate status rows", "M-06")
    coverage = Check(PROVIDER, "mettl status rows per candidate", "M-10")
    try:
        with probe.kind("candidates"):
            rows = list(client.schedule_candidates(access_key))
    except ProviderError as exc:
        return [status.failed(str(exc)), coverage.skipped(f"the status rows of schedule {access_key} were not read")]
    return [vocabulary(status, rows), per_candidate(coverage, rows, inline)]


def vocabulary(check: Check, rows: Sequence[Any]) -> Result:
    """Every row has a status and an email; every status value is one the tool knows (the seed's table or a
    compact spelling). Reports every value seen."""
    if not rows:
        return check.failed("no status rows for a schedule with candidates", KEPT_AS_UNKNOWN)
    readable = [r for r in rows if isinstance(r, Mapping)]
    no_status = len(rows) - sum(1 for r in readable if status_values(r))
    no_email = len(rows) - sum(1 for r in readable if row_email(r))
    values = list(seen_values(readable))
    unknown = [v for v in values if not is_known(v)]
    problems = []
    if no_status:
        problems.append(f"{no_status} of {len(rows)} row(s) without `testStatus.overallStatus`/`status`")
    if no_email:
        problems.append(f"{no_email} of {len(rows)} row(s) without an email at `email`, `registrationDetails` or "
                        "`registration`")
    if unknown:
        problems.append(f"status value(s) outside Mettl's table: {tally(unknown)}")
    seen = f"values seen: {tally(values)}"
    if problems:
        return check.failed("; ".join(problems) + f" ({seen})",
                            f"{KEPT_AS_UNKNOWN}; {REPORT_ADVICE}, so the table can learn these values")
    return check.passed(f"{len(rows)} row(s), each with a known status and an email; {seen}")


def per_candidate(check: Check, rows: Sequence[Any], inline: Sequence[Mapping[str, Any]]) -> Result:
    """One row per inline candidate and none for anyone else (all pages, by `offset` alone)."""
    listed = [normalize_email(c["email"]) for c in inline if isinstance(c.get("email"), str)]
    by_email: dict[str, Mapping[str, Any]] = {}
    repeated = 0
    for row in rows:
        email = row_email(row) if isinstance(row, Mapping) else None
        if email is not None:
            repeated += email in by_email
            by_email.setdefault(email, row)
    missing = len(set(listed) - by_email.keys())
    extra = len(by_email.keys() - set(listed))
    dated = [normalize_email(c["email"]) for c in inline if isinstance(c.get("email"), str) and c.get("submissionDate")]
    dated_note = (f"; {len(dated)} candidate(s) with a `submissionDate`, their statuses: "
                  f"{tally(v for e in dated if e in by_email for v in status_values(by_email[e])[:1])}"
                  if dated else "")
    problems = []
    if missing:
        problems.append(f"{missing} of {len(set(listed))} candidate(s) without a row ({KEPT_AS_UNKNOWN})")
    if extra:
        problems.append(f"{extra} row(s) for no candidate of the schedule (a row must belong to its schedule)")
    if repeated:
        problems.append(f"{repeated} candidate(s) with more than one row")
    if problems:
        return check.failed("; ".join(problems) + dated_note)
    return check.passed(f"{len(by_email)} row(s) for {len(set(listed))} candidate(s), one each, in both "
                        f"directions{dated_note}")
