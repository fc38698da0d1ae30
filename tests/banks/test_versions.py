"""Drafts, publication, immutability (API, CLI, raw SQL), revisions, diff and round trips."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from examsvc.banks import service
from examsvc.banks.models import BankVersion
from examsvc.bootstrap import transaction
from examsvc.cli import main
from examsvc.db import make_engine
from examsvc.identity.roles import Role
from tests.banks.builders import bank, changed, mc, sc, tf, to_yaml
from tests.builders import TEST_ACTOR, Actors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _import(actors: Actors, headers: dict[str, str], data: bytes, filename: str = "b.yaml") -> dict:  # type: ignore[type-arg]
    response = actors.client.post("/banks/import", params={"filename": filename}, content=data, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()  # type: ignore[no-any-return]


def test_import_creates_a_draft_and_the_same_content_again_is_a_no_op(actors: Actors) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    first = actors.client.post("/banks/import", params={"filename": "b.yaml"}, content=to_yaml(bank()), headers=admin)
    assert first.status_code == 201
    assert first.json()["version"]["status"] == "draft" and first.json()["created"] is True
    again = actors.client.post("/banks/import", params={"filename": "b.yaml"}, content=to_yaml(bank()), headers=admin)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["version"]["id"] == first.json()["version"]["id"]


def test_a_version_label_names_one_content(actors: Actors) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    _import(actors, admin, to_yaml(bank()))
    other = actors.client.post("/banks/import", params={"filename": "b.yaml"}, headers=admin,
                               content=to_yaml(changed(bank(), 0, answer=False)))
    assert (other.status_code, other.json()["error"]) == (409, "bank_version_exists")
    # names the file, the line and the field (issue 17 item 11)
    [problem] = other.json()["detail"]["problems"]
    assert (problem["file"], problem["field"], problem["line"]) == ("b.yaml", "version", 9)
    assert "一个版本号只对应一份内容" in problem["message"]


def test_published_versions_cannot_be_changed_through_the_api(actors: Actors) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    version_id = _import(actors, admin, to_yaml(bank()))["version"]["id"]
    published = actors.client.post(f"/bank-versions/{version_id}/publish", headers=admin)
    assert published.json()["status"] == "published"
    assert actors.client.post(f"/bank-versions/{version_id}/publish", headers=admin).status_code == 409
    assert actors.client.delete(f"/bank-versions/{version_id}", headers=admin).status_code == 409
    # Re-importing different content under the published label is refused too.
    changed_content = to_yaml(changed(bank(), 1, answer="C"))
    response = actors.client.post("/banks/import", params={"filename": "b.yaml"}, content=changed_content,
                                  headers=admin)
    assert response.status_code == 409
    assert actors.client.post(f"/bank-versions/{version_id}/retire", headers=admin).json()["status"] == "retired"
    assert actors.client.post(f"/bank-versions/{version_id}/retire", headers=admin).status_code == 409


def test_a_draft_can_be_discarded(actors: Actors, db_session: Session) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    version_id = _import(actors, admin, to_yaml(bank()))["version"]["id"]
    assert actors.client.delete(f"/bank-versions/{version_id}", headers=admin).status_code == 204
    assert db_session.get(BankVersion, version_id) is None


@pytest.mark.parametrize("statement", [
    "UPDATE question SET stem = 'changed' WHERE bank_version_id = :v",
    "UPDATE question SET answer = 'F' WHERE bank_version_id = :v",
    "DELETE FROM question WHERE bank_version_id = :v",
    "UPDATE knowledge_point SET title = 'changed' WHERE bank_version_id = :v",
    "UPDATE bank_version SET content_digest = 'x' WHERE id = :v",
    "UPDATE bank_version SET status = 'draft' WHERE id = :v",
    "DELETE FROM bank_version WHERE id = :v",
    "INSERT INTO question (bank_version_id, key, revision, type, stem, options, answer, explanation, "
    "knowledge_point, level, difficulty, content_digest) VALUES (:v, 'NEW', 1, 'true_false', 's', '[]', 'T', 'e', "
    "'1.1', '了解', 1, 'x')",
])
def test_the_database_refuses_raw_sql_changes_to_a_published_version(db_session: Session, statement: str) -> None:
    result = service.import_file(db_session=db_session, data=to_yaml(bank()), filename="b.yaml", actor=TEST_ACTOR)
    version_id = result.version.id
    service.publish(db_session=db_session, version_id=version_id, actor=TEST_ACTOR)
    db_session.flush()
    with pytest.raises(DBAPIError, match="immutable"), db_session.begin_nested():
        db_session.execute(text(statement), {"v": version_id})


def test_the_database_refuses_truncate_on_postgresql(db_session: Session) -> None:
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    for table in ("question", "knowledge_point", "bank_version"):
        with pytest.raises(DBAPIError, match="immutable"), db_session.begin_nested():
            db_session.execute(text(f"TRUNCATE {table} CASCADE"))


def test_a_draft_can_still_be_edited_by_sql_before_publication(db_session: Session) -> None:
    # The guard is about published versions: it must not get in the way of drafts (e.g. discarding one).
    result = service.import_file(db_session=db_session, data=to_yaml(bank()), filename="b.yaml", actor=TEST_ACTOR)
    db_session.execute(text("UPDATE question SET difficulty = 3 WHERE bank_version_id = :v"), {"v": result.version.id})


def test_revisions_follow_content_across_versions_and_diff_names_them(actors: Actors) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    v1 = _import(actors, admin, to_yaml(bank(tf("K-1"), sc("K-2"), mc("K-3"))))["version"]["id"]
    v2_bank = bank(tf("K-1"), sc("K-2", answer="C"), tf("K-4"), version="2026.2")
    v2 = _import(actors, admin, to_yaml(v2_bank))["version"]["id"]
    revisions = {q["key"]: q["revision"] for q in
                 actors.client.get(f"/bank-versions/{v2}/questions", headers=admin).json()}
    assert revisions == {"K-1": 1, "K-2": 2, "K-4": 1}
    result = actors.client.get("/banks/T-BANK/diff", params={"from": v1, "to": v2}, headers=admin).json()
    assert [(c["key"], c["old_revision"], c["new_revision"]) for c in result["added"]] == [("K-4", None, 1)]
    assert [(c["key"], c["old_revision"], c["new_revision"]) for c in result["changed"]] == [("K-2", 1, 2)]
    assert [c["key"] for c in result["retired"]] == ["K-3"]
    assert "题干" not in json.dumps(result, ensure_ascii=False)


def test_yaml_to_xlsx_and_back_gives_the_same_digest(actors: Actors) -> None:
    admin = actors.user_with(Role.BANK_ADMIN)
    source = bank(tf("R-1", stem="多行\n题干"), sc("R-2", legal_basis="GB 30871-2022"), mc("R-3"))
    first = _import(actors, admin, to_yaml(source))["version"]
    exported = actors.client.get(f"/bank-versions/{first['id']}/export", params={"format": "xlsx"}, headers=admin)
    assert exported.headers["content-type"] == XLSX
    actors.client.delete(f"/bank-versions/{first['id']}", headers=admin)
    second = _import(actors, admin, exported.content, "exported.xlsx")["version"]
    assert second["content_digest"] == first["content_digest"]
    as_yaml = actors.client.get(f"/bank-versions/{second['id']}/export", params={"format": "yaml"}, headers=admin)
    assert service.parse_bank_file(as_yaml.content, "x.yaml").digest() == first["content_digest"]


def test_cli_cannot_change_a_published_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    original = tmp_path / "bank.yaml"
    original.write_bytes(to_yaml(bank()))
    assert main(["db", "upgrade"]) == 0
    assert main(["banks", "import", str(original), "--publish"]) == 0
    assert main(["banks", "publish", "T-BANK", "2026.1"]) == 1
    original.write_bytes(to_yaml(changed(bank(), 0, answer=False)))
    assert main(["banks", "import", str(original)]) == 1
    err = capsys.readouterr().err
    # Names the file, the line and the field of the label, in Chinese (issue 17 item 11), not a Python dict.
    version_line = original.read_text().splitlines().index("  version: '2026.1'") + 1
    assert f"bank.yaml，第{version_line}行，“version”：" in err and "一个版本号只对应一份内容" in err
    assert "{" not in err.splitlines()[-1]
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'examsvc.sqlite3'}")
    with pytest.raises(DBAPIError, match="immutable"), transaction(engine) as db_session:
        db_session.execute(text("UPDATE question SET answer = 'F'"))
