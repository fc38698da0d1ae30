"""Certificates (issue 20): three figures, each against a baseline measured in the same run.

1. Offline verification (``signed_form.open_form``: prefix, Base45, zlib, COSE, Ed25519, claims) per second
   on one core, and as a ratio to the floor: Ed25519 verify alone of the same Sig_structure with the same
   key. Rounds alternate between the two, medians are taken. Goals: >= 5,000/s and <= 1.5x the floor.
2. Issuing a sitting of 2,000 qualified candidates (the batch path the API and page use: ``batches.start``
   then ``advance`` per chunk, each chunk its own transaction), on PostgreSQL (and SQLite for comparison).
   Goal <= 10 s on PostgreSQL. Baseline: appending 2,000 plain audit entries with ``record_now`` in the
   same database (the log's floor, which every certificate pays once).
3. ``POST /certificates/verify`` under an open-loop load of 200 requests/s for 10 s against ``examsvc
   serve`` (two workers, as docker-compose.yml runs it; --workers) on the PostgreSQL database of (2):
   p50/p99. Goal p99 <= 20 ms. Baseline: ``GET /readyz`` at the same rate, as ratio.

The 2,000 candidates: a real safety-manager theory sitting (tests.web.morning, two candidates) whose
registrations, attempts and published results are then cloned in bulk: building 2,000 real attempts would
take the bench an hour, and issuing reads only these rows.

    .venv/bin/python -m bench.certificates [--candidates 2000] [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import random
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.engine import Engine

from bench._databases import postgres_engine, sqlite_engine
from examsvc.attempts.models import Attempt
from examsvc.audit import log as audit
from examsvc.audit.actors import Actor
from examsvc.bootstrap import transaction
from examsvc.candidates.id_number import check_character
from examsvc.candidates.models import Candidate, Registration
from examsvc.certificates import batches, signed_form
from examsvc.certificates.keys import load_keyring
from examsvc.certificates.models import Certificate
from examsvc.config import Settings
from examsvc.db import utcnow
from examsvc.identity.models import UserAccount
from examsvc.papers.models import Paper
from examsvc.results.models import Result, ResultsManifest
from examsvc.sittings.models import Sitting
from tests.certificates import vector
from tests.web.morning import SITTING, exam_morning

OFFICER = Actor.system("bench certificate officer")


def offline(rounds: int = 7, per_round: int = 3000) -> tuple[float, float]:
    """(verifications per second, ratio to the Ed25519 floor)."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    text = signed_form.seal(vector.CLAIMS, sign=key.sign, public_key=public).text
    keys = {signed_form.key_id(public): key.public_key()}
    cose = signed_form.decode_text(text)
    protected, payload, signature, _ = signed_form._parse(cose)
    message, verifier = signed_form.sig_structure(protected, payload), key.public_key()
    full, floor = [], []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(per_round):
            signed_form.open_form(text, keys)
        full.append((time.perf_counter() - started) / per_round)
        started = time.perf_counter()
        for _ in range(per_round):
            verifier.verify(signature, message)
        floor.append((time.perf_counter() - started) / per_round)
    each, base = statistics.median(full), statistics.median(floor)
    print(f"offline: {1 / each:,.0f}/s ({each * 1e6:.1f} µs each); Ed25519 verify alone {1 / base:,.0f}/s "
          f"({base * 1e6:.1f} µs); ratio {each / base:.2f}")
    return 1 / each, each / base


def _id_number(n: int) -> str:
    first17 = f"110105{19700101 + n % 28:08d}{n % 1000:03d}"[:14] + f"{n % 1000:03d}"
    return first17 + check_character(first17)


def seed(engine: Engine, settings: Settings, count: int) -> str:
    """A published safety-manager sitting with ``count`` passed candidates (two real, the rest cloned)."""
    exam_morning(engine, settings, 2)
    with transaction(engine) as db:
        sitting = db.scalars(select(Sitting).where(Sitting.code == SITTING)).one()
        paper = db.scalars(select(Paper)).first()
        chief = db.scalars(select(UserAccount).where(UserAccount.username == "web-chief")).one()
        registration = db.scalars(select(Registration).where(Registration.sitting_id == sitting.id)).first()
        assert paper is not None and registration is not None
        room_id = sitting.rooms[0].room_id
        from examsvc.sites.models import Workstation

        workstation = db.scalars(select(Workstation)).first()
        assert workstation is not None
        people = [Candidate(id_number=_id_number(n), name=f"考生{n:04d}", employer=f"第{n % 40}化工有限公司")
                  for n in range(10_000, 10_000 + count)]
        db.add_all(people)
        db.flush()
        registrations = [Registration(sitting_id=sitting.id, candidate_id=p.id, admission_number=f"B{n:09d}",
                                      personnel_category=registration.personnel_category,
                                      subject=registration.subject) for n, p in enumerate(people)]
        db.add_all(registrations)
        db.flush()
        attempts = [Attempt(sitting_id=sitting.id, registration_id=r.id, paper_id=paper.id, room_id=room_id,
                            workstation_id=workstation.id, item_count=36, shape="", started_at=utcnow(),
                            duration_seconds=7200, status="submitted") for r in registrations]
        db.add_all(attempts)
        db.flush()
        db.add_all(Result(sitting_id=sitting.id, registration_id=a.registration_id, attempt_id=a.id, version=1,
                          score=900, passed=True, void=False, document="{}",
                          digest=hashlib.sha256(b"%d" % a.id).hexdigest()) for a in attempts)
        db.add(ResultsManifest(sitting_id=sitting.id, version=1, result_count=count, merkle_root="0" * 64,
                               note="bench", signed_by=chief.id))
        sitting.scheduled_start = utcnow() - timedelta(days=1)
    return SITTING


def issue_sitting(engine: Engine, settings: Settings, code: str) -> tuple[float, int]:
    keyring = load_keyring(settings)
    started = time.perf_counter()
    with transaction(engine) as db:
        sitting = db.scalars(select(Sitting).where(Sitting.code == code)).one()
        batch = batches.start(db, sitting=sitting, user_id=1, today=utcnow().date())
        batch_id = batch.id
    while True:
        with transaction(engine) as db:
            from examsvc.certificates.models import CertificateBatch

            batch = db.get(CertificateBatch, batch_id)
            assert batch is not None
            batches.advance(db, batch, keyring=keyring, settings=settings, actor=OFFICER, user_id=1)
            if batch.status == "done":
                break
    elapsed = time.perf_counter() - started
    with transaction(engine) as db:
        made = db.query(Certificate).count()
    return elapsed, made


def log_floor(engine: Engine, count: int) -> float:
    started = time.perf_counter()
    for first in range(0, count, batches.CHUNK):
        with transaction(engine) as db:
            for n in range(first, min(count, first + batches.CHUNK)):
                audit.record_now(db_session=db, actor=OFFICER, action="bench.floor", subject_type="bench",
                                 subject_id=n, details={"digest": hashlib.sha256(b"%d" % n).hexdigest()})
    return time.perf_counter() - started


def issuing(engine: Engine, folder: Path, label: str, count: int) -> tuple[float, float, Settings]:
    settings = Settings(_env_file=None, data_dir=folder / label, database_url=engine.url.render_as_string(  # type: ignore[call-arg]
        hide_password=False), password_cost_log2=10)
    settings.ensure_data_dir()
    code = seed(engine, settings, count)
    floor = log_floor(engine, count)
    elapsed, made = issue_sitting(engine, settings, code)
    assert made >= count, made
    print(f"issuing on {label}: {made} certificates in {elapsed:.2f} s ({made / elapsed:,.0f}/s); "
          f"{count} plain log entries {floor:.2f} s; ratio {elapsed / floor:.2f}")
    return elapsed, elapsed / floor, settings


async def _load(base: str, make: list[tuple[str, str, dict[str, str] | None]], rate: float,
                seconds: float) -> list[float]:
    import aiohttp

    latencies: list[float] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as session:
        async def one(method: str, path: str, body: dict[str, str] | None) -> None:
            started = time.perf_counter()
            async with session.request(method, base + path, json=body) as response:
                await response.read()
                assert response.status == 200, response.status
            latencies.append(time.perf_counter() - started)

        tasks, start, n = [], time.perf_counter(), 0
        while (elapsed := time.perf_counter() - start) < seconds:
            due = n / rate
            if due > elapsed:
                await asyncio.sleep(due - elapsed)
            tasks.append(asyncio.create_task(one(*random.choice(make))))
            n += 1
        await asyncio.gather(*tasks)
    return latencies


def _quantiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=100)
    return cuts[49] * 1000, cuts[98] * 1000


def online(engine: Engine, settings: Settings, rate: float, seconds: float, workers: int) -> tuple[float, float]:
    from bench.faults import Server

    with transaction(engine) as db:
        texts = [t for (t,) in db.execute(select(Certificate.form_text).limit(200))]
    server = Server(engine.url.render_as_string(hide_password=False), settings.data_dir,
                    env={"EXAMSVC_VERIFY_RATE_PER_MINUTE": "100000", "EXAMSVC_CHECKPOINT_INTERVAL_SECONDS": "1"},
                    workers=workers)
    server.start()
    try:
        time.sleep(2)  # a checkpoint covers the certificates: the answers carry inclusion proofs
        checks = [("POST", "/certificates/verify", {"text": t}) for t in texts]
        asyncio.run(_load(server.base, checks, rate, 2))  # warm-up
        verify = asyncio.run(_load(server.base, checks, rate, seconds))
        ready = asyncio.run(_load(server.base, [("GET", "/readyz", None)], rate, seconds))
    finally:
        server.stop()
    (v50, v99), (r50, r99) = _quantiles(verify), _quantiles(ready)
    print(f"/certificates/verify ({workers} worker(s)) at {rate:.0f}/s for {seconds:.0f} s: p50 {v50:.1f} ms, "
          f"p99 {v99:.1f} ms ({len(verify)} requests); /readyz p50 {r50:.1f} ms, p99 {r99:.1f} ms; "
          f"p99 ratio {v99 / r99:.2f}")
    return v99, v99 / r99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2,
                        help="examsvc serve's worker processes for (3); 2 as docker-compose.yml runs it")
    args = parser.parse_args()
    os.environ.setdefault("EXAMSVC_LOG_LEVEL", "WARNING")
    per_second, ratio = offline()
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        with sqlite_engine(folder) as engine:
            issuing(engine, folder, "sqlite", args.candidates)
        with postgres_engine() as pg:
            if pg is None:
                print(f"offline {per_second:,.0f}/s ratio {ratio:.2f}; PostgreSQL unreachable")
                return
            pg_seconds, pg_ratio, settings = issuing(pg, folder, "postgresql", args.candidates)
            p99, p99_ratio = online(pg, settings, args.rate, args.seconds, args.workers)
    print(f"offline {per_second:,.0f}/s (ratio to Ed25519 {ratio:.2f}); issuing {args.candidates} on PostgreSQL "
          f"{pg_seconds:.2f} s (ratio to the log floor {pg_ratio:.2f}); /certificates/verify p99 {p99:.1f} ms at "
          f"{args.rate:.0f}/s (ratio to /readyz {p99_ratio:.2f})")


if __name__ == "__main__":
    main()
