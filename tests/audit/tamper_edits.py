"""The edit catalogue of the tamper campaign (issue 15): one owner's edit per copy of a finished sitting,
generated from its real rows (ids, answers, incidents picked after it was built).

Each edit has a category (a row of the issue's table, or more), a short name, the table it changes
(what ``verify-sitting`` should name) and whether it is *material*: whether it changes something that
decides who holds a qualification. Only a few are not; each says why in ``why``.

Statements are SQLAlchemy Core, so one catalogue runs on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, Table, case, delete, insert, select, update

import examsvc.models  # noqa: F401  (every table in Base.metadata)
from examsvc.crypto.canonical_json import canonical_json, sha256_hex
from examsvc.db import Base
from examsvc.tlog.rfc6962 import leaf_hash
from tests.audit.tamper_data import Facts

During = Callable[[Connection, list[str]], None]  # (connection, admission numbers), as tamper.During

Apply = Callable[[Connection], None]


@dataclass(frozen=True)
class Edit:
    category: str
    name: str
    table: str
    apply: Apply | None  # on a copy of the finished sitting
    material: bool = True
    why: str = ""  # for an edit that is not material: why it decides nothing
    during: During | None = None  # instead: while the exam runs, on a sitting built for it alone

    @property
    def label(self) -> str:
        return f"{self.category}: {self.name}"


def t(name: str) -> Table:
    return Base.metadata.tables[name]


def _changed(result: Any, what: str) -> None:
    # An edit that matches no row would pass as "undetected" while changing nothing: refuse it.
    if result.rowcount < 1:
        raise AssertionError(f"the tamper edit changed no row: {what}")


def set_(table: str, where: dict[str, Any], **values: Any) -> Apply:
    """``UPDATE table SET values WHERE where`` (one statement)."""
    def run(connection: Connection) -> None:
        tab = t(table)
        _changed(connection.execute(update(tab).where(*(tab.c[k] == v for k, v in where.items())).values(**values)),
                 f"UPDATE {table} {where}")
    return run


def drop(table: str, **where: Any) -> Apply:
    def run(connection: Connection) -> None:
        tab = t(table)
        _changed(connection.execute(delete(tab).where(*(tab.c[k] == v for k, v in where.items()))),
                 f"DELETE {table} {where}")
    return run


def add(table: str, **values: Any) -> Apply:
    def run(connection: Connection) -> None:
        connection.execute(insert(t(table)).values(**values))  # raises unless the row went in
    return run


def both(*steps: Apply) -> Apply:
    """Several statements as one edit (e.g. a swap through a free value, a unique column in between)."""
    def run(connection: Connection) -> None:
        for step in steps:
            step(connection)
    return run


def canonical(document: Any) -> str:
    return canonical_json(document).decode()


def sha256(text: str) -> str:
    return sha256_hex(text.encode())


def without_line(note: str, marker: str) -> str:
    """A signed note with its signature lines containing ``marker`` dropped."""
    return "\n".join(line for line in note.split("\n") if not (line.startswith("— ") and marker in line))


def flip_response(response: str) -> str:
    return {"T": "F", "F": "T"}.get(response, "A" if response != "A" else "B")


def catalogue(facts: Facts) -> list[Edit]:
    """Every edit, built from ``facts`` (the finished sitting's real rows)."""
    f = facts
    out: list[Edit] = []

    def e(category: str, name: str, table: str, apply: Apply, material: bool = True, why: str = "") -> None:
        out.append(Edit(category, name, table, apply, material, why))

    # 1. The person behind an admission number: the pass moves to someone else.
    ident = "identity"
    passer, failer = f.candidate(f.passer), f.candidate(f.failer)
    e(ident, "passer's name changed", "candidate", set_("candidate", {"id": passer["id"]}, name="冒名者"))
    e(ident, "passer's ID number changed", "candidate",
      set_("candidate", {"id": passer["id"]}, id_number="140105198001019999"))
    e(ident, "ID numbers swapped passer/failer", "candidate", both(
        set_("candidate", {"id": passer["id"]}, id_number="000000000000000000"),
        set_("candidate", {"id": failer["id"]}, id_number=passer["id_number"]),
        set_("candidate", {"id": passer["id"]}, id_number=failer["id_number"])))
    e(ident, "names swapped passer/failer", "candidate", both(
        set_("candidate", {"id": passer["id"]}, name=failer["name"]),
        set_("candidate", {"id": failer["id"]}, name=passer["name"])))
    e(ident, "people swapped between passer's and failer's registrations", "registration", both(
        set_("registration", {"id": f.passer["id"]}, candidate_id=-1),  # foreign keys are off for the owner
        set_("registration", {"id": f.failer["id"]}, candidate_id=passer["id"]),
        set_("registration", {"id": f.passer["id"]}, candidate_id=failer["id"])))
    e(ident, "passer's registration points at an outsider", "registration", both(
        add("candidate", id=f.next_id("candidate"), id_number="140105197001010010", name="局外人",
            created_at=passer["created_at"]),
        set_("registration", {"id": f.passer["id"]}, candidate_id=f.next_id("candidate"))))
    e(ident, "admission numbers swapped passer/failer", "registration", both(
        set_("registration", {"id": f.passer["id"]}, admission_number="X"),
        set_("registration", {"id": f.failer["id"]}, admission_number=f.passer["admission_number"]),
        set_("registration", {"id": f.passer["id"]}, admission_number=f.failer["admission_number"])))
    e(ident, "passer's operation item changed", "registration",
      set_("registration", {"id": f.passer["id"]}, subject="1.1"))
    e(ident, "passer's personnel category changed", "registration",
      set_("registration", {"id": f.passer["id"]}, personnel_category="principal"))
    e(ident, "passer's training institution changed", "registration",
      set_("registration", {"id": f.passer["id"]}, training_institution="另一培训学校"))
    e(ident, "passer's photo digest set", "candidate", set_("candidate", {"id": passer["id"]},
                                                           photo_digest=sha256("another face")))
    e(ident, "passer's employer changed", "candidate", set_("candidate", {"id": passer["id"]}, employer="另一公司"),
      material=False, why="工作单位 is contact data: no rule, score or certificate field depends on it")

    # 2. Incidents (a removal inserted, deleted, reworded …).
    inc = "incidents"
    removal, warning = f.incident("removal"), f.incident("warning")
    extra, pause = f.incident("extra_time"), f.incident("pause")
    e(inc, "removal inserted for the passer", "incident", add(
        "incident", id=f.next_id("incident"), sitting_id=f.sitting["id"], room_id=removal["room_id"],
        registration_id=f.passer["id"], kind="removal", reason="夹带资料", details={}, actor_id=removal["actor_id"],
        at=removal["at"]))
    e(inc, "removal deleted", "incident", drop("incident", id=removal["id"]))
    e(inc, "warning deleted", "incident", drop("incident", id=warning["id"]))
    e(inc, "pause deleted", "incident", drop("incident", id=pause["id"]))
    e(inc, "removal reason reworded", "incident", set_("incident", {"id": removal["id"]}, reason="考生自愿离场"))
    e(inc, "warning turned into a removal", "incident", set_("incident", {"id": warning["id"]}, kind="removal"))
    e(inc, "removal moved to another candidate", "incident",
      set_("incident", {"id": removal["id"]}, registration_id=f.passer["id"]))
    e(inc, "removal recorded by another proctor", "incident",
      set_("incident", {"id": removal["id"]}, actor_id=f.other_proctor(removal["actor_id"])))
    e(inc, "extra time 5 -> 30 minutes in details", "incident",
      set_("incident", {"id": extra["id"]}, details=dict(extra["details"]) | {"minutes": 30}))
    e(inc, "removal time moved an hour", "incident",
      set_("incident", {"id": removal["id"]}, at=removal["at"] + timedelta(hours=1)))

    # 3. The room record (考场记录) the chief examiner signed.
    rec = "room record"
    record = f.room_record
    doc = json.loads(record["document"])
    absent = doc | {"attendance": [dict(doc["attendance"][0]) | {"present": False}, *doc["attendance"][1:]]}
    fewer = doc | {"incidents": [i for i in doc["incidents"] if i["kind"] != "removal"]}
    e(rec, "attendance edited, digest kept", "room_record",
      set_("room_record", {"sitting_id": f.sitting["id"]}, document=canonical(absent)))
    e(rec, "removal cut from document and digest", "room_record",
      set_("room_record", {"sitting_id": f.sitting["id"]}, document=canonical(fewer), digest=sha256(canonical(fewer))))
    e(rec, "digest changed", "room_record",
      set_("room_record", {"sitting_id": f.sitting["id"]}, digest=sha256("another record")))
    e(rec, "chief's signature dropped", "room_record",
      set_("room_record", {"sitting_id": f.sitting["id"]}, signed_note=without_line(record["signed_note"], "")))
    e(rec, "signed note's digest line changed", "room_record", set_(
        "room_record", {"sitting_id": f.sitting["id"]},
        signed_note=record["signed_note"].replace(record["digest"], sha256(canonical(fewer)))))
    e(rec, "row deleted", "room_record", drop("room_record", sitting_id=f.sitting["id"]))

    # 4. Published bank text (题库): the most used questions of this sitting's papers, and the least used one
    # (in no paper at 6 candidates; the published bank is the unified bank of later sittings too).
    bank = "bank content"
    tf, sc, unused = f.question("true_false"), f.question("single_choice"), f.least_used_question()
    e(bank, "most-used stem negated", "question", set_("question", {"id": tf["id"]}, stem="不" + tf["stem"]))
    e(bank, "used option reworded", "question", set_("question", {"id": sc["id"]},
                                                     options=[[sc["options"][0][0], "改写的选项"], *sc["options"][1:]]))
    e(bank, "used explanation reworded", "question", set_("question", {"id": tf["id"]}, explanation="改写的解析"))
    e(bank, "used answer key changed", "question", set_("question", {"id": tf["id"]},
                                                        answer=flip_response(tf["answer"])))
    e(bank, "used legal basis changed", "question", set_("question", {"id": sc["id"]}, legal_basis="另一部法规"))
    e(bank, "used knowledge point changed", "question", set_("question", {"id": tf["id"]}, knowledge_point="9.9"))
    e(bank, "least-used question's stem negated", "question",
      set_("question", {"id": unused["id"]}, stem="不" + unused["stem"]))
    e(bank, "least-used question deleted", "question", drop("question", id=unused["id"]))
    e(bank, "question inserted into a published version", "question", add(
        "question", **{k: v for k, v in unused.items() if k != "id"} | {"id": f.next_id("question"),
                                                                         "key": unused["key"] + "-X"}))
    e(bank, "version digest changed", "bank_version", set_("bank_version", {"id": tf["bank_version_id"]},
                                                           content_digest=sha256("another bank")))

    # 5. The approved rule (组卷规则) and its approval.
    rule = "rule"
    bp = f.blueprint
    document = json.loads(bp["document"])
    e(rule, "duration 120 -> 150 in the document", "blueprint_version",
      set_("blueprint_version", {"id": bp["id"]}, document=canonical(document | {"duration_minutes": 150})))
    e(rule, "pass mark 800 -> 600, digest recomputed", "blueprint_version", set_(
        "blueprint_version", {"id": bp["id"]}, document=canonical(document | {"pass_mark": 600}),
        digest=sha256(canonical(document | {"pass_mark": 600}))))
    e(rule, "show_score flipped", "blueprint_version", set_("blueprint_version", {"id": bp["id"]}, document=canonical(
        document | {"show_score": not document.get("show_score", False)})))
    e(rule, "title changed", "blueprint_version", set_("blueprint_version", {"id": bp["id"]}, title="另一考试"))
    e(rule, "approval note's signature dropped", "blueprint_version", set_(
        "blueprint_version", {"id": bp["id"]}, approval_note=without_line(bp["approval_note"] or "", "")))
    e(rule, "approver changed", "blueprint_version",
      set_("blueprint_version", {"id": bp["id"]}, decided_by=f.admin_id))
    e(rule, "sitting's duration 120 -> 150", "sitting", set_("sitting", {"id": f.sitting["id"]}, duration_minutes=150))

    # 6. The paper set (试卷) and its manifests.
    pap = "paper set"
    ps = f.paper_set
    e(pap, "chief's cosignature dropped", "paper_set",
      set_("paper_set", {"id": ps["id"]}, manifest=without_line(ps["manifest"], "/examiner/")))
    e(pap, "approver changed", "paper_set", set_("paper_set", {"id": ps["id"]}, approved_by=f.admin_id))
    e(pap, "revealed seed changed", "paper_set", set_("paper_set", {"id": ps["id"]}, revealed_seed=sha256("seed")))
    e(pap, "a paper's digest changed", "paper", set_("paper", {"id": f.paper_of(f.passer)["id"]},
                                                     digest=sha256("another paper")))
    e(pap, "papers' candidates swapped", "paper", both(
        set_("paper", {"id": f.paper_of(f.passer)["id"]}, candidate="X"),
        set_("paper", {"id": f.paper_of(f.failer)["id"]}, candidate=f.passer["admission_number"]),
        set_("paper", {"id": f.paper_of(f.passer)["id"]}, candidate=f.failer["admission_number"])))
    e(pap, "a paper deleted", "paper", drop("paper", id=f.paper_of(f.removed)["id"]))

    out.extend(attempt_edits(f))
    out.extend(log_edits(f))
    return out


def attempt_edits(f: Facts) -> list[Edit]:
    """Attempt facts, answers, check-in and presence, results, staff."""
    out: list[Edit] = []

    def e(category: str, name: str, table: str, apply: Apply, material: bool = True, why: str = "") -> None:
        out.append(Edit(category, name, table, apply, material, why))

    att, fa, moved = "attempt facts", f.attempt_of(f.failer), f.attempt_of(f.moved)
    e(att, "failer's start 30 min later", "attempt",
      set_("attempt", {"id": fa["id"]}, started_at=fa["started_at"] + timedelta(minutes=30)))
    e(att, "failer given 20 extra minutes", "attempt", set_("attempt", {"id": fa["id"]}, extra_seconds=1200))
    e(att, "failer given a pause credit", "attempt", set_("attempt", {"id": fa["id"]}, pause_credit_ms=900_000))
    e(att, "failer's duration 120 -> 150 min", "attempt", set_("attempt", {"id": fa["id"]}, duration_seconds=9000))
    e(att, "moved candidate's workstation put back", "attempt",
      set_("attempt", {"id": moved["id"]}, workstation_id=f.check_in_of(f.failer)["workstation_id"]))
    e(att, "failer's submission after the deadline", "attempt",
      set_("attempt", {"id": fa["id"]}, submitted_at=fa["started_at"] + timedelta(hours=3)))
    e(att, "removed attempt marked submitted by the candidate", "attempt", set_(
        "attempt", {"id": f.attempt_of(f.removed)["id"]}, status="submitted", submitted_how="candidate"))
    e(att, "failer's answers flagged", "answer", set_("answer", {"attempt_id": fa["id"]}, flagged=True))
    e(att, "a save moved after submission", "answer", set_(
        "answer", {"attempt_id": fa["id"], "position": 0}, saved_at=fa["submitted_at"] + timedelta(minutes=10)))
    e(att, "a save's sequence number changed", "answer",
      set_("answer", {"attempt_id": fa["id"], "position": 0}, seq=7))

    ans, first = "answers", f.answer(fa["id"], 0)
    e(ans, "failer's wrong answer made right", "answer", set_(
        "answer", {"attempt_id": fa["id"], "position": 0}, response=flip_response(first["response"])))
    e(ans, "failer's answer row deleted", "answer", drop("answer", attempt_id=fa["id"], position=0))
    sheet = f.sheet_of(fa["id"])
    doc = json.loads(sheet["document"])
    doc["answers"][0]["response"] = flip_response(doc["answers"][0]["response"])
    e(ans, "sealed sheet and its digest rewritten", "answer_sheet", set_(
        "answer_sheet", {"attempt_id": fa["id"]}, document=canonical(doc), digest=sha256(canonical(doc))))
    e(ans, "sheet deleted", "answer_sheet", drop("answer_sheet", attempt_id=fa["id"]))

    chk, ci = "check-in and presence", f.check_in_of(f.passer)
    e(chk, "door photo digest changed", "candidate_check_in",
      set_("candidate_check_in", {"id": ci["id"]}, photo_digest=sha256("another face")))
    e(chk, "seat changed", "candidate_check_in",
      set_("candidate_check_in", {"id": ci["id"]}, seat_id=f.check_in_of(f.failer)["seat_id"]))
    e(chk, "workstation changed", "candidate_check_in",
      set_("candidate_check_in", {"id": ci["id"]}, workstation_id=f.check_in_of(f.failer)["workstation_id"]))
    e(chk, "checked in by another proctor", "candidate_check_in",
      set_("candidate_check_in", {"id": ci["id"]}, checked_in_by=f.other_proctor(ci["checked_in_by"])))
    e(chk, "check-in time moved an hour later", "candidate_check_in",
      set_("candidate_check_in", {"id": ci["id"]}, checked_in_at=ci["checked_in_at"] + timedelta(hours=1)))
    e(chk, "check-in row deleted", "candidate_check_in", drop("candidate_check_in", id=ci["id"]))
    e(chk, "failed sign-ins counter changed", "candidate_check_in",
      set_("candidate_check_in", {"id": ci["id"]}, failed_sign_ins=2), material=False,
      why="a counter of wrong one-time codes typed; the sign-in that counts is logged on its own")
    chief_presence, left = f.presence_of(f.chief_id), f.presence_left
    e(chk, "chief's arrival an hour later", "presence", set_(
        "presence", {"id": chief_presence["id"]}, checked_in_at=chief_presence["checked_in_at"] + timedelta(hours=1)))
    e(chk, "chief recorded as leaving", "presence", set_(
        "presence", {"id": chief_presence["id"]}, checked_out_at=chief_presence["checked_in_at"] + timedelta(hours=1),
        checkout_reason="离场"))
    e(chk, "a proctor's leaving erased", "presence",
      set_("presence", {"id": left["id"]}, checked_out_at=None, checkout_reason=None, checkout_approved_by=None))
    e(chk, "chief's presence deleted", "presence", drop("presence", id=chief_presence["id"]))

    res, current = "results", f.result_of(f.failer)
    e(res, "failer's score 750 -> 850", "result", set_("result", {"id": current["id"]}, score=850))
    e(res, "failer marked passed", "result", set_("result", {"id": current["id"]}, passed=True))
    e(res, "removal's void cleared", "result", set_("result", {"id": f.result_of(f.removed)["id"]}, void=False))
    rdoc = json.loads(current["document"]) | {"score": 850, "passed": True}
    e(res, "failer's document and digest rewritten", "result", set_(
        "result", {"id": current["id"]}, document=canonical(rdoc), digest=sha256(canonical(rdoc)), score=850,
        passed=True))
    e(res, "reviewed version deleted", "result", drop("result", id=f.result_of(f.reviewed)["id"]))
    manifest = f.latest_manifest
    e(res, "latest manifest's chief signature dropped", "results_manifest",
      set_("results_manifest", {"id": manifest["id"]}, note=without_line(manifest["note"], "/examiner/")))
    e(res, "latest manifest's root changed", "results_manifest",
      set_("results_manifest", {"id": manifest["id"]}, merkle_root=sha256("another root")))
    e(res, "latest manifest deleted", "results_manifest", drop("results_manifest", id=manifest["id"]))

    st = "staff"
    e(st, "chief swapped for a proctor", "staff_assignment",
      set_("staff_assignment", {"id": f.assignment_of(f.chief_id)["id"]}, user_id=f.other_proctor(f.chief_id)))
    e(st, "a proctor moved to the other room", "staff_assignment", set_(
        "staff_assignment", {"id": f.assignment_of(f.other_proctor(f.chief_id))["id"]},
        room_id=f.room_ids[-1] if f.assignment_of(f.other_proctor(f.chief_id))["room_id"] == f.room_ids[0]
        else f.room_ids[0]))
    e(st, "a proctor's assignment deleted", "staff_assignment",
      drop("staff_assignment", id=f.assignment_of(f.other_proctor(f.chief_id))["id"]))
    e(st, "an outsider assigned as proctor", "staff_assignment", add(
        "staff_assignment", id=f.next_id("staff_assignment"), sitting_id=f.sitting["id"], user_id=f.admin_id,
        role="proctor", room_id=f.room_ids[0], assigned_at=f.sitting["created_at"], assigned_by=f.admin_id))
    return out


def log_edits(f: Facts) -> list[Edit]:
    """The log itself: stored checkpoints, the Merkle tree, the entries, the head."""
    out: list[Edit] = []

    def e(name: str, table: str, apply: Apply, material: bool = True, why: str = "") -> None:
        out.append(Edit("log", name, table, apply, material, why))

    e("latest stored checkpoint deleted", "audit_checkpoint", drop("audit_checkpoint", tree_size=f.head_size))
    e("every stored checkpoint deleted", "audit_checkpoint", drop("audit_checkpoint"))
    e("a Merkle node flipped", "audit_node", set_("audit_node", {"id": f.node["id"]}, hash=_flipped(f.node["hash"])))
    entry = f.entry(f.head_size - 1)
    forged = json.loads(entry["entry"]) | {"index": f.head_size, "action": "results.reviewed"}
    raw = canonical(forged).encode()
    e("a forged entry past the head", "audit_entry",
      add("audit_entry", idx=f.head_size, entry=raw, leaf_hash=leaf_hash(raw)))
    sitting_entry = f.sitting_entry
    changed = canonical(json.loads(sitting_entry["entry"]) | {"time": "2026-01-01T00:00:00Z"}).encode()
    e("an exam-day entry rewritten", "audit_entry", set_("audit_entry", {"idx": sitting_entry["idx"]}, entry=changed))
    e("an exam-day entry rewritten with its leaf hash", "audit_entry", set_(
        "audit_entry", {"idx": sitting_entry["idx"]}, entry=changed,
        leaf_hash=leaf_hash(changed)))
    e("the last entry deleted", "audit_entry", drop("audit_entry", idx=f.head_size - 1))
    e("the head rolled back one entry", "audit_head", set_("audit_head", {}, size=t("audit_head").c.size - 1))
    e("a checkpoint's signing time changed", "audit_checkpoint",
      set_("audit_checkpoint", {"tree_size": f.head_size}, signed_at=f.sitting["created_at"]), material=False,
      why="signed_at is the service's own note of when; the signed note (size, root) is what is verified")
    return out


def _flipped(value: bytes) -> bytes:
    return bytes([value[0] ^ 1]) + bytes(value[1:])


def _attempt_of(admission_number: str) -> Any:
    attempt, registration = t("attempt"), t("registration")
    return select(attempt.c.id).join(registration, registration.c.id == attempt.c.registration_id).where(
        registration.c.admission_number == admission_number).scalar_subquery()


def during_exam(failer: int = 5, other: int = 3) -> list[Edit]:
    """Edits made while the exam runs, before the candidates submit: the sealed sheet then carries them
    (issue 15: "answers and extra time changed during the exam, then submitted"). ``failer`` and
    ``other`` are candidate indexes of tamper.build_sitting (5 fails; 3 submits by themselves)."""
    def answer_made_right(connection: Connection, admissions: list[str]) -> None:
        answer = t("answer")
        _changed(connection.execute(update(answer).where(
            answer.c.attempt_id == _attempt_of(admissions[failer]), answer.c.position < 5).values(
            response=case((answer.c.response == "T", "F"), else_="T"))), "UPDATE answer during the exam")

    def extra_time(connection: Connection, admissions: list[str]) -> None:
        attempt = t("attempt")
        _changed(connection.execute(update(attempt).where(attempt.c.id == _attempt_of(admissions[other])).values(
            extra_seconds=attempt.c.extra_seconds + 1200)), "UPDATE attempt during the exam")

    return [Edit("answers", "failer's wrong answers made right during the exam, then submitted", "answer", None,
                 during=answer_made_right),
            Edit("attempt facts", "20 extra minutes given during the exam, no incident", "attempt", None,
                 during=extra_time)]
