"""RFC 8785 canonical JSON for the values examsvc signs and digests."""

from __future__ import annotations

import pytest

from examsvc.crypto.canonical_json import NotCanonicalizable, canonical_json

pytestmark = pytest.mark.db_agnostic


def test_keys_are_sorted_and_there_is_no_whitespace() -> None:
    assert canonical_json({"b": [1, True, None], "a": {"d": "x", "c": "y"}}) == \
        b'{"a":{"c":"y","d":"x"},"b":[1,true,null]}'


def test_text_is_utf8_with_minimal_escapes() -> None:
    assert canonical_json({"k": "安全\n\"\u0001"}) == '{"k":"安全\\n\\"\\u0001"}'.encode()


def test_keys_sort_by_utf16_code_units_as_rfc8785_says() -> None:
    # U+1F600 is a surrogate pair (D83D DE00) in UTF-16 and so sorts before U+E000, unlike in code points.
    assert canonical_json({"\ue000": 1, "\U0001f600": 2}) == '{"\U0001f600":2,"\ue000":1}'.encode()


@pytest.mark.parametrize("value", [1.5, {"x": 0.1}, [2**53], {1: "non-string key"}, {"s": {1, 2}}])
def test_values_without_a_canonical_form_are_refused(value: object) -> None:
    with pytest.raises(NotCanonicalizable):
        canonical_json(value)
