"""RFC 8785 JSON Canonicalization Scheme (JCS) for the values examsvc signs and digests.

examsvc never puts floats into anything canonical (RFC 8785 §3.2.2.3 number formatting is then
reduced to integers), so the encoder accepts only: dict with str keys, list, str, int, bool, None.
Keys are sorted by their UTF-16 code units (RFC 8785 §3.2.3); strings are escaped as ECMAScript's
JSON.stringify does (§3.2.2.2), which for these types is what ``json.dumps(ensure_ascii=False)`` does.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

# JavaScript's Number.MAX_SAFE_INTEGER: larger integers do not survive an I-JSON round trip (RFC 7493).
_MAX_SAFE_INTEGER = 2**53 - 1


class NotCanonicalizable(TypeError):
    pass


def _utf16_key(key: str) -> bytes:
    return key.encode("utf-16-be")


# Code-point order (Python's) and UTF-16 order (RFC 8785's) differ only for keys holding characters
# at or above U+E000; for all others json.dumps(sort_keys=True) already sorts as RFC 8785 asks.
_UTF16_ORDER_DIFFERS = "\ue000"


def _check(value: Any, path: str) -> bool:
    """Refuses what has no canonical form; True if some key needs UTF-16 ordering."""
    kind = type(value)
    if kind is str or kind is bool or value is None or isinstance(value, str):  # str enums too
        return False
    if isinstance(value, int) and not isinstance(value, float):
        if abs(value) > _MAX_SAFE_INTEGER:
            raise NotCanonicalizable(f"{path}: integer outside the I-JSON safe range")
        return False
    special = False
    if isinstance(value, list):
        for i, item in enumerate(value):
            special |= _check(item, f"{path}[{i}]")
        return special
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonicalizable(f"{path}: key {key!r} is not a string")
            special |= not key.isascii() and max(key) >= _UTF16_ORDER_DIFFERS
            special |= _check(item, f"{path}.{key}")
        return special
    raise NotCanonicalizable(f"{path}: {kind.__name__} has no canonical JSON form (floats are refused)")


def _sorted(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted(value[k]) for k in sorted(value, key=_utf16_key)}
    if isinstance(value, list):
        return [_sorted(v) for v in value]
    return value


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 encoding of ``value`` as UTF-8 bytes."""
    if _check(value, "$"):
        value = _sorted(value)
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      sort_keys=True).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_digest(value: Any) -> str:
    return sha256_hex(canonical_json(value))
