"""``examsvc users …``: accounts and roles from the server's shell."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import Any

from examsvc.audit.actors import Actor
from examsvc.bootstrap import transaction
from examsvc.config import Settings
from examsvc.db import engine_from_settings
from examsvc.errors import NotFound
from examsvc.identity import repository, service
from examsvc.identity.models import UserAccount
from examsvc.identity.roles import AffiliationKind, Role
from examsvc.text import shown

ROLE_CHOICES = [r.value for r in Role]


def register(commands: Any) -> None:
    users = commands.add_parser("users", help="staff accounts and roles")
    sub = users.add_subparsers(dest="users_command", required=True, metavar="ACTION")

    admin = sub.add_parser("create-admin", help="create a system admin (考试系统管理员)")
    _password_options(admin)
    admin.add_argument("username")
    admin.add_argument("--name", default="考试系统管理员", help="display name")
    admin.set_defaults(handler=run_create_admin)

    create = sub.add_parser("create", help="create a staff account")
    create.add_argument("username")
    create.add_argument("--name", required=True, help="display name (姓名)")
    create.add_argument("--role", action="append", choices=ROLE_CHOICES, default=[], help="repeatable")
    create.add_argument("--training-institution", action="append", default=[], help="培训机构 (repeatable)")
    create.add_argument("--employer", action="append", default=[], help="工作单位 (repeatable)")
    _password_options(create)
    create.set_defaults(handler=run_create)

    sub.add_parser("list", help="list accounts").set_defaults(handler=run_list)
    for name, handler, text in (("grant", run_grant, "grant a role"), ("revoke", run_revoke, "revoke a role")):
        p = sub.add_parser(name, help=text)
        p.add_argument("username")
        p.add_argument("role", choices=ROLE_CHOICES)
        p.set_defaults(handler=handler)
    for name, handler, text in (("disable", run_disable, "disable an account and revoke its tokens"),
                                ("enable", run_enable, "enable an account")):
        p = sub.add_parser(name, help=text)
        p.add_argument("username")
        p.set_defaults(handler=handler)
    unlock = sub.add_parser("unlock", help="clear the back-off of an account (or of a client address) after "
                                           "failed logins, passwords or passphrases")
    unlock.add_argument("username", nargs="?")
    unlock.add_argument("--source", help="a client address instead of an account")
    unlock.set_defaults(handler=run_unlock)


def _password_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from standard input (else: prompt, or generate when not a terminal)")


def _read_password(args: argparse.Namespace) -> tuple[str, bool]:
    """The password and whether it was generated (and so must be shown)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            raise SystemExit("examsvc: the passwords differ")
        return first, False
    return service.generate_password(), True


def _user(db_session: Any, username: str) -> UserAccount:
    user = repository.get_user_by_username(db_session, username)
    if user is None:
        raise NotFound("用户不存在。", detail={"username": username})
    return user


def _create(args: argparse.Namespace, settings: Settings, roles: list[Role],
            affiliations: list[tuple[AffiliationKind, str]]) -> int:
    password, generated = _read_password(args)
    settings.ensure_data_dir()
    with transaction(engine_from_settings(settings)) as db_session:
        user = service.create_user(db_session=db_session, username=args.username, display_name=args.name,
                                   password=password, roles=roles, affiliations=affiliations,
                                   actor=Actor.cli(), password_cost_log2=settings.password_cost_log2)
        print(f"created user {user.username} (id {user.id}) with roles {', '.join(user.role_names) or '-'}")
    if generated:
        print(f"generated password (shown once): {password}")
    return 0


def run_create_admin(args: argparse.Namespace, settings: Settings) -> int:
    return _create(args, settings, [Role.SYSTEM_ADMIN], [])


def run_create(args: argparse.Namespace, settings: Settings) -> int:
    affiliations = [(AffiliationKind.TRAINING_INSTITUTION, o) for o in args.training_institution]
    affiliations += [(AffiliationKind.EMPLOYER, o) for o in args.employer]
    return _create(args, settings, [Role(r) for r in args.role], affiliations)


def run_list(_: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        for user in service.list_users(db_session=db_session):
            state = "disabled" if user.disabled else "active"
            orgs = "; ".join(f"{a.kind}={shown(a.organisation)}" for a in user.affiliations)
            print(f"{user.id}\t{shown(user.username)}\t{shown(user.display_name)}\t{state}\t{','.join(user.role_names)}\t{orgs}")
    return 0


def run_grant(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        user = service.grant_role(db_session=db_session, user_id=_user(db_session, args.username).id,
                                  role=Role(args.role), actor=Actor.cli())
        print(f"{user.username}: {', '.join(user.role_names)}")
    return 0


def run_revoke(args: argparse.Namespace, settings: Settings) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        user = service.revoke_role(db_session=db_session, user_id=_user(db_session, args.username).id,
                                   role=Role(args.role), actor=Actor.cli())
        print(f"{user.username}: {', '.join(user.role_names) or '-'}")
    return 0


def _set_disabled(args: argparse.Namespace, settings: Settings, disabled: bool) -> int:
    with transaction(engine_from_settings(settings)) as db_session:
        user = service.set_disabled(db_session=db_session, user_id=_user(db_session, args.username).id,
                                    disabled=disabled, actor=Actor.cli())
        print(f"{user.username}: {'disabled' if user.disabled else 'active'}")
    return 0


def run_disable(args: argparse.Namespace, settings: Settings) -> int:
    return _set_disabled(args, settings, True)


def run_enable(args: argparse.Namespace, settings: Settings) -> int:
    return _set_disabled(args, settings, False)


def run_unlock(args: argparse.Namespace, settings: Settings) -> int:
    if (args.username is None) == (args.source is None):
        raise SystemExit("examsvc: 请给出用户名，或用 --source 给出客户端地址（二者选一）")
    with transaction(engine_from_settings(settings)) as db_session:
        if args.source is not None:
            cleared = service.unlock_source(db_session=db_session, source=args.source, actor=Actor.cli())
            print(f"{args.source}: {'已解除限制' if cleared else '没有限制'}")
            return 0
        user = service.unlock_account(db_session=db_session, user_id=_user(db_session, args.username).id,
                                      actor=Actor.cli())
        print(f"{user.username}: 已解除限制")
    return 0
