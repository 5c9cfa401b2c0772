"""An exception inside an emulator is answered as the vendor's catch-all error and recorded, so the plugin
fails the test that met it: an emulator bug never passes as an expected vendor error."""

from __future__ import annotations

import pytest

from reconciler.errors import ProviderError
from reconciler.providers.mettl.client import MettlClient
from reconciler.providers.questionmark.client import QuestionmarkClient
from reconciler.sandbox.launch import Sandbox
from reconciler.sandbox.wire import internal_errors


def _broken(*args: object, **kwargs: object) -> object:
    raise KeyError("emulator bug")


def test_a_mettl_emulator_bug_is_recorded(mettl_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(type(mettl_sandbox.app), "_dispatch", _broken)
    client = MettlClient(mettl_sandbox.url, mettl_sandbox.user, mettl_sandbox.secret)
    with pytest.raises(ProviderError, match="unspecified error"):
        client.call("GET", "/account")
    found = internal_errors(clear=True)  # taken here, so this test itself passes
    assert found and found[0].startswith("mettl: GET /v2/account: KeyError")
    client.close()


def test_a_questionmark_emulator_bug_is_recorded(questionmark_sandbox: Sandbox,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(type(questionmark_sandbox.app), "_route", _broken)
    client = QuestionmarkClient(questionmark_sandbox.url, questionmark_sandbox.user, questionmark_sandbox.secret)
    with pytest.raises(ProviderError, match="Internal sandbox error"):
        client.get("Schedules")
    found = internal_errors(clear=True)
    assert len(found) >= 1 and all(f.startswith("questionmark: GET ") and "KeyError" in f for f in found)
    client.close()


def test_nothing_is_recorded_for_a_vendor_error(mettl_sandbox: Sandbox) -> None:
    client = MettlClient(mettl_sandbox.url, mettl_sandbox.user, "wrong-private-key")
    with pytest.raises(ProviderError):
        client.call("GET", "/account")
    assert internal_errors() == []
    client.close()
