"""verify-spot re-derives an inspection from the log: the seed against its commitment, the roster, the draw,
every paper, save, answer sheet and result; and names each edit a database owner could make (raw SQL on the
real database, guard triggers dropped first where there are any)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.app import create_app
from examsvc.audit import repository
from examsvc.cli import main
from examsvc.config import Settings
from examsvc.identity.roles import Role
from examsvc.spot import draw as drawing
from examsvc.spot import exams
from examsvc.spot.models import Inspection, SpotExam, SpotPerson
from examsvc.spot.verify import Verdict, verify_spot
from tests.builders import Actors, make_user
from tests.spot.builders import SpotWorld, id_number
from tests.spot.builders import people as people_on_duty
from tests.spot.taking import close, drawn_people, examined, take

Edit = Callable[[SpotWorld, dict[str, int]], None]

# What is compared is the same on both databases (rows read back, documents re-derived); CI runs it in the
# SQLite pass only, to keep the PostgreSQL pass within its time (tests/spot/test_end_to_end.py runs
# verify-spot on PostgreSQL too).
pytestmark = pytest.mark.db_agnostic


def _verify(w: SpotWorld, code: str) -> Verdict:
    verdicts = verify_spot(db_session=w.db_session, codes=[code], keys=w.client.app.state.paper_keys)  # type: ignore[attr-defined]
    w.db_session.commit()
    return verdicts[0]


def _places(verdict: Verdict) -> set[tuple[str, str, str | None]]:
    return {(f.check, f.table, f.field) for f in verdict.findings}


def _sql(w: SpotWorld, statement: str, **params: object) -> None:
    w.db_session.execute(text(statement), params)
    w.db_session.commit()


def _drop_guards(w: SpotWorld) -> None:
    db = w.db_session
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE spot_answer_save DISABLE TRIGGER spot_answer_save_append_only"))
    else:
        db.execute(text("DROP TRIGGER IF EXISTS spot_answer_save_no_update"))
        db.execute(text("DROP TRIGGER IF EXISTS spot_answer_save_no_delete"))
    db.commit()


@pytest.fixture
def world(actors: Actors, db_session: Session) -> SpotWorld:
    return SpotWorld(actors, db_session)


def _ids(w: SpotWorld, inspection: dict[str, object]) -> dict[str, int]:
    """The ids an edit needs: the exam that passed, the one that failed, an undrawn person."""
    people = inspection["people"]
    assert isinstance(people, list)
    drawn = sorted((p for p in people if p["draw_order"] is not None), key=lambda p: p["draw_order"])
    return {"inspection": int(str(inspection["id"])), "passed": drawn[0]["exam"]["id"],
            "failed": drawn[1]["exam"]["id"], "third": drawn[2]["id"], "first_person": drawn[0]["id"],
            "undrawn": next(p["id"] for p in people if p["draw_order"] is None)}


def test_a_closed_inspection_is_rederived_from_the_revealed_seed(world: SpotWorld) -> None:
    inspection = examined(world)
    code = inspection["code"]
    verdict = _verify(world, code)
    assert verdict.findings == []
    # The same re-derivation by hand from the log alone: the seed opens its commitment, the draw and a paper.
    entries = [json.loads(e) for e in repository.entries(world.db_session, 0,
                                                         repository.committed_size(world.db_session))]
    mine = [e for e in entries if (e["details"].get("code") or e["details"].get("inspection")) == code]
    opened, drawn, closed = (next(e["details"] for e in mine if e["action"] == a) for a in (
        "spot.inspection.opened", "spot.draw", "spot.inspection.closed"))
    seed = bytes.fromhex(closed["seed"])
    assert hashlib.sha256(seed).hexdigest() == opened["seed_commitment"] == closed["seed_commitment"]
    roster = drawn["roster"]
    assert drawing.roster_digest(roster, [False] * len(roster)) == drawn["roster_digest"]
    chosen = [roster[i] for i in drawing.draw(seed, drawn["roster_digest"], len(roster), drawn["count"])]
    assert chosen == drawn["chosen"] == [p["person_digest"] for p in drawn_people(inspection)]
    started = next(e for e in mine if e["action"] == "spot.exam.started")
    exam = world.db_session.get(SpotExam, int(started["subject"]["id"]))
    assert exam is not None
    stored_inspection = world.db_session.get(Inspection, exam.inspection_id)
    rule = exam.blueprint_version_id
    from examsvc.blueprints.models import BlueprintVersion

    row = world.db_session.get(BlueprintVersion, rule)
    assert stored_inspection is not None and row is not None
    _, digest = exams.paper_items(world.db_session, stored_inspection, SpotPerson(
        person_digest=started["details"]["person"]), row, seed)
    assert digest == started["details"]["paper_digest"] == exam.paper_digest
    assert closed["exams"] == 2 and closed["passed"] == 1 and closed["failed"] == 1
    assert closed["absent"] == [drawn_people(inspection)[2]["person_digest"]]


def test_an_inspection_still_running_is_checked_with_the_sealed_seed(world: SpotWorld) -> None:
    inspection = examined(world, closed=False)
    person = drawn_people(inspection)[2]
    take(world, inspection["id"], person["id"], right=3, submit=False)  # still answering
    assert _verify(world, inspection["code"]).findings == []
    # Before the seed is revealed it is checked sealed: an envelope sealed for something else does not open here.
    _sql(world, "UPDATE spot_inspection SET sealed_seed = (SELECT paper_sealed FROM spot_exam "
                "WHERE inspection_id = :id ORDER BY id LIMIT 1) WHERE id = :id", id=inspection["id"])
    verdict = _verify(world, inspection["code"])
    assert ("seed", "spot_inspection", "revealed_seed") in _places(verdict)
    assert all("could not be checked" not in f.message for f in verdict.findings)


def _score(w: SpotWorld, ids: dict[str, int]) -> None:
    _sql(w, "UPDATE spot_exam SET score = 900, passed = :yes, retraining = NULL WHERE id = :id", yes=True,
         id=ids["failed"])


def _answer(w: SpotWorld, ids: dict[str, int]) -> None:
    _sql(w, "UPDATE spot_answer SET response = CASE WHEN response = 'T' THEN 'F' WHEN response = 'F' THEN 'T' "
            "ELSE 'D' END WHERE spot_exam_id = :id AND position = 0", id=ids["failed"])


def _journal(w: SpotWorld, ids: dict[str, int]) -> None:
    _drop_guards(w)
    _sql(w, "UPDATE spot_answer_save SET response = CASE WHEN response = 'T' THEN 'F' ELSE 'T' END "
            "WHERE spot_exam_id = :id AND position = 0", id=ids["failed"])


def _draw_order(w: SpotWorld, ids: dict[str, int]) -> None:
    _sql(w, "UPDATE spot_person SET draw_order = NULL WHERE id = :id", id=ids["third"])
    _sql(w, "UPDATE spot_person SET draw_order = 3 WHERE id = :id", id=ids["undrawn"])


def _id_number(w: SpotWorld, ids: dict[str, int]) -> None:
    _sql(w, "UPDATE spot_person SET id_number = :number WHERE id = :id", number=id_number(77), id=ids["first_person"])


def _delete_exam(w: SpotWorld, ids: dict[str, int]) -> None:
    _drop_guards(w)
    for table, column in (("spot_answer_save", "spot_exam_id"), ("spot_answer", "spot_exam_id"), ("spot_exam", "id")):
        _sql(w, f"DELETE FROM {table} WHERE {column} = :id", id=ids["failed"])


def _seed(w: SpotWorld, ids: dict[str, int]) -> None:
    _sql(w, "UPDATE spot_inspection SET revealed_seed = :seed WHERE id = :id", seed="ab" * 32,
         id=ids["inspection"])


def _paper_digest(w: SpotWorld, ids: dict[str, int]) -> None:
    _sql(w, "UPDATE spot_exam SET paper_digest = :digest WHERE id = :id", digest="cd" * 32, id=ids["passed"])


def _swap_papers(w: SpotWorld, ids: dict[str, int]) -> None:
    first, second = (w.db_session.get(SpotExam, ids[k]) for k in ("passed", "failed"))
    assert first is not None and second is not None
    sealed = bytes(second.paper_sealed)
    w.db_session.commit()
    _sql(w, "UPDATE spot_exam SET paper_sealed = :sealed WHERE id = :id", sealed=sealed, id=ids["passed"])


def _retraining(w: SpotWorld, ids: dict[str, int]) -> None:
    _sql(w, "UPDATE spot_exam SET retraining = 'done' WHERE id = :id", id=ids["failed"])


def _result(w: SpotWorld, ids: dict[str, int]) -> None:
    _sql(w, "UPDATE spot_exam SET result_document = REPLACE(result_document, :was, :now) WHERE id = :id",
         was='"passed":false', now='"passed":true', id=ids["failed"])


def _industry(w: SpotWorld, ids: dict[str, int]) -> None:
    _sql(w, "UPDATE spot_inspection SET city = '大同市' WHERE id = :id", id=ids["inspection"])


def _enterprise(w: SpotWorld, ids: dict[str, int]) -> None:
    _sql(w, "UPDATE spot_inspection SET enterprise_name = '另一家煤业有限公司', address = '大同市某地' WHERE id = :id",
         id=ids["inspection"])


def _officers(w: SpotWorld, ids: dict[str, int]) -> None:
    other = make_user(w.db_session, Role.ENFORCEMENT_OFFICER)
    w.db_session.commit()
    _sql(w, "UPDATE spot_inspection SET second_officer_id = lead_officer_id, lead_officer_id = :other WHERE id = :id",
         other=other.id, id=ids["inspection"])


def _person_facts(w: SpotWorld, ids: dict[str, int]) -> None:
    _sql(w, "UPDATE spot_person SET name = '冒名者', post = '安全员' WHERE id = :id", id=ids["first_person"])


EDITS: dict[str, tuple[Edit, set[tuple[str, str, str | None]]]] = {
    "a score (and pass) raised": (_score, {("results", "spot_exam", "score"), ("results", "spot_exam", "passed"),
                                           ("results", "spot_exam", "retraining"), ("exams", "spot_inspection",
                                                                                    "passed")}),
    "an answer changed": (_answer, {("saves", "spot_answer", "response"), ("sheets", "spot_exam", "sheet_document")}),
    "a journalled save changed": (_journal, {("saves", "spot_answer_save", "chain"),
                                             ("sheets", "spot_exam", "sheet_document")}),
    "the draw order changed": (_draw_order, {("draw", "spot_person", "draw_order")}),
    "a person's ID number changed": (_id_number, {("roster", "spot_person", "id_number"),
                                                  ("roster", "spot_person", None),
                                                  ("exams", "spot_exam", "person_id")}),
    "an exam deleted": (_delete_exam, {("exams", "spot_exam", None), ("exams", "spot_inspection", "exams")}),
    "the revealed seed replaced": (_seed, {("seed", "spot_inspection", "revealed_seed")}),
    "a paper digest replaced": (_paper_digest, {("papers", "spot_exam", "paper_digest"),
                                                ("sheets", "spot_exam", "sheet_document")}),
    "a sealed paper moved to another person": (_swap_papers, {("papers", "spot_exam", "paper_sealed")}),
    "a re-training marked done without record": (_retraining, {("results", "spot_exam", "retraining")}),
    "a sealed result edited": (_result, {("results", "spot_exam", "result_document")}),
    "the inspection's city changed": (_industry, {("seed", "spot_inspection", "city")}),
    "the enterprise's name and address changed": (_enterprise, {("seed", "spot_inspection", "enterprise_name"),
                                                                ("seed", "spot_inspection", "address")}),
    "a person's name and post changed": (_person_facts, {("roster", "spot_person", "name")}),
    "the officers replaced": (_officers, {("seed", "spot_inspection", "lead_officer_id"),
                                          ("seed", "spot_inspection", "second_officer_id")}),
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_an_owners_edit_is_named(world: SpotWorld, edit: str) -> None:
    inspection = examined(world)
    assert _verify(world, inspection["code"]).findings == []
    change, expected = EDITS[edit]
    change(world, _ids(world, inspection))
    verdict = _verify(world, inspection["code"])
    lines = "\n".join(f.line() for f in verdict.findings)
    assert expected <= _places(verdict), lines
    assert all("could not be checked" not in f.message for f in verdict.findings), lines


def test_a_deleted_inspection_is_named_from_the_log(world: SpotWorld) -> None:
    inspection = examined(world)
    code = inspection["code"]
    _drop_guards(world)
    for table in ("spot_answer_save", "spot_answer"):
        _sql(world, f"DELETE FROM {table} WHERE spot_exam_id IN (SELECT id FROM spot_exam WHERE inspection_id = :id)",
             id=inspection["id"])
    for table in ("spot_exam", "spot_person"):
        _sql(world, f"DELETE FROM {table} WHERE inspection_id = :id", id=inspection["id"])
    _sql(world, "DELETE FROM spot_inspection WHERE id = :id", id=inspection["id"])
    verdicts = verify_spot(db_session=world.db_session, codes=None, keys=world.client.app.state.paper_keys)  # type: ignore[attr-defined]
    named = next(v for v in verdicts if v.code == code)
    assert [f.message for f in named.findings] == ["the log records this inspection but it is not stored (deleted)"]


def test_the_cli_verifies_every_inspection_and_names_an_edit(fresh_engine: Engine, settings: Settings,
                                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    url = fresh_engine.url.render_as_string(hide_password=False)
    live = settings.model_copy(update={"database_url": url})
    monkeypatch.setenv("EXAMSVC_DATABASE_URL", url)
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(live.data_dir))
    monkeypatch.setenv("EXAMSVC_PASSWORD_COST_LOG2", "10")
    with TestClient(create_app(live, engine=fresh_engine), raise_server_exceptions=False) as client, \
            Session(fresh_engine, expire_on_commit=False) as db_session:
        world = SpotWorld(Actors(client=client, db_session=db_session), db_session)
        inspection = examined(world)
        code = inspection["code"]
        capsys.readouterr()
        assert main(["audit", "export", str(tmp_path / "export")]) == 0
        assert main(["audit", "verify", str(tmp_path / "export")]) == 0  # the log itself, then what it says
        capsys.readouterr()
        assert main(["audit", "verify-spot", code]) == 0, capsys.readouterr().out
        assert f"OK: inspection {code}: 0 mismatch(es)" in capsys.readouterr().out
        failed = _ids(world, inspection)["failed"]
        _sql(world, "UPDATE spot_exam SET score = 900 WHERE id = :id", id=failed)
        assert main(["audit", "verify-spot", "--all"]) == 1
        out = capsys.readouterr().out
        assert f"{code}: FAILED results: spot_exam[{failed}].score" in out
        assert f"FAILED: inspection {code}:" in out and "Traceback" not in out
        assert main(["audit", "verify-spot", "JC-NO-SUCH"]) == 1
        assert "no such inspection" in capsys.readouterr().out


def test_people_added_by_hand_are_checked_against_their_entries(world: SpotWorld) -> None:
    inspection = world.drawn()
    undrawn = next(p for p in inspection["people"] if p["draw_order"] is None)
    listed = next(p for p in people_on_duty() if p["id_number"].endswith(undrawn["id_number_masked"][-4:]))
    stranger = {"name": "临时工", "id_number": id_number(40), "post": "皮带司机", "kind": "班组长"}
    added = []
    for person, reason in ((listed, "名单内未抽中，现场发现违章作业"), (stranger, "不在名单上的在岗人员")):
        response = world.client.post(f"/spot/inspections/{inspection['id']}/people", headers=world.lead,
                                     json={**person, "reason": reason})
        assert response.status_code == 201, response.text
        added.append(response.json()["id"])
    for person_id in added:
        take(world, inspection["id"], person_id, right=15)
    code = close(world, inspection["id"])["code"]
    assert _verify(world, code).findings == []
    _sql(world, "UPDATE spot_person SET manual = :no WHERE id = :id", no=False, id=added[1])
    verdict = _verify(world, code)
    assert ("draw", "spot_person", None) in _places(verdict) and ("exams", "spot_exam", "person_id") in _places(verdict)


def test_a_reason_or_a_retraining_note_rewritten_is_named(world: SpotWorld) -> None:
    inspection = world.drawn()
    stranger = {"name": "临时工", "id_number": id_number(41), "post": "皮带司机", "kind": "班组长"}
    added = world.client.post(f"/spot/inspections/{inspection['id']}/people", headers=world.lead,
                              json={**stranger, "reason": "不在名单上的在岗人员"})
    assert added.status_code == 201, added.text
    exam_id = take(world, inspection["id"], added.json()["id"], right=0)
    noted = world.client.post(f"/spot/exams/{exam_id}/retraining", headers=world.lead,
                              json={"note": "2027-03-01 企业组织复训 8 学时"})
    assert noted.status_code == 200, noted.text
    code = close(world, inspection["id"])["code"]
    assert _verify(world, code).findings == []
    _sql(world, "UPDATE spot_person SET manual_reason = '名单遗漏' WHERE id = :id", id=added.json()["id"])
    _sql(world, "UPDATE spot_exam SET retraining_note = '已培训' WHERE id = :id", id=exam_id)
    _sql(world, "UPDATE spot_person SET kind = 'other' WHERE id = :id", id=added.json()["id"])
    places = _places(_verify(world, code))
    assert ("draw", "spot_person", "manual_reason") in places
    assert ("results", "spot_exam", "retraining_note") in places
    assert ("draw", "spot_person", "name") in places  # a hand-added person's name, post or kind
