"""json_body: the fast parser answers exactly what `Response.json()` would, and fails the same way."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import requests
from hypothesis import given, strategies as st

from reconciler.http import json_body

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=20)


def _response(content: bytes, content_type: str = "application/json") -> requests.Response:
    response = requests.Response()
    response.raw = io.BytesIO(content)  # public: `content` reads it
    response.status_code = 200
    response.headers["Content-Type"] = content_type
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    return response


@given(JSON, st.booleans())
def test_the_same_values_as_the_standard_parser(value: Any, ascii_only: bool) -> None:
    content = json.dumps(value, ensure_ascii=ascii_only).encode("utf-8")
    assert json_body(_response(content)) == _response(content).json() == value


@pytest.mark.parametrize(("content", "content_type"), [
    (b'{"name": "\\ud800 lone surrogate"}', "application/json"),  # orjson refuses; the standard parser takes it
    ('{"name": "Zoë"}'.encode("latin-1"), "application/json; charset=ISO-8859-1"),  # a declared charset wins
    ('{"name": "Zoë"}'.encode("utf-16"), "application/json; charset=UTF-16"),
    (b'{"n": 1, "id": 18446744073709551615}', "application/json"),  # 64 bits: orjson keeps an int
])
def test_what_orjson_refuses_is_parsed_as_before(content: bytes, content_type: str) -> None:
    assert json_body(_response(content, content_type)) == _response(content, content_type).json()


@pytest.mark.parametrize("content", [b"<html>Bad gateway</html>", b'{"cut": ', b"", b"\xff\xfe{"])
def test_what_is_not_json_fails_with_value_error(content: bytes) -> None:
    with pytest.raises(ValueError):
        json_body(_response(content))


def test_an_integer_past_64_bits_is_not_taken_for_an_integer() -> None:
    body = json_body(_response(b'{"ID": 123456789012345678901234567890}'))
    assert not isinstance(body["ID"], int)  # an answer check expecting an integer refuses it
