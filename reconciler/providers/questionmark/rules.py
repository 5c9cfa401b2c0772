"""Questionmark's own rules for a desired schedule, checked at validate (loader/rules.py runs each vendor's).

Light on purpose: the loader imports it, so it needs nothing above the models.
"""

from __future__ import annotations

INT64_MAX = 2**63 - 1
ASSESSMENT_ID = "a Questionmark AssessmentID is an Int64 number, such as 1234567"
"""What an assessment id is at Questionmark (shown when one is not)."""


def assessment_number_problem(number: int) -> str | None:
    """An AssessmentID is an Edm.Int64."""
    if number > INT64_MAX:
        return f"a Questionmark AssessmentID is an Int64 number, at most {INT64_MAX}"
    return None
