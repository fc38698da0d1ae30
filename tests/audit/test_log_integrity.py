"""``verify-sitting``'s log check: the stored tree (leaf and subtree hashes, head, checkpoints) recomputed
from the entry bytes, each edit a database owner could make named (issue 15)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from examsvc.audit import log
from examsvc.audit.actors import Actor
from examsvc.audit.checkpoints import InconsistentLog, sign_if_grown
from examsvc.audit.keys import load_signer
from examsvc.audit.models import AuditCheckpoint, AuditEntry, AuditNode
from examsvc.tlog.rfc6962 import leaf_hash
from tests.attempts.conftest import exam  # noqa: F401  (the fixture)
from tests.attempts.exam import Exam
from tests.audit.test_verify_sitting_facts import _drop_guards, _findings, _finish
from tests.sittings.conftest import day  # noqa: F401  (the fixture)


def _log_findings(exam: Exam) -> list[tuple[str, str]]:  # noqa: F811
    return [(f.table, str(f.field)) for f in _findings(exam) if f.check == "log"]


def _signed(exam: Exam) -> int:  # noqa: F811
    db = exam.day.db_session
    checkpoint = sign_if_grown(db_session=db, signer=load_signer(exam.client.app.state.settings))  # type: ignore[attr-defined]
    db.commit()
    return checkpoint.tree_size


def test_an_untouched_log_gives_no_finding(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    _signed(exam)
    assert _log_findings(exam) == []


def test_a_flipped_subtree_hash_is_named(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    db = exam.day.db_session
    _drop_guards(exam, "audit_node")
    node = db.scalar(select(AuditNode.id).order_by(AuditNode.id.desc()).limit(1))
    db.execute(text("UPDATE audit_node SET hash = :h WHERE id = :i"), {"h": b"\x00" * 32, "i": node})
    assert ("audit_node", "hash") in _log_findings(exam)


def test_a_row_past_the_head_is_named(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    db = exam.day.db_session
    past = db.scalar(select(func.max(AuditEntry.idx))) + 1
    db.execute(text("INSERT INTO audit_entry (idx, entry, leaf_hash) VALUES (:i, :e, :h)"),
               {"i": past, "e": b'{"action":"forged"}', "h": b"\x01" * 32})
    assert ("audit_entry", "None") in _log_findings(exam)


def test_a_rewritten_entry_no_longer_matches_its_signed_checkpoint(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    signed_at = _signed(exam)
    db = exam.day.db_session
    _drop_guards(exam, "audit_entry")
    entry = db.scalar(select(AuditEntry.entry).where(AuditEntry.idx == 3))
    forged = bytes(entry).replace(b'"action":"', b'"action":"x', 1)
    from examsvc.tlog.rfc6962 import leaf_hash

    db.execute(text("UPDATE audit_entry SET entry = :e, leaf_hash = :h WHERE idx = 3"),
               {"e": forged, "h": leaf_hash(forged)})
    found = _log_findings(exam)
    assert ("audit_checkpoint", "root_hash") in found, found
    assert signed_at > 3


def test_a_deleted_checkpoint_that_a_witness_cosigned_is_named(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    size = _signed(exam)
    db = exam.day.db_session
    db.execute(text("INSERT INTO audit_cosignature (tree_size, witness_key_id, witness_name, line, cosigned_at, "
                    "received_at) VALUES (:s, 'abcd0123', 'witness.example', '— witness.example x', 0, "
                    "CURRENT_TIMESTAMP)"), {"s": size})
    _drop_guards(exam, "audit_checkpoint")
    db.execute(text("DELETE FROM audit_checkpoint WHERE tree_size = :s"), {"s": size})
    assert db.scalar(select(func.count()).select_from(AuditCheckpoint).where(AuditCheckpoint.tree_size == size)) == 0
    assert ("audit_checkpoint", "None") in _log_findings(exam)


def test_a_rewritten_entry_is_named_by_the_next_entrys_prev_even_with_its_leaf_hash(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    db = exam.day.db_session
    _drop_guards(exam, "audit_entry")
    entry = bytes(db.scalar(select(AuditEntry.entry).where(AuditEntry.idx == 3)))
    forged = entry.replace(b'"action":"', b'"action":"x', 1)
    db.execute(text("UPDATE audit_entry SET entry = :e, leaf_hash = :h WHERE idx = 3"),
               {"e": forged, "h": leaf_hash(forged)})
    named = [f for f in _findings(exam) if f.check == "log" and f.table == "audit_entry"]
    assert [(f.row, f.field) for f in named] == [(3, "entry")], named


def test_a_deleted_last_entry_is_named_as_missing(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    db = exam.day.db_session
    _drop_guards(exam, "audit_entry")
    last = db.scalar(select(func.max(AuditEntry.idx)))
    db.execute(text("DELETE FROM audit_entry WHERE idx = :i"), {"i": last})
    found = [(f.table, f.row) for f in _findings(exam) if f.check == "log"]
    assert ("audit_entry", last) in found and ("audit_head", 1) in found, found


def test_a_deleted_newest_checkpoint_is_named_and_never_signed_again(exam: Exam) -> None:  # noqa: F811
    """No witness: the head's count of signed checkpoints shows the deletion, and the signer refuses to
    sign the tree anew (which would let a rewritten tail be signed as if for the first time)."""
    _finish(exam)
    _signed(exam)
    db = exam.day.db_session
    log.record(db_session=db, actor=Actor.system(), action="test.grown", subject_type="test", subject_id=1)
    size = _signed(exam)
    assert db.scalar(select(func.count()).select_from(AuditCheckpoint)) >= 2
    _drop_guards(exam, "audit_checkpoint")
    db.execute(text("DELETE FROM audit_checkpoint WHERE tree_size = :s"), {"s": size})
    db.commit()
    assert ("audit_checkpoint", "None") in _log_findings(exam)
    with pytest.raises(InconsistentLog, match="a signed checkpoint was deleted"):
        _signed(exam)


def test_every_checkpoint_deleted_is_named(exam: Exam) -> None:  # noqa: F811
    _finish(exam)
    _signed(exam)
    db = exam.day.db_session
    _drop_guards(exam, "audit_checkpoint")
    db.execute(text("DELETE FROM audit_checkpoint"))
    messages = [f.message for f in _findings(exam) if f.check == "log" and f.table == "audit_checkpoint"]
    assert any("0 are stored" in m and "a signed checkpoint was deleted" in m for m in messages), messages
