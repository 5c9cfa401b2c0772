"""The Mettl emulator's test world: a small independent signer, a client, sc builders and fixtures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from reconciler.sandbox.base import Faults, SandboxServer
from reconciler.sandbox.launch import start
from reconciler.sandbox.mettl import SANDBOX_PRIVATE_KEY, SANDBOX_PUBLIC_KEY, MettlApp

NOW = 1_700_000_000
ASSESSMENT = 769688
VECTOR_AK = "ab12c345-6789-0123-456d-78e9f0123456"
VECTOR_PRIVATE = "zy98x765-4321-0987-654w-32v1u0987654"
VECTOR_ASGN = "v4+lYYoZTdoeFV9XSTehS1MLRpBmjTRqQqKGizlHIN8="
SECRET_HEADER = "dXNlcm5hbWU6cGFzc3dvcmQ="


def sign(method: str, url: str, params: dict[str, str], private_key: str) -> str:
    """The documented rule, written here independently of the emulator."""
    text = method + url + "".join("\n" + params[k] for k in sorted(params))
    algorithm = hashlib.sha1 if "/v1/" in url else hashlib.sha256
    return base64.b64encode(hmac.new(private_key.encode(), text.encode(), algorithm).digest()).decode()


class Client:
    """Signs and sends one call to the sandbox."""

    def __init__(self, server: SandboxServer, version: str = "v2") -> None:
        self.base = server.url
        self.version = version
        self.session = requests.Session()

    def call(self, method: str, path: str, params: dict[str, str] | None = None, *, form: bool = False,
             ts: int | str = NOW, private_key: str = SANDBOX_PRIVATE_KEY) -> requests.Response:
        url = f"{self.base}/{self.version}{path}"
        signed = {"ak": SANDBOX_PUBLIC_KEY, "ts": str(ts), **(params or {})}
        signed["asgn"] = sign(method, url, signed, private_key)
        if form:
            return self.session.request(method, url, data=signed, timeout=5)
        return self.session.request(method, url, params=signed, timeout=5)

    def ok(self, method: str, path: str, params: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
        response = self.call(method, path, params, **kw)
        body: dict[str, Any] = response.json()
        assert response.status_code == 200 and body["status"] == "SUCCESS", body
        return body

    def error(self, method: str, path: str, params: dict[str, str] | None = None, **kw: Any) -> str:
        response = self.call(method, path, params, **kw)
        body = response.json()
        assert response.status_code == 200 and body["status"] == "ERROR", body
        return f"{body['error']['code']} {body['error']['message']}"


def sc(value: dict[str, Any]) -> dict[str, str]:
    return {"sc": json.dumps(value, separators=(",", ":"))}


def fixed_window(**over: str) -> dict[str, str]:
    window = {"fixedAccessOption": "SlotWise", "startsOnDate": "Mon, 07 Feb 2022", "startsOnTime": "12:00:00",
              "endsOnDate": "Fri, 11 Feb 2022", "endsOnTime": "18:00:00", "timeZone": "UTC+05:30",
              "locationTimeZone": "Asia/Kolkata"}
    window.update(over)
    return window


def new_schedule(name: str = "Morning", **extra: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "name": name,
        "sourceApp": "App Name",
        "access": {"type": "ByInvitation", "sendEmail": False,
                   "candidates": [{"name": "Ann", "email": "ann@example.com"},
                                  {"name": "Bob", "email": "bob@example.com", "Roll number": "17"}]},
        "scheduleType": "Fixed",
        "scheduleWindow": fixed_window(),
    }
    value.update(extra)
    return value


def seeded() -> MettlApp:
    world = MettlApp(now=lambda: NOW)
    world.add_assessment(ASSESSMENT, "Assessment Name", duration=10)
    return world


@pytest.fixture(scope="module")
def shared() -> Iterator[SandboxServer]:
    """One server for the module (stopping one takes ~0.5 s); each test gets a fresh world."""
    with start(seeded()) as sandbox:
        yield sandbox.server


@pytest.fixture
def server(shared: SandboxServer) -> SandboxServer:
    """The shared server as a new one would be: the seeded world, its clock, credentials and limits, no fault,
    no quirk, no recorded call (a test never sees what another left, in whatever order they run)."""
    fresh = seeded()
    world = shared.app
    assert isinstance(world, MettlApp)
    world.load_state(fresh.dump_state())
    world.now, world.credentials = fresh.now, dict(fresh.credentials)
    world.max_candidates_per_request = fresh.max_candidates_per_request
    shared.faults = Faults()
    shared.quirks.set([])
    shared.reset_calls()
    return shared


@pytest.fixture
def app(server: SandboxServer) -> MettlApp:
    world = server.app
    assert isinstance(world, MettlApp)
    world.load_state(seeded().dump_state())
    world.max_candidates_per_request = 5000
    return world


@pytest.fixture
def client(server: SandboxServer) -> Client:
    return Client(server)
