"""What an insider with the database can change, and what names it (``certificates check``); what the
offline check sees and says it cannot see."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from examsvc.certificates import consistency
from examsvc.cli import main
from tests.certificates.world import World


def _verify_offline(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    status = main(["certificates", "verify", *args, "--json"])
    out = capsys.readouterr().out
    return status, json.loads(out) if out.strip().startswith("{") else {}


def test_the_offline_check_and_what_the_register_check_names(world: World, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    client, officer, db = world.client, world.officer, world.day.db_session
    a, b = (world.issue(i).json() for i in world.qualified)
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(client.get("/certificates/keys").json()), encoding="utf-8")

    status, answer = _verify_offline(capsys, a["qr_text"], "--keys", str(keys), "--id-number", world.qualified[0])
    assert status == 0 and answer["standing"] == "valid" and answer["id_number_matches"] is True
    assert answer["claims"]["number"] == a["number"] and "撤销" in answer["not_checked"]
    status, answer = _verify_offline(capsys, a["qr_text"], "--keys", str(keys), "--today", "2040-01-01")
    assert status == 1 and answer["standing"] == "expired"
    review_late = (date.fromisoformat(a["review_due"]) + timedelta(days=1)).isoformat()
    status, answer = _verify_offline(capsys, a["qr_text"], "--keys", str(keys), "--today", review_late)
    assert status == 1 and answer["label"] == "复审逾期"
    status, answer = _verify_offline(capsys, a["qr_text"][:-3] + "AAA", "--keys", str(keys))
    assert status == 2 and answer["standing"] == "unverifiable"
    assert _verify_offline(capsys, a["qr_text"], "--keys", str(keys), "--id-number", world.qualified[1])[0] == 2
    broken = tmp_path / "broken.json"
    broken.write_text('{"issuer": "CN-DEV", "keys": [{"kid": "00", "x": "AAAA", "crv": "Ed25519"}]}')
    assert main(["certificates", "verify", a["qr_text"], "--keys", str(broken)]) == 2
    assert "keys[0]" in capsys.readouterr().err

    assert client.post(f"/certificates/{a['number']}/revoke", headers=officer,
                       json={"reason": "伪造学历材料取得考试资格", "mode": "withdraw"}).status_code == 200
    assert consistency.check(db).problems == []

    # The revocation deleted and the row set back: the online check is fooled, the register check is not.
    db.execute(text("DELETE FROM certificate_event WHERE event = 'revoked'"))
    db.execute(text("UPDATE certificate SET state = 'active', event_count = 1 WHERE number = :n"), {"n": a["number"]})
    db.execute(text("UPDATE certificate SET expires_on = '2040-12-31' WHERE number = :n"), {"n": b["number"]})
    db.execute(text("UPDATE certificate_event SET reason = '无' WHERE event = 'issued'"))
    db.execute(text("INSERT INTO certificate (number, kind, item, item_name, candidate_id, holder_name, employer, "
                    "site_id, sitting_id, basis, basis_key, id_salt, first_issued_on, expires_on, review_due, "
                    "review_interval_months, sequence, state, form_text, form_digest, event_count, created_at) "
                    "SELECT 'T2026999999', kind, item, item_name, candidate_id, holder_name, employer, site_id, "
                    "sitting_id, basis, 'f' || substr(basis_key, 2), id_salt, first_issued_on, expires_on, "
                    "review_due, review_interval_months, sequence, state, form_text, form_digest, event_count, "
                    "created_at FROM certificate WHERE number = :n"), {"n": b["number"]})
    db.expire_all()
    assert client.post("/certificates/verify", json={"text": a["qr_text"]}).json()["standing"] == "valid"
    problems = "\n".join(consistency.check(db).problems)
    assert f"certificate_event[{a['number']}]: 1 row(s), the log has 2 event(s)" in problems
    assert f"certificate[{a['number']}].state: 'active', logged 'revoked'" in problems
    assert f"certificate[{b['number']}].expires_on: '2040-12-31'" in problems
    assert f"certificate_event[{b['number']}#1].reason" in problems
    assert "certificate[T2026999999]: no certificate entry in the log" in problems
    assert f"certificate[{b['number']}].basis" not in problems
    db.execute(text("UPDATE certificate SET basis = replace(basis, substr(basis, 40, 8), '00000000') "
                    "WHERE number = :n"), {"n": b["number"]})
    db.expire_all()
    problems = "\n".join(consistency.check(db).problems)
    assert f"certificate[{b['number']}].basis: does not hash to basis_key" in problems
    assert f"certificate[{b['number']}].basis: the " in problems


def test_the_register_check_from_the_shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("EXAMSVC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("EXAMSVC_DATABASE_URL", raising=False)
    assert main(["db", "upgrade"]) == 0
    assert main(["certificates", "check"]) == 0
    assert "the register matches the log" in capsys.readouterr().out
    assert main(["certificates", "keys"]) == 0
    published = json.loads(capsys.readouterr().out)
    assert main(["certificates", "rotate-key"]) == 0
    capsys.readouterr()
    assert main(["certificates", "keys"]) == 0
    rotated = json.loads(capsys.readouterr().out)
    assert [k["status"] for k in rotated["keys"]] == ["retired", "active"]
    assert rotated["keys"][0]["kid"] == published["keys"][0]["kid"]
