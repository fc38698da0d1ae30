"""Password hashing with scrypt (memory-hard, RFC 7914), from the standard library.

Stored form: ``scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>``; verification reads the parameters
from the stored form, so the cost can be raised later without invalidating existing hashes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

DEFAULT_COST_LOG2 = 17  # N = 2**17, r = 8: 128 MiB per hash (OWASP's scrypt minimum)
_R = 8
_P = 1
_MIN_PASSWORD_LENGTH = 10
_MIN_NAME_IN_PASSWORD = 4


class WeakPasswordError(ValueError):
    pass


def check_password_policy(password: str, *, username: str) -> None:
    if len(password) < _MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"密码至少需要 {_MIN_PASSWORD_LENGTH} 个字符。")
    if password.strip() != password:
        raise WeakPasswordError("密码首尾不能是空白字符。")
    # The first guess of anyone who knows the name (issue 14 item 12). A name of a few letters may
    # occur in a long passphrase by chance ("aud" in "auditor …"): only from 4 letters on is that refused.
    name, text = username.casefold(), password.casefold()
    if name and (name == text or (len(name) >= _MIN_NAME_IN_PASSWORD and name in text)):
        raise WeakPasswordError("密码不能包含用户名。")


def _derive(password: str, salt: bytes, cost_log2: int, r: int, p: int) -> bytes:
    n = 1 << cost_log2
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=2 * 128 * n * r * p + (1 << 20), dklen=32)


def hash_password(password: str, *, cost_log2: int = DEFAULT_COST_LOG2) -> str:
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, cost_log2, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${cost_log2}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, cost, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest_b64)
        actual = _derive(password, base64.b64decode(salt_b64), int(cost), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(expected, actual)


def burn_time(password: str, *, cost_log2: int = DEFAULT_COST_LOG2) -> None:
    """Spend what a real verification costs, so unknown usernames answer as slowly as known ones."""
    _derive(password, b"\x00" * 16, cost_log2, _R, _P)
