"""plan --format markdown masks every email (a PR comment is not a trusted place); --show-pii shows them."""

from __future__ import annotations

import json
import re

from .conftest import ACME, Cli, Project

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
TOKEN = re.compile(r"(?:^|.*\.)cand-[0-9a-f]{10}@.+")  # a pseudonym, possibly after a path like accommodations.


def _example_emails() -> set[str]:
    files = [p for p in ACME.rglob("*") if p.suffix in (".yaml", ".yml", ".csv")]
    found = {e.lower() for p in files for e in EMAIL.findall(p.read_text(encoding="utf-8"))}
    assert len(found) >= 10, found
    return found


def _planned_emails(run: Cli, acme: Project) -> set[str]:
    """Every address the plan adds, removes or protects (from the trusted JSON plan)."""
    document = json.loads(run("plan", "--format", "json", *acme.args()).stdout)
    found: set[str] = set()
    for change in document["changes"]:
        candidates = change["candidates"]
        found |= {c["email"] for c in candidates["add"]} | set(candidates["remove"]) | set(candidates["protected"])
    assert found
    return found


def test_markdown_masks_every_email(run: Cli, acme: Project) -> None:
    result = run("plan", "--format", "markdown", "--detailed-exitcode", *acme.args())
    assert result.exit_code == 2, result.output
    lowered = result.stdout.lower()
    leaked = [e for e in _example_emails() | _planned_emails(run, acme) if e in lowered]
    assert not leaked
    shown = EMAIL.findall(result.stdout)
    assert shown and all(TOKEN.fullmatch(e) for e in shown), shown
    assert "HTTP calls:" in result.stderr and "HTTP calls:" not in result.stdout


def test_show_pii_shows_the_addresses(run: Cli, acme: Project) -> None:
    result = run("plan", "--format", "markdown", "--show-pii", *acme.args())
    assert result.exit_code == 0, result.output
    assert all(e in result.stdout for e in _planned_emails(run, acme))
    assert "cand-" not in result.stdout


def test_pseudonyms_are_stable_and_keyed(run: Cli, acme: Project) -> None:
    def tokens(key: str | None) -> list[str]:
        result = run("plan", "--format", "markdown", *acme.args(), env={"RECONCILER_PII_KEY": key})
        return sorted(set(EMAIL.findall(result.stdout)))

    default = tokens(None)
    assert default == tokens(None)  # one process: one random key (each CLI run is its own process)
    keyed = tokens("repository-secret-key")
    assert keyed == tokens("repository-secret-key")
    assert len(keyed) == len(default) and not set(keyed) & set(default)


def test_text_and_json_are_trusted_and_keep_emails(run: Cli, acme: Project) -> None:
    planned = _planned_emails(run, acme)
    text = run("plan", *acme.args()).stdout
    assert all(e in text for e in planned)
    help_text = run("plan", "--help").stdout
    assert "trusted" in help_text and "--show-pii" in help_text


def test_a_missing_key_is_said_in_one_line(run: Cli, acme: Project) -> None:
    unkeyed = run("plan", "--format", "markdown", *acme.args())
    notes = [line for line in unkeyed.stderr.splitlines() if "RECONCILER_PII_KEY" in line]
    assert notes == ["note: RECONCILER_PII_KEY is not set: pseudonyms use a random key for this run only (they "
                     "will not match another run's); set it as a repository secret to keep them stable"]
    keyed = run("plan", "--format", "markdown", *acme.args(), env={"RECONCILER_PII_KEY": "k"})
    assert "RECONCILER_PII_KEY" not in keyed.stderr


def _planned_names(run: Cli, acme: Project) -> set[str]:
    document = json.loads(run("plan", "--format", "json", *acme.args()).stdout)
    names = {c["name"] for change in document["changes"] for c in change["candidates"]["add"]}
    assert names
    return names


PERSON_MD = re.compile(r"[A-Z]\.[A-Z]\. [a-z]\\\*\\\*\\\*@\u200bexample\.com \(cand-[0-9a-f]{10}\)")
PERSON_TEXT = re.compile(r"[+-] [A-Z]\.[A-Z]\. [a-z]\*\*\*@example\.com \(cand-[0-9a-f]{10}\)")


def test_people_are_shown_by_initials_and_masked_address(run: Cli, acme: Project) -> None:
    result = run("plan", "--format", "markdown", *acme.args(), env={"RECONCILER_PII_KEY": "k"})
    assert PERSON_MD.search(result.stdout), result.stdout  # escaped for markdown
    assert not [name for name in _planned_names(run, acme) if name in result.stdout]


def test_text_output_masks_people_when_ci_asks(run: Cli, acme: Project) -> None:
    masked = run("plan", *acme.args(), env={"RECONCILER_MASK_PII": "1", "RECONCILER_PII_KEY": "k"})
    names = _planned_names(run, acme)
    assert not [name for name in names if name in masked.stdout]
    assert not set(EMAIL.findall(masked.stdout)) - {e for e in EMAIL.findall(masked.stdout) if "cand-" in e}
    assert PERSON_TEXT.search(masked.stdout), masked.stdout
    assert all(name in run("plan", *acme.args()).stdout for name in names)  # trusted output: as it is
