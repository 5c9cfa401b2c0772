"""Equality-preserving PII masking: an email becomes a stable pseudonym that keeps its domain.

The same address always gives the same token (so reviewers still see pairs, duplicates and counts), two
addresses give different tokens, and nothing of the local part can be read back without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import sys
from collections.abc import Callable

from ..models import normalize_email

Mask = Callable[[str], str]

KEY_ENV = "RECONCILER_PII_KEY"
DEFAULT_KEY = "reconciler/pii-pseudonym/v1"
"""Used when no key is configured: tokens stay stable within and across repositories, but anyone who
guesses an address can confirm it. Set RECONCILER_PII_KEY (a repository secret) to prevent that."""

TOKEN_HEX = 10
"""Hex characters of HMAC-SHA256 in a token: 40 bits, so collisions are negligible at exam scale."""

_STOP = r"\s@,;<>\""
_STOP_CHARS = "@,;<>\""
_DOMAIN = rf"@(?:[^{_STOP}.]+\.)+[^{_STOP}.]{{2,}}"
EMAIL_IN_TEXT = re.compile(rf"[^{_STOP}]+{_DOMAIN}")
"""Anything the models would accept as an email (and a little more), found inside free text. An apostrophe
is part of an address (sean.o'brien@…); one that only quotes it is stripped like a bracket."""
QUOTED_IN_TEXT = re.compile(rf'"(?:[^"\\\r\n]|\\.)+"{_DOMAIN}')
"""An address with a quoted local part ("john doe"@example.com), which may hold spaces and commas."""

_OPENERS = "([{'"
_CLOSERS = ")]}.!?:'"


def make_masker(key: str | None, *, prefix: str = "cand-", length: int = TOKEN_HEX) -> Mask:
    """An email → `cand-<hmac hex>@domain`, keyed by `key` (None or empty: the project-wide default key)."""
    if not 8 <= length <= 64:
        raise ValueError("a token needs between 8 and 64 hex characters")
    secret = (key or DEFAULT_KEY).encode()

    def mask(email: str) -> str:
        identity = normalize_email(email)
        digest = hmac.new(secret, identity.encode(), hashlib.sha256).hexdigest()[:length]
        _, at, domain = identity.rpartition("@")
        return f"{prefix}{digest}@{domain}" if at and domain else f"{prefix}{digest}"

    return mask


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
    if keep(core):
        return found
    normalized = normalize_email(core)
    masked = mask(normalized)
    return found[:head] + (core if masked == normalized else masked) + found[len(found) - tail:]


def main() -> int:
    """`… | python -m reconciler.render.pii`: copy stdin to stdout with every email masked, line by line.

    Keyed by RECONCILER_PII_KEY like the plan comment, so a token in a CI log matches the one in the PR.
    """
    mask = make_masker(os.environ.get(KEY_ENV))
    for line in sys.stdin:
        sys.stdout.write(scrub(line, mask))
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
