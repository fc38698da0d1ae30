"""``examsvc serve`` and ``examsvc db``."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from examsvc import bootstrap, migrate
from examsvc.config import Settings
from examsvc.db import engine_from_settings


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (PostgreSQL only)")
    serve.add_argument("--migrate", action="store_true",
                       help="upgrade a non-embedded database before serving (the embedded SQLite is always upgraded)")
    serve.set_defaults(handler=run_serve)

    db = commands.add_parser("db", help="database schema (Alembic migrations)")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_commands.add_parser("upgrade", help="upgrade the schema to a revision (default: head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=run_db_upgrade)
    down = db_commands.add_parser("downgrade", help="downgrade the schema to a revision ('base' drops everything)")
    down.add_argument("revision")
    down.set_defaults(handler=run_db_downgrade)
    current = db_commands.add_parser("current", help="print the schema revision and the one this examsvc needs")
    current.set_defaults(handler=run_db_current)


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from examsvc.app import create_app, freeze_loaded_objects
    from examsvc.requestlog import configure_logging

    configure_logging(settings.log_level)
    settings.ensure_data_dir()
    engine = engine_from_settings(settings)
    try:
        bootstrap.prepare_schema(settings, engine, migrate_requested=args.migrate)
    except bootstrap.NotMigrated as exc:
        print(f"examsvc: {exc}", file=sys.stderr)
        return 2
    loaded = bootstrap.load_sample_banks(settings, engine)
    if loaded:
        logging.getLogger("examsvc.bootstrap").info("sample banks loaded", extra={"versions": loaded})
    admin = bootstrap.ensure_first_admin(settings, engine)
    if admin is not None:
        bootstrap.announce_first_admin(admin)
    if args.workers > 1:
        if settings.uses_embedded_database:
            print("examsvc: several workers need PostgreSQL; the embedded SQLite runs one", file=sys.stderr)
            return 2
        engine.dispose()
        uvicorn.run("examsvc.asgi:app", host=args.host, port=args.port, workers=args.workers, log_config=None)
        return 0
    app = create_app(settings, engine=engine)
    freeze_loaded_objects()
    uvicorn.run(app, host=args.host, port=args.port, log_config=None)
    return 0


def run_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    settings.ensure_data_dir()
    engine = engine_from_settings(settings)
    migrate.upgrade(engine, args.revision)
    print(f"schema at {migrate.current_revision(engine)}")
    return 0


def run_db_downgrade(args: argparse.Namespace, settings: Settings) -> int:
    engine = engine_from_settings(settings)
    migrate.downgrade(engine, args.revision)
    print(f"schema at {migrate.current_revision(engine)}")
    return 0


def run_db_current(_: argparse.Namespace, settings: Settings) -> int:
    engine = engine_from_settings(settings)
    current, head = migrate.current_revision(engine), migrate.head_revision(engine)
    print(f"current: {current}\nhead:    {head}")
    return 0 if current == head else 1
