"""Styled lines, the one form every terminal output takes: spans of (text, style) that print plain or in
colour. Kept apart from the renderers so that printing a line (an error, `valid: …`) needs none of them."""

from __future__ import annotations

from collections.abc import Sequence

Span = tuple[str, str]
"""(text, style): a style is a rich style string, "" for plain."""
Line = tuple[Span, ...]


def plain(lines: Sequence[Line]) -> str:
    """The lines without styles, each ending in a newline."""
    return "".join("".join(text for text, _ in line) + "\n" for line in lines)
