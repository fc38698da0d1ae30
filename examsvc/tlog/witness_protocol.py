"""C2SP tlog-witness (https://c2sp.org/tlog-witness) §add-checkpoint: the request and 409 bodies.

    POST <submission prefix>/add-checkpoint

    old <size>\\n                 decimal, no leading zeroes ("0" if the witness never cosigned)
    <base64 hash>\\n              zero to 63 RFC 6962 §2.1.2 consistency proof lines (none if old is 0)
    \\n
    <checkpoint note>            the signed checkpoint, possibly with several signatures

A 409 Conflict answer carries the witness's latest cosigned size as "<size>\\n" with
``Content-Type: text/x.tlog.size``; a 200 answer is one or more note signature lines.
Both the log (client) and the witness (server) use this module.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from examsvc.tlog.rfc6962 import HASH_SIZE

PATH = "/add-checkpoint"
SIZE_CONTENT_TYPE = "text/x.tlog.size"
MAX_PROOF_LINES = 63  # §add-checkpoint: "The client MUST NOT send more than 63 consistency proof lines."


class WitnessProtocolError(ValueError):
    pass


@dataclass(frozen=True)
class AddCheckpoint:
    old_size: int
    proof: list[bytes]
    note: str

    def body(self) -> bytes:
        if len(self.proof) > MAX_PROOF_LINES:
            raise WitnessProtocolError("more than 63 consistency proof lines")
        lines = [f"old {self.old_size}\n"] + [base64.b64encode(h).decode() + "\n" for h in self.proof]
        return ("".join(lines) + "\n" + self.note).encode()


def _decimal(text: str, what: str) -> int:
    # "encoded as an ASCII decimal with no leading zeroes (unless the size is zero …)"
    if not text.isascii() or not text.isdigit() or (text != "0" and text.startswith("0")) or len(text) > 20:
        raise WitnessProtocolError(f"{what} is not a decimal size")
    return int(text)


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise WitnessProtocolError("the request body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise WitnessProtocolError("no empty line between the proof and the checkpoint")
    lines = head.split("\n")
    if not lines[0].startswith("old "):
        raise WitnessProtocolError("the first line is not 'old <size>'")
    old_size = _decimal(lines[0][4:], "the old size")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise WitnessProtocolError("more than 63 consistency proof lines")
    proof = []
    for line in lines[1:]:
        try:
            digest = base64.b64decode(line, validate=True)
        except binascii.Error:
            raise WitnessProtocolError("a consistency proof line is not base64") from None
        if len(digest) != HASH_SIZE:
            raise WitnessProtocolError("a consistency proof line is not a 32-byte hash")
        proof.append(digest)
    return AddCheckpoint(old_size=old_size, proof=proof, note=note)


def size_body(size: int) -> str:
    return f"{size}\n"


def parse_size_body(text: str) -> int:
    """The witness's latest cosigned size from a 409 answer."""
    if not text.endswith("\n"):
        raise WitnessProtocolError("the size line does not end in a newline")
    return _decimal(text[:-1], "the witness's size")
