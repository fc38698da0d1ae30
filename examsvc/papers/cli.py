"""``examsvc papers …``: auditor tools over a sitting's paper sets."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from examsvc.audit.keys import load_signer
from examsvc.bootstrap import transaction
from examsvc.config import Settings
from examsvc.crypto.signed_note import verifier_of
from examsvc.db import engine_from_settings
from examsvc.papers import service, verification
from examsvc.papers.keys import paper_key_provider


def register(commands: Any) -> None:
    papers = commands.add_parser("papers", help="per-candidate papers (试卷)")
    sub = papers.add_subparsers(dest="papers_command", required=True, metavar="ACTION")
    verify = sub.add_parser("verify", help="check every stored paper of a sitting against its manifests and signatures")
    verify.add_argument("sitting")
    verify.set_defaults(handler=run_verify, rederive=False)
    rederive = sub.add_parser("rederive", help="after the seed is revealed: re-assemble every paper and compare")
    rederive.add_argument("sitting")
    rederive.set_defaults(handler=run_verify, rederive=True)


def run_verify(args: argparse.Namespace, settings: Settings) -> int:
    service_key = verifier_of(load_signer(settings, create=False))
    keys = paper_key_provider(settings)
    with transaction(engine_from_settings(settings)) as db_session:
        sets = service.sets_of_sitting(db_session=db_session, sitting_code=args.sitting)
        if not sets:
            print(f"examsvc: no papers for sitting {args.sitting}", file=sys.stderr)
            return 1
        for paper_set in sets:
            try:
                result = verification.verify(db_session=db_session, paper_set_id=paper_set.id, service_key=service_key,
                                        keys=keys, rederive=args.rederive)
            except verification.PaperSetMismatch as exc:
                print(f"VERIFICATION FAILED: paper set {paper_set.id}: {exc}", file=sys.stderr)
                return 1
            signed = "service and chief examiner" if result.examiner_signed else "service only (not yet approved)"
            content = ("" if result.content_checked else
                       "; content not checked: the papers stay sealed until the sitting opens (checked after opening)")
            print(f"OK: paper set {paper_set.id}: {result.papers} papers match the manifest; signatures: {signed}"
                  + content + ("; every paper re-derived from the rule, the banks and the revealed seed"
                               if result.rederived else ""))
    return 0
