"""pytest fixtures that serve the vendor emulators (the `reconciler_sandbox` plugin, a `pytest11` entry point).

    def test_the_account_is_read(mettl_sandbox):
        client = MettlClient(mettl_sandbox.url, mettl_sandbox.user, mettl_sandbox.secret)
        mettl_sandbox.faults.fail_next("error", "GET", path="/account$")   # an E503, then the retry succeeds
        assert client.account()["status"] == "SUCCESS"
        assert [c.path for c in mettl_sandbox.calls] == ["/v2/account"]

Each test gets its own server on 127.0.0.1 (a `launch.Sandbox`: `url`, `user`, `secret`, `app`, `faults`,
`calls`, `writes()`), holding the demo world of `worlds.py`. For another world, override the
`mettl_sandbox_app` / `questionmark_sandbox_app` fixture in a conftest.py. Disable with `-p no:reconciler_sandbox`.

An emulator bug (an exception inside an emulator, answered as the vendor's catch-all error) fails the test
that met it, at teardown (`sandbox_internal_errors`): it must never pass as an expected vendor error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .launch import Sandbox, new_app, start
from .wire import internal_errors

if TYPE_CHECKING:
    from .base import SandboxApp


@pytest.fixture(autouse=True)
def sandbox_internal_errors() -> Iterator[None]:
    """Fail the test when an emulator met a bug of its own during it."""
    internal_errors(clear=True)
    yield
    found = internal_errors(clear=True)
    if found:
        pytest.fail("emulator bug(s), answered as vendor errors:\n  " + "\n  ".join(found), pytrace=False)


@pytest.fixture
def mettl_sandbox_app() -> SandboxApp:
    """The world `mettl_sandbox` serves: a `MettlApp` with the demo world."""
    return new_app("mettl", seed_world=True)


@pytest.fixture
def questionmark_sandbox_app() -> SandboxApp:
    """The world `questionmark_sandbox` serves: a `QuestionmarkApp` with the demo world."""
    return new_app("questionmark", seed_world=True)


@pytest.fixture
def mettl_sandbox(mettl_sandbox_app: SandboxApp) -> Iterator[Sandbox]:
    """A started Mettl emulator: base URL, API keys, faults and call log."""
    with start(mettl_sandbox_app) as sandbox:
        yield sandbox


@pytest.fixture
def questionmark_sandbox(questionmark_sandbox_app: SandboxApp) -> Iterator[Sandbox]:
    """A started Questionmark emulator: service root URL, login, faults and call log."""
    with start(questionmark_sandbox_app) as sandbox:
        yield sandbox
