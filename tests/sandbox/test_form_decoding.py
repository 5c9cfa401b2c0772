"""The emulators read a form body as a servlet would: `parse_qsl` semantics, the common case decoded in C."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings, strategies as st

from reconciler.http.transport import form_body
from reconciler.sandbox.base import _decode_form

FORM = "application/x-www-form-urlencoded"
PIECES = ["a", "Z", "0", " ", "+", "=", "&", ";", "%", "%2", "%25", "%2B", "%3D", "%C3%A9", "%A9", "%E2%82",
          "%zz", "\\", "\\x41", "é", "{", '"']


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=16).map("".join),
       st.sampled_from(["", "; charset=UTF-8", "; charset=ISO-8859-1", "; charset=utf-16", "; charset=nope"]))
def test_form_bodies_read_as_parse_qsl_reads_them(text: str, charset: str) -> None:
    body = text.encode("utf-8")
    declared = charset.partition("=")[2] or "iso-8859-1"
    declared = declared if declared.lower() in ("utf-8", "iso-8859-1", "utf-16") else "iso-8859-1"
    expected = dict(parse_qsl(body.decode(declared, errors="replace"), keep_blank_values=True,
                              encoding=declared, errors="replace"))
    assert _decode_form(body, FORM + charset) == expected


@pytest.mark.parametrize("value", ['{"name":"Zoë + 100%","c":[{"email":"a+b@x.org"}]}', "", "\\x41 \\\\"])
def test_what_the_client_encodes_comes_back(value: str) -> None:
    body = form_body({"sc": value, "asgn": "a+b/=="})
    assert body is not None
    assert _decode_form(body.encode("ascii"), FORM + "; charset=UTF-8") == {"sc": value, "asgn": "a+b/=="}
