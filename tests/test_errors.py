"""Redaction: secrets in known shapes never survive into an error message; ordinary text does."""

from __future__ import annotations

import pytest

from reconciler.errors import ProviderError, redact


@pytest.mark.parametrize(("text", "secret"), [
    ("GET /v2/account?ak=pub&ts=1&asgn=v4%2BlYYoZTdo%3D", "v4%2BlYYoZTdo%3D"),
    ('{"asgn": "v4+lYYoZTdo="}', "v4+lYYoZTdo="),
    ("Authorization: Basic c2VjcmV0OnZhbHVl", "c2VjcmV0OnZhbHVl"),
    ('{"testNotificationBasicAuthHeader":"dXNlcjpwYXNz"}', "dXNlcjpwYXNz"),
    ('{"password": "hunter2"}', "hunter2"),
    ("https://x/?password=hunter2&a=b", "hunter2"),
])
def test_known_secret_shapes_are_removed(text: str, secret: str) -> None:
    assert secret not in redact(text)


def test_given_secret_values_are_removed() -> None:
    assert "SENTINEL-123" not in redact("the key SENTINEL-123 was refused", ("SENTINEL-123",))


def test_ordinary_text_is_left_alone() -> None:
    line = "providers.questionmark.password: environment variable QUESTIONMARK_PASSWORD is not set"
    assert redact(line) == line


def test_provider_error_redacts_message_and_truncates_body() -> None:
    error = ProviderError("mettl", "failed asgn=abc123", status=500, body="x" * 1000 + "asgn=zzz")
    assert "abc123" not in str(error) and "\n" not in str(error)
    assert len(error.body) < 400
