"""Verifying an exported log without trusting the service (``examsvc audit verify``).

Input: ``entries.jsonl`` (entry bytes, one per line), ``checkpoint`` (a C2SP signed note) and the
verifier key, which the auditor should hold from an earlier, trusted source (``--key``). Steps:

1. Open the checkpoint with the verifier key (C2SP signed-note, Ed25519) and parse its body
   (C2SP tlog-checkpoint); its origin must be the key's name.
2. Given an older trusted checkpoint (``--since``), open it with the same key; it must not be larger.
3. For each line i: it must be an entry object whose ``index`` is i and whose ``prev`` is the
   hex leaf hash of line i-1 (so a changed, inserted, deleted or swapped entry is named); hash it
   as an RFC 6962 leaf and extend the tree. When i+1 reaches the older checkpoint's size, the root so
   far must equal that checkpoint's root (the new log extends the old one).
4. The number of lines must equal the checkpoint's size and the root must equal its root hash.
5. With witnesses (``--witness``, ``--quorum``): at least the quorum of them must have cosigned the
   checkpoint (C2SP tlog-cosignature, cosignature/v1 over its body). A log rewritten by someone holding
   the database and the log key gets a valid log signature but no witness cosignature: witnesses refuse
   a checkpoint inconsistent with the one they cosigned before (C2SP tlog-witness §add-checkpoint).

Any failure raises ``VerificationFailed`` naming the step and, where it can, the entry.
"""

from __future__ import annotations

import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.signed_note import NoteError, Verifier, open_note, parse_vkey
from examsvc.tlog.checkpoint import Checkpoint, CheckpointError, parse_checkpoint
from examsvc.tlog.cosignature import Cosigner, count_cosignatures
from examsvc.tlog.rfc6962 import root_of_frontier

ENTRIES_FILE = "entries.jsonl"
CHECKPOINT_FILE = "checkpoint"
KEY_FILE = "log.vkey"


class VerificationFailed(Exception):
    def __init__(self, message: str, *, entry: int | None = None) -> None:
        super().__init__(message if entry is None else f"entry {entry}: {message}")
        self.entry = entry


@dataclass(frozen=True)
class Verified:
    checkpoint: Checkpoint
    since: Checkpoint | None
    key_from_export: bool
    cosigned_by: tuple[str, ...] = ()  # the trusted witnesses whose cosignatures verified


def check_cosignatures(note: str, witnesses: list[Cosigner], quorum: int) -> tuple[str, ...]:
    """Step 5: the names of the trusted witnesses that cosigned; ``VerificationFailed`` below the quorum."""
    if quorum <= 0:
        return ()
    if quorum > len(witnesses):
        raise VerificationFailed(f"a quorum of {quorum} witness cosignatures needs at least {quorum} witness keys "
                                 f"(--witness); {len(witnesses)} given")
    try:
        counted = count_cosignatures(note, witnesses)
    except NoteError as exc:
        raise VerificationFailed(f"checkpoint: {exc}") from None
    if len(counted.valid) < quorum:
        raise VerificationFailed(f"the checkpoint carries {len(counted.valid)} of the {quorum} required witness "
                                 f"cosignatures: " + "; ".join(counted.problems))
    return tuple(sorted(c.name for c in counted.valid))


def open_checkpoint(note: str, verifier: Verifier, what: str = "checkpoint") -> Checkpoint:
    try:
        checkpoint = parse_checkpoint(open_note(note, verifier))
    except (NoteError, CheckpointError) as exc:
        raise VerificationFailed(f"{what}: {exc}") from None
    if checkpoint.origin != verifier.name:
        raise VerificationFailed(f"{what}: origin {checkpoint.origin!r} is not the key's name {verifier.name!r}")
    return checkpoint


def _field(line: bytes, name: bytes) -> bytes | None:
    # Entries are canonical (keys sorted), so the top-level field is the last occurrence of its key;
    # a nested key of the same name can only come earlier, inside "actor" or "details".
    at = line.rfind(b'"' + name + b'":')
    if at < 0:
        return None
    start = at + len(name) + 3
    end = line.find(b",", start)
    return line[start:end if end >= 0 else len(line) - 1]


def _diagnose(line: bytes, index: int, previous: bytes) -> VerificationFailed:
    """Why line ``index`` failed the fast check of its index and prev fields."""
    if not (line.startswith(b'{"action":') and line.endswith(b"}")):
        return VerificationFailed("not a log entry", entry=index)
    if _field(line, b"index") != str(index).encode():
        return VerificationFailed("its index field is not its position: an entry was inserted, deleted or "
                                  "moved here", entry=index)
    if index == 0:
        return VerificationFailed("the first entry must have an empty prev", entry=0)
    return VerificationFailed(f"altered: entry {index} records a different hash for it", entry=index - 1)


def verify_entries(lines: Iterable[bytes], checkpoint: Checkpoint, since: Checkpoint | None = None, *,
                   strict: bool = False) -> None:
    # One pass, one C-level search per line for the expected '"index":i,"prev":"…"' and the tree kept
    # as its frontier inline: verifying a million entries costs a few times hashing them.
    sha256, hexlify = hashlib.sha256, binascii.hexlify
    frontier: list[bytes] = []
    size = 0
    previous = b""
    since_size = since.size if since is not None else -1
    for raw in lines:
        line = raw[:-1]
        if raw[-1:] != b"\n":
            raise VerificationFailed("the line is not newline-terminated (truncated file?)", entry=size)
        if b'"index":%d,"prev":"%s"' % (size, hexlify(previous)) not in line:
            raise _diagnose(line, size, previous)
        if strict:
            try:
                canonical = canonical_json(json.loads(line))
            except (ValueError, TypeError):
                canonical = b""
            if canonical != line:
                raise VerificationFailed("not in RFC 8785 canonical form", entry=size)
        previous = sha256(b"\x00" + line).digest()
        # RFC 6962 tree growth: each trailing 1-bit of the old size merges a left subtree.
        frontier.append(previous)
        position = size
        while position & 1:
            right = frontier.pop()
            frontier[-1] = sha256(b"\x01" + frontier[-1] + right).digest()
            position >>= 1
        size += 1
        if size == since_size and since is not None and not hmac.compare_digest(root_of_frontier(frontier), since.root):
            raise VerificationFailed(f"the first {since.size} entries do not match the older trusted checkpoint: "
                                     "the log was rewritten", entry=since.size - 1)
    if since is not None and size < since.size:
        raise VerificationFailed(f"the log has {size} entries, fewer than the {since.size} of the older "
                                 "trusted checkpoint: it was truncated")
    if size != checkpoint.size:
        raise VerificationFailed(f"the checkpoint covers {checkpoint.size} entries but there are {size}",
                                 entry=min(size, checkpoint.size))
    if not hmac.compare_digest(root_of_frontier(frontier), checkpoint.root):
        raise VerificationFailed("the entries do not hash to the signed root: the last entry was altered "
                                 "(earlier changes are caught by the next entry's prev)", entry=size - 1)


def verify_export(folder: Path, *, vkey: str | None = None, since_note: str | None = None,
                  strict: bool = False, witnesses: list[Cosigner] | None = None, quorum: int = 0) -> Verified:
    key_from_export = vkey is None
    if vkey is None:
        try:
            vkey = (folder / KEY_FILE).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise VerificationFailed(f"no verifier key given and none readable in the export: {exc}") from None
    try:
        verifier = parse_vkey(vkey)
    except NoteError as exc:
        raise VerificationFailed(f"verifier key: {exc}") from None
    try:
        note = (folder / CHECKPOINT_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VerificationFailed(f"checkpoint: {exc}") from None
    checkpoint = open_checkpoint(note, verifier)
    cosigned_by = check_cosignatures(note, witnesses or [], quorum)
    since = open_checkpoint(since_note, verifier, "older checkpoint") if since_note is not None else None
    if since is not None and since.size > checkpoint.size:
        raise VerificationFailed(f"the log was truncated: the older trusted checkpoint covers {since.size} entries, "
                                 f"the new one only {checkpoint.size}")
    try:
        with (folder / ENTRIES_FILE).open("rb") as handle:
            verify_entries(handle, checkpoint, since, strict=strict)
    except OSError as exc:
        raise VerificationFailed(f"entries: {exc}") from None
    return Verified(checkpoint=checkpoint, since=since, key_from_export=key_from_export, cosigned_by=cosigned_by)
