"""The real rows of a finished sitting that the tamper catalogue edits: read once from the template
database, so every edit names an actual candidate, incident, question or log entry."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, create_engine, func, select

import examsvc.models  # noqa: F401  (every table in Base.metadata)
from examsvc.db import Base

Row = dict[str, Any]


def _rows(connection: Connection, table: str, **where: Any) -> list[Row]:
    tab = Base.metadata.tables[table]
    query = select(tab).where(*(tab.c[k] == v for k, v in where.items()))
    return [dict(r._mapping) for r in connection.execute(query)]


@dataclass(frozen=True)
class Roles:
    """Admission numbers of the candidates who played a part (see tamper.build_sitting)."""

    passer: str
    moved: str
    removed: str
    reviewed: str


class Facts:
    """Everything the catalogue needs, as plain rows (dicts) of the template."""

    def __init__(self, url: str, code: str, roles: Roles, used_questions: Mapping[tuple[str, str], int]) -> None:
        engine = create_engine(url)
        try:
            with engine.connect() as c:
                self._load(c, code, roles, used_questions)
        finally:
            engine.dispose()

    def _load(self, c: Connection, code: str, roles: Roles, used: Mapping[tuple[str, str], int]) -> None:
        self.sitting = _rows(c, "sitting", code=code)[0]
        sid = self.sitting["id"]
        self.registrations = {r["admission_number"]: r for r in _rows(c, "registration", sitting_id=sid)}
        self.candidates = {r["id"]: r for r in _rows(c, "candidate")}
        self.results = sorted(_rows(c, "result", sitting_id=sid), key=lambda r: (r["registration_id"], r["version"]))
        current = {r["registration_id"]: r for r in self.results}  # the last version of each
        self.passer, self.moved = self.registrations[roles.passer], self.registrations[roles.moved]
        self.removed, self.reviewed = self.registrations[roles.removed], self.registrations[roles.reviewed]
        failers = [reg for reg in self.registrations.values() if not current[reg["id"]]["passed"]
                   and not current[reg["id"]]["void"]]
        self.failer = min(failers, key=lambda r: r["admission_number"])
        self.incidents = sorted(_rows(c, "incident", sitting_id=sid), key=lambda r: r["id"])
        self.staff = _rows(c, "staff_assignment", sitting_id=sid)
        self.chief_id = next(s["user_id"] for s in self.staff if s["role"] == "chief_examiner")
        self.admin_id = self.sitting["created_by"]
        self.room_ids = sorted({s["room_id"] for s in self.staff if s["room_id"] is not None})
        self.room_record = _rows(c, "room_record", sitting_id=sid)[0]
        self.paper_set = _rows(c, "paper_set", sitting_code=code)[0]
        self.papers = {p["candidate"]: p for p in _rows(c, "paper", paper_set_id=self.paper_set["id"])}
        self.attempts = {a["registration_id"]: a for a in _rows(c, "attempt", sitting_id=sid)}
        self.check_ins = {r["registration_id"]: r for r in _rows(c, "candidate_check_in", sitting_id=sid)}
        self.presence = _rows(c, "presence", sitting_id=sid)
        self.presence_left = next(p for p in self.presence if p["checked_out_at"] is not None)
        self.manifests = sorted(_rows(c, "results_manifest", sitting_id=sid), key=lambda r: r["version"])
        self.latest_manifest = self.manifests[-1]
        self.blueprint = _rows(c, "blueprint_version", id=self.sitting["blueprint_version_id"])[0]
        parts = {self.blueprint["national_bank_version_id"]: "national",
                 self.blueprint["provincial_bank_version_id"]: "provincial"}
        questions = [q for version in parts for q in _rows(c, "question", bank_version_id=version)]
        # Questions by the number of papers they are in, most used first (a stem in 15 papers, issue 15).
        self.by_use = sorted(questions, key=lambda q: (-used.get((parts[q["bank_version_id"]], q["key"]), 0), q["id"]))
        self.answers = {(a["attempt_id"], a["position"]): a for a in _rows(c, "answer")}
        self.sheets = {s["attempt_id"]: s for s in _rows(c, "answer_sheet")}
        self.head_size = int(_rows(c, "audit_head")[0]["size"])
        nodes = sorted(_rows(c, "audit_node"), key=lambda r: r["id"])
        self.node = nodes[len(nodes) // 2]
        entries = _rows(c, "audit_entry")
        self.entries = {e["idx"]: e for e in entries}
        self.sitting_entry = next(e for e in entries if json.loads(e["entry"])["action"] == "proctor.removal")
        self.max_ids = {name: int(c.execute(select(func.max(Base.metadata.tables[name].c.id))).scalar_one() or 0)
                        for name in ("candidate", "incident", "question", "staff_assignment")}

    def next_id(self, table: str) -> int:
        return self.max_ids[table] + 1

    def candidate(self, registration: Row) -> Row:
        return self.candidates[registration["candidate_id"]]

    def incident(self, kind: str) -> Row:
        return next(i for i in self.incidents if i["kind"] == kind)

    def other_proctor(self, user_id: int) -> int:
        return int(next(s["user_id"] for s in self.staff if s["role"] == "proctor" and s["user_id"] != user_id))

    def question(self, kind: str) -> Row:
        """The question of this type that is in the most papers."""
        return next(q for q in self.by_use if q["type"] == kind)

    def least_used_question(self) -> Row:
        """A question in no paper of the sitting, if the bank has one, else in the fewest papers."""
        return self.by_use[-1]

    def paper_of(self, registration: Row) -> Row:
        return self.papers[registration["admission_number"]]

    def attempt_of(self, registration: Row) -> Row:
        return self.attempts[registration["id"]]

    def check_in_of(self, registration: Row) -> Row:
        return self.check_ins[registration["id"]]

    def answer(self, attempt_id: int, position: int) -> Row:
        return self.answers[(attempt_id, position)]

    def sheet_of(self, attempt_id: int) -> Row:
        return self.sheets[attempt_id]

    def presence_of(self, user_id: int) -> Row:
        return next(p for p in self.presence if p["user_id"] == user_id)

    def result_of(self, registration: Row) -> Row:
        return [r for r in self.results if r["registration_id"] == registration["id"]][-1]

    def assignment_of(self, user_id: int) -> Row:
        return next(s for s in self.staff if s["user_id"] == user_id)

    def entry(self, idx: int) -> Row:
        return self.entries[idx]
