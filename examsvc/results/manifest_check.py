"""What ``audit verify-results`` checks alike for theory and practical sittings: the log's entries
for a sitting, and the signed results manifests against the results recomputed from the sheets."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from examsvc.crypto.signed_note import NoteError, Verifier, open_note
from examsvc.mismatch import Mismatch
from examsvc.results.models import ResultsManifest
from examsvc.results.service import manifest_text
from examsvc.results.signers import actor_id, all_entries, examiner_key_from_log, logged_chiefs, sitting_entries
from examsvc.sittings.models import Sitting

MANIFEST = "results_manifest"


class ResultsMismatch(Mismatch):
    """What does not match, and where (admission number, version, manifest)."""


@dataclass(frozen=True)
class ResultsVerification:
    sheets: int
    results: int
    manifests: int
    sheet_kind: str = "answer sheets"  # or "evaluators' score sheets" for a practical sitting


class ResultVersion(Protocol):
    """A theory ``Result`` or a ``PracticalResult``: what a manifest covers."""

    id: int
    registration_id: int
    version: int
    digest: str
    document: str


def log_details(db_session: Session, sitting_id: int) -> Iterator[tuple[str, dict[str, Any]]]:
    """(action, details) of every committed log entry about the sitting, in log order."""
    for entry in sitting_entries(db_session, sitting_id):
        yield entry["action"], entry.get("details") or {}


def verify_manifests(db_session: Session, sitting: Sitting, *, rule_digest: str, manifests: Sequence[ResultsManifest],
                     results: Sequence[ResultVersion], numbers: Mapping[int, str], roots: Mapping[int, str],
                     service_key: Verifier) -> None:
    """Manifest version 1 covers every first result; version n also the first n-1 reviews, in the
    order they were made, each replacing its candidate's result (``results.service.sign_manifest``).
    ``results`` are the recomputed and checked versions; ``numbers`` maps registration to admission
    number (the manifest's order); ``roots`` the Merkle root the log gives each manifest version."""
    entries = all_entries(db_session)
    current: dict[int, ResultVersion] = {}
    for result in sorted(results, key=lambda r: r.id):
        if result.version == 1:
            current[result.registration_id] = result
    reviews = sorted((r for r in results if r.version > 1), key=lambda r: r.id)
    for manifest in manifests:
        where = f"results manifest version {manifest.version}"
        for review in reviews[:manifest.version - 1]:
            current[review.registration_id] = review
        digests = [current[r].digest for r in sorted(current, key=lambda r: numbers[r])]
        try:
            text = open_note(manifest.note, service_key)
            open_note(manifest.note, examiner_key_from_log(entries, manifest.signed_by))
        except NoteError as exc:
            raise ResultsMismatch(f"{where}: a signature does not verify ({exc})", table=MANIFEST,
                                  row=manifest.version, field="note") from None
        if text != manifest_text(sitting, rule_digest, manifest.version, digests):
            raise ResultsMismatch(f"{where}: it does not cover the stored results (a result changed, added or "
                                  "removed)", table=MANIFEST, row=manifest.version)
        if roots.get(manifest.version) != manifest.merkle_root:
            raise ResultsMismatch(f"{where}: its root is not the one in the log", table=MANIFEST,
                                  row=manifest.version, field="merkle_root")
    if len(manifests) < len(roots):
        raise ResultsMismatch("the log names a results manifest that is not in the database", table=MANIFEST)
    signers = {f"results manifest version {m.version}": m.signed_by for m in manifests}
    signers |= {f"{numbers[r.registration_id]}: result version {r.version} (复核)":
                json.loads(r.document)["review"]["reviewer"] for r in reviews}
    require_chief_signers(list(sitting_entries(db_session, sitting.id, entries)), signers)


def require_chief_signers(entries: list[dict[str, Any]], signers: Mapping[str, int]) -> None:
    """Every manifest and review signer is the sitting's chief examiner as assigned in the log, and was
    when the entry was made (log order)."""
    chiefs = logged_chiefs(entries)
    for entry in entries:
        if entry["action"] in ("results.published", "results.reviewed") \
                and actor_id(entry) not in logged_chiefs(entries, before=entry["index"]):
            raise ResultsMismatch(f"log entry {entry['index']} ({entry['action']}): made by user {actor_id(entry)}, "
                                  "who is not the sitting's assigned chief examiner")
    for where, user_id in signers.items():
        if user_id not in chiefs:
            raise ResultsMismatch(f"{where}: signed by user {user_id}, who is not the sitting's assigned chief "
                                  "examiner")
