"""Logins while large bank workbooks are uploaded and refused, against a real ``examsvc serve`` (issue 17
item 5).

Before issue 17 a bank upload was parsed inside the request's transaction, which on SQLite holds the
write lock from the token check on: a 49 MB upload that was going to be refused blocked every write for
~10 s (logins waited 8 s) and concurrent uploads got 503 from the lock. Now an import is parsed with no
transaction open, in an admission share of its own (``EXAMSVC_IMPORT_CONCURRENCY``, 1).

Logs in one login after another (each writes its token: it needs the write lock) for ``--seconds``
alone, then as long while ``--uploaders`` clients upload a SYNTHETIC workbook of ``--questions``
questions whose 版本 is malformed (parsed whole, then refused: 422; 503 when the import share and its
queue are full). Prints both p95s (a refused login counts with its latency), the uploads and the
refused logins by status, and on the last line the ratio of the p95 during the uploads to the p95
without. On a fresh SQLite file; targets 127.0.0.1 only.

    .venv/bin/python -m bench.upload_stall [--seconds 20] [--questions 20000] [--uploaders 2]
"""

from __future__ import annotations

import argparse
import io
import secrets
import statistics
import tempfile
import threading
import time
import zipfile
from collections import Counter
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from bench.faults import Server
from examsvc import migrate
from examsvc.audit.actors import Actor
from examsvc.banks.synthetic import synthetic_bank
from examsvc.banks.xlsx_format import write_xlsx
from examsvc.bootstrap import transaction
from examsvc.db import make_engine
from examsvc.identity import service as identity
from examsvc.identity.roles import Role

BANK_ADMIN = "bench-bank-admin"
COST = 10  # the scrypt cost of the logins: what is measured here is waiting for the lock, not hashing


def refused_workbook(questions: int) -> bytes:
    """A synthetic bank workbook that parses whole and is then refused (its 版本 holds a space)."""
    data = write_xlsx(synthetic_bank(questions, version="2026.1"))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet2.xml":  # 题库信息
                content = content.replace(b"<t>2026.1</t>", b"<t>2026 1</t>")
            target.writestr(info, content)
    return out.getvalue()


def serve_with_bank_admin(engine: Engine, folder: Path, **env: str) -> tuple[Server, str]:
    """A server on ``engine``'s migrated database, with a bank admin whose password is returned."""
    password = secrets.token_urlsafe(18)
    with transaction(engine) as db_session:
        identity.create_user(db_session=db_session, username=BANK_ADMIN, display_name="压测题库管理员",
                             password=password, roles=[Role.BANK_ADMIN], actor=Actor.system("benchmark setup"),
                             password_cost_log2=COST)
    server = Server(engine.url.render_as_string(hide_password=False), folder / "data")
    server.env.update({"EXAMSVC_PASSWORD_COST_LOG2": str(COST)} | {f"EXAMSVC_{k.upper()}": v for k, v in env.items()})
    server.start()
    return server, password


def login(client: httpx.Client, password: str, refused: Counter[int] | None = None) -> float:
    """One login's latency in seconds (it writes its token row); a refusal is counted in ``refused`` by
    status (before issue 17: 503 when the lock wait ran out), or raised when not asked to count."""
    started = time.monotonic()
    response = client.post("/auth/login", json={"username": BANK_ADMIN, "password": password})
    if refused is not None and response.status_code != 200:
        refused[response.status_code] += 1
    else:
        response.raise_for_status()
    return time.monotonic() - started


def _p95_ms(latencies: list[float]) -> float:
    if len(latencies) < 2:  # one login in the whole phase (it waited for the lock): that one
        return max(latencies, default=float("nan")) * 1000
    return statistics.quantiles(latencies, n=20)[18] * 1000


def _upload_loop(base: str, token: str, data: bytes, stop: threading.Event, statuses: Counter[int]) -> None:
    with httpx.Client(base_url=base, timeout=300) as client:
        while not stop.is_set():
            response = client.post("/banks/import", params={"filename": "合成题库.xlsx"}, content=data,
                                   headers={"Authorization": f"Bearer {token}"})
            statuses[response.status_code] += 1
            if response.status_code == 503:
                time.sleep(0.2)


def run(folder: Path, *, seconds: float, questions: int,
        uploaders: int) -> tuple[float, float, Counter[int], Counter[int]]:
    engine = make_engine(f"sqlite:///{folder / 'bench.sqlite3'}")
    migrate.upgrade(engine)
    data = refused_workbook(questions)
    print(f"upload: {len(data) / 1e6:.1f} MB, {questions} SYNTHETIC questions, refused after a whole parse")
    server, password = serve_with_bank_admin(engine, folder)
    statuses: Counter[int] = Counter()
    refused: Counter[int] = Counter()
    try:
        with httpx.Client(base_url=server.base, timeout=60) as client:
            token = client.post("/auth/login", json={"username": BANK_ADMIN, "password": password}).json()[
                "access_token"]
            quiet: list[float] = []
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                quiet.append(login(client, password))
            stop = threading.Event()
            threads = [threading.Thread(target=_upload_loop, args=(server.base, token, data, stop, statuses),
                                        daemon=True) for _ in range(uploaders)]
            for thread in threads:
                thread.start()
            time.sleep(1)  # the first upload is being received and parsed
            busy: list[float] = []
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                busy.append(login(client, password, refused))
            stop.set()
            for thread in threads:
                thread.join(timeout=300)
    finally:
        server.stop()
        engine.dispose()
    return _p95_ms(quiet), _p95_ms(busy), statuses, refused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--questions", type=int, default=20_000)
    parser.add_argument("--uploaders", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        quiet, busy, statuses, refused = run(Path(folder), seconds=args.seconds, questions=args.questions,
                                    uploaders=args.uploaders)
    print(f"login p95 without uploads: {quiet:.0f} ms")
    print(f"login p95 during uploads:  {busy:.0f} ms")
    print("uploads by status: " + ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items())))
    print("logins refused during uploads: " + (", ".join(f"{status}: {n}" for status, n in sorted(refused.items()))
                                               or "none"))
    print(f"login p95 during large refused uploads / without: {busy / quiet:.2f}")


if __name__ == "__main__":
    main()
