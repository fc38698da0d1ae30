"""Files the CLI writes that hold exam secrets (an exported bank carries every answer key)."""

from __future__ import annotations

import os
from pathlib import Path


def write_private(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` readable by its owner only (0600), also when the file existed with a
    wider mode: the mode is set before any byte is written, so there is no moment a reader could open it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(data)
