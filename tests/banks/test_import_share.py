"""A large bank upload is parsed with no transaction open and in a share of its own (issue 17 item 5),
against a real server on SQLite, where every transaction holds the write lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine

from bench.upload_stall import BANK_ADMIN, login, refused_workbook, serve_with_bank_admin
from tests.banks.builders import bank, to_yaml


def test_a_large_upload_blocks_no_write_and_a_second_one_is_told_to_wait(fresh_engine: Engine,
                                                                         tmp_path: Path) -> None:
    big = refused_workbook(15_000)  # several seconds of parsing here, then refused
    server, password = serve_with_bank_admin(fresh_engine, tmp_path, import_queue="0")
    try:
        with httpx.Client(base_url=server.base, timeout=120) as client:
            token = client.post("/auth/login", json={"username": BANK_ADMIN, "password": password}).json()[
                "access_token"]
            admin = {"Authorization": f"Bearer {token}"}
            outcome: dict[str, object] = {}

            def upload() -> None:
                started = time.monotonic()
                with httpx.Client(base_url=server.base, timeout=300) as own:
                    response = own.post("/banks/import", params={"filename": "大题库.xlsx"}, content=big,
                                        headers=admin)
                outcome.update(status=response.status_code, seconds=time.monotonic() - started,
                               problems=response.json()["detail"]["problems"])

            uploading = threading.Thread(target=upload)
            uploading.start()
            time.sleep(1.0)  # received, and being parsed
            assert uploading.is_alive(), "the upload was parsed too fast to test anything"
            second = client.post("/banks/import", params={"filename": "b.yaml"}, content=to_yaml(bank()),
                                 headers=admin)
            assert second.status_code == 503 and second.json()["message"] == "已有题库文件正在导入，请稍后重试。"
            assert second.headers["retry-after"] == "1"
            waited = login(client, password)  # writes its token row: needs the write lock
            still_parsing = uploading.is_alive()
            uploading.join(timeout=300)
    finally:
        server.stop()
    assert outcome["status"] == 422
    assert [(p["file"], p["sheet"], p["line"], p["field"]) for p in outcome["problems"]] == [  # type: ignore[attr-defined]
        ("大题库.xlsx", "题库信息", 10, "版本")]
    assert still_parsing and waited < 2.0, (waited, outcome["seconds"])
    versions = server.cli("banks", "list").stdout
    assert "SYNTH" not in versions  # refused: nothing stored
