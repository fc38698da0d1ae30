"""Reading the log: entries, proofs and the latest checkpoint, bounded by what is committed."""

from __future__ import annotations

from sqlalchemy.orm import Session

from examsvc.audit import repository
from examsvc.errors import InvalidInput
from examsvc.tlog.proofs import consistency_proof, inclusion_proof, nodes_for_consistency, nodes_for_inclusion

MAX_ENTRIES_PER_REQUEST = 10_000


def _bounded(db_session: Session, value: int, what: str) -> None:
    """Proofs and entries only for what is committed: the head row counts committed entries."""
    current = repository.committed_size(db_session)
    if value > current:
        raise InvalidInput(f"{what} 超出日志当前大小 {current}。", code="beyond_log_size",
                           detail={what: value, "log_size": current})


def entries(*, db_session: Session, start: int, end: int) -> list[bytes]:
    if not 0 <= start <= end:
        raise InvalidInput("需要 0 ≤ start ≤ end。", code="bad_range", detail={"start": start, "end": end})
    if end - start > MAX_ENTRIES_PER_REQUEST:
        raise InvalidInput(f"每次最多读取 {MAX_ENTRIES_PER_REQUEST} 条。", code="range_too_large",
                           detail={"start": start, "end": end})
    _bounded(db_session, end, "end")
    return repository.entries(db_session, start, end)


def inclusion(*, db_session: Session, index: int, tree_size: int) -> list[bytes]:
    if not 0 <= index < tree_size:
        raise InvalidInput("需要 0 ≤ index < tree_size。", code="bad_range",
                           detail={"index": index, "tree_size": tree_size})
    _bounded(db_session, tree_size, "tree_size")
    return inclusion_proof(index, tree_size,
                           repository.nodes(db_session, nodes_for_inclusion(index, tree_size)))


def consistency(*, db_session: Session, first: int, second: int) -> list[bytes]:
    if not 0 < first <= second:
        raise InvalidInput("需要 0 < first ≤ second。", code="bad_range", detail={"first": first, "second": second})
    _bounded(db_session, second, "second")
    return consistency_proof(first, second, repository.nodes(db_session, nodes_for_consistency(first, second)))
