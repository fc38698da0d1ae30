"""Where the papers' key-encryption key comes from (a file in the data folder today)."""

from __future__ import annotations

from examsvc.config import Settings
from examsvc.crypto.envelope import FileKeyProvider, KeyProvider


def paper_key_provider(settings: Settings) -> KeyProvider:
    return FileKeyProvider(settings.keys_dir / "paper-kek.bin")
