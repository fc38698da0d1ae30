"""The admission gate against a real server: slow request bodies (an evidence upload over a poor link)
wait outside the gate, so they cannot hold up everybody else's requests."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from bench.faults import Server


def test_slow_bodies_do_not_hold_up_other_requests(fresh_engine: Engine, tmp_path: Path) -> None:
    server = Server(fresh_engine.url.render_as_string(hide_password=False), tmp_path / "data")
    server.start()
    links = []
    try:
        for _ in range(12):  # three times the default EXAMSVC_REQUEST_CONCURRENCY, each stuck mid-body
            link = socket.create_connection(("127.0.0.1", server.port))
            link.sendall(b"PUT /attempt/answers/0 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 1000\r\n\r\n{\"response\": ")
            links.append(link)
        time.sleep(0.5)
        started = time.monotonic()
        ready = httpx.get(f"{server.base}/readyz", timeout=20)  # uses the database: behind the gate
        assert ready.status_code == 200 and time.monotonic() - started < 5
    finally:
        for link in links:
            link.close()
        server.stop()
