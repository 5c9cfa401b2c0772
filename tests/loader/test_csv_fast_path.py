"""The quick CSV reading (no quotes: lines cut at commas; candidates built without pydantic) gives what the
csv module and validation give."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings, strategies as st

from reconciler.loader.csv_lists import _quoted_rows, _rows, read_csv_list
from reconciler.models import Candidate, checked_candidates

TEXT = st.lists(st.sampled_from(["a", "b", ",", " ", "\t", "\n", "\r", "\r\n", "\x0c", "\x1e", "\u2028", "é"]),
                max_size=40).map("".join)


def _stripped(rows: list[list[str]]) -> list[list[str]]:
    return [[value.strip() for value in values] for values in rows]


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_lines_cut_at_commas_are_the_csv_modules_rows(text: str) -> None:
    starts, rows = _rows(text, 1000)
    want_starts, want_rows = _quoted_rows(text.splitlines(keepends=True), 1000)
    assert list(starts) == want_starts
    assert _stripped(rows) == _stripped(want_rows)  # every value is stripped where it is used


def test_a_quoted_file_is_read_by_the_csv_module() -> None:
    starts, rows = _rows('email,name\n\na@b.org,"Last, First\nsecond line"\nc@d.org,C\n', 10)
    assert list(starts) == [1, 3, 5]
    assert rows[1] == ["a@b.org", "Last, First\nsecond line"]


def test_quick_candidates_are_the_validated_ones() -> None:
    emails, names = ["a@b.org", "c@d.org"], ["A", "C"]
    quick = checked_candidates(emails, names, [{"Site": "x"}, {}])
    assert quick == [Candidate(email="a@b.org", name="A", fields={"Site": "x"}),
                     Candidate(email="c@d.org", name="C", fields={})]
    assert [c.model_fields_set if c else None for c in quick] == [{"email", "name", "fields"}] * 2
    plain = checked_candidates(emails, names)
    assert plain == [Candidate(email="a@b.org", name="A"), Candidate(email="c@d.org", name="C")]
    assert [c.model_fields_set if c else None for c in plain] == [{"email", "name"}] * 2
    assert checked_candidates([None, "c@d.org", "e@f.org"], ["A", "", "E"]) == [
        None, None, Candidate(email="e@f.org", name="E")]


def test_rows_with_the_same_fields_share_them_and_a_bad_row_keeps_its_line(tmp_path: Path) -> None:
    data = b"email,name,Site,Desk\n\na@b.org,A,North,1\nnot-an-email,B,North,1\n\nc@d.org,C,North,1\ne@f.org,E,,\n"
    entries, problems = read_csv_list(data, tmp_path / "l.csv", "l.csv", ("candidate_lists", "l"), 100)
    assert [(p.position.line, p.path) for p in problems] == [(4, "candidate_lists.l[1].email")]
    assert [c.email for c in entries.candidates] == ["a@b.org", "c@d.org", "e@f.org"]
    first, second, third = entries.candidates
    assert first.fields == {"Site": "North", "Desk": "1"} and first.fields is second.fields and third.fields == {}
    assert [entries.position(at).line for at in range(3)] == [3, 6, 7]
    assert [entries.path(at) for at in range(3)] == [f"candidate_lists.l[{n}]" for n in (0, 2, 3)]
