"""Candidate lists kept in CSV files: header `email,name[,other registration fields]`.

A problem names the row and column; it never quotes more of the file than the one offending cell.
"""

from __future__ import annotations

import csv
import difflib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from ..errors import Position, Problem
from ..models import Candidate, checked_candidates, checked_emails
from .validation import validation_problems
from .yaml_source import Loc, SourceDoc, format_loc


@dataclass
class ListEntries:
    """The candidates of one list, and where each was written: the entry's index in the list (its row, for
    a CSV file) and, for a CSV file, its line. A position is worked out only when a problem needs one."""

    shown: Loc
    """The field path of the list, e.g. `candidate_lists.ops-team`."""
    doc: SourceDoc | None = None
    """An inline list: the YAML document it is written in."""
    file: str = ""
    """A CSV list: the file as shown."""
    candidates: list[Candidate] = field(default_factory=list)
    indexes: list[int] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def position(self, at: int) -> Position:
        """Where the at-th candidate was written."""
        if self.doc is not None:
            return self.doc.position((*self.shown, self.indexes[at]))
        return Position(self.file, self.lines[at], 1)

    def path(self, at: int) -> str:
        return format_loc((*self.shown, self.indexes[at]))


def read_csv_list(
    data: bytes, path: Path, display: str, shown: Loc, max_rows: int
) -> tuple[ListEntries, list[Problem]]:
    """Read a CSV candidate list from its bytes. Blank rows are skipped; empty extra fields are left out.

    `shown` is the field path of the list (e.g. `candidate_lists.ops-team`), used to name rows. More than
    max_rows rows (after the header) is a problem at the first row past the limit.
    """
    problems: list[Problem] = []
    entries = ListEntries(shown, file=display)
    try:
        starts, rows = _rows(data.decode("utf-8-sig").splitlines(keepends=True), max_rows + 1)
    except UnicodeDecodeError as exc:
        return entries, [Problem(Position(display), "", f"not UTF-8 text (bad byte at offset {exc.start})")]
    except _Malformed as exc:
        return entries, [Problem(Position(display, exc.line, 1), format_loc(shown), f"malformed CSV: {exc}")]
    if len(rows) > max_rows + 1:
        return entries, [Problem(Position(display, starts[max_rows + 1], 1), format_loc(shown),
                            f"more than {max_rows} rows (limits.max_csv_rows in reconciler.yaml)")]
    if not rows:
        return entries, [Problem(Position(display, 1, 1), format_loc(shown),
                                 "empty CSV file: expected a header email,name")]

    header_line, header = starts[0], rows[0]
    columns = [column.strip() for column in header]
    lowered = [column.lower() for column in columns]
    missing = [want for want in ("email", "name") if want not in lowered]
    if missing:
        names = " and ".join(repr(m) for m in missing)
        short = [c for c in columns if len(c) <= 40]  # a header cell is quoted only as a likely misspelling
        hints = "".join(f" (is {close[0]!r} meant to be {want!r}?)" for want in missing
                        for close in [difflib.get_close_matches(want, short, n=1, cutoff=0.6)] if close)
        return entries, [
            Problem(
                Position(display, header_line, 1),
                format_loc(shown),
                f"missing column {names} in the header (the first row){hints}",
            )
        ]
    seen_columns = [c for c in lowered if c]
    if len(set(seen_columns)) != len(seen_columns):
        return entries, [Problem(Position(display, header_line, 1), format_loc(shown), "a column name appears twice")]

    email_at, name_at = lowered.index("email"), lowered.index("name")
    others = [(i, column) for i, column in enumerate(columns) if i not in (email_at, name_at) and column]
    width = len(columns)
    body = rows[1:]
    if any(len(values) != width for values in body):  # rows too long are problems; short ones padded
        for at, values in enumerate(body):
            if len(values) > width:
                problems.append(Problem(Position(display, starts[at + 1], 1), format_loc((*shown, at)),
                                        f"row has {len(values)} values but the header has {width} columns"))
            values += [""] * (width - len(values))
    kept = [at for at, values in enumerate(body) if len(values) == width] if problems else range(len(body))
    entries.indexes[:] = kept
    entries.lines[:] = [starts[at + 1] for at in kept] if problems else starts[1:]
    body = [body[at] for at in kept] if problems else body
    emails = [values[email_at].strip() for values in body]
    given = [values[name_at].strip() for values in body]
    extras = ([{column: value for i, column in others if (value := values[i].strip())} for values in body]
              if others else [{} for _ in body])
    return _candidates(entries, path, emails, given, extras, problems)


def _candidates(entries: ListEntries, path: Path, emails: list[str], names: list[str],
                extras: list[dict[str, str]], problems: list[Problem]) -> tuple[ListEntries, list[Problem]]:
    """The rows' candidates (the emails checked as one column); a row that is not one is a problem, dropped."""
    dropped: set[int] = set()
    add = entries.candidates.append
    built = checked_candidates(checked_emails(emails), names, extras)
    for at, candidate in enumerate(built):
        if candidate is not None:
            add(candidate)
            continue
        row = {"email": emails[at], "name": names[at], "fields": extras[at]}
        try:
            add(Candidate.model_validate(row))
        except ValidationError as exc:
            row_doc = SourceDoc(path, entries.file, row, {(): (entries.lines[at], 1)})
            shown = (*entries.shown, entries.indexes[at])
            problems.extend(validation_problems(exc, row_doc, (), Candidate, shown=shown))
            dropped.add(at)
    if dropped:
        entries.indexes[:] = [index for at, index in enumerate(entries.indexes) if at not in dropped]
        entries.lines[:] = [line for at, line in enumerate(entries.lines) if at not in dropped]
    return entries, problems


class _Malformed(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _rows(lines: list[str], limit: int) -> tuple[list[int], list[list[str]]]:
    """Non-blank CSV rows and the 1-based line each starts on; stops after limit + 1 rows."""
    reader = csv.reader(lines)
    starts: list[int] = []
    rows: list[list[str]] = []
    start = 1
    try:
        for values in reader:
            if (values and values[0].strip()) or "".join(values).strip():
                starts.append(start)
                rows.append(values)
                if len(rows) > limit:
                    break
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _Malformed(str(exc), start) from None
    return starts, rows
