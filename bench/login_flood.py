"""A login flood during an exam, against a real ``examsvc serve`` (issue 14 item 8).

Workstations save answers flat out; halfway, ``--loops`` clients start logging in as fast as they can
(each login one scrypt at the production cost, 2**17 by default: 128 MiB, ~0.4 s). Before issue 14,
on SQLite, each login held the write lock through scrypt: saves' p95 went to seconds, the deadline
sweep failed, and the service credited the lateness to every candidate as an "outage". The flood logs
in with the right password (a throttle never stops it, so every request costs its scrypt: the worst
case); ``--flood unknown`` sends made-up names instead.

Prints the saves' p95 without and with the flood, the logins served, and the outage time credited
(summed from the exported, verified audit log); the last line is the ratio of the two p95s.
On a fresh SQLite file by default; ``--postgres`` uses a fresh database on EXAMSVC_BENCH_DATABASE_URL's
server (127.0.0.1 only). Every loop is bounded in time and targets 127.0.0.1 only.

    .venv/bin/python -m bench.login_flood [--seconds 15] [--loops 8] [--workstations 8] [--cost 17]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from bench.examday_setup import Station, exam_morning
from bench.faults import Server, credits
from examsvc.audit.actors import Actor
from examsvc.bootstrap import transaction
from examsvc.config import Settings
from examsvc.identity import service as identity
from examsvc.identity.roles import Role

FLOOD_USER = "flood-proctor"


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    failures: Counter[int] = field(default_factory=Counter)

    @property
    def p95_ms(self) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=20)[18] * 1000


@dataclass
class Figures:
    quiet: Phase
    flood: Phase
    logins: Counter[int]
    credited_ms: int


def _save_loop(base: str, stations: list[Station], stop: threading.Event, phase: list[Phase]) -> None:
    seqs = dict.fromkeys(range(len(stations)), 0)
    with httpx.Client(base_url=base, timeout=60) as client:
        while not stop.is_set():
            for n, station in enumerate(stations):
                if stop.is_set():
                    return
                seqs[n] += 1
                seq = seqs[n]
                started = time.monotonic()
                try:
                    reply = client.put(f"/attempt/answers/{seq % 70}", headers=station.headers,
                                       json={"response": "T" if seq % 3 else "F", "seq": seq})
                    status = reply.status_code
                except httpx.TransportError:
                    status = 0
                took = time.monotonic() - started
                current = phase[-1]
                if status == 200:
                    current.latencies.append(took)
                else:
                    current.failures[status] += 1


def _login_loop(base: str, password: str, flood: str, stop: threading.Event, seen: Counter[int]) -> None:
    with httpx.Client(base_url=base, timeout=120) as client:
        while not stop.is_set():
            name = FLOOD_USER if flood == "valid" else f"nobody-{secrets.token_hex(4)}"
            try:
                seen[client.post("/auth/login", json={"username": name, "password": password}).status_code] += 1
            except httpx.TransportError:
                seen[0] += 1


def run(engine: Engine, folder: Path, *, seconds: float, loops: int, workstations: int, cost: int,
        flood: str = "valid", savers: int = 4) -> Figures:
    """One run on ``engine``'s fresh, migrated database: ``seconds`` of saves alone, then as long with the flood."""
    data_dir = folder / "data"
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(_env_file=None, data_dir=data_dir, database_url=url, password_cost_log2=10)  # type: ignore[call-arg]
    settings.ensure_data_dir()
    stations = exam_morning(engine, settings, workstations)
    password = secrets.token_urlsafe(18)
    with transaction(engine) as db_session:
        identity.create_user(db_session=db_session, username=FLOOD_USER, display_name="压测人员", password=password,
                             roles=[Role.PROCTOR], actor=Actor.system("benchmark setup"), password_cost_log2=cost)
    server = Server(url, data_dir)
    server.env["EXAMSVC_PASSWORD_COST_LOG2"] = str(cost)  # unknown names spend the same
    server.start()
    stop, flood_stop = threading.Event(), threading.Event()
    phases = [Phase()]
    logins: Counter[int] = Counter()
    threads: list[threading.Thread] = []
    try:
        with httpx.Client(base_url=server.base, timeout=30) as client:
            for station in stations:
                client.post("/attempt/start", headers=station.headers).raise_for_status()
        threads = [threading.Thread(target=_save_loop, args=(server.base, stations[k::savers], stop, phases),
                                    daemon=True) for k in range(min(savers, len(stations)))]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        phases.append(Phase())
        flooders = [threading.Thread(target=_login_loop, args=(server.base, password, flood, flood_stop, logins),
                                     daemon=True) for _ in range(loops)]
        for thread in flooders:
            thread.start()
        time.sleep(seconds)
        stop.set()
        flood_stop.set()
        for thread in threads + flooders:
            thread.join(timeout=180)
        credited = credits(server, folder)
    finally:
        stop.set()
        flood_stop.set()
        server.stop()
    return Figures(quiet=phases[0], flood=phases[1], logins=logins, credited_ms=credited)


def main() -> None:
    from bench._databases import postgres_engine, sqlite_engine

    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=15.0, help="saves alone, then as long under the flood")
    parser.add_argument("--loops", type=int, default=8, help="clients logging in as fast as they can")
    parser.add_argument("--workstations", type=int, default=8)
    parser.add_argument("--cost", type=int, default=17, help="scrypt cost of the flooded account (2**cost)")
    parser.add_argument("--flood", choices=["valid", "unknown"], default="valid")
    parser.add_argument("--postgres", action="store_true", help="a fresh PostgreSQL database instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        engine = stack.enter_context(postgres_engine() if args.postgres else sqlite_engine(Path(folder)))
        if engine is None:
            raise SystemExit("no PostgreSQL server for the benchmark (EXAMSVC_BENCH_DATABASE_URL)")
        figures = run(engine, Path(folder), seconds=args.seconds, loops=args.loops, workstations=args.workstations,
                      cost=args.cost, flood=args.flood)
    quiet, flood = figures.quiet, figures.flood
    print(f"database: {engine.dialect.name}; {args.workstations} workstations saving, then {args.loops} login "
          f"loops ({args.flood}, scrypt 2**{args.cost}) for {args.seconds:g} s")
    print(f"without flood: {len(quiet.latencies)} saves, p95 {quiet.p95_ms:.1f} ms, failed {dict(quiet.failures)}")
    print(f"under flood:   {len(flood.latencies)} saves, p95 {flood.p95_ms:.1f} ms, failed {dict(flood.failures)}")
    print(f"logins answered: {dict(figures.logins)}")
    print(f"outage credited: {figures.credited_ms} ms")
    print(f"saves p95 under login flood / without: {flood.p95_ms / quiet.p95_ms:.2f}")


if __name__ == "__main__":
    main()
