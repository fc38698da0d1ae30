"""The tamper campaign of issue 15, as a reusable harness: a finished sitting on a real committing
database, copied once per edit; on each copy the guard triggers are dropped and ONE edit is made, as
a database owner would; then every verifier runs as an auditor runs it from the server's shell.

An edit is *detected* when any verifier exits non-zero; an untouched copy (triggers dropped, nothing
else) must pass every verifier, or it is a false alarm. A verifier that ends in a Python traceback is
counted apart: a verifier names what is wrong, it never crashes (issue 15, "What to build" 2).

Used by tests/audit/test_tamper_campaign.py (6 candidates) and bench/tamper_campaign.py (50).
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import shutil
import sqlite3
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

from fastapi.testclient import TestClient
from sqlalchemy import Connection, create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.app import create_app
from examsvc.cli import main
from examsvc.config import Settings
from examsvc.db import utcnow
from examsvc.sittings import cli as sittings_cli
from tests.attempts.exam import PASSPHRASE, Exam
from tests.audit.tamper_data import Facts, Roles
from tests.builders import Actors
from tests.sittings.conftest import Day

PASSWORD_COST = 10  # scrypt N = 2**10, as in the tests: the campaign measures detection, not logins
TRACEBACK = "Traceback (most recent call last)"

# The roles candidates play in the sitting (indexes; the last two are submitted by the deadline sweep).
PASSER = WARNED = EXTENDED = 0  # full marks, warned, given extra time
MOVED, REMOVED, REVIEWED = 1, 2, 3
MIN_CANDIDATES = 6


@dataclass(frozen=True)
class Finished:
    """A finished sitting: its database (the template of every copy), and what an auditor keeps outside."""

    url: str
    data_dir: Path
    code: str
    candidates: int
    day_before: Path  # the checkpoint signed the day before, before any entry of the sitting
    vkey: Path  # the log's verifier key, as the auditor obtained it
    roles: Roles
    used_questions: dict[tuple[str, str], int]  # (part, key) -> the number of papers of the sitting it is in

    def facts(self) -> Facts:
        return Facts(self.url, self.code, self.roles, self.used_questions)


@contextlib.contextmanager
def environment(url: str, data_dir: Path) -> Iterator[None]:
    """The variables the ``examsvc`` command reads, pointed at one database, restored afterwards."""
    wanted = {"EXAMSVC_DATABASE_URL": url, "EXAMSVC_DATA_DIR": str(data_dir),
              "EXAMSVC_PASSWORD_COST_LOG2": str(PASSWORD_COST)}
    before = {name: os.environ.get(name) for name in wanted}
    os.environ.update(wanted)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass(frozen=True)
class Run:
    """One verifier run: its command line, exit code, output, and whether it ended in a traceback."""

    argv: tuple[str, ...]
    code: int
    output: str
    traceback: bool

    @property
    def name(self) -> str:
        return " ".join(a for a in self.argv if not a.startswith("/"))


def run_cli(argv: Sequence[str]) -> Run:
    """``examsvc ARGV`` in this process (the environment says which database), its output captured."""
    out = io.StringIO()
    crashed = False
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except Exception:  # what an auditor would see as a traceback on the shell
            crashed = True
            code = 1
            out.write(traceback.format_exc())
    output = out.getvalue()
    return Run(tuple(argv), code, output, crashed or TRACEBACK in output)


def _settings(url: str, data_dir: Path) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, database_url=url,
                    password_cost_log2=PASSWORD_COST, checkpoint_interval_seconds=0, sweep_interval_seconds=0)


def _signed_checkpoint() -> str:
    run = run_cli(["audit", "checkpoint"])
    assert run.code == 0 and not run.traceback, run.output
    return run.output


During = Callable[[Connection, list[str]], None]  # an owner's edit while the exam runs (admission numbers)


def build_sitting(engine: Engine, workdir: Path, candidates: int, code: str = "S-1",
                  during: During | None = None) -> Finished:
    """A theory sitting of ``candidates`` run to its end through the HTTP API, on ``engine`` (migrated,
    really committing): check-in, answering, a warning, extra time, a pause and a move, a removal, a
    proctor leaving, the deadline sweep, closing, signed results and one review (复核). ``during``, if
    given, is an owner's edit made once everyone has answered, before anyone submits."""
    if candidates < MIN_CANDIDATES:
        raise ValueError(f"the campaign's sitting needs at least {MIN_CANDIDATES} candidates")
    url = engine.url.render_as_string(hide_password=False)
    data_dir, outside = workdir / "data", workdir / "auditor"
    outside.mkdir(parents=True, exist_ok=True)
    settings = _settings(url, data_dir)
    with environment(url, data_dir), \
            TestClient(create_app(settings, engine=engine), raise_server_exceptions=False) as client, \
            Session(engine, expire_on_commit=False) as db_session:
        day = Day(Actors(client=client, db_session=db_session), db_session)
        (outside / "day-before.checkpoint").write_text(_signed_checkpoint(), encoding="utf-8")
        exam = Exam(day, candidates=candidates, code=code)
        _run_the_exam(exam, candidates, during)
        used = Counter((item["part"], item["key"]) for number in exam.admissions for item in client.get(
            f"/paper-sets/{exam.paper_set}/papers/{number}", headers=exam.chief).json()["items"])
        roles = Roles(*(exam.admissions[i] for i in (PASSER, MOVED, REMOVED, REVIEWED)))
        _signed_checkpoint()  # the background signer's last checkpoint, as on any finished day
        key = run_cli(["audit", "key"])
        assert key.code == 0, key.output
        (outside / "log.vkey").write_text(key.output, encoding="utf-8")
    engine.dispose()
    gc.collect()  # the in-process commands leave engines behind: close their connections
    if engine.dialect.name == "sqlite":  # one self-contained file to copy: the write-ahead log folded in
        path = make_url(url).database
        assert path is not None
        with contextlib.closing(sqlite3.connect(path)) as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return Finished(url=url, data_dir=data_dir, code=code, candidates=candidates,
                    day_before=outside / "day-before.checkpoint", vkey=outside / "log.vkey", roles=roles,
                    used_questions=dict(used))


def _run_the_exam(exam: Exam, candidates: int, during: During | None) -> None:
    client, chief = exam.client, exam.chief
    for i in range(candidates):
        assert exam.start(i).status_code == 200
        wrong_ones = i % 7 * 5  # 0 … 30 wrong answers: candidate 5 fails, the others pass
        exam.answer(i, [exam.wrong(response) if position < wrong_ones else response
                        for position, response in enumerate(exam.correct(i))], flagged={1})
    assert exam.act(WARNED, "warning", "交头接耳").status_code == 200
    assert exam.act(EXTENDED, "extra-time", "考试机故障补时", minutes=5).status_code == 200, "extra time"
    assert exam.act(MOVED, "pause", "考试机蓝屏").status_code == 200
    moved = exam.act(MOVED, "move", "更换考试机", seat=30)
    assert moved.status_code == 200, moved.text
    exam.sign_in(MOVED, moved.json()["one_time_code"], exam.credentials[(_room(MOVED), 30)])
    assert exam.act(MOVED, "resume", "换机完成").status_code == 200
    assert exam.save(MOVED, 0, exam.correct(MOVED)[0], seq=2).status_code == 200  # a second save after the move
    assert exam.act(REMOVED, "removal", "夹带资料").status_code == 200
    leaving = exam.crew.proctors["02"][1]
    left = client.post(f"/sittings/{exam.code}/presence/{leaving.id}/check-out", headers=chief,
                       json={"reason": "身体不适，经主考官批准离场"})
    assert left.status_code == 200, left.text
    if during is not None:
        tamper_live(exam.day.db_session.get_bind(), lambda connection: during(connection, exam.admissions))
    for i in range(candidates - 2):
        if i != REMOVED:
            assert exam.submit(i).status_code == 200
    # 126 minutes later by the shell's clock, not by moving the attempts' starts (verify-sitting names that edit).
    later = utcnow() + timedelta(minutes=126)
    with patch.object(sittings_cli, "utcnow", lambda: later), patch.dict(os.environ,
                                                                         {"EXAMSVC_SWEEP_INTERVAL_SECONDS": "0"}):
        assert run_cli(["sittings", "sweep"]).code == 0  # the last two are submitted at their deadline
    for step, body in (("close", {"passphrase": PASSPHRASE}), ("results/publish", {"passphrase": PASSPHRASE})):
        done = client.post(f"/sittings/{exam.code}/{step}", headers=chief, json=body)
        assert done.status_code in (200, 201), done.text
    review = {"reason": "第1题答案有争议，经复核给分", "adjustments": [{"position": 0, "points": 10}],
              "passphrase": PASSPHRASE}
    reviewed = client.post(f"/sittings/{exam.code}/results/{exam.admissions[REVIEWED]}/review", headers=chief,
                           json=review)
    assert reviewed.status_code == 201, reviewed.text


def _room(i: int) -> str:
    return "01" if i % 2 == 0 else "02"


# --- copies ----------------------------------------------------------------------------------------


class Copies:
    """Makes and removes copies of the finished database: a file copy on SQLite, ``CREATE DATABASE …
    TEMPLATE`` on PostgreSQL (the template may have no open connection while it is copied)."""

    def __init__(self, finished: Finished, workdir: Path) -> None:
        self.finished, self.workdir = finished, workdir
        self.url = make_url(finished.url)
        self.postgres = self.url.get_backend_name() == "postgresql"
        self._admin = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT") \
            if self.postgres else None

    @contextlib.contextmanager
    def copy(self) -> Iterator[str]:
        name = f"tamper_{uuid.uuid4().hex[:10]}"
        if self._admin is not None:
            with self._admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{self.url.database}"'))
            url = self.url.set(database=name).render_as_string(hide_password=False)
        else:
            assert self.url.database is not None
            target = self.workdir / f"{name}.sqlite3"
            shutil.copyfile(self.url.database, target)
            url = f"sqlite:///{target}"
        try:
            yield url
        finally:
            gc.collect()  # the in-process verifiers leave engines behind: close their connections first
            if self._admin is not None:
                with self._admin.connect() as connection:
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.workdir / name}.sqlite3{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        if self._admin is not None:
            self._admin.dispose()


def drop_guards(connection: Connection) -> list[str]:
    """Every trigger a database owner would drop first, found generically; returns their names."""
    if connection.dialect.name == "postgresql":
        rows = connection.execute(text(
            "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE NOT t.tgisinternal "
            "AND n.nspname = current_schema()")).all()
        for trigger, table in rows:
            connection.execute(text(f'DROP TRIGGER "{trigger}" ON "{table}"'))
        # The owner also switches off foreign-key enforcement for the session (a deleted row stays deleted).
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        return [r[0] for r in rows]
    names = list(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars())
    for trigger in names:
        connection.execute(text(f'DROP TRIGGER "{trigger}"'))
    return names


Apply = Callable[[Connection], None]


def tamper_live(engine: Engine | Connection, edit: Apply) -> None:
    """An edit on the running service's database (guards dropped first), committed."""
    assert isinstance(engine, Engine)
    with engine.begin() as connection:
        drop_guards(connection)
        edit(connection)


def tamper(url: str, edit: Apply | None) -> None:
    """Drops the guards on the copy at ``url`` and applies ``edit`` (None: leave it untouched), committed."""
    # A plain engine: no foreign-key pragma on SQLite, as an owner with the sqlite3 shell would have it.
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":  # a throw-away copy: no need to wait for the disk
        event.listen(engine, "connect", lambda dbapi, _: dbapi.execute("PRAGMA synchronous=OFF"))
    try:
        with engine.begin() as connection:
            drop_guards(connection)
            if edit is not None:
                edit(connection)
    finally:
        engine.dispose()


# --- verifiers -------------------------------------------------------------------------------------


def verifiers(finished: Finished, export: Path) -> list[list[str]]:
    """What an auditor runs, in order: the export first (the others do not need it)."""
    code = finished.code
    return [
        ["audit", "export", str(export)],
        ["audit", "verify", str(export), "--key", str(finished.vkey)],
        ["audit", "verify", str(export), "--key", str(finished.vkey), "--since", str(finished.day_before)],
        ["papers", "verify", code],
        ["papers", "rederive", code],
        ["audit", "verify-results", code],
        ["audit", "verify-sitting", code],
    ]


@dataclass
class Outcome:
    """Every verifier's run on one copy."""

    runs: list[Run] = field(default_factory=list)

    @property
    def detected(self) -> bool:
        return any(r.code != 0 for r in self.runs)

    @property
    def tracebacks(self) -> list[Run]:
        return [r for r in self.runs if r.traceback]

    @property
    def detected_by(self) -> list[str]:
        return [r.name for r in self.runs if r.code != 0]

    def sitting_run(self) -> Run:
        return next(r for r in self.runs if r.argv[:2] == ("audit", "verify-sitting"))


def check_copy(finished: Finished, copies: Copies, edit: Apply | None) -> Outcome:
    """One copy: guards dropped, ``edit`` applied, every verifier run on it."""
    outcome = Outcome()
    with copies.copy() as url:
        tamper(url, edit)
        export = copies.workdir / f"export_{uuid.uuid4().hex[:10]}"
        with environment(url, finished.data_dir):
            for argv in verifiers(finished, export):
                outcome.runs.append(run_cli(argv))
        shutil.rmtree(export, ignore_errors=True)
    return outcome
