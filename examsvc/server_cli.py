"""``examsvc serve`` and ``examsvc db``."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import sys
from pathlib import Path
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
    serve.add_argument("--tls-cert", type=Path, metavar="FILE", help="serve HTTPS: the certificate chain (PEM)")
    serve.add_argument("--tls-key", type=Path, metavar="FILE", help="serve HTTPS: its private key (PEM)")
    serve.add_argument("--behind-proxy", metavar="ADDRESSES",
                       help="a reverse proxy terminates TLS in front: trust X-Forwarded-For/-Proto from these "
                            "comma-separated addresses only (uvicorn's forwarded_allow_ips)")
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


class ServeRefused(Exception):
    """``serve`` was asked for a set-up that would put credentials on the network in clear."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def transport_options(args: argparse.Namespace, settings: Settings) -> dict[str, Any]:
    """uvicorn's TLS and proxy options for ``serve``. In production, listening beyond loopback needs
    TLS here (--tls-cert/--tls-key) or a TLS proxy in front (--behind-proxy): passwords, tokens and
    papers cross the network."""
    if (args.tls_cert is None) != (args.tls_key is None):
        raise ServeRefused("--tls-cert and --tls-key go together")
    for path in (args.tls_cert, args.tls_key):
        if path is not None and not path.is_file():
            raise ServeRefused(f"no such file: {path}")
    tls = args.tls_cert is not None
    if (settings.environment == "production" and not _is_loopback(args.host) and not tls
            and not args.behind_proxy):
        raise ServeRefused(f"in production, serving on {args.host} without TLS is refused: give --tls-cert FILE "
                           "--tls-key FILE, or put a TLS proxy in front and name it with --behind-proxy ADDRESSES")
    options: dict[str, Any] = {
        # Without a named proxy no forwarded header is believed (uvicorn would trust 127.0.0.1's by default).
        "proxy_headers": bool(args.behind_proxy),
    }
    if args.behind_proxy:
        options["forwarded_allow_ips"] = args.behind_proxy
    if tls:
        options |= {"ssl_certfile": str(args.tls_cert), "ssl_keyfile": str(args.tls_key)}
    return options


def run_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from examsvc.app import create_app, freeze_loaded_objects
    from examsvc.requestlog import configure_logging

    try:
        transport = transport_options(args, settings)
    except ServeRefused as exc:
        print(f"examsvc: {exc}", file=sys.stderr)
        return 2
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
        uvicorn.run("examsvc.asgi:app", host=args.host, port=args.port, workers=args.workers, log_config=None,
                    **transport)
        return 0
    app = create_app(settings, engine=engine)
    freeze_loaded_objects()
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, **transport)
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
