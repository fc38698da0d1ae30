"""Wrong examiner passphrases are counted although the request's work is rolled back, logged, and back
off (issue 14 item 7); a system admin's unlock clears them."""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from examsvc.audit import repository as audit_repository
from examsvc.identity.roles import Role
from tests.builders import Actors
from tests.papers.test_flow import PASSPHRASE, World, world  # noqa: F401 - the fixture


def _actions(db_session: Session, user_id: int) -> list[str]:
    db_session.commit()
    size = audit_repository.committed_size(db_session)
    return [e["action"] for e in (json.loads(r) for r in audit_repository.entries(db_session, 0, size))
            if e["subject"] == {"type": "user", "id": str(user_id)}]


def test_wrong_passphrases_back_off_until_an_admin_unlocks(world: World, actors: Actors,  # noqa: F811
                                                           db_session: Session) -> None:
    rule_id = world.submitted_rule()
    chief_id = world.client.get("/auth/me", headers=world.chief).json()["id"]

    def approve(passphrase: str) -> tuple[int, str]:
        response = world.client.post(f"/blueprints/{rule_id}/approve", headers=world.chief,
                                     json={"passphrase": passphrase})
        return response.status_code, response.json().get("error", "")

    # The default rule: 5 wrong passphrases in a row cost nothing more, the 5th begins a wait.
    assert [approve("a wrong guess at it") for _ in range(5)] == [(403, "wrong_passphrase")] * 5
    assert approve(PASSPHRASE) == (429, "too_many_attempts")
    assert _actions(db_session, chief_id)[-5:] == ["examiner.passphrase_failed"] * 4 + [
        "examiner.passphrase_throttled"]
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    assert world.client.post(f"/users/{chief_id}/unlock", headers=admin).status_code == 200
    assert approve(PASSPHRASE)[0] == 200
