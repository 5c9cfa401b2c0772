"""Markdown-safe text for comments: escaping, Mermaid labels, and a mask that never masks its own tokens."""

from __future__ import annotations

import html
import re

from .pii import Mask, scrub

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~&])")
_MENTION = re.compile(r"(?<![\w@.])@(?=\w)")
_MERMAID_UNSAFE = re.compile(r"[:#;%<>\"'`{}\[\]|\\\n\r\t]+")


class Recorder:
    """Wraps the caller's mask, remembering its tokens so that they are never masked a second time."""

    def __init__(self, mask: Mask) -> None:
        self._mask = mask
        self._locals: dict[str, set[str]] = {}

    def __call__(self, email: str) -> str:
        token = self._mask(email)
        local, _, domain = token.rpartition("@")
        self._locals.setdefault(domain, set()).add(local)
        return token

    def _is_token(self, found: str) -> bool:
        local, _, domain = found.partition("@")
        for token_domain, locals_ in self._locals.items():
            if domain.startswith(token_domain) and any(local[i:] in locals_ for i in range(len(local))):
                return True
        return False

    def clean(self, text: str) -> str:
        """`text` with every email that is not already a token masked."""
        return scrub(text, self, keep=self._is_token) if "@" in text else text


def escape_md(text: str) -> str:
    """Inline Markdown: special characters backslash-escaped, @mentions defused, one line."""
    text = " ".join(text.splitlines())
    return _MENTION.sub("@\u200b", _MD_SPECIAL.sub(r"\\\1", text))


def escape_html(text: str) -> str:
    """Text inside an HTML element (a <summary>): entities, @mentions defused, one line."""
    return _MENTION.sub("@\u200b", html.escape(" ".join(text.splitlines()), quote=False))


def mermaid_label(text: str, limit: int = 60) -> str:
    """A Mermaid gantt label: no `:`, `#`, `;` or other characters its grammar reads."""
    label = " ".join(_MERMAID_UNSAFE.sub(" ", text).split())
    if len(label) > limit:
        label = label[: limit - 1].rstrip() + "…"
    return label or "schedule"
