"""The Questionmark fingerprint is canonical JSON, so a plan saved on one Python version applies on another."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from reconciler.providers.questionmark.observe import fingerprint

ANCHOR = {"ID": 1, "Name": "Exam", "StartFrom": "2030-01-01T00:00:00Z"}
SEATS = [{"ID": 2, "Participant": {"ID": 3, "Name": "ana"}}]


def test_the_fingerprint_is_the_hash_of_canonical_json() -> None:
    canonical = json.dumps((ANCHOR, SEATS, []), sort_keys=True, separators=(",", ":")).encode()
    assert fingerprint(ANCHOR, SEATS, []) == hashlib.blake2b(canonical, digest_size=8).hexdigest()


def test_the_order_of_properties_does_not_matter() -> None:
    reordered = dict(reversed(ANCHOR.items()))
    assert list(reordered) != list(ANCHOR)
    assert fingerprint(reordered, SEATS, []) == fingerprint(ANCHOR, SEATS, [])
    assert fingerprint({**ANCHOR, "Name": "Other"}, SEATS, []) != fingerprint(ANCHOR, SEATS, [])


def test_an_integer_past_64_bits_still_hashes() -> None:
    big = {**ANCHOR, "ID": 2**70}
    assert fingerprint(big, SEATS, []) != fingerprint(ANCHOR, SEATS, [])


def test_another_process_computes_the_same_fingerprint() -> None:
    """No per-process state (hash seeds, object identity) enters the fingerprint."""
    code = ("from reconciler.providers.questionmark.observe import fingerprint;"
            f"print(fingerprint({ANCHOR!r}, {SEATS!r}, []))")
    other = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                           env={"PYTHONHASHSEED": "123"})
    assert other.stdout.strip() == fingerprint(ANCHOR, SEATS, [])
