"""Every hostile answer an emulator switch produces ends `plan` and `apply` the same way: exit 1, one clear
line naming the vendor call (and the field), nothing written to either vendor, no traceback, bounded time.

The acme example runs through the real CLI against both emulators; one of them is switched hostile
(`reconciler/sandbox/hostile.py`, and the doctor quirk `Q-04` for a `nextLink` to another host).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest

from ..cli.conftest import Cli, error_lines, no_traceback
from .conftest import AcmeFactory


@dataclass(frozen=True)
class Case:
    provider: str
    quirk: str
    proves: str
    line: str  # a regex the one error line must match
    seconds: float = 6.0


_LISTING = r"GET /v2/assessments/769688/schedules"
_QM = r"GET /deliveryodata/123456/Schedules"
CASES = [
    Case("mettl", "drip-feed", "the whole-request deadline ends a drip-fed answer (tried twice, not 10 times)",
         r"mettl: GET http://127\.0\.0\.1:\d+/v2/assessments/769688/schedules failed: no complete answer "
         r"within 1 s$", 8.0),
    Case("questionmark", "drip-feed", "the same for Questionmark",
         r"questionmark: GET http://127\.0\.0\.1:\d+/deliveryodata/123456/Schedules failed: no complete answer "
         r"within 1 s$", 8.0),
    Case("mettl", "huge-body", "the 64 MiB cap ends an answer that never ends (chunked, no length)",
         r"mettl: answer to GET http://127\.0\.0\.1:\d+/v2/assessments/769688/schedules is larger than 64 MiB$"),
    Case("questionmark", "huge-body", "the same for Questionmark",
         r"questionmark: answer to GET http://127\.0\.0\.1:\d+/deliveryodata/123456/Schedules is larger than 64 MiB$"),
    Case("mettl", "redirect-away", "a 302 is not followed (credentials and signature stay home)",
         r"mettl: HTTP 302 GET http://127\.0\.0\.1:\d+/v2/assessments/769688/schedules answered with a redirect to "
         r"https://elsewhere\.invalid; redirects are not followed \(check the configured base URL\)$"),
    Case("questionmark", "redirect-away", "the same for Questionmark",
         r"questionmark: HTTP 302 GET http://127\.0\.0\.1:\d+/deliveryodata/123456/Schedules answered with a "
         r"redirect to https://elsewhere\.invalid; redirects are not followed \(check the configured base URL\)$"),
    Case("mettl", "html-error", "an HTML page names the call and its content type",
         rf"mettl: HTTP 200 {_LISTING}: answer is not JSON \(text/html\)$"),
    Case("questionmark", "html-error", "the same for Questionmark",
         rf"questionmark: HTTP 200 {_QM}: answer is not JSON \(text/html\)$"),
    Case("questionmark", "Q-04", "an odata.nextLink to another host is refused before it is sent",
         r"questionmark: refused to call https://elsewhere\.invalid/deliveryodata/0/Schedules: it is not under the "
         r"configured base URL http://127\.0\.0\.1:\d+/deliveryodata/123456$"),
    Case("questionmark", "next-link-loop", "an odata.nextLink that repeats ends the listing at once",
         r"questionmark: GET Schedules: odata\.nextLink repeats a page already read \(the listing would never "
         r"end\); stopped$"),
    Case("mettl", "mettl-listing-no-name", "a listing item without `name` is not read as unnamed",
         rf"mettl: {_LISTING}: answer field name is missing$"),
    Case("mettl", "mettl-echo-request", "an error quoting the request is printed without the signature it carried",
         rf"mettl: HTTP 400 \[E400\] {_LISTING}: could not process /v2/assessments/769688/schedules\?\S*"
         r"asgn=\*\*\* \(signature \*\*\*\)$"),
    Case("mettl", "mettl-schedule-no-access", "a schedule without `access` is not read as open to all",
         r"mettl: GET /v2/schedules/[a-z0-9]+: answer field access is missing$"),
    Case("questionmark", "qm-schedule-no-name", "a schedule without `Name` is not read as unnamed",
         r"questionmark: GET Schedules: answer field Name of schedule \d+ is missing$"),
    Case("questionmark", "qm-max-attempts-text", 'MaxAttempts: "two" is not read as unlimited',
         r"questionmark: GET Schedules: answer field MaxAttempts of schedule \d+ is invalid \(Input should be a "
         r"valid integer\)$"),
]


@pytest.mark.parametrize("command", ["plan", "apply"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.provider}-{c.quirk}")
def test_a_hostile_answer_stops_the_run_with_one_clear_line(
    run: Cli, acme_live: AcmeFactory, case: Case, command: str
) -> None:
    acme = acme_live(quirks={case.provider: [case.quirk]}, quirk_settings={"drip_interval": 0.4}, timeout=1.0)
    args = ["--auto-approve"] if command == "apply" else ["--detailed-exitcode"]

    started = time.monotonic()
    result = run(command, *args, "--config", acme.config, env=acme.env)
    elapsed = time.monotonic() - started

    assert result.exit_code == 1, result.output
    no_traceback(result)
    lines = error_lines(result)
    assert len(lines) == 1, lines
    assert re.fullmatch(rf"error: {case.line}", lines[0]), lines[0]
    assert acme.vendors.writes() == []
    assert elapsed < case.seconds, f"{case.quirk} took {elapsed:.1f} s"


def test_every_hostile_switch_is_tested() -> None:
    from reconciler.sandbox.hostile import HOSTILE

    assert set(HOSTILE) | {"Q-04"} == {c.quirk for c in CASES}


def test_switches_and_their_settings_go_through_the_control_endpoint(acme_live: AcmeFactory) -> None:
    import requests

    acme = acme_live()
    control = f"{acme.vendors.servers['questionmark'].url}/__sandbox/quirks"
    answer = requests.post(control, json={"enabled": ["drip-feed"], "settings": {"drip_interval": 0.05}}, timeout=5)
    assert answer.json() == {"enabled": ["drip-feed"]}
    assert acme.vendors.servers["questionmark"].quirks.settings.drip_interval == 0.05
    refused = requests.post(control, json={"enabled": [], "settings": {"no_such": 1}}, timeout=5)
    assert refused.status_code == 400 and "no_such" in refused.json()["error"]
