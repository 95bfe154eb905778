"""Catalog versions: reading versions, and drafts.

A version is a full snapshot of the seller catalog in `catalogversionitem`. A catalog manager
imports or edits into a draft, looks at its diff against the published version
(catalog/versions/diff.py) and publishes it, now or at a future date (catalog/versions/publishing.py,
workflows/catalog_starter.py, workflows/catalog_publication.py). `live_version()` is the version the
live `item` table holds; older versions stay readable. What an item is in a version, and its
content hash: catalog/versions/content.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, insert, literal, or_, select
from sqlmodel import Session, col

from catalog.tables import Item
from catalog.versions.content import CONTENT_FIELDS, row_content, version_row
from catalog.versions.tables import CatalogLive, CatalogVersion, CatalogVersionItem
from core.database import rows_changed, table_of
from core.errors import Conflict, NotFound
from models.catalog_versions import VersionInfo, VersionItem, VersionItemPage

BATCH = 500


class VersionError(Conflict):
    """A refusal about a catalog version (core/errors.py kinds: most are conflicts with its state)."""


class VersionNotFound(NotFound, VersionError):
    pass


class VersionConflict(VersionError):
    pass


class StaleDraft(VersionConflict):
    """The draft was copied from a version that is no longer the published one."""


def utcnow() -> datetime:
    return datetime.now(UTC)


# --- a draft's import claim (catalog/versions/draft_lock.py takes and releases it) ---------------

STALE_AFTER = timedelta(minutes=2)  # a batch of 1,000 items takes well under a second


class ImportBusy(VersionConflict):
    """Another import is writing into the draft (retry when it has finished)."""


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite drops the zone


def running(version: CatalogVersion, now: datetime | None = None) -> bool:
    """An import is writing into this draft and has shown a sign of life lately."""
    if version.import_run is None or version.import_seen_at is None:
        return False
    return aware(version.import_seen_at) > (now or utcnow()) - STALE_AFTER


# --- reading -------------------------------------------------------------------------------------


def live_version(session: Session) -> int | None:
    """The version the live `item` table holds (orders record it); None before the first publish."""
    live = session.get(CatalogLive, "live")
    return live.version_id if live is not None else None


def get_version(session: Session, version_id: int, *, for_update: bool = False) -> CatalogVersion:
    version = session.get(CatalogVersion, version_id, with_for_update=for_update or None)
    if version is None:
        raise VersionNotFound(f"catalog version {version_id} not found")
    return version


def item_count(session: Session, version_id: int) -> int:
    return session.execute(
        select(func.count()).select_from(CatalogVersionItem).where(col(CatalogVersionItem.version_id) == version_id)
    ).scalar_one()


def info(session: Session, version: CatalogVersion, live: int | None = None) -> VersionInfo:
    live = live_version(session) if live is None else live
    assert version.id is not None  # a stored version has its id
    return _info(version, item_count(session, version.id), live)


def _info(version: CatalogVersion, count: int, live: int | None) -> VersionInfo:

    return VersionInfo(
        **version.model_dump(), item_count=count, live=version.id == live, import_running=running(version)
    )


def list_versions(session: Session, limit: int = 100) -> list[VersionInfo]:
    live = live_version(session)
    counts = dict(
        session.execute(
            select(col(CatalogVersionItem.version_id), func.count()).group_by(col(CatalogVersionItem.version_id))
        ).all()
    )
    versions = session.execute(select(CatalogVersion).order_by(col(CatalogVersion.id).desc()).limit(limit)).scalars()
    return [_info(v, counts.get(v.id, 0), live) for v in versions]


def to_version_item(row: CatalogVersionItem) -> VersionItem:
    return VersionItem(**{f: getattr(row, f) for f in ("sku", *CONTENT_FIELDS)})


def version_items(
    session: Session,
    version_id: int,
    *,
    q: str | None = None,
    category: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> VersionItemPage:
    get_version(session, version_id)
    query = select(CatalogVersionItem).where(col(CatalogVersionItem.version_id) == version_id)
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            or_(
                func.lower(col(CatalogVersionItem.sku)).like(pattern, escape="\\"),
                func.lower(col(CatalogVersionItem.name)).like(pattern, escape="\\"),
            )
        )
    if category:
        query = query.where(col(CatalogVersionItem.category) == category)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(col(CatalogVersionItem.sku)).limit(limit).offset(offset)).scalars()
    return VersionItemPage(
        version_id=version_id, items=[to_version_item(r) for r in rows], total=total, limit=limit, offset=offset
    )


def iter_version_rows(
    session: Session, version_id: int, *, where=(), batch: int = BATCH
) -> Iterator[list[CatalogVersionItem]]:
    """The version's rows in SKU order, a batch at a time (keyset pagination: memory stays flat)."""
    last = ""
    while True:
        rows = list(
            session.execute(
                select(CatalogVersionItem)
                .where(col(CatalogVersionItem.version_id) == version_id, col(CatalogVersionItem.sku) > last, *where)
                .order_by(col(CatalogVersionItem.sku))
                .limit(batch)
            ).scalars()
        )
        if not rows:
            return
        yield rows
        last = rows[-1].sku
        for row in rows:
            session.expunge(row)


# --- drafts --------------------------------------------------------------------------------------


def create_draft(
    session: Session, *, created_by: str, note: str = "", source: str = "manual", empty: bool = False
) -> CatalogVersion:
    """A new draft: a copy of the published version (or, before the first publish, of the live
    `item` table), or an empty one."""
    version = CatalogVersion(status="draft", note=note, source=source, created_by=created_by, created_at=utcnow())
    session.add(version)
    session.flush()
    if empty:
        return version
    live = live_version(session)
    if live is not None:
        t = table_of(CatalogVersionItem)
        columns = [c.name for c in t.columns]
        session.execute(
            insert(t).from_select(
                columns,
                select(
                    *[literal(version.id).label("version_id") if c == "version_id" else t.c[c] for c in columns]
                ).where(t.c.version_id == live),
            )
        )
        version.based_on = live
    else:
        assert version.id is not None  # flushed above
        snapshot_live_items(session, version.id)
    return version


def snapshot_live_items(session: Session, version_id: int) -> int:
    """Copies the active items of the live `item` table into a version (attributes empty)."""
    count, last = 0, ""
    while True:
        items = list(
            session.execute(
                select(Item)
                .where(col(Item.active).is_(True), col(Item.sku) > last)
                .order_by(col(Item.sku))
                .limit(BATCH)
            ).scalars()
        )
        if not items:
            return count
        session.execute(
            insert(table_of(CatalogVersionItem)),
            [version_row(version_id, i.sku, row_content(i) | {"attributes": {}}) for i in items],
        )
        count += len(items)
        last = items[-1].sku


def require_draft(session: Session, version_id: int, *, for_update: bool = False) -> CatalogVersion:
    version = get_version(session, version_id, for_update=for_update)
    if version.status != "draft":
        raise VersionConflict(f"catalog version {version_id} is {version.status}: only drafts can be changed")
    return version


def _not_importing(version: CatalogVersion, doing: str) -> None:
    """An import writing into the draft would stumble over the change: ImportBusy."""

    if running(version):
        raise ImportBusy(
            f"an import is writing into catalog version {version.id}; {doing} when the import has finished"
        )


def discard_draft(session: Session, version_id: int) -> None:
    version = require_draft(session, version_id, for_update=True)
    _not_importing(version, "discard it")
    session.execute(delete(CatalogVersionItem).where(col(CatalogVersionItem.version_id) == version_id))
    session.delete(version)


def delete_draft_item(session: Session, version_id: int, sku: str) -> bool:
    _not_importing(require_draft(session, version_id, for_update=True), f"remove {sku}")
    result = session.execute(
        delete(CatalogVersionItem).where(
            col(CatalogVersionItem.version_id) == version_id, col(CatalogVersionItem.sku) == sku
        )
    )
    return rows_changed(result) > 0
