"""The write-only settings are derived from the `Secret` marker: one list, not three."""

from __future__ import annotations


def test_the_write_only_fields_are_the_secret_settings() -> None:
    from reconciler.models import WRITE_ONLY_FIELDS
    from reconciler.providers.mettl.mapping import WRITE_ONLY

    assert WRITE_ONLY_FIELDS == WRITE_ONLY == {"test_notification_basic_auth_header"}
