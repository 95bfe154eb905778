"""Scheduled catalog sync: pull a supplier's catalog from an HTTP source into a new draft.

A Temporal schedule (`catalog-sync-{supplier}`) starts the CatalogSync workflow
(workflows/catalog_sync.py) every interval; its activity downloads the file (streamed to a
temporary file by the activity), imports it into a draft and diffs the draft against the published version. A
draft that changes nothing is discarded. The workflow returns the diff summary and posts it to the
catalog managers' inbox. Publishing stays a catalog manager's decision.

The schedule itself (its id and what it starts) is workflows/catalog_starter.py's; the rules a
schedule must keep (check_schedule) are here.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, select
from sqlmodel import col

from catalog.exchange import file_import
from catalog.versions import diff as version_diff
from catalog.versions import store
from catalog.versions.tables import CatalogVersion
from core.database import session_scope
from core.errors import Invalid
from models.catalog_versions import SyncJob, SyncRequest, SyncResult

MIN_INTERVAL = timedelta(minutes=1)


class InvalidSchedule(Invalid):
    """A sync schedule that cannot work; `field` names the request field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message, field=field)


def check_schedule(request: SyncRequest, every: timedelta) -> None:
    """Temporal would take any interval and URL, but fetch() speaks only HTTP(S), and pulling a
    whole catalog more than once a minute only piles up drafts."""
    if every < MIN_INTERVAL:
        raise InvalidSchedule("every", "every must be at least a minute")
    if not request.url.startswith(("http://", "https://")):
        raise InvalidSchedule("url", "url must be http or https")


def _draft_for(engine: Engine, job: SyncJob) -> int:
    """The run's draft: created once per workflow run (a retried activity finds it again)."""
    source = f"sync:{job.request.supplier}:{job.key}"[:250]
    with session_scope(engine, write_lock=True) as session:
        existing = session.execute(
            select(col(CatalogVersion.id)).where(
                col(CatalogVersion.source) == source, col(CatalogVersion.status) == "draft"
            )
        ).scalar()
        if existing is not None:
            return existing
        draft = store.create_draft(
            session, created_by="system", source=source, note=f"sync of {job.request.supplier} from {job.request.url}"
        )
        assert draft.id is not None  # flushed: it has its number
        return draft.id


def run_sync(
    engine: Engine,
    job: SyncJob,
    *,
    default_delivery_unit: str,
    default_category: str,
    download: Callable[[Path], int],
    heartbeat: Callable[..., None] = lambda *a: None,
) -> SyncResult:
    """`download(path)` puts the supplier's file there (the activity's HTTP fetch) and returns its size."""
    request = job.request
    with tempfile.TemporaryDirectory(prefix="o2c-sync-") as tmp:
        path = Path(tmp) / "catalog"
        size = download(path)
        version_id = _draft_for(engine, job)
        report = file_import.import_file(
            engine,
            version_id,
            path,
            format=request.format,
            mode=request.mode,
            default_delivery_unit=request.default_delivery_unit or default_delivery_unit,
            default_category=request.default_category or default_category,
            progress=lambda pos, items: heartbeat(pos, items),
        )
    with session_scope(engine, write_lock=True) as session:
        diff = version_diff.diff(session, version_id, limit=100)
        counts = diff.counts
        if counts.added == counts.removed == counts.changed == 0:
            store.discard_draft(session, version_id)
            return SyncResult(
                supplier=request.supplier,
                url=request.url,
                version_id=None,
                bytes=size,
                report=report,
                diff=diff,
                summary=f"{request.supplier}: no changes against the published catalog "
                f"({report.items_read} items read, {report.failed} with errors)",
            )
        previous = session.execute(
            select(col(CatalogVersion.id))
            .where(
                col(CatalogVersion.source).like(f"sync:{request.supplier}:%"),
                col(CatalogVersion.status) == "draft",
                col(CatalogVersion.id) < version_id,
            )
            .order_by(col(CatalogVersion.id).desc())
        ).scalar()
        if previous is not None:
            since = version_diff.diff(session, version_id, previous, limit=0).counts
            if since.added == since.removed == since.changed == 0:
                store.discard_draft(session, version_id)
                return SyncResult(
                    supplier=request.supplier,
                    url=request.url,
                    version_id=previous,
                    bytes=size,
                    report=report,
                    diff=version_diff.diff(session, previous, limit=100),
                    summary=f"{request.supplier}: unchanged since the last sync, draft {previous}: {diff.summary()}",
                )
    return SyncResult(
        supplier=request.supplier,
        url=request.url,
        version_id=version_id,
        bytes=size,
        report=report,
        diff=diff,
        summary=f"{request.supplier}: draft {diff.summary()}; "
        f"{report.items_read} items read, {report.failed} with errors",
    )
