"""The paper document (docs/assembly.md §5): what a paper digest is the SHA-256 of."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

from examsvc.crypto.canonical_json import canonical_json
from examsvc.papers.assembly import PaperItem

# Format 2 (issue 16 item 9) adds "seen", the digest of the questions the candidate had seen, which
# assembly avoided: a retake is re-derivable from what the manifest commits to. Format 1 papers (made
# before) are still written, to re-derive them (``paper_document(seen=None)``).
PAPER_FORMAT = "examsvc-paper/2"
PAPER_FORMAT_1 = "examsvc-paper/1"


def seen_digest(keys: Iterable[str]) -> str:
    """SHA-256 (hex) of the RFC 8785 array of the distinct keys, sorted by their UTF-8 bytes
    (docs/assembly.md §5): the commitment to a candidate's seen set; ``[]`` when none."""
    return hashlib.sha256(canonical_json(sorted(set(keys), key=str.encode))).hexdigest()


def paper_document(*, blueprint_digest: str, bank_digests: dict[str, str], sitting: str, candidate: str,
                   items: Sequence[PaperItem], total_points: int, seen: Iterable[str] | None) -> bytes:
    """The paper as RFC 8785 bytes (its SHA-256 is the paper digest), e.g.::

        {"banks":{"national":"<sha256>","provincial":"<sha256>"},"blueprint":"<sha256>","candidate":"…",
         "format":"examsvc-paper/2","items":[{"key":"LVN-0001","options":"","part":"national","points":10,
         "revision":1,"type":"true_false"},…],"seen":"<sha256>","sitting":"…","total_points":1000}

    ``seen``: the keys assembly avoided as already seen (empty if the rule does not avoid them); None
    writes format 1, without "seen", as papers were made before it existed.
    The items are written by a template, not a general encoder (a general one was most of the cost
    of a paper); tests prove the bytes equal a reference RFC 8785 implementation's."""
    head = canonical_json({"banks": bank_digests, "blueprint": blueprint_digest, "candidate": candidate,
                           "format": PAPER_FORMAT_1 if seen is None else PAPER_FORMAT})
    tail = canonical_json({"sitting": sitting, "total_points": total_points,
                           **({} if seen is None else {"seen": seen_digest(seen)})})
    body = ",".join(
        f'{{"key":"{i.key}","options":"{i.options}","part":"{i.part}","points":{i.points},'
        f'"revision":{i.revision},"type":"{i.type}"}}' for i in items)
    return head[:-1] + b',"items":[' + body.encode() + b"]," + tail[1:]
