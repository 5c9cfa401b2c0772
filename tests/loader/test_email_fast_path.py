"""The fast email check never accepts what email_validator refuses, and takes the common addresses."""

from __future__ import annotations

import pytest
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from hypothesis import given, settings, strategies as st

from reconciler.models import Candidate
from reconciler.models.base import SPECIAL_USE_DOMAINS, _plain_email, checked_email, checked_emails, is_email


def _validator_accepts(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False, allow_quoted_local=True, allow_smtputf8=True)
    except EmailNotValidError:
        return False
    return True


TRICKY = ["a@b.c", "a@example.test", "a@x.localhost", "a@mail.onion", "a@ab--cd.org", "a@xn--nxasmq6b.com",
          "a@-a.org", "a@a-.org", "a@a.123", "a@a.b1", ".a@a.org", "a.@a.org", "a..b@a.org", "a@a..org",
          f"{'a' * 65}@a.org", f"a@{'b' * 64}.org", f"a@{'b.' * 126}org", "a@a.org.", "a@localhost", "a@arpa",
          "a+tag@sub.example.org", "first.last@example.co.uk", "x_y-z@a1.io", "A@example.org", "a@b.arpa",
          "a@sub.local", "a@a.b.invalid", f"{'a' * 64}@a.org"]


def test_the_fast_path_agrees_with_email_validator_on_tricky_addresses() -> None:
    taken = [value for value in TRICKY if _plain_email(value)]
    assert taken == ["a+tag@sub.example.org", "first.last@example.co.uk", "x_y-z@a1.io", f"{'a' * 64}@a.org"]
    for value in TRICKY:
        assert is_email(value) == _validator_accepts(value), value


def test_the_special_use_domains_are_email_validators() -> None:
    assert tuple(SPECIAL_USE_DOMAIN_NAMES) == SPECIAL_USE_DOMAINS


ALPHABET = "abz09_+-.@x"


@settings(max_examples=400, deadline=None)
@given(st.builds(str.__add__, st.text(ALPHABET, min_size=3, max_size=40),
                 st.sampled_from([".org", ".test", ".xtest", ".local", ".localhost", ".arpa", ".invalid", ".onion"])))
def test_whatever_the_fast_path_takes_email_validator_takes(value: str) -> None:
    if _plain_email(value):
        assert _validator_accepts(value)


def test_a_candidate_read_from_a_vendor_is_the_validated_one() -> None:
    read = Candidate.read(" Raj@Example.ORG", "Raj")
    assert read == Candidate(email=" Raj@Example.ORG", name="Raj") and read.email == "raj@example.org"


@pytest.mark.parametrize(("email", "name"), [("raj-at-example.com", "Raj"), (7, "Raj"), ("raj@example.org", ""),
                                             ("raj@example.org", None)])
def test_a_vendor_candidate_that_validation_refuses_is_refused(email: object, name: object) -> None:
    with pytest.raises(ValueError, match="not a"):
        Candidate.read(email, name)


def _one_by_one(values: list[str]) -> list[str | None]:
    found: list[str | None] = []
    for value in values:
        try:
            found.append(checked_email(value))
        except ValueError:
            found.append(None)
    return found


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from([*TRICKY, " a@b.org", "A@B.ORG", "a@b.org\nc@d.org", "", "\u212a@b.org"]),
                          st.text(ALPHABET + "\n A", max_size=20).map(lambda s: s + ".org")), max_size=8))
def test_a_column_is_checked_as_each_of_its_values(values: list[str]) -> None:
    assert checked_emails(values) == _one_by_one(values)
