"""The ``examsvc`` command. Subcommands live beside their domain (``<domain>/cli.py``).

Startup (issue 16 item 21): importing every domain's CLI pulls in FastAPI, SQLAlchemy's ORM, Alembic,
openpyxl and httpx, about 2 s before anything runs. So the top-level parser is built from the table
below, which names every command without importing it; only the module of the command asked for is
imported (``--help`` and ``--version`` import none). ``tests/test_cli_startup.py`` checks the table
against what the modules register, and ``bench/cli_startup.py`` measures the times.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from examsvc import __version__

if TYPE_CHECKING:
    from examsvc.config import Settings

Handler = Callable[[argparse.Namespace, "Settings"], int]

# command → (the module whose ``register`` adds it, its one-line help as that module gives it)
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("examsvc.server_cli", "run the HTTP service"),
    "db": ("examsvc.server_cli", "database schema (Alembic migrations)"),
    "users": ("examsvc.identity.cli", "staff accounts and roles"),
    "sites": ("examsvc.sites.cli", "exam sites (考点)"),
    "workstations": ("examsvc.sites.cli", "exam-site computers (考试机)"),
    "banks": ("examsvc.banks.cli", "question banks (题库)"),
    "practical": ("examsvc.practical.cli", "practical exam banks (实操题库)"),
    "audit": ("examsvc.audit.cli", "the tamper-evident log"),
    "papers": ("examsvc.papers.cli", "per-candidate papers (试卷)"),
    "sittings": ("examsvc.sittings.cli", "exam sittings (考试场次)"),
    "certificates": ("examsvc.certificates.cli", "certificates (证书)"),
    "analytics": ("examsvc.analytics.cli", "statistics and item analysis (统计分析、试题分析)"),
    "witness": ("examsvc.witness.cli", "a C2SP tlog-witness that cosigns the log's checkpoints (run by another "
                                       "department, with its own key and storage)"),
}


def load_settings() -> Settings:
    from pydantic import ValidationError

    from examsvc.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(str(e.get("msg", "")) for e in exc.errors())
        raise SystemExit(f"examsvc: configuration error: {problems}") from None


def _asked_for(argv: Sequence[str]) -> str:
    """The command named on the command line: the first word that is not an option ("" if none)."""
    return next((word for word in argv if not word.startswith("-")), "")


def build_parser(modules: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The parser with ``modules`` registered for real (default: all) and every other command as its
    name and help only (enough for ``--help``)."""
    parser = argparse.ArgumentParser(prog="examsvc", description="Exam engine for 三项岗位人员 safety exams.")
    parser.add_argument("--version", action="version", version=f"examsvc {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if modules is None:
        modules = dict.fromkeys(module for module, _ in COMMANDS.values())
    for name in modules:
        importlib.import_module(name).register(commands)
    for command, (_, text) in COMMANDS.items():
        if command not in commands.choices:
            commands.add_parser(command, help=text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = _asked_for(argv)
    args = build_parser([COMMANDS[command][0]] if command in COMMANDS else []).parse_args(argv)
    handler: Handler = args.handler
    settings = load_settings()
    from examsvc.errors import ExamServiceError

    try:
        return handler(args, settings)
    except ExamServiceError as exc:
        print(error_text(exc), file=sys.stderr)
        return 1


def error_text(exc: Any) -> str:
    """A service error as the terminal shows it: the Chinese message, the code, then the detail as
    ``name: value`` lines (a list of problems one per line), escaped, never a Python dict."""
    from examsvc.text import shown

    lines = [f"examsvc: {exc.message} ({exc.code})"]
    for name, value in (exc.detail or {}).items():
        if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            lines.append(f"  {name}:")
            lines += [f"    {shown('，'.join(f'{k}: {v}' for k, v in item.items()))}" for item in value]
        elif isinstance(value, list | tuple):
            lines.append(f"  {name}: {shown('、'.join(str(v) for v in value))}")
        else:
            lines.append(f"  {name}: {shown(str(value))}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
