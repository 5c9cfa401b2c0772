"""Candidate lists kept in CSV files: header `email,name[,other registration fields]`."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from .errors import Position, Problem
from .loader_errors import validation_problems
from .loader_yaml import Loc, SourceDoc, format_loc
from .models import Candidate


@dataclass(frozen=True)
class ListEntry:
    """One candidate of a list and where it was written."""

    candidate: Candidate
    position: Position
    path: str


def read_csv_list(path: Path, display: str, shown: Loc) -> tuple[list[ListEntry], list[Problem]]:
    """Read a CSV candidate list. Blank rows are skipped; empty extra fields are left out.

    `shown` is the field path of the list (e.g. `candidate_lists.ops-team`), used to name rows.
    """
    problems: list[Problem] = []
    entries: list[ListEntry] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = _rows(handle.read().splitlines(keepends=True))
    except UnicodeDecodeError as exc:
        return [], [Problem(Position(display), "", f"not UTF-8 text (bad byte at offset {exc.start})")]
    except OSError as exc:
        return [], [Problem(Position(display), "", f"cannot read CSV file: {exc.strerror or exc}")]
    except csv.Error as exc:
        return [], [Problem(Position(display), format_loc(shown), f"malformed CSV: {exc}")]
    if not rows:
        return [], [Problem(Position(display, 1, 1), format_loc(shown), "empty CSV file: expected a header email,name")]

    header_line, header = rows[0]
    columns = [column.strip() for column in header]
    lowered = [column.lower() for column in columns]
    missing = [want for want in ("email", "name") if want not in lowered]
    if missing:
        names = " and ".join(repr(m) for m in missing)
        return [], [
            Problem(
                Position(display, header_line, 1),
                format_loc(shown),
                f"missing column {names} (header is: {','.join(columns)})",
            )
        ]
    seen_columns = [c for c in lowered if c]
    if len(set(seen_columns)) != len(seen_columns):
        return [], [Problem(Position(display, header_line, 1), format_loc(shown), "a column name appears twice")]

    email_at, name_at = lowered.index("email"), lowered.index("name")
    for index, (line, values) in enumerate(rows[1:]):
        row_loc = (*shown, index)
        values = [v.strip() for v in values]
        if len(values) > len(columns):
            problems.append(
                Problem(
                    Position(display, line, 1),
                    format_loc(row_loc),
                    f"row has {len(values)} values but the header has {len(columns)} columns",
                )
            )
            continue
        values += [""] * (len(columns) - len(values))
        fields = {
            column: value
            for i, (column, value) in enumerate(zip(columns, values, strict=True))
            if i not in (email_at, name_at) and column and value
        }
        data = {"email": values[email_at], "name": values[name_at], "fields": fields}
        try:
            candidate = Candidate.model_validate(data)
        except ValidationError as exc:
            row_doc = SourceDoc(path, display, data, {(): (line, 1)})
            problems.extend(validation_problems(exc, row_doc, (), Candidate, shown=row_loc))
            continue
        entries.append(ListEntry(candidate, Position(display, line, 1), format_loc(row_loc)))
    return entries, problems


def _rows(lines: list[str]) -> list[tuple[int, list[str]]]:
    """Non-blank CSV rows with the 1-based line each starts on."""
    reader = csv.reader(lines)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    for values in reader:
        if any(v.strip() for v in values):
            rows.append((start, values))
        start = reader.line_num + 1
    return rows
