"""Verify a 1,000,000-entry export and compare with only hashing its lines.

Builds an export shaped like the service's (canonical entries, "prev" chain, a signed checkpoint),
then times ``examsvc.audit.offline.verify_export`` against the baseline: SHA-256 of each line with
the RFC 6962 leaf prefix, nothing else. Prints both and, last, their ratio. Goal: <= 3.

    .venv/bin/python -m bench.audit_verify [--entries N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from examsvc.audit import offline
from examsvc.audit.log import rfc3339
from examsvc.audit.repository import complete_entry
from examsvc.crypto.canonical_json import canonical_json
from examsvc.crypto.signed_note import Ed25519Signer, sign_note, verifier_of
from examsvc.db import utcnow
from examsvc.tlog.checkpoint import Checkpoint
from examsvc.tlog.rfc6962 import CompactRange, leaf_hash

ORIGIN = "bench.examsvc.localhost/log"


def build(folder: Path, entries: int) -> str:
    signer = Ed25519Signer(ORIGIN, Ed25519PrivateKey.generate())
    tree = CompactRange()
    previous: bytes | None = None
    now = rfc3339(utcnow())
    # Byte templates of canonical entries (keys already in RFC 8785 order), checked once below.
    before = b'{"action":"attempt.submitted","actor":{"id":%d,"type":"workstation"},' \
             b'"details":{"sheet_digest":"' + b"ab" * 32 + b'"},"index":'
    after = b',"request_id":"%016x","subject":{"id":"%d","type":"attempt"},"time":"' + now.encode() + b'"}'
    with (folder / offline.ENTRIES_FILE).open("wb") as out:
        for n in range(entries):
            entry = complete_entry(before % (n % 500), n, previous, after % (n, n))
            if n == 0:
                assert canonical_json(json.loads(entry)) == entry
            previous = leaf_hash(entry)
            tree.append(previous)
            out.write(entry + b"\n")
    note = sign_note(Checkpoint(ORIGIN, entries, tree.root()).body(), signer)
    (folder / offline.CHECKPOINT_FILE).write_text(note)
    return verifier_of(signer).vkey()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        vkey = build(folder, args.entries)
        print(f"built an export of {args.entries} entries in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        with (folder / offline.ENTRIES_FILE).open("rb") as handle:
            for line in handle:
                hashlib.sha256(b"\x00" + line[:-1]).digest()
        hashing = time.perf_counter() - started
        print(f"hashing only: {hashing:.2f} s")

        started = time.perf_counter()
        verified = offline.verify_export(folder, vkey=vkey)
        verifying = time.perf_counter() - started
        assert verified.checkpoint.size == args.entries
        print(f"full verification: {verifying:.2f} s")
    print(f"verify/hash ratio: {verifying / hashing:.2f}")


if __name__ == "__main__":
    main()
