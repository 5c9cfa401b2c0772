"""Candidate lists kept in CSV files: header `email,name[,questionmark_login][,other registration fields]`.

A `questionmark_login` column is the candidate's Questionmark login name (`Candidate.questionmark_login`), not a
registration field; an empty cell means none.

A problem names the row and column; it never quotes more of the file than the one offending cell.
"""

from __future__ import annotations

import csv
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import cast

from pydantic import ValidationError

from ..errors import Position, Problem
from ..models import Candidate, checked_candidates, checked_emails
from .validation import validation_problems
from .yaml_source import Loc, SourceDoc, format_loc

LOGIN_COLUMN = "questionmark_login"


@dataclass
class ListEntries:
    """The candidates of one list, and where each was written: the entry's index in the list (its row, for
    a CSV file) and, for a CSV file, the line each row starts on. A position is worked out only when a
    problem needs one."""

    shown: Loc
    """The field path of the list, e.g. `candidate_lists.ops-team`."""
    doc: SourceDoc | None = None
    """An inline list: the YAML document it is written in."""
    file: str = ""
    """A CSV list: the file as shown."""
    candidates: list[Candidate] = field(default_factory=list)
    indexes: Sequence[int] = ()
    """The entry of each candidate (a `range` while no entry was dropped)."""
    starts: Sequence[int] = ()
    """A CSV list: the line of each row, the header first (a `range` while no line is blank)."""

    def position(self, at: int) -> Position:
        """Where the at-th candidate was written."""
        if self.doc is not None:
            return self.doc.position((*self.shown, self.indexes[at]))
        return Position(self.file, self.starts[self.indexes[at] + 1], 1)

    def path(self, at: int) -> str:
        return format_loc((*self.shown, self.indexes[at]))


_SEMICOLON_HEADER = frozenset({"email", "name"})
"""A header `email;name`: a spreadsheet saved in a locale whose list separator is `;`."""


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
        starts, rows = _rows(data.decode("utf-8-sig"), max_rows + 1)
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

    entries.starts = starts
    header_line, header = starts[0], rows[0]
    columns = [column.strip() for column in header]
    lowered = [column.lower() for column in columns]
    missing = [want for want in ("email", "name") if want not in lowered]
    if missing and _SEMICOLON_HEADER.issubset(c.strip().strip('"').lower() for c in ",".join(header).split(";")):
        return entries, [Problem(Position(display, header_line, 1), format_loc(shown),
                                 "the columns are separated by ';', not ',': save the file as comma-separated "
                                 "CSV (Excel: \"CSV UTF-8 (Comma delimited)\")")]
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
    login_at = lowered.index(LOGIN_COLUMN) if LOGIN_COLUMN in lowered else None
    others = [(i, column) for i, column in enumerate(columns) if i not in (email_at, name_at, login_at) and column]
    width = len(columns)
    body = rows[1:]
    del rows
    entries.indexes = range(len(body))
    if set(map(len, body)) - {width}:  # rows too long are problems; short ones padded
        for at, values in enumerate(body):
            if len(values) > width:
                problems.append(Problem(Position(display, starts[at + 1], 1), format_loc((*shown, at)),
                                        f"row has {len(values)} values but the header has {width} columns"))
            values += [""] * (width - len(values))
        if problems:
            entries.indexes = [at for at, values in enumerate(body) if len(values) == width]
            body = [body[at] for at in entries.indexes]
    emails, given = _column(body, email_at), _column(body, name_at)
    extras = _extras(body, others) if others else None
    logins = _column(body, login_at) if login_at is not None else None
    by_row = dict(zip(entries.indexes, logins, strict=True)) if logins is not None and any(logins) else None
    del body
    entries, problems = _candidates(entries, path, emails, given, extras, problems)
    if by_row is not None:
        _with_logins(entries, path, by_row, problems)
    return entries, problems


def _with_logins(entries: ListEntries, path: Path, logins: dict[int, str], problems: list[Problem]) -> None:
    """The candidates of rows with a `questionmark_login` cell, validated again with it (a bad login is a
    problem naming the row, and the row is dropped)."""
    kept: list[int] = []
    candidates: list[Candidate] = []
    for candidate, at in zip(entries.candidates, list(entries.indexes), strict=True):
        login = logins.get(at)
        if login:
            row = {"email": candidate.email, "name": candidate.name, "fields": candidate.fields,
                   "questionmark_login": login}
            try:
                candidate = Candidate.model_validate(row)
            except ValidationError as exc:
                row_doc = SourceDoc(path, entries.file, row, {(): (entries.starts[at + 1], 1)})
                problems.extend(validation_problems(exc, row_doc, (), Candidate, shown=(*entries.shown, at)))
                continue
        candidates.append(candidate)
        kept.append(at)
    entries.candidates, entries.indexes = candidates, kept


def _extras(body: list[list[str]], others: list[tuple[int, str]]) -> list[dict[str, str]]:
    """Each row's other registration fields (empty ones left out); rows with the same values share one dict
    (a candidate is frozen: nothing changes its `fields`), so a column of a few sites costs a few dicts."""
    if len(others) == 1:
        (at, column), = others
        values = _column(body, at)
        one = {value: {column: value} if value else {} for value in set(values)}
        return list(map(one.__getitem__, values))
    keys = [tuple([row[at].strip() for at, _ in others]) for row in body]
    shared = {key: {column: value for (_, column), value in zip(others, key, strict=True) if value}
              for key in set(keys)}
    return list(map(shared.__getitem__, keys))


def _column(rows: list[list[str]], at: int) -> list[str]:
    """The at-th values of the rows, stripped."""
    return list(map(str.strip, map(itemgetter(at), rows)))


def _candidates(entries: ListEntries, path: Path, emails: list[str], names: list[str],
                extras: list[dict[str, str]] | None, problems: list[Problem]) -> tuple[ListEntries, list[Problem]]:
    """The rows' candidates (the emails checked as one column); a row that is not one is a problem, dropped."""
    built = checked_candidates(checked_emails(emails), names, extras)
    if all(built):
        entries.candidates = cast("list[Candidate]", built)  # no None in it
        return entries, problems
    kept: list[int] = []
    for at, candidate in enumerate(built):
        if candidate is None:
            row = {"email": emails[at], "name": names[at], "fields": {} if extras is None else extras[at]}
            try:
                candidate = Candidate.model_validate(row)
            except ValidationError as exc:
                row_doc = SourceDoc(path, entries.file, row, {(): (entries.starts[entries.indexes[at] + 1], 1)})
                shown = (*entries.shown, entries.indexes[at])
                problems.extend(validation_problems(exc, row_doc, (), Candidate, shown=shown))
                continue
        entries.candidates.append(candidate)
        kept.append(entries.indexes[at])
    entries.indexes = kept
    return entries, problems


class _Malformed(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def _rows(text: str, limit: int) -> tuple[Sequence[int], list[list[str]]]:
    """Non-blank CSV rows and the 1-based line each starts on; stops after limit + 1 rows."""
    lines = text.splitlines()
    if _plain(text, lines) and len(lines) <= limit + 1:  # no quoting: a line is a row, cut at its commas
        rows = list(map(str.split, lines, repeat(",")))
        if all(_column(rows, 0)):  # the usual file: no row starts with an empty value, so none is blank
            return range(1, len(rows) + 1), rows
        blank = [at for at, values in enumerate(rows) if not values[0].strip() and not "".join(values).strip()]
        skipped = set(blank)
        return ([at + 1 for at in range(len(rows)) if at not in skipped],
                [values for at, values in enumerate(rows) if at not in skipped])
    return _quoted_rows(text.splitlines(keepends=True), limit)


def _plain(text: str, lines: list[str]) -> bool:
    """Nothing only the csv module reads as it should: no quote, no NUL, no line longer than its field limit.
    Then the module's rows are the lines cut at their commas, but for the line break characters other than
    CR and LF, which it leaves in a value and `splitlines` drops: whitespace, stripped from every value."""
    size = csv.field_size_limit()
    return '"' not in text and "\x00" not in text and (len(text) <= size or max(map(len, lines)) <= size)


def _quoted_rows(lines: list[str], limit: int) -> tuple[list[int], list[list[str]]]:
    """`_rows` read by the csv module."""
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
