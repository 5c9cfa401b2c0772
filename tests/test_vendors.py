"""One `Vendor` object per vendor package, imported directly by the registry, holds its settings model, its
validate rules, its provider factory and its doctor."""

from __future__ import annotations

import pytest

from reconciler.loader.rules import VENDOR_RULES
from reconciler.models.project import ProvidersConfig
from reconciler.providers import mettl, questionmark
from reconciler.providers.base import NOT_READ, Endpoint
from reconciler.providers.registry import VENDORS
from reconciler.vendors import PROVIDER_TITLES, VENDOR_NAMES

from .changes import update


def test_the_registry_holds_each_vendor_package_object() -> None:
    assert VENDORS == {"mettl": mettl.VENDOR, "questionmark": questionmark.VENDOR}
    assert tuple(VENDORS) == VENDOR_NAMES
    assert {name: vendor.title for name, vendor in VENDORS.items()} == PROVIDER_TITLES


@pytest.mark.parametrize("name", VENDOR_NAMES)
def test_a_vendor_holds_its_settings_rules_and_credentials(name: str) -> None:
    vendor = VENDORS[name]
    assert ProvidersConfig.model_fields[name].annotation == vendor.settings | None
    assert VENDOR_RULES[name] is vendor.rules
    assert set(vendor.credentials) <= set(vendor.settings.model_fields)


@pytest.mark.parametrize("name", VENDOR_NAMES)
def test_a_vendor_factory_makes_its_provider_from_the_settings_defaults(name: str) -> None:
    provider = VENDORS[name].factory(None, Endpoint("http://127.0.0.1:9", "user", "secret"))
    try:
        assert provider.name == name
        assert provider.calls == 0
    finally:
        provider.close()


@pytest.mark.parametrize("name", VENDOR_NAMES)
def test_the_base_refuses_a_change_to_a_schedule_it_did_not_read(name: str) -> None:
    """The base's dispatch, for every vendor: an update without the live schedule calls nothing."""
    provider = VENDORS[name].factory(None, Endpoint("http://127.0.0.1:9", "user", "secret"))
    try:
        outcome = provider.apply(update(name, "1234", "Unread"), None)
        assert (outcome.ok, outcome.message, outcome.calls, provider.calls) == (False, NOT_READ, 0, 0)
    finally:
        provider.close()
