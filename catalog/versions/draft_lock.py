"""One import at a time per draft.

Two imports interleaving their batches in one draft would leave a mix of both files, and a full
import's final sweep would delete what the other one wrote. So an import claims the draft
(`CatalogVersion.import_run`), shows a sign of life with every batch, and releases the draft when
it ends. A claim whose import has shown no sign of life for `store.STALE_AFTER` is taken to be from a
crashed process and may be taken over; the import that lost it stops at its next batch. Publishing
a draft while an import is writing into it is refused as well (catalog/versions/publishing.py); a
draft published (or scheduled) over a stale claim is no draft any more, so that import stops too.
"""

from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from catalog.versions import store
from catalog.versions.tables import CatalogVersion
from core.database import rows_changed, session_scope


def claim(engine: Engine, version_id: int, run_id: str, now: datetime | None = None) -> None:
    """Takes the draft for the import `run_id`; ImportBusy while another import holds it."""
    now = now or store.utcnow()
    with session_scope(engine, write_lock=True) as session:
        version = store.require_draft(session, version_id, for_update=True)
        if version.import_run not in (None, run_id) and store.running(version, now):
            assert version.import_seen_at is not None  # running: it showed a sign of life
            raise store.ImportBusy(
                f"another import is writing into catalog version {version_id} (last seen "
                f"{store.aware(version.import_seen_at).isoformat(timespec='seconds')}); "
                "try again when it has finished"
            )
        version.import_run, version.import_seen_at = run_id, now


def touch(session: Session, version_id: int, run_id: str) -> None:
    """A sign of life, in the batch's transaction; ImportBusy when the claim was taken over, or the
    version is no draft any more (published or scheduled while this import showed no sign of life)."""
    result = session.execute(
        update(CatalogVersion)
        .where(
            col(CatalogVersion.id) == version_id,
            col(CatalogVersion.import_run) == run_id,
            col(CatalogVersion.status) == "draft",
        )
        .values(import_seen_at=store.utcnow())
    )
    if rows_changed(result) == 0:
        raise store.ImportBusy(
            f"the import into catalog version {version_id} stopped: another import took the draft "
            "over, or it was published or discarded meanwhile"
        )


def release(engine: Engine, version_id: int, run_id: str) -> None:
    with session_scope(engine, write_lock=True) as session:
        session.execute(
            update(CatalogVersion)
            .where(col(CatalogVersion.id) == version_id, col(CatalogVersion.import_run) == run_id)
            .values(import_run=None, import_seen_at=None)
        )
