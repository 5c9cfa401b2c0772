"""The fast YAML read (C parser) gives exactly what the round-trip read gives, or steps aside (NotFast).

Property: for any text, either the fast read raises NotFast, or the round-trip read accepts the text too and
both give the same data, the same templates and the same positions (the first levels; the rest on demand).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from reconciler.loader import yaml_source
from reconciler.loader.yaml_fast import MAX_KEPT, CParser, NotFast, fast_read
from reconciler.loader.yaml_source import MAX_DEPTH, read_yaml

from .test_fuzz import YAML_TOKENS

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted({*ROOT.glob("examples/**/*.yaml"), *ROOT.glob("tests/fixtures/**/*.yaml")})
EDGE = [
    "a: 1\na: 2\n",  # a repeated key: refused by the round-trip read
    "a: &x {b: 1}\nc: *x\n",
    "base: &b {x: 1}\nother:\n  <<: *b\n  y: 2\n",
    "? [a]\n: 1\n",
    "1: one\n1.0: again\n",
    "true: t\n",
    "%YAML 1.1\n---\nx: yes\n",
    "x: !!str 5\n",
    "a: 1\n---\nb: 2\n",
    "[" * (MAX_DEPTH + 3) + "]" * (MAX_DEPTH + 3),
    "x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1),
    "k: ${WEBHOOK_AUTH}\nl:\n  - '${X}'\n  - {m: \"a ${Y} b\"}\n",
    "n: [0o17, 017, 1_000, 0x1F, .inf, 1e3, +12, 0b101, 3., ~, null, '', true, yes, on, 2027-06-07, 12:30]\n",
    "s: |\n  lit\n  eral\nf: >-\n  folded\n  text\n",
    "- a\n- b: 1\n  c: [1, {d: e}]\n",
    "",
    "# only a comment\n",
    "plain scalar\n",
    "a: 'x'\n'a': y\n",
    "e: =\n",
    "? |# c",  # a block scalar as a key (found by the property below)
    "? >\n x\n: 1\n",
]


def _same_as_round_trip(text: str) -> bool:
    """Assert the property for text; True when the fast read took it."""
    try:
        data, where, templates = fast_read(text, "f.yaml", MAX_DEPTH, yaml_source._yaml())
    except NotFast:
        return False
    slow, problems = yaml_source._read_round_trip(text, Path("f.yaml"), "f.yaml")
    assert slow is not None, f"the fast read accepted what the round-trip read refuses: {problems}"
    assert repr(data) == repr(slow.data)  # repr: nan is nan, 1 is not 1.0 nor True
    assert templates == slow.templates
    assert where == {loc: at for loc, at in slow.where.items() if len(loc) <= MAX_KEPT}
    return True


pytestmark = pytest.mark.skipif(CParser is None, reason="ruamel.yaml.clib is not installed")


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: str(p.relative_to(ROOT)))
def test_project_files_read_the_same_either_way(path: Path) -> None:
    text = path.read_text(encoding="utf-8-sig", errors="replace")
    _same_as_round_trip(text)


def test_the_example_takes_the_fast_read() -> None:
    taken = [_same_as_round_trip(p.read_text(encoding="utf-8")) for p in ROOT.glob("examples/acme/**/*.yaml")]
    assert taken and all(taken)


@pytest.mark.parametrize("text", EDGE)
def test_edge_cases_read_the_same_or_step_aside(text: str) -> None:
    _same_as_round_trip(text)


@pytest.mark.parametrize("text", ["a: 1\na: 2\n", "a: &x 1\nb: *x\n", "b: &b {x: 1}\nc: {<<: *b}\n",
                                  "x: !!str 5\n", "%YAML 1.1\n---\nx: 1\n", "[" * 40 + "]" * 40])
def test_what_the_fast_read_never_takes(text: str) -> None:
    with pytest.raises(NotFast):
        fast_read(text, "f.yaml", MAX_DEPTH, yaml_source._yaml())


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.lists(st.sampled_from(YAML_TOKENS), max_size=40).map("".join), st.text(max_size=200)))
def test_any_text_reads_the_same_or_steps_aside(text: str) -> None:
    _same_as_round_trip(text)


def test_a_problem_deep_in_a_fast_read_file_still_has_its_line() -> None:
    text = "schedules:\n  - name: x\n    candidates:\n      - email: a@example.com\n        name: A\n"
    doc, problems = read_yaml(text, Path("f.yaml"), "f.yaml")
    assert doc is not None and not problems and doc.locate is not None
    assert doc.position(("schedules", 0, "candidates", 0, "name")).line == 5
    assert doc.locate is None  # the re-parse happened once, for the problem
