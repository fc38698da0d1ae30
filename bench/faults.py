"""Exam-day faults against a real server: ``examsvc serve`` killed with SIGKILL and restarted, PostgreSQL
restarted, a workstation's connection dropped mid-request. Workstations keep saving through each fault
and retry what was not acknowledged, as the exam client does. Afterwards every check must hold:

- no acknowledged answer is lost: each question's stored save is the last one acknowledged;
- every attempt resumes with exactly the right time: its deadline is the one given at the start plus
  the outage credits logged for the sitting (``attempts.outage_credited``), and a server outage is
  credited in full (never less than the time the server was down);
- ``examsvc audit export`` and ``examsvc audit verify`` pass.

The tests run a small form (tests/test_faults.py); larger forms run from here, on a fresh PostgreSQL
database (EXAMSVC_BENCH_DATABASE_URL's server, 127.0.0.1 only):

    .venv/bin/python -m bench.faults [--workstations 64] [--seconds 20] [--fault kill|postgres|drop|all]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import make_url
from sqlalchemy.engine import Engine

from bench.examday_setup import Station, exam_morning
from examsvc.audit import offline
from examsvc.config import Settings

HALF_SENT = 69  # the question of the save cut off halfway (the drop fault's workstation never saves it)
SWEEP_SECONDS = 0.5  # the server marks itself alive this often; outages longer than 5 s are credited


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """``examsvc serve`` as its own process (one worker), so that it can be killed like a real one."""

    def __init__(self, url: str, data_dir: Path, *, env: dict[str, str] | None = None, workers: int = 1,
                 log: Path | None = None) -> None:
        """``env``: more settings for the server; ``log``: a file for its output (else discarded)."""
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {"EXAMSVC_DATABASE_URL": url, "EXAMSVC_DATA_DIR": str(data_dir),
                                 "EXAMSVC_LOG_LEVEL": "WARNING", "EXAMSVC_SWEEP_INTERVAL_SECONDS": str(SWEEP_SECONDS),
                                 **(env or {})}
        self.workers, self.log = workers, log
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "examsvc.cli", *args], env=self.env, capture_output=True,
                              text=True, timeout=300, check=False)

    def start(self) -> None:
        output = self.log.open("ab") if self.log is not None else subprocess.DEVNULL
        self.process = subprocess.Popen([sys.executable, "-m", "examsvc.cli", "serve", "--host", "127.0.0.1",
                                         "--port", str(self.port), "--workers", str(self.workers)], env=self.env,
                                        stdout=output, stderr=subprocess.STDOUT)
        if self.log is not None:
            output.close()  # type: ignore[union-attr]  # the child holds its own descriptor
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"examsvc serve exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("examsvc serve did not become ready in 60 s")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


@dataclass
class Workstation:
    station: Station
    deadline: datetime | None = None
    acknowledged: dict[int, tuple[int, str]] = field(default_factory=dict)  # position -> (seq, response)
    seq: int = 0


@dataclass
class Outcome:
    saves: int = 0
    retries: int = 0
    credited_ms: int = 0
    problems: list[str] = field(default_factory=list)


def _deadline(body: dict[str, object]) -> datetime:
    clock = body["clock"]
    assert isinstance(clock, dict)
    return datetime.fromisoformat(str(clock["deadline"]))


class ExamDay:
    """Workstations answering against ``server``; ``keep_saving`` runs until told to stop."""

    def __init__(self, server: Server, stations: list[Station], items: int = 70) -> None:
        # The first 70 questions of the benchmark's rule are 判断题: every save is T or F.
        self.server, self.items = server, items
        self.workstations = [Workstation(s) for s in stations]
        self.outcome = Outcome()
        self._stop = threading.Event()
        self._client = httpx.Client(base_url=server.base, timeout=10)

    def start_all(self) -> None:
        for w in self.workstations:
            response = self._client.post("/attempt/start", headers=w.station.headers)
            response.raise_for_status()
            w.deadline = _deadline(response.json())

    def save(self, w: Workstation, give_up_at: float) -> bool:
        """One answer, retried with the same seq until acknowledged (the exam client's behaviour)."""
        w.seq += 1
        position, response = w.seq % self.items, "T" if w.seq % 3 else "F"
        while time.monotonic() < give_up_at:
            try:
                reply = self._client.put(f"/attempt/answers/{position}", headers=w.station.headers,
                                         json={"response": response, "seq": w.seq})
                if reply.status_code == 200:
                    body = reply.json()
                    if not body["accepted"] or body["answer"]["seq"] != w.seq:
                        self.outcome.problems.append(f"save {w.seq} at {position} answered {body}")
                    w.acknowledged[position] = (w.seq, response)
                    self.outcome.saves += 1
                    return True
                if reply.status_code < 500:
                    self.outcome.problems.append(f"save refused: {reply.status_code} {reply.text[:200]}")
                    return False
            except httpx.TransportError:
                pass
            self.outcome.retries += 1
            time.sleep(0.2)
        return False

    def keep_saving(self, threads: int = 4, give_up_after: float = 120) -> list[threading.Thread]:
        """Saves on every workstation but the first (kept for the drop fault), ``threads`` at a time."""
        give_up_at = time.monotonic() + give_up_after

        def run(mine: list[Workstation]) -> None:
            while not self._stop.is_set():
                for w in mine:
                    if self._stop.is_set() or not self.save(w, give_up_at):
                        return

        savers = [threading.Thread(target=run, args=(self.workstations[1 + t::threads],), daemon=True)
                  for t in range(min(threads, len(self.workstations) - 1))]
        for thread in savers:
            thread.start()
        return savers

    def stop_saving(self, savers: list[threading.Thread]) -> None:
        self._stop.set()
        for thread in savers:
            thread.join(timeout=150)
        self._stop.clear()

    def check(self, credits_ms: int) -> None:
        """Every acknowledged save is stored, every deadline is the start's plus the logged credits."""
        for n, w in enumerate(self.workstations):
            state = self._client.get("/attempt", headers=w.station.headers)
            if state.status_code != 200:
                self.outcome.problems.append(f"workstation {n}: GET /attempt {state.status_code}")
                continue
            body = state.json()
            stored = {a["position"]: (a["seq"], a["response"]) for a in body["answers"]}
            for position, acknowledged in w.acknowledged.items():
                if stored.get(position) != acknowledged:
                    self.outcome.problems.append(f"workstation {n}, question {position}: acknowledged "
                                                 f"{acknowledged}, stored {stored.get(position)}")
            assert w.deadline is not None
            expected = w.deadline + timedelta(milliseconds=credits_ms)
            if _deadline(body) != expected:
                self.outcome.problems.append(f"workstation {n}: deadline {_deadline(body)}, expected {expected}")

    def close(self) -> None:
        self._client.close()


def credits(server: Server, folder: Path) -> int:
    """Exports the log, verifies it with ``examsvc audit verify`` and sums the outage credits in it."""
    export = folder / f"export-{time.monotonic_ns()}"
    exported = server.cli("audit", "export", str(export))
    verified = server.cli("audit", "verify", str(export))
    if exported.returncode or verified.returncode:
        raise AssertionError(f"audit export/verify failed: {exported.stderr}{verified.stdout}{verified.stderr}")
    total = 0
    for line in (export / offline.ENTRIES_FILE).read_text(encoding="utf-8").splitlines():
        entry = json.loads(line)
        if entry["action"] == "attempts.outage_credited":
            total += int(entry["details"]["credited_ms"])
    return total


# The faults. Each runs with workstations saving throughout and returns what the checks need.

def kill_server(day: ExamDay, down_seconds: float) -> tuple[float, float]:
    """SIGKILL mid-exam, down for ``down_seconds``, restarted; returns (killed, ready) monotonic times."""
    time.sleep(1.0)
    day.server.kill()
    killed = time.monotonic()
    time.sleep(down_seconds)
    restarting = time.monotonic()
    day.server.start()
    return killed, restarting


def pg_ctlcluster() -> list[str] | None:
    """The command that restarts the local PostgreSQL cluster, where this machine has one we may restart."""
    tool = shutil.which("pg_ctlcluster")
    clusters = Path("/etc/postgresql")
    if tool is None or not clusters.is_dir() or os.geteuid() != 0:
        return None
    versions = sorted(p.name for p in clusters.iterdir() if (p / "main").is_dir())
    return [tool, "--skip-systemctl-redirect", versions[-1], "main", "restart"] if versions else None


def restart_postgres(day: ExamDay) -> None:
    command = pg_ctlcluster()
    assert command is not None
    time.sleep(1.0)
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    time.sleep(1.0)


def drop_connections(day: ExamDay) -> None:
    """A workstation's link drops twice: once after sending a whole save (the answer may or may not be
    stored; the client never saw the reply) and once halfway through the body (nothing is stored). The
    client then retries the first save, as it would, with the same seq."""
    w = day.workstations[0]
    host, port = "127.0.0.1", day.server.port
    w.seq += 1
    position, response = w.seq % day.items, "T" if w.seq % 3 else "F"  # what ExamDay.save sends for this seq
    body = f'{{"response": "{response}", "seq": {w.seq}}}'.encode()
    head = (f"PUT /attempt/answers/{position} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"X-Workstation-Token: {w.station.credential}\r\nX-Candidate-Session: {w.station.session}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((host, port)) as link:
        link.sendall(head + body)  # and gone before the reply
    w.seq -= 1  # the retry sends the same save again: same position, same seq
    half = body[: len(body) // 2]
    with socket.create_connection((host, port)) as link:
        link.sendall(head.replace(f"/answers/{position}".encode(), f"/answers/{HALF_SENT}".encode()) + half)
    time.sleep(0.5)
    day.save(w, time.monotonic() + 30)
    if HALF_SENT in _stored(day, w):
        day.outcome.problems.append("a save cut off halfway through its body was stored")


def _stored(day: ExamDay, w: Workstation) -> dict[int, int]:
    body = httpx.get(f"{day.server.base}/attempt", headers=w.station.headers, timeout=10).json()
    return {a["position"]: a["seq"] for a in body["answers"]}


def run(fault: str, engine: Engine, folder: Path, workstations: int, seconds: float) -> Outcome:
    """One fault on a fresh exam morning in ``engine``'s (empty, migrated) database."""
    if workstations < 2:
        raise ValueError("the faults need two workstations at least: the first is kept for dropped links")
    data_dir = folder / "data"
    settings = Settings(_env_file=None, data_dir=data_dir, database_url=engine.url.render_as_string(
        hide_password=False), password_cost_log2=10)
    settings.ensure_data_dir()
    stations = exam_morning(engine, settings, workstations)
    server = Server(settings.effective_database_url, data_dir)
    server.start()
    day = ExamDay(server, stations)
    try:
        day.start_all()
        saving = day.keep_saving()
        time.sleep(seconds / 2)
        window = None
        if fault == "kill":
            window = kill_server(day, down_seconds=7.0)
        elif fault == "postgres":
            restart_postgres(day)
        else:
            drop_connections(day)
        time.sleep(seconds / 2)
        day.stop_saving(saving)
        if not day.outcome.saves:
            day.outcome.problems.append("no save was acknowledged")
        day.outcome.credited_ms = credits(server, folder)
        if window is not None:
            killed, restarting = window
            if day.outcome.credited_ms < (restarting - killed) * 1000:
                day.outcome.problems.append(f"the outage credit {day.outcome.credited_ms} ms is shorter than the "
                                            f"{(restarting - killed) * 1000:.0f} ms the server was down")
        day.check(day.outcome.credited_ms)
    finally:
        day.close()
        server.stop()
    return day.outcome


def main() -> None:
    from bench._databases import postgres_engine

    parser = argparse.ArgumentParser()
    parser.add_argument("--workstations", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0, help="saving before and after the fault, in all")
    parser.add_argument("--fault", choices=["kill", "postgres", "drop", "all"], default="all")
    args = parser.parse_args()
    failed = False
    for fault in (["kill", "postgres", "drop"] if args.fault == "all" else [args.fault]):
        if fault == "postgres" and pg_ctlcluster() is None:
            print("postgres: skipped (no local cluster this user may restart)")
            continue
        with tempfile.TemporaryDirectory() as folder, postgres_engine() as engine:
            if engine is None:
                raise SystemExit("the fault runs need PostgreSQL (EXAMSVC_BENCH_DATABASE_URL)")
            if make_url(engine.url).host not in (None, "127.0.0.1", "localhost"):
                raise SystemExit("fault runs only target 127.0.0.1")
            outcome = run(fault, engine, Path(folder), args.workstations, args.seconds)
        print(f"{fault}: {outcome.saves} saves acknowledged, {outcome.retries} retries, outage credited "
              f"{outcome.credited_ms} ms, {len(outcome.problems)} problems")
        for problem in outcome.problems[:20]:
            print(f"  {problem}")
        failed = failed or bool(outcome.problems)
    raise SystemExit(1 if failed else 0)


if __name__ == "__main__":
    main()
