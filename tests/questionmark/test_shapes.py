"""The quick shape test of listed schedules accepts exactly what the pydantic answer models accept."""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel, ValidationError

from reconciler.answers import Answer
from reconciler.providers.questionmark.answers import ListedSchedule, MetadataEntity, ParticipantEntity
from reconciler.providers.questionmark.shapes import shape_test

GOOD: dict[str, Any] = {
    "ID": 11601, "ParentScheduleID": None, "ExternalID": "reconciler:v1:0123456789abcdef01234567:seat",
    "Name": "Exam", "AssessmentID": "65433000065433", "Language": None, "GroupID": 8320001,
    "ParticipantID": 40001, "StartFrom": "2027-01-10T08:00:00Z", "StartTo": "2027-01-10T10:00:00",
    "ResumeTo": None, "ReportFrom": None, "ReportTo": None, "ExtraTime": None, "MaxAttempts": 1,
    "MonitoringTypeID": 1, "Hidden": False, "Disabled": False, "ResumeAllowed": False, "TestCenterID": None,
    "Unknown": {"extra": "kept"},
    "ScheduleMetadata": [{"ID": 70001, "Key": "cost centre", "Value": None}],
    "Participant": {"ID": 40001, "Name": "ana", "FirstName": None, "LastName": "Li", "PrimaryEmail": "a@b.c"},
    "Group": None,
}
ODD_VALUES: list[Any] = [
    None, "1", 1, True, 1.5, [], {}, "2027-13-40T00:00:00Z", "-12", "x" * 30, "2027-01-10T08:00:00.1234567Z"]


def _valid(model: type[BaseModel], data: Any) -> bool:
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def _variants() -> list[dict[str, Any]]:
    out = [copy.deepcopy(GOOD)]
    for field in [*ListedSchedule.model_fields, "Unknown"]:
        missing = copy.deepcopy(GOOD)
        missing.pop(field, None)
        out.append(missing)
        for value in ODD_VALUES:
            out.append({**copy.deepcopy(GOOD), field: value})
    for nested, model in (("ScheduleMetadata", MetadataEntity), ("Participant", ParticipantEntity)):
        for field in model.model_fields:
            for value in [*ODD_VALUES, "missing"]:
                data = copy.deepcopy(GOOD)
                item = data[nested][0] if nested == "ScheduleMetadata" else data[nested]
                if value == "missing":
                    del item[field]
                else:
                    item[field] = value
                out.append(data)
    return out


def test_the_quick_test_agrees_with_pydantic() -> None:
    test = shape_test(ListedSchedule)
    assert test is not None
    variants = _variants()
    disagree = [data for data in variants if test(data) is not _valid(ListedSchedule, data)]
    assert len(variants) > 400 and sum(map(test, variants)) > 20 and disagree == []


def test_a_model_beyond_the_quick_test_is_left_to_pydantic() -> None:
    class Loose(Answer):
        ratio: float

    assert shape_test(Loose) is None
    assert shape_test(ListedSchedule) is not None and not shape_test(ListedSchedule)([GOOD])  # type: ignore[misc]
