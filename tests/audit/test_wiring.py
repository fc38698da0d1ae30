"""Every state-changing action that exists writes its named entry; the signing key stays private."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.audit.keys import load_signer
from examsvc.config import Settings
from examsvc.identity.roles import Role
from tests.banks.builders import bank, to_yaml
from tests.builders import DEFAULT_PASSWORD, Actors, make_user


def test_each_kind_of_action_leaves_its_entry(actors: Actors, db_session: Session) -> None:
    start = repository.committed_size(db_session)
    admin = actors.user_with(Role.SYSTEM_ADMIN)
    bank_admin = actors.user_with(Role.BANK_ADMIN)
    client = actors.client
    user = client.post("/users", headers=admin, json={"username": "wiring", "display_name": "接线",
                                                      "password": "a long passphrase"}).json()
    client.post(f"/users/{user['id']}/roles", headers=admin, json={"role": "proctor"})
    client.delete(f"/users/{user['id']}/roles/proctor", headers=admin)
    client.post(f"/users/{user['id']}/affiliations", headers=admin, json={"kind": "employer", "organisation": "某单位"})
    client.post(f"/users/{user['id']}/tokens/revoke", headers=admin)
    client.post(f"/users/{user['id']}/disable", headers=admin)
    client.post(f"/users/{user['id']}/enable", headers=admin)
    code = client.post("/sites", headers=admin, json={"code": "W-1", "name": "考点"}).json()["enrolment_code"]
    code = client.post("/sites/W-1/enrolment-code", headers=admin).json()["enrolment_code"]
    ws = client.post("/workstations/enrol", json={"site_code": "W-1", "enrolment_code": code, "name": "01"}).json()
    client.post(f"/workstations/{ws['id']}/approve", headers=admin)
    client.post(f"/workstations/{ws['id']}/revoke", headers=admin, json={"reason": "报废"})
    draft = client.post("/banks/import", params={"filename": "b.yaml"}, content=to_yaml(bank()),
                        headers=bank_admin).json()["version"]["id"]
    client.delete(f"/bank-versions/{draft}", headers=bank_admin)
    version = client.post("/banks/import", params={"filename": "b.yaml"}, content=to_yaml(bank()),
                          headers=bank_admin).json()["version"]["id"]
    client.post(f"/bank-versions/{version}/publish", headers=bank_admin)
    client.post(f"/bank-versions/{version}/retire", headers=bank_admin)
    proctor = make_user(db_session, Role.PROCTOR)
    client.post("/auth/login", json={"username": proctor.username, "password": "wrong password"})
    token = client.post("/auth/login", json={"username": proctor.username, "password": DEFAULT_PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    client.post("/auth/password", headers=headers,
                json={"current_password": DEFAULT_PASSWORD, "new_password": "another long passphrase"})
    client.post("/auth/logout", headers=headers)

    db_session.expire_all()
    entries = [json.loads(e) for e in repository.entries(db_session, start, repository.committed_size(db_session))]
    assert {e["action"] for e in entries} >= {
        "user.created", "user.role_granted", "user.role_revoked", "user.affiliation_added", "user.tokens_revoked",
        "user.disabled", "user.enabled", "site.created", "site.enrolment_code_rotated", "workstation.enrolled",
        "workstation.approved", "workstation.revoked", "bank.version.imported", "bank.version.discarded",
        "bank.version.published", "bank.version.retired", "auth.logged_in", "auth.login_failed",
        "auth.password_changed", "auth.logged_out",
    }
    text = json.dumps(entries, ensure_ascii=False)
    for secret in ("a long passphrase", "wrong password", code, token["access_token"], "判断题 Q-1 的题干"):
        assert secret not in text


def test_the_signing_key_is_generated_once_and_private(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "data")  # type: ignore[call-arg]
    first = load_signer(settings)
    key_file = settings.keys_dir / "log-ed25519.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_signer(settings).public_key == first.public_key
    assert "PRIVATE" not in repr(first) and "hidden" in repr(first)
