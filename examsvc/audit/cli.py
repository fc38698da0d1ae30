"""``examsvc audit …``: the verifier key, checkpoints, export, and verification that trusts nobody."""

from __future__ import annotations

import argparse
import base64
import os
import sys
from pathlib import Path
from typing import Any

from examsvc.audit import offline, repository
from examsvc.audit.checkpoints import sign_if_grown
from examsvc.audit.keys import load_signer
from examsvc.bootstrap import transaction
from examsvc.config import Settings
from examsvc.crypto.signed_note import NoteError, parse_vkey, verifier_of
from examsvc.db import engine_from_settings
from examsvc.errors import ExamServiceError
from examsvc.papers.keys import paper_key_provider
from examsvc.results.manifest_check import ResultsMismatch
from examsvc.results.verify import verify_results
from examsvc.tlog.verify import ProofError, verify_consistency

EXPORT_BATCH = 5_000
PAGE = 1_000


def register(commands: Any) -> None:
    audit = commands.add_parser("audit", help="the tamper-evident log")
    sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    sub.add_parser("key", help="print the log's verifier key").set_defaults(handler=run_key)
    sub.add_parser("checkpoint", help="sign a checkpoint now (if the log grew) and print it").set_defaults(
        handler=run_checkpoint)
    export = sub.add_parser("export", help="write DIR/entries.jsonl, DIR/checkpoint and DIR/log.vkey")
    export.add_argument("dir", type=Path)
    export.set_defaults(handler=run_export)
    verify = sub.add_parser("verify", help="verify an export (DIR) or a running server (--url)")
    verify.add_argument("dir", type=Path, nargs="?")
    verify.add_argument("--key", type=Path, help="the verifier key you trust (else the export's own log.vkey)")
    verify.add_argument("--since", type=Path, help="an older checkpoint you trust: the log must extend it")
    verify.add_argument("--strict", action="store_true", help="also check every entry is RFC 8785 canonical")
    verify.add_argument("--url", help="verify a running server like a monitor (needs an auditor token in "
                                      "EXAMSVC_AUDITOR_TOKEN)")
    verify.add_argument("--state", type=Path, help="where --url remembers the last checkpoint it trusted")
    verify.set_defaults(handler=run_verify)
    results = sub.add_parser("verify-results", help="recompute a sitting's answer sheets and results and check them "
                                                    "against the log and the signed results manifests")
    results.add_argument("sitting")
    results.set_defaults(handler=run_verify_results)
    sitting = sub.add_parser("verify-sitting", help="check every fact of a sitting (people, papers, presence, "
                                                    "attempts, incidents, room record, results) against the log and "
                                                    "the signatures; names each mismatch")
    target = sitting.add_mutually_exclusive_group(required=True)
    target.add_argument("sitting", nargs="?", help="the sitting's code")
    target.add_argument("--all", action="store_true", help="every sitting")
    sitting.set_defaults(handler=run_verify_sitting)


def run_verify_results(args: argparse.Namespace, settings: Settings) -> int:
    service_key = verifier_of(load_signer(settings, create=False))
    with transaction(engine_from_settings(settings)) as db_session:
        try:
            found = verify_results(db_session=db_session, code=args.sitting, service_key=service_key,
                                   keys=paper_key_provider(settings))
        except ResultsMismatch as exc:
            print(f"VERIFICATION FAILED: sitting {args.sitting}: {exc}", file=sys.stderr)
            return 1
    print(f"OK: sitting {args.sitting}: {found.sheets} {found.sheet_kind} and {found.results} result versions "
          "recomputed; "
          f"{found.manifests} signed results manifest(s) match the log")
    return 0


def run_verify_sitting(args: argparse.Namespace, settings: Settings) -> int:
    from examsvc.audit.sitting_check import Context, run_checks
    from examsvc.sittings.service import get as get_sitting
    from examsvc.sittings.service import list_all

    service_key = verifier_of(load_signer(settings, create=False))
    failed = 0
    with transaction(engine_from_settings(settings)) as db_session:
        codes = [s.code for s in list_all(db_session=db_session)] if args.all else [args.sitting]
        for code in codes:
            try:
                sitting = get_sitting(db_session=db_session, code=code)
            except ExamServiceError as exc:
                print(f"FAILED sitting {code}: {exc.message}")
                failed += 1
                continue
            findings = run_checks(Context(db_session=db_session, sitting=sitting, service_key=service_key,
                                          keys=paper_key_provider(settings)))
            for finding in findings:
                print(f"{code}: {finding.line()}")
            print(f"{'FAILED' if findings else 'OK'}: sitting {code}: {len(findings)} mismatch(es)")
            failed += bool(findings)
    return 1 if failed else 0


def run_key(_: argparse.Namespace, settings: Settings) -> int:
    settings.ensure_data_dir()
    print(verifier_of(load_signer(settings)).vkey())
    return 0


def run_checkpoint(_: argparse.Namespace, settings: Settings) -> int:
    signer = load_signer(settings)
    with transaction(engine_from_settings(settings)) as db_session:
        print(sign_if_grown(db_session=db_session, signer=signer).note, end="")
    return 0


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    signer = load_signer(settings)
    folder: Path = args.dir
    folder.mkdir(parents=True, exist_ok=True)
    with transaction(engine_from_settings(settings)) as db_session:
        # Signing locks the head, so the entries written below are exactly those the checkpoint covers.
        checkpoint = sign_if_grown(db_session=db_session, signer=signer)
        with (folder / offline.ENTRIES_FILE).open("wb") as handle:
            for start in range(0, checkpoint.tree_size, EXPORT_BATCH):
                end = min(start + EXPORT_BATCH, checkpoint.tree_size)
                handle.writelines(entry + b"\n" for entry in repository.entries(db_session, start, end))
        (folder / offline.CHECKPOINT_FILE).write_text(checkpoint.note, encoding="utf-8")
    (folder / offline.KEY_FILE).write_text(verifier_of(signer).vkey() + "\n", encoding="utf-8")
    print(f"exported {checkpoint.tree_size} entries to {folder}")
    return 0


def _fail(message: str) -> int:
    print(f"VERIFICATION FAILED: {message}", file=sys.stderr)
    return 1


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    if args.url:
        return _verify_url(args, settings)
    if args.dir is None:
        print("examsvc: give an export folder or --url", file=sys.stderr)
        return 2
    vkey = args.key.read_text(encoding="utf-8") if args.key else None
    since = args.since.read_text(encoding="utf-8") if args.since else None
    try:
        verified = offline.verify_export(args.dir, vkey=vkey, since_note=since, strict=args.strict)
    except offline.VerificationFailed as exc:
        return _fail(str(exc))
    checkpoint = verified.checkpoint
    print(f"OK: {checkpoint.size} entries match the checkpoint signed by {checkpoint.origin}, "
          f"root {base64.b64encode(checkpoint.root).decode()}")
    if verified.since is not None:
        print(f"OK: the log extends the older checkpoint of {verified.since.size} entries")
    if verified.key_from_export:
        print("note: the key was taken from the export itself; pass --key with a key you obtained "
              "independently for real assurance", file=sys.stderr)
    return 0


def _verify_url(args: argparse.Namespace, settings: Settings) -> int:
    """A monitor: fetch the latest checkpoint, check it extends the last one trusted, re-hash every entry."""
    base = args.url.rstrip("/")
    token = os.environ.get("EXAMSVC_AUDITOR_TOKEN")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    import httpx  # here: only this command talks HTTP, and importing httpx costs every audit command

    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        vkey = args.key.read_text(encoding="utf-8") if args.key else client.get("/audit/key").text
        try:
            verifier = parse_vkey(vkey)
        except NoteError as exc:
            return _fail(f"verifier key: {exc}")
        state: Path = args.state or settings.data_dir / "monitor" / f"{verifier.key_id.hex()}.checkpoint"
        note = client.get("/audit/checkpoint").text
        try:
            checkpoint = offline.open_checkpoint(note, verifier)
            since = offline.open_checkpoint(state.read_text(encoding="utf-8"), verifier, "remembered checkpoint") \
                if state.exists() else None
        except offline.VerificationFailed as exc:
            return _fail(str(exc))
        if since is not None:
            if since.size > checkpoint.size:
                return _fail(f"the server's checkpoint ({checkpoint.size}) is older than the one trusted before "
                             f"({since.size}): the log was rolled back")
            if since.size > 0:
                proof = client.get("/audit/proofs/consistency", params={"first": since.size,
                                                                        "second": checkpoint.size})
                if proof.status_code != 200:
                    return _fail(f"the server gave no consistency proof ({proof.status_code})")
                try:
                    verify_consistency(since.size, checkpoint.size, since.root, checkpoint.root,
                                       [base64.b64decode(h) for h in proof.json()["hashes"]])
                except ProofError as exc:
                    return _fail(f"the new checkpoint does not extend the trusted one: {exc}")

        def pages() -> Any:
            for start in range(0, checkpoint.size, PAGE):
                response = client.get("/audit/entries", params={"start": start,
                                                                "end": min(start + PAGE, checkpoint.size)})
                if response.status_code != 200:
                    raise offline.VerificationFailed(f"the server refused entries from {start} "
                                                     f"({response.status_code}); is EXAMSVC_AUDITOR_TOKEN set?")
                yield from response.content.splitlines(keepends=True)

        try:
            offline.verify_entries(pages(), checkpoint, since, strict=args.strict)
        except offline.VerificationFailed as exc:
            return _fail(str(exc))
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(note, encoding="utf-8")
    print(f"OK: {checkpoint.size} entries verified against the checkpoint of {checkpoint.origin}"
          + (f"; it extends the trusted checkpoint of {since.size}" if since else "; now trusted"))
    return 0

