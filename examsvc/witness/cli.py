"""``examsvc witness …``: run a witness for examsvc's log (C2SP tlog-witness), for another department."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from examsvc.config import Settings
from examsvc.crypto.signed_note import NoteError, parse_vkey
from examsvc.witness.keys import Witness, WitnessSetupError, open_witness


def register(commands: Any) -> None:
    witness = commands.add_parser("witness", help="a C2SP tlog-witness that cosigns the log's checkpoints "
                                                  "(run by another department, with its own key and storage)")
    sub = witness.add_subparsers(dest="witness_command", required=True, metavar="ACTION")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text)
        parser.add_argument("--data-dir", type=Path, required=True, help="the witness's own folder (key, state)")
        parser.add_argument("--name", help="the witness's name, fixed at first start (a schema-less URL, e.g. "
                                           "witness.yjt.example.gov.cn/w1)")
        return parser

    serve = command("serve", "serve POST /add-checkpoint")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    serve.add_argument("--origin-key", type=Path, action="append", default=[], metavar="FILE",
                       help="a file holding a log's verifier key to trust (repeatable; kept, like add-log)")
    serve.set_defaults(handler=run_serve)
    command("key", "print the witness's verifier key (give it to the log and to auditors)").set_defaults(
        handler=run_key)
    add_log = command("add-log", "trust a log: its verifier key (name = checkpoint origin)")
    add_log.add_argument("vkey", help="the log's verifier key, or a file holding it")
    add_log.set_defaults(handler=run_add_log)
    command("logs", "list the logs witnessed and the latest size cosigned for each").set_defaults(handler=run_logs)


def _open(args: argparse.Namespace) -> Witness | None:
    try:
        return open_witness(args.data_dir, args.name)
    except (WitnessSetupError, OSError) as exc:
        print(f"examsvc witness: {exc}", file=sys.stderr)
        return None


def _trust(witness: Witness, text: str) -> bool:
    try:
        verifier = parse_vkey(text)
    except NoteError as exc:
        print(f"examsvc witness: log key: {exc}", file=sys.stderr)
        return False
    added = witness.store.add_log(verifier)
    print(f"{'trusting' if added else 'already trusting'} log {verifier.name} key {verifier.key_id.hex()}")
    return True


def _vkey_text(value: str) -> str:
    path = Path(value)
    return path.read_text(encoding="utf-8") if "+" not in value and path.is_file() else value


def run_key(args: argparse.Namespace, _: Settings) -> int:
    witness = _open(args)
    if witness is None:
        return 1
    print(witness.signer.cosigner.vkey())
    return 0


def run_add_log(args: argparse.Namespace, _: Settings) -> int:
    witness = _open(args)
    return 0 if witness is not None and _trust(witness, _vkey_text(args.vkey)) else 1


def run_logs(args: argparse.Namespace, _: Settings) -> int:
    witness = _open(args)
    if witness is None:
        return 1
    for origin, vkey, size in witness.store.logs():
        print(f"{origin}\t{size}\t{vkey}")
    return 0


def run_serve(args: argparse.Namespace, _: Settings) -> int:
    import uvicorn

    from examsvc.witness.app import create_witness_app

    witness = _open(args)
    if witness is None:
        return 1
    for path in args.origin_key:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            print(f"examsvc witness: {exc}", file=sys.stderr)
            return 1
        if not _trust(witness, text):
            return 1
    print(f"witness {witness.signer.cosigner.vkey()} on http://{args.host}:{args.port}/add-checkpoint", flush=True)
    uvicorn.run(create_witness_app(witness), host=args.host, port=args.port, log_level="warning")
    return 0
