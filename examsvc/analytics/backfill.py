"""``examsvc analytics collect``: collecting the published sittings that results publication did not
(sittings published before issue 21, or after a restore)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from examsvc.analytics.collect import Collected, collect_results
from examsvc.crypto.envelope import KeyProvider
from examsvc.results import service as results
from examsvc.sittings import service as sittings
from examsvc.sittings.models import Sitting


def backfill(db_session: Session, *, keys: KeyProvider, sitting_code: str | None = None) -> list[Collected]:
    """Every published theory sitting, or the one named (``sitting_not_found`` if there is none)."""
    if sitting_code is not None:
        chosen = [sittings.get(db_session=db_session, code=sitting_code)]
    else:
        chosen = list(db_session.scalars(select(Sitting).where(Sitting.blueprint_version_id.is_not(None))
                                         .order_by(Sitting.id)))
    done = []
    for sitting in chosen:
        if sitting.blueprint_version_id is None or not results.manifests(db_session, sitting.id):
            continue
        current = [result for _, result in results.current_results(db_session, sitting.id)]
        done.append(collect_results(db_session, sitting=sitting, keys=keys, current=current))
    return done
