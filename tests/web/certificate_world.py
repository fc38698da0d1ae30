"""A certificate world (tests/certificates/world.py: candidates who passed theory and practical) committed to a
database of its own and served by a real ``examsvc serve`` with the same data folder (so the same certificate
and log keys): for the browser tests of the public check page and of the certificate officer's console."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from examsvc.config import Settings
from tests.certificates.world import World
from tests.web.live import committed, live_server, own_database, server_settings

T = TypeVar("T")


def committed_world(engine: Engine, settings: Settings, then: Callable[[World, TestClient, Session], T]) -> T:
    """The certificate world built as tests/certificates build it, ``then`` run on it (issue, revoke, …), all of
    it committed for the server."""
    return committed(engine, settings, lambda day, client, db_session: then(World(day), client, db_session))


@dataclass(frozen=True)
class Served:
    base: str
    settings: Settings


@contextmanager
def served_world(tmp_path_factory: pytest.TempPathFactory, name: str, then: Callable[[World, TestClient, Session], T],
                 env: dict[str, str] | None = None) -> Iterator[tuple[Served, T]]:
    """The committed world behind ``examsvc serve``: (the server, what ``then`` answered)."""
    data_dir = tmp_path_factory.mktemp(f"{name}-data")
    for engine in own_database(tmp_path_factory.mktemp(f"{name}-db"), name):
        settings = server_settings(engine, data_dir, checkpoint_interval_seconds=0, sweep_interval_seconds=0)
        made = committed_world(engine, settings, then)
        with live_server(settings, env) as server:
            yield Served(server.base, settings), made
