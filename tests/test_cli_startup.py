"""The ``examsvc`` command starts without importing what it does not run (issue 16 item 21).

Times are measured by bench/cli_startup.py; here, what decides them: which modules a command imports.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from examsvc.cli import COMMANDS, build_parser

pytestmark = pytest.mark.db_agnostic

_PROBE = """
import sys
from examsvc.cli import main

try:
    main({argv!r})
except SystemExit:
    pass
heavy = sorted(m for m in ("fastapi", "sqlalchemy", "alembic", "openpyxl", "httpx", "psycopg", "pydantic")
               if m in sys.modules)
print("IMPORTED", ",".join(heavy))
"""


def _imported_by(argv: list[str]) -> set[str]:
    done = subprocess.run([sys.executable, "-c", _PROBE.format(argv=argv)], capture_output=True, text=True,
                          check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("IMPORTED"))
    return {m for m in line.removeprefix("IMPORTED").strip().split(",") if m}


def test_version_and_help_import_no_library_beyond_the_standard_one() -> None:
    assert _imported_by(["--version"]) == set()
    assert _imported_by(["--help"]) == set()


def test_a_database_command_imports_neither_the_web_framework_nor_migrations_nor_spreadsheets() -> None:
    for argv in (["users", "--help"], ["sittings", "--help"], ["banks", "--help"], ["audit", "--help"],
                 ["sites", "--help"], ["papers", "--help"], ["practical", "--help"], ["witness", "--help"]):
        imported = _imported_by(argv)
        assert not imported & {"fastapi", "alembic", "openpyxl"}, (argv, imported)
        # httpx: only the audit commands, which ask witnesses to cosign over HTTP
        assert "httpx" not in imported or argv[0] == "audit", (argv, imported)


def test_the_command_table_names_every_command_with_the_help_its_module_gives() -> None:
    parser = build_parser()  # every module registered for real
    commands = next(a for a in parser._actions if a.dest == "command")
    registered = {choice.dest: choice.help for choice in commands._choices_actions}
    assert registered == {name: text for name, (_, text) in COMMANDS.items()}
    for name, (module, _) in COMMANDS.items():
        handled = build_parser([module])
        sub = next(a for a in handled._actions if a.dest == "command").choices[name]  # type: ignore[index]
        real = "handler" in sub._defaults or any(isinstance(a, argparse._SubParsersAction) for a in sub._actions)
        assert real, f"{name}: not registered by {module}"


def test_a_command_that_writes_a_row_naming_another_domains_table_runs_in_a_process_of_its_own(
        tmp_path: Path) -> None:
    """A command imports only its own domain: the site's ``created_by`` names ``user_account``, which the
    sites commands never import (in one pytest process every model is imported and this cannot fail)."""
    env = {**os.environ, "EXAMSVC_DATA_DIR": str(tmp_path / "data")}
    env.pop("EXAMSVC_DATABASE_URL", None)
    for argv in (["db", "upgrade"], ["sites", "create", "TY-09", "--name", "太原考点", "--city", "太原市"],
                 ["sites", "set-city", "TY-09", "--city", "晋中市"]):
        done = subprocess.run([sys.executable, "-m", "examsvc", *argv], capture_output=True, text=True, env=env)
        assert done.returncode == 0, (argv, done.stderr[-2000:])
    listed = subprocess.run([sys.executable, "-m", "examsvc", "sites", "list"], capture_output=True, text=True,
                            env=env, check=True)
    assert "TY-09\t太原考点\t晋中市" in listed.stdout
