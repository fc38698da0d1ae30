"""C2SP tlog-checkpoint (https://c2sp.org/tlog-checkpoint) bodies: origin, tree size, root hash."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from examsvc.tlog.rfc6962 import HASH_SIZE


class CheckpointError(ValueError):
    pass


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise CheckpointError("a checkpoint has an origin, a size and a root hash line, each ending in a newline")
    origin, size_line, root_line = lines[0], lines[1], lines[2]
    if not origin:
        raise CheckpointError("empty origin line")
    if not size_line.isdigit() or (size_line != "0" and size_line.startswith("0")):
        raise CheckpointError("the tree size is not a decimal number")
    try:
        root = base64.b64decode(root_line, validate=True)
    except binascii.Error as exc:
        raise CheckpointError("the root hash is not base64") from exc
    if len(root) != HASH_SIZE:
        raise CheckpointError("the root hash is not 32 bytes")
    return Checkpoint(origin=origin, size=int(size_line), root=root)
