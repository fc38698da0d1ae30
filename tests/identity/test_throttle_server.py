"""Back-off against a real ``examsvc serve`` (issue 14 item 6): a known and an unknown name answer
alike, the right password waits too, and ``examsvc users unlock`` clears an account from the shell."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from bench.faults import Server
from examsvc.audit.actors import Actor
from examsvc.bootstrap import transaction
from examsvc.identity import service as identity
from examsvc.identity.roles import Role

PASSWORD = "the admin's own long password"


def test_a_waiting_account_is_unlocked_from_the_shell_and_unknown_names_answer_alike(
        fresh_engine: Engine, tmp_path: Path) -> None:
    with transaction(fresh_engine) as db_session:
        identity.create_user(db_session=db_session, username="admin2", display_name="管理员", password=PASSWORD,
                             roles=[Role.SYSTEM_ADMIN], actor=Actor.system("test"), password_cost_log2=10)
    server = Server(fresh_engine.url.render_as_string(hide_password=False), tmp_path / "data")
    server.env["EXAMSVC_PASSWORD_COST_LOG2"] = "10"
    server.start()
    try:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            def answers(name: str) -> list[tuple[int, object]]:
                replies = [client.post("/auth/login", json={"username": name, "password": "a wrong guess"})
                           for _ in range(5)]
                replies.append(client.post("/auth/login", json={"username": name, "password": PASSWORD}))
                return [(r.status_code, r.json()) for r in replies]

            known, unknown = answers("admin2"), answers("admin3")
            assert [status for status, _ in known] == [401, 401, 401, 401, 401, 429]
            assert known == unknown
            unlocked = server.cli("users", "unlock", "admin2")
            assert unlocked.returncode == 0 and "已解除限制" in unlocked.stdout
            assert client.post("/auth/login", json={"username": "admin2", "password": PASSWORD}).status_code == 200
            unknown_name = server.cli("users", "unlock", "admin3")
            assert unknown_name.returncode != 0 and "用户不存在" in unknown_name.stderr
    finally:
        server.stop()
