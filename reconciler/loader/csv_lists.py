"""Candidate lists kept in CSV files: header `email,name[,other registration fields]`.

A problem names the row and column; it never quotes more of the file than the one offending cell.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from ..errors import Position, Problem
from ..models import Candidate
from .validation import validation_problems
from .yaml_source import Loc, SourceDoc, format_loc


@dataclass(frozen=True)
class ListEntry:
    """One candidate of a list and where it was written."""

    candidate: Candidate
    position: Position
    path: str


def read_csv_list(
    data: bytes, path: Path, display: str, shown: Loc, max_rows: int
) -> tuple[list[ListEntry], list[Problem]]:
    """Read a CSV candidate list from its bytes. Blank rows are skipped; empty extra fields are left out.

    `shown` is the field path of the list (e.g. `candidate_lists.ops-team`), used to name rows. More than
    max_rows rows (after the header) is a problem at the first row past the limit.
    """
    problems: list[Problem] = []
    entries: list[ListEntry] = []
    try:
        rows = _rows(data.decode("utf-8-sig").splitlines(keepends=True), max_rows + 1)
    except UnicodeDecodeError as exc:
        return [], [Problem(Position(display), "", f"not UTF-8 text (bad byte at offset {exc.start})")]
    except _Malformed as exc:
        return [], [Problem(Position(display, exc.line, 1), format_loc(shown), f"malformed CSV: {exc}")]
    if len(rows) > max_rows + 1:
        line = rows[max_rows + 1][0]
        return [], [Problem(Position(display, line, 1), format_loc(shown),
                            f"more than {max_rows} rows (limits.max_csv_rows in reconciler.yaml)")]
    if not rows:
        return [], [Problem(Position(display, 1, 1), format_loc(shown), "empty CSV file: expected a header email,name")]

    header_line, header = rows[0]
    columns = [column.strip() for column in header]
    lowered = [column.lower() for column in columns]
    missing = [want for want in ("email", "name") if want not in lowered]
    if missing:
        names = " and ".join(repr(m) for m in missing)
        short = [c for c in columns if len(c) <= 40]  # a header cell is quoted only as a likely misspelling
        hints = "".join(f" (is {close[0]!r} meant to be {want!r}?)" for want in missing
                        for close in [difflib.get_close_matches(want, short, n=1, cutoff=0.6)] if close)
        return [], [
            Problem(
                Position(display, header_line, 1),
                format_loc(shown),
                f"missing column {names} in the header (the first row){hints}",
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
        row = {"email": values[email_at], "name": values[name_at], "fields": fields}
        try:
            candidate = Candidate.model_validate(row)
        except ValidationError as exc:
            row_doc = SourceDoc(path, display, row, {(): (line, 1)})
            problems.extend(validation_problems(exc, row_doc, (), Candidate, shown=row_loc))
            continue
        entries.append(ListEntry(candidate, Position(display, line, 1), format_loc(row_loc)))
    return entries, problems


class _Malformed(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _rows(lines: list[str], limit: int) -> list[tuple[int, list[str]]]:
    """Non-blank CSV rows with the 1-based line each starts on; stops after limit + 1 rows."""
    reader = csv.reader(lines)
    rows: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for values in reader:
            if any(v.strip() for v in values):
                rows.append((start, values))
                if len(rows) > limit:
                    break
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _Malformed(str(exc), start) from None
    return rows
