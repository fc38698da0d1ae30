"""A real witness on 127.0.0.1 in a thread of the test process (uvicorn, its own folder and SQLite)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from examsvc.crypto.signed_note import parse_vkey
from examsvc.witness.app import create_witness_app
from examsvc.witness.keys import Witness, open_witness


@dataclass(frozen=True)
class RunningWitness:
    url: str
    vkey: str
    witness: Witness

    @property
    def entry(self) -> str:
        """Its EXAMSVC_WITNESSES entry."""
        return f"{self.vkey} {self.url}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_witness(folder: Path, log_vkey: str, name: str = "witness.test/w1") -> Iterator[RunningWitness]:
    witness = open_witness(folder, name)
    witness.store.add_log(parse_vkey(log_vkey))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_witness_app(witness), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the witness did not start"
        time.sleep(0.05)
    try:
        yield RunningWitness(url=f"http://127.0.0.1:{port}", vkey=witness.signer.cosigner.vkey(), witness=witness)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
