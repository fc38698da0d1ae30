"""Taking a spot exam in a SpotWorld through the HTTP API: start on the officer's device, answer (right
or not), submit, unlock; and closing the inspection."""

from __future__ import annotations

from typing import Any

from examsvc.attempts import content
from examsvc.spot import exams
from examsvc.spot.models import Inspection, SpotExam, SpotPerson
from tests.builders import DEFAULT_PASSWORD
from tests.spot.builders import SpotWorld


def right_answers(w: SpotWorld, exam_id: int) -> list[str]:
    """The right response per position in the labels the person sees (read from the sealed paper)."""
    db = w.db_session
    exam = db.get(SpotExam, exam_id)
    assert exam is not None
    person, inspection = db.get(SpotPerson, exam.person_id), db.get(Inspection, exam.inspection_id)
    assert person is not None and inspection is not None
    document = exams.open_document(exam, inspection, person, w.client.app.state.paper_keys)  # type: ignore[attr-defined]
    lines = content.paper_lines(document, content.questions(db, exam.blueprint_version_id))
    db.commit()  # end the read: on SQLite every transaction holds the write lock
    return [line.correct if not line.options else
            "".join(sorted(chr(ord("A") + line.options.index(label)) for label in line.correct)) for line in lines]


def wrong(right: str) -> str:
    return {"T": "F", "F": "T"}.get(right, "A" if right != "A" else "B")


def take(w: SpotWorld, inspection_id: int, person_id: int, *, right: int, headers: dict[str, str] | None = None,
         submit: bool = True) -> int:
    """Starts the person's exam, answers the first ``right`` questions right and the rest wrong, submits and
    unlocks the device. Returns the spot exam's id."""
    officer = headers or w.lead
    started = w.client.post(f"/spot/inspections/{inspection_id}/people/{person_id}/exam", headers=officer, json={})
    assert started.status_code == 201, started.text
    exam_id: int = started.json()["exam_id"]
    for position, answer in enumerate(right_answers(w, exam_id)):
        response = answer if position < right else wrong(answer)
        saved = w.client.put(f"/spot/exam/answers/{position}", headers=officer, json={"response": response, "seq": 1})
        assert saved.status_code == 200, saved.text
    if submit:
        submitted = w.client.post("/spot/exam/submit", headers=officer, json={"confirm": True})
        assert submitted.status_code == 200, submitted.text
        unlocked = w.client.post("/spot/unlock", headers=officer, json={"password": DEFAULT_PASSWORD})
        assert unlocked.status_code == 200, unlocked.text
    return exam_id


def drawn_people(inspection: dict[str, Any]) -> list[dict[str, Any]]:
    """The drawn people in draw order."""
    return sorted((p for p in inspection["people"] if p["draw_order"] is not None), key=lambda p: p["draw_order"])


def close(w: SpotWorld, inspection_id: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
    closed = w.client.post(f"/spot/inspections/{inspection_id}/close", headers=headers or w.lead)
    assert closed.status_code == 200, closed.text
    body: dict[str, Any] = closed.json()
    return body


def examined(w: SpotWorld, *, results: tuple[int, ...] = (15, 5), closed: bool = True) -> dict[str, Any]:
    """A drawn inspection whose first drawn people answered ``results[k]`` questions right each (15 of 15
    passes, 5 fails), the rest absent; closed. Returns the inspection as the API reads it."""
    inspection = w.drawn()
    for person, right in zip(drawn_people(inspection), results, strict=False):
        take(w, inspection["id"], person["id"], right=right)
    if closed:
        return close(w, inspection["id"])
    read = w.client.get(f"/spot/inspections/{inspection['id']}", headers=w.lead)
    body: dict[str, Any] = read.json()
    return body
