"""Mettl's own rules for a desired schedule, checked at validate (loader/rules.py runs each vendor's).

Light on purpose: the loader imports it, so it needs nothing above the models.
"""

from __future__ import annotations

ASSESSMENT_ID = "a Mettl assessment id is digits, such as 769688"
"""What an assessment id is at Mettl (shown when one is not)."""


def assessment_number_problem(number: int) -> str | None:
    """Any positive number is a Mettl assessment id."""
    return None
