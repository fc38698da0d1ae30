"""The ``examsvc`` command. Subcommands live beside their domain (``<domain>/cli.py``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from examsvc import __version__
from examsvc.config import Settings
from examsvc.errors import ExamServiceError

Handler = Callable[[argparse.Namespace, Settings], int]


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e.get("msg", "")) for e in exc.errors())
        raise SystemExit(f"examsvc: configuration error: {problems}") from None


def build_parser() -> argparse.ArgumentParser:
    from examsvc import server_cli
    from examsvc.audit import cli as audit_cli
    from examsvc.banks import cli as banks_cli
    from examsvc.identity import cli as identity_cli
    from examsvc.papers import cli as papers_cli
    from examsvc.practical import cli as practical_cli
    from examsvc.sites import cli as sites_cli
    from examsvc.sittings import cli as sittings_cli
    from examsvc.witness import cli as witness_cli

    parser = argparse.ArgumentParser(prog="examsvc", description="Exam engine for 三项岗位人员 safety exams.")
    parser.add_argument("--version", action="version", version=f"examsvc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (server_cli, identity_cli, sites_cli, banks_cli, practical_cli, audit_cli, papers_cli,
                   sittings_cli, witness_cli):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    settings = load_settings()
    try:
        return handler(args, settings)
    except ExamServiceError as exc:
        print(f"examsvc: {exc.message} ({exc.code}) {exc.detail or ''}".rstrip(), file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
