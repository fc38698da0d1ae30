"""``examsvc audit …``: the verifier key, checkpoints, export, and verification that trusts nobody."""

from __future__ import annotations

import argparse
import base64
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from examsvc.audit import offline, repository, witnesses
from examsvc.audit.checkpoints import InconsistentLog, sign_if_grown
from examsvc.audit.keys import load_signer
from examsvc.audit.witness_client import submit_blocking
from examsvc.bootstrap import transaction
from examsvc.config import Settings
from examsvc.crypto.signed_note import NoteError, parse_vkey, verifier_of
from examsvc.db import engine_from_settings, make_session_factory
from examsvc.errors import ExamServiceError
from examsvc.papers.keys import paper_key_provider
from examsvc.results.manifest_check import ResultsMismatch
from examsvc.results.verify import verify_results
from examsvc.tlog.cosignature import Cosigner, parse_cosigner_vkey
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
    verify.add_argument("--witness", action="append", default=[], metavar="VKEY",
                        help="a witness's cosignature key (or a file holding it) you trust; repeatable "
                             "(default: EXAMSVC_WITNESSES)")
    verify.add_argument("--quorum", type=int, help="how many of those witnesses must have cosigned the checkpoint "
                                                   "(default: all given; with none given, EXAMSVC_WITNESS_QUORUM)")
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
    spot = sub.add_parser("verify-spot", help="re-derive a spot-exam inspection (逢查必考) from the log: the seed "
                                              "against its commitment, the roster, the draw, every paper, save, "
                                              "answer sheet and result; names each mismatch")
    spot_target = spot.add_mutually_exclusive_group(required=True)
    spot_target.add_argument("inspection", nargs="?", help="the inspection's code")
    spot_target.add_argument("--all", action="store_true", help="every inspection stored or logged")
    spot.set_defaults(handler=run_verify_spot)


def run_verify_results(args: argparse.Namespace, settings: Settings) -> int:
    service_key = verifier_of(load_signer(settings, create=False))
    with transaction(engine_from_settings(settings)) as db_session:
        try:
            found = verify_results(db_session=db_session, code=args.sitting, service_key=service_key,
                                   keys=paper_key_provider(settings))
        except ResultsMismatch as exc:
            print(f"VERIFICATION FAILED: sitting {args.sitting}: {exc}", file=sys.stderr)
            return 1
        except Exception as exc:  # a verifier names what it could not check; it never ends in a traceback
            print(f"VERIFICATION FAILED: sitting {args.sitting}: the stored data is malformed or missing and could "
                  f"not be checked ({type(exc).__name__}); run `audit verify-sitting` for the place", file=sys.stderr)
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
                                          keys=paper_key_provider(settings),
                                          extra={"grace_seconds": settings.answer_grace_seconds}))
            for finding in findings:
                print(f"{code}: {finding.line()}")
            print(f"{'FAILED' if findings else 'OK'}: sitting {code}: {len(findings)} mismatch(es)")
            failed += bool(findings)
    return 1 if failed else 0


def run_verify_spot(args: argparse.Namespace, settings: Settings) -> int:
    from examsvc.spot.verify import verify_spot

    with transaction(engine_from_settings(settings)) as db_session:
        verdicts = verify_spot(db_session=db_session, codes=None if args.all else [args.inspection],
                               keys=paper_key_provider(settings))
        for verdict in verdicts:
            for finding in verdict.findings:
                print(f"{verdict.code}: {finding.line()}")
            print(f"{'FAILED' if verdict.findings else 'OK'}: inspection {verdict.code}: "
                  f"{len(verdict.findings)} mismatch(es)")
    return 1 if any(v.findings for v in verdicts) else 0


def run_key(_: argparse.Namespace, settings: Settings) -> int:
    settings.ensure_data_dir()
    print(verifier_of(load_signer(settings)).vkey())
    return 0


def _sign_and_cosign(settings: Settings) -> tuple[Any, int]:
    """Signs (if the log grew) and commits, then asks every configured witness to cosign, each step in
    its own transaction: no lock on the log is held while a witness answers. Returns (engine, size)."""
    signer = load_signer(settings)
    engine = engine_from_settings(settings)
    with transaction(engine) as db_session:
        size = sign_if_grown(db_session=db_session, signer=signer).tree_size
    configured = witnesses.configured(settings)
    if configured:
        with httpx.Client(timeout=settings.witness_timeout_seconds, follow_redirects=False) as client:
            for witness in configured:
                outcome = submit_blocking(make_session_factory(engine), witness, client)
                if outcome.problem:
                    print(f"warning: {outcome.problem}", file=sys.stderr)
    return engine, size


def _note_with_cosignatures(db_session: Any, settings: Settings, size: int) -> tuple[str, int]:
    checkpoint = repository.checkpoint_at(db_session, size)
    assert checkpoint is not None  # just signed, never deleted
    lines = witnesses.cosignature_lines(db_session, size, witnesses.configured(settings))
    return checkpoint.note + "".join(lines), len(lines)


def run_checkpoint(_: argparse.Namespace, settings: Settings) -> int:
    engine, size = _sign_and_cosign(settings)
    with transaction(engine) as db_session:
        print(_note_with_cosignatures(db_session, settings, size)[0], end="")
    return 0


def run_export(args: argparse.Namespace, settings: Settings) -> int:
    signer = load_signer(settings)
    folder: Path = args.dir
    folder.mkdir(parents=True, exist_ok=True)
    try:
        engine, size = _sign_and_cosign(settings)
    except (InconsistentLog, LookupError) as exc:
        # The stored log contradicts what was signed before (a rolled-back head, missing subtree hashes):
        # nothing is signed or exported, and the auditor is told why.
        print(f"EXPORT REFUSED: the stored log is inconsistent: {exc}", file=sys.stderr)
        return 1
    # Entries below a signed size never change, so reading them after the commit gives exactly those
    # the checkpoint covers.
    with transaction(engine) as db_session:
        with (folder / offline.ENTRIES_FILE).open("wb") as handle:
            for start in range(0, size, EXPORT_BATCH):
                end = min(start + EXPORT_BATCH, size)
                handle.writelines(entry + b"\n" for entry in repository.entries(db_session, start, end))
        note, cosigned = _note_with_cosignatures(db_session, settings, size)
        (folder / offline.CHECKPOINT_FILE).write_text(note, encoding="utf-8")
    (folder / offline.KEY_FILE).write_text(verifier_of(signer).vkey() + "\n", encoding="utf-8")
    quorum = settings.effective_witness_quorum
    print(f"exported {size} entries to {folder}" + (f"; the checkpoint carries {cosigned} witness cosignature(s), "
                                                    f"quorum {quorum}" if settings.witnesses else ""))
    if cosigned < quorum:
        print(f"warning: the exported checkpoint has {cosigned} of {quorum} required witness cosignatures: "
              "`audit verify` will refuse it until the witnesses cosign (export again)", file=sys.stderr)
    return 0


def _fail(message: str) -> int:
    print(f"VERIFICATION FAILED: {message}", file=sys.stderr)
    return 1


def _read(path: Path | None, what: str) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise offline.VerificationFailed(f"{what}: {exc}") from None


def _trusted_witnesses(args: argparse.Namespace, settings: Settings) -> tuple[list[Cosigner], int]:
    """The witness keys and quorum to require: from --witness/--quorum, else from the settings."""
    texts = [_read(Path(v), "witness key") if "+" not in v else v for v in args.witness]
    if not texts:
        texts = [entry.split()[0] for entry in settings.witnesses]
    cosigners = []
    for text in texts:
        try:
            cosigners.append(parse_cosigner_vkey(text or ""))
        except NoteError as exc:
            raise offline.VerificationFailed(f"witness key: {exc}") from None
    if args.quorum is not None:
        quorum = args.quorum
    else:
        quorum = len(cosigners) if args.witness else settings.effective_witness_quorum
    if quorum < 0:
        raise offline.VerificationFailed("--quorum is a number ≥ 0")
    return cosigners, quorum


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    """Every failure, whatever its cause, is one VERIFICATION FAILED line and exit 1: never a traceback."""
    try:
        if args.url:
            return _verify_url(args, settings)
        if args.dir is None:
            print("examsvc: give an export folder or --url", file=sys.stderr)
            return 2
        cosigners, quorum = _trusted_witnesses(args, settings)
        verified = offline.verify_export(args.dir, vkey=_read(args.key, "verifier key"),
                                         since_note=_read(args.since, "older checkpoint"), strict=args.strict,
                                         witnesses=cosigners, quorum=quorum)
    except offline.VerificationFailed as exc:
        return _fail(str(exc))
    except (httpx.HTTPError, OSError, ValueError, KeyError, LookupError) as exc:
        return _fail(f"{type(exc).__name__}: {exc}")
    checkpoint = verified.checkpoint
    print(f"OK: {checkpoint.size} entries match the checkpoint signed by {checkpoint.origin}, "
          f"root {base64.b64encode(checkpoint.root).decode()}")
    if verified.cosigned_by:
        print(f"OK: cosigned by {len(verified.cosigned_by)} trusted witness(es) (quorum {quorum}): "
              + ", ".join(verified.cosigned_by))
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
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        vkey = args.key.read_text(encoding="utf-8") if args.key else client.get("/audit/key").text
        try:
            verifier = parse_vkey(vkey)
        except NoteError as exc:
            return _fail(f"verifier key: {exc}")
        state: Path = args.state or settings.data_dir / "monitor" / f"{verifier.key_id.hex()}.checkpoint"
        answer = client.get("/audit/checkpoint")
        if answer.status_code != 200:
            return _fail(f"the server has no checkpoint to give ({answer.status_code}): {answer.text.strip()[:300]}")
        note = answer.text
        try:
            checkpoint = offline.open_checkpoint(note, verifier)
            cosigners, quorum = _trusted_witnesses(args, settings)
            cosigned_by = offline.check_cosignatures(note, cosigners, quorum)
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
          + (f"; it extends the trusted checkpoint of {since.size}" if since else "; now trusted")
          + (f"; cosigned by {', '.join(cosigned_by)}" if cosigned_by else ""))
    return 0

