"""Opaque bearer credentials: random, shown once, stored only as their SHA-256 digest.

The tokens carry 256 bits of randomness, so a fast hash is enough to make a stolen table useless.
"""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def digest_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
