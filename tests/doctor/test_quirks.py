"""Every emulator quirk breaks one assumption; doctor must then fail the check that verifies it (exit 1)."""

from __future__ import annotations

import pytest

from reconciler.sandbox.quirks import QUIRKS

from .conftest import TenantFactory, paged_questionmark_world

# quirk → (provider whose emulator gets it, the check that must fail)
BROKEN_CHECK = {
    "M-01": ("mettl", "mettl schedule listing 769688"),
    "M-05": ("mettl", "mettl schedule read"),
    "M-06": ("mettl", "mettl candidate status rows"),
    "M-07": ("mettl", "mettl write-only header"),
    "M-08": ("mettl", "mettl error envelope"),
    "M-14": ("mettl", "mettl stable reads"),
    "Q-13": ("questionmark", "questionmark stable reads"),
    "clock-skew": ("mettl", "mettl clock skew"),
    "Q-01": ("questionmark", "questionmark schedules $expand"),
    "Q-04": ("questionmark", "questionmark paging"),
    "Q-05": ("questionmark", "questionmark error envelope"),
    "Q-07": ("questionmark", "questionmark service account"),
    "qm-metadata": ("questionmark", "questionmark $metadata"),
    "qm-permission": ("questionmark", "questionmark scheduling permission 65433000065433"),
    "qm-monitoring-types": ("questionmark", "questionmark monitoring types"),
    "qm-participant-lookup": ("questionmark", "questionmark participant lookup"),
    "qm-attempts": ("questionmark", "questionmark attempts feed"),
    "M-01-offset": ("mettl", "mettl schedule listing 769688"),
    "M-06-vocabulary": ("mettl", "mettl candidate status rows"),
    "M-10": ("mettl", "mettl status rows per candidate"),
    "M-10-extra": ("mettl", "mettl status rows per candidate"),
    "Q-12": ("questionmark", "questionmark $skip pages"),
    "Q-13-later-pages": ("questionmark", "questionmark stable reads"),
    "Q-20": ("questionmark", "questionmark monitoring types"),
    "Q-26": ("questionmark", "questionmark PrimaryEmail lookup"),
    "Q-16": ("questionmark", "questionmark membership navigations"),
}
ELSEWHERE = {"Q-02", "Q-02-or", "Q-22"}
"""Quirks whose checks need a flag or a setting: tests/doctor/test_qm_identity.py."""


# quirks that only show on a feed of several pages (the demo world has one page)
PAGED = {"Q-12", "Q-13-later-pages"}


def test_every_quirk_has_a_check_that_catches_it() -> None:
    assert set(BROKEN_CHECK) | ELSEWHERE == set(QUIRKS)


@pytest.mark.parametrize("quirk", sorted(BROKEN_CHECK))
def test_the_quirk_fails_its_check(tenant: TenantFactory, quirk: str) -> None:
    provider, check = BROKEN_CHECK[quirk]
    apps = {"questionmark": paged_questionmark_world()} if quirk in PAGED else None
    live = tenant([provider], quirks={provider: [quirk]}, apps=apps)

    result, rows = live.rows()

    assert result.exit_code == 1, result.stdout
    assert rows[check]["status"] == "fail", rows[check]
    assert rows[check]["assumption"] == QUIRKS[quirk].assumption
    assert rows[check]["fix"]
    assert rows[f"{provider} credentials"]["status"] == "pass"
    assert live.writes() == []


def test_questionmark_clock_skew_is_informational(tenant: TenantFactory) -> None:
    live = tenant(["questionmark"], quirks={"questionmark": ["clock-skew"]})

    result, rows = live.rows()

    row = rows["questionmark clock skew"]
    assert row["status"] == "pass" and "2 d" in row["detail"] and "ahead" in row["detail"]
    assert result.exit_code == 0, result.stdout


def test_quirks_can_be_switched_through_the_control_endpoint(tenant: TenantFactory) -> None:
    import requests

    live = tenant(["mettl"])
    control = f"{live.servers['mettl'].url}/__sandbox/quirks"
    assert requests.post(control, json={"enabled": ["M-01"]}, timeout=5).json() == {"enabled": ["M-01"]}
    assert requests.post(control, json={"enabled": ["no-such"]}, timeout=5).status_code == 400

    _, rows = live.rows()

    assert rows["mettl schedule listing 769688"]["status"] == "fail"
    assert "paging.next" in rows["mettl schedule listing 769688"]["detail"]
