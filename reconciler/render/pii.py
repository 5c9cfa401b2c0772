"""Equality-preserving PII masking: an email becomes a stable pseudonym that keeps its domain.

The same address always gives the same token (so reviewers still see pairs, duplicates and counts), two
addresses give different tokens, and nothing of the local part can be read back without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sys
from collections.abc import Callable

from ..models import normalize_email

Mask = Callable[[str], str]

KEY_ENV = "RECONCILER_PII_KEY"
MASK_ENV = "RECONCILER_MASK_PII"
"""Set (to anything but empty or 0) by CI: text output (apply logs) shows people masked as markdown does."""
NO_KEY_NOTICE = (f"note: {KEY_ENV} is not set: pseudonyms use a random key for this run only (they will not "
                 "match another run's); set it as a repository secret to keep them stable")

_RUN_KEY = secrets.token_hex(32)
"""The key when none is configured: random, for this process only. There is no public default, so nobody can
confirm a guessed address against a pseudonym."""

TOKEN_HEX = 10
"""Hex characters of HMAC-SHA256 in a token: 40 bits, so collisions are negligible at exam scale."""

_STOP = r"\s@,;<>\""
_STOP_CHARS = "@,;<>\""
_DOMAIN = rf"@(?:[^{_STOP}.()\[\]{{}}]+\.)+[^{_STOP}.()\[\]{{}}]{{2,}}"
"""No bracket in a domain: `0@0.(0@a.ac` is not one address whose domain swallows the next one's start."""
EMAIL_IN_TEXT = re.compile(rf"[^{_STOP}]+{_DOMAIN}")
"""Anything the models would accept as an email (and a little more), found inside free text. An apostrophe
is part of an address (sean.o'brien@…); one that only quotes it is stripped like a bracket."""
QUOTED_IN_TEXT = re.compile(rf'"(?:[^"\\\r\n]|\\.)+"{_DOMAIN}')
"""An address with a quoted local part ("john doe"@example.com), which may hold spaces and commas."""

_OPENERS = "([{'"
_CLOSERS = ")]}.!?:'"


def make_masker(key: str | None, *, prefix: str = "cand-", length: int = TOKEN_HEX) -> Mask:
    """An email → `cand-<hmac hex>@domain`, keyed by `key` (None or empty: a random key of this run)."""
    if not 8 <= length <= 64:
        raise ValueError("a token needs between 8 and 64 hex characters")
    secret = (key or _RUN_KEY).encode()

    def mask(email: str) -> str:
        identity = normalize_email(email)
        digest = hmac.new(secret, identity.encode(), hashlib.sha256).hexdigest()[:length]
        _, at, domain = identity.rpartition("@")
        return f"{prefix}{digest}@{domain}" if at and domain else f"{prefix}{digest}"

    return mask


def initials(name: str) -> str:
    """`Ana María Lima` → `A.M.L.`: recognisable to who knows the cohort, not a name to anyone else."""
    letters = [next((c for c in word if c.isalnum()), "") for word in name.split()]
    return "".join(f"{letter.upper()}." for letter in letters if letter)


def masked_address(email: str) -> str:
    """`ana.lima@example.com` → `a***@example.com`: the first character and the domain."""
    local, at, domain = normalize_email(email).rpartition("@")
    return f"{local[:1]}***@{domain}" if at and local else "***"


MASKED_ADDRESS = re.compile(r"[^\s@]\*\*\*@[^\s@]+")
"""What `masked_address` prints: never masked again (it is no address)."""
TOKEN = re.compile(r"cand-[0-9a-f]{8,64}@[^\s@]+")
"""A pseudonym: masking it again (a CI log of masked output) would give a token that matches nothing."""


def person(email: str, name: str | None, mask: Mask) -> str:
    """A candidate as output shows them: `ana@example.com (Ana Lima)` when `mask` leaves addresses as they are;
    else initials, a masked address and the pseudonym without its domain, `A.L. a***@example.com (cand-…)`:
    a reviewer recognises people, nobody else learns who they are, and the pseudonym matches masked CI logs."""
    token = mask(email)
    if token == email or token == normalize_email(email):
        return f"{email} ({name})" if name else email
    label = " ".join(part for part in (initials(name or ""), masked_address(email)) if part)
    return f"{label} ({token.rpartition('@')[0] or token})"


def identity_mask(email: str) -> str:
    """The mask for `--show-pii`: every address shown as it is."""
    return email


def _is_stop(char: str) -> bool:
    return char.isspace() or char in _STOP_CHARS


def scrub(text: str, mask: Mask, keep: Callable[[str], bool] = lambda _: False) -> str:
    """Every email-like substring of `text` replaced by `mask` of its normalised form (linear time).

    `keep(candidate)` may spare substrings that are already tokens. Where the mask leaves an address as it
    is (`--show-pii`), the original spelling is kept.
    """
    if "@" not in text:
        return text
    out: list[str] = []
    done = 0
    for at in [i for i, char in enumerate(text) if char == "@"]:
        if at < done:
            continue
        left, right = at, at + 1
        while left > done and not _is_stop(text[left - 1]):
            left -= 1
        while right < len(text) and not _is_stop(text[right]):
            right += 1
        match = EMAIL_IN_TEXT.match(text, left, right)
        if match is None and left == at and at > done and text[at - 1] == '"':
            left = text.rfind('"', done, at - 1)
            match = QUOTED_IN_TEXT.match(text, left, right) if left >= 0 else None
        if match is None:
            continue
        out += [text[done:left], _replace(match.group(0), mask, keep)]
        done = match.end()
    out.append(text[done:])
    return "".join(out)


def _replace(found: str, mask: Mask, keep: Callable[[str], bool]) -> str:
    head = len(found) - len(found.lstrip(_OPENERS))
    tail = len(found) - len(found.rstrip(_CLOSERS))
    core = found[head:len(found) - tail]
    if "@" not in core or not (EMAIL_IN_TEXT.fullmatch(core) or QUOTED_IN_TEXT.fullmatch(core)):
        core, head, tail = found, 0, 0
    if keep(core) or MASKED_ADDRESS.fullmatch(core) or TOKEN.fullmatch(core):
        return found
    normalized = normalize_email(core)
    masked = mask(normalized)
    return found[:head] + (core if masked == normalized else masked) + found[len(found) - tail:]


def main() -> int:
    """`… | python -m reconciler.render.pii`: copy stdin to stdout with every email masked, line by line.

    Keyed by RECONCILER_PII_KEY like the plan comment, so a token in a CI log matches the one in the PR.
    """
    key = os.environ.get(KEY_ENV)
    if not key:
        print(NO_KEY_NOTICE, file=sys.stderr)
    mask = make_masker(key)
    for line in sys.stdin:
        sys.stdout.write(scrub(line, mask))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
