"""Publishing a catalog version: the database steps.

Publishing *materialises* the version into the live `item` table, which orders and the catalog
API read: what the version changed against the previously published one is written (new items
inserted, changed fields updated), and items it removed are deleted, or only marked inactive
(`item.active`) while a contract or special assortment still refers to them. Fields the version
did not change keep what the live table has (edits made there directly survive a publish). Orders
in flight keep the prices they were validated with (they live in the workflow).

These functions run in the caller's write-locked session. workflows/catalog_starter.py is what the API
and the CLI call: it opens that session to publish now, or starts (and on unpublish cancels) the
CatalogPublication workflow (workflows/catalog_publication.py), whose activities
(activities/catalog.py) call `activate_scheduled` and `unschedule` here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from catalog import quality, subassortments
from catalog.tables import Item
from catalog.versions.content import ITEM_FIELDS
from catalog.versions.store import (
    ImportBusy,
    StaleDraft,
    VersionConflict,
    get_version,
    item_count,
    iter_version_rows,
    running,
    utcnow,
)
from catalog.versions.tables import CatalogLive, CatalogVersion, CatalogVersionItem
from contracts.tables import ContractItem
from core.database import table_of
from customers.rule_tables import SpecialItem
from models.catalog_versions import MaterialiseResult, PublishResult


def _live_row(session: Session) -> CatalogLive:
    """The live pointer, locked: publishers serialise on it (SQLite: the caller's BEGIN IMMEDIATE)."""
    live = session.get(CatalogLive, "live", with_for_update=True)
    if live is None:
        live = CatalogLive(id="live")
        session.add(live)
        session.flush()
    return live


def materialise(session: Session, version_id: int, previous_id: int | None = None) -> MaterialiseResult:
    """Applies the version to the live `item` table: what changed from the previous live version
    (all of it when there is none) is written; items the version removed are deleted, or marked
    inactive while a contract or special assortment refers to them. Fields that did not change
    between the two versions are left as they are in `item` (edits made there directly survive)."""
    result = MaterialiseResult()
    for rows in iter_version_rows(session, version_id):
        skus = [r.sku for r in rows]
        items = {i.sku: i for i in session.execute(select(Item).where(col(Item.sku).in_(skus))).scalars()}
        before = (
            {}
            if previous_id is None
            else {
                r.sku: r
                for r in session.execute(
                    select(CatalogVersionItem).where(
                        col(CatalogVersionItem.version_id) == previous_id, col(CatalogVersionItem.sku).in_(skus)
                    )
                ).scalars()
            }
        )
        for row in rows:
            item, old = items.get(row.sku), before.get(row.sku)
            if item is None:
                session.add(Item(sku=row.sku, active=True, **{f: getattr(row, f) for f in ITEM_FIELDS}))
                result.inserted += 1
                continue
            changed = not item.active
            item.active = True
            for f in ITEM_FIELDS:
                if old is not None and getattr(old, f) == getattr(row, f):
                    continue  # not changed by this version
                if getattr(item, f) != getattr(row, f):
                    setattr(item, f, getattr(row, f))
                    changed = True
            result.updated += changed
            result.unchanged += not changed
        session.flush()
        for obj in (*items.values(), *before.values()):
            session.expunge(obj)
    if previous_id is None:  # first publication: the version is the whole catalog
        gone_query = select(col(Item.sku)).where(
            col(Item.active).is_(True),
            col(Item.sku).not_in(
                select(col(CatalogVersionItem.sku)).where(col(CatalogVersionItem.version_id) == version_id)
            ),
        )
    else:
        new, old = table_of(CatalogVersionItem).alias("new"), table_of(CatalogVersionItem).alias("old")
        gone_query = select(old.c.sku).where(
            old.c.version_id == previous_id, ~exists().where(new.c.version_id == version_id, new.c.sku == old.c.sku)
        )
    for sku in session.execute(gone_query).scalars().all():
        item = session.get(Item, sku)
        if item is None or not item.active:
            continue
        referenced = session.execute(
            select(exists().where(col(ContractItem.sku) == sku) | exists().where(col(SpecialItem.sku) == sku))
        ).scalar_one()
        if not referenced:
            try:
                with session.begin_nested():
                    session.delete(item)
                result.deleted += 1
                continue
            except IntegrityError:  # referenced from somewhere else
                item = session.get(Item, sku)
        assert item is not None  # a live item of the previous version
        item.active = False
        result.deactivated += 1
    session.flush()
    return result


def _activate(session: Session, version: CatalogVersion, live: CatalogLive, actor: str, now: datetime) -> PublishResult:
    previous = live.version_id
    assert version.id is not None  # a stored version has its id
    materialised = materialise(session, version.id, previous if previous != version.id else None)
    if previous is not None and previous != version.id:
        get_version(session, previous).status = "superseded"
    version.status = "published"
    version.published_at = now
    version.published_by = version.published_by or actor
    version.activates_at = version.activates_at or now
    live.version_id, live.published_at = version.id, now
    session.flush()
    subassortments.materialise_all(session)  # the sub-assortments' items of the new live catalog
    customers = quality.apply(session, version.id)  # after that: the customers' views are re-checked
    return PublishResult(
        version_id=version.id,
        status="published",
        activates_at=version.activates_at,
        previous_version_id=previous,
        materialised=materialised,
        customers=customers,
    )


def publish(
    session: Session,
    version_id: int,
    actor: str,
    activates_at: datetime | None = None,
    now: datetime | None = None,
    *,
    force: bool = False,
) -> PublishResult:
    """Publishes a draft now, or marks it scheduled for `activates_at` (the caller then starts the
    CatalogPublication workflow, which calls `activate_scheduled` at that time). Run it in a
    write-locked session. `force` publishes a draft copied from a version that is no longer the
    published one (undoing what the newer one changed, as its diff shows)."""
    now = now or utcnow()
    live = _live_row(session)
    version = get_version(session, version_id, for_update=True)
    if version.status != "draft":
        raise VersionConflict(
            f"catalog version {version_id} is {version.status}"
            + (" (unpublish it first to change the date)" if version.status == "scheduled" else "")
        )
    if activates_at is not None and activates_at.tzinfo is None:
        raise ValueError("activates_at needs a time zone")
    if running(version, now):
        raise ImportBusy(
            f"an import is writing into catalog version {version_id}; publish it when the import has finished"
        )
    if not force and version.based_on is not None and live.version_id not in (None, version.based_on):
        raise StaleDraft(
            f"catalog version {version_id} was copied from version {version.based_on}, but version "
            f"{live.version_id} has been published since: publishing it would undo what version "
            f"{live.version_id} changed. Start a new draft, or publish with force (API force: true, CLI --force)"
        )
    if item_count(session, version_id) == 0:
        raise VersionConflict(f"catalog version {version_id} has no items: publishing it would empty the catalog")
    version.import_run = version.import_seen_at = None  # a stale claim: its import stops at its next batch
    if activates_at is not None and activates_at > now:
        other = session.execute(
            select(col(CatalogVersion.id)).where(col(CatalogVersion.status) == "scheduled")
        ).scalar()
        if other is not None:
            raise VersionConflict(f"catalog version {other} is already scheduled; unpublish it first")
        version.status, version.activates_at, version.published_by = "scheduled", activates_at, actor
        return PublishResult(
            version_id=version_id, status="scheduled", activates_at=activates_at, previous_version_id=live.version_id
        )
    scheduled = session.execute(select(CatalogVersion).where(col(CatalogVersion.status) == "scheduled")).scalar()
    if scheduled is not None:
        raise VersionConflict(
            f"catalog version {scheduled.id} is scheduled for {scheduled.activates_at.isoformat()}; unpublish it first"
        )
    version.activates_at = None
    return _activate(session, version, live, actor, now)


def activate_scheduled(
    session: Session, version_id: int, activates_at: datetime | None = None, now: datetime | None = None
) -> PublishResult | None:
    """Publishes a scheduled version (the CatalogPublication workflow at the activation time).
    None when it is not scheduled (for `activates_at`) any more: unpublished, rescheduled, or
    already activated by an earlier try."""
    live = _live_row(session)
    version = get_version(session, version_id, for_update=True)
    if version.status != "scheduled" or (activates_at is not None and version.activates_at != activates_at):
        return None
    return _activate(session, version, live, version.published_by or "system", now or utcnow())


def unschedule(session: Session, version_id: int, activates_at: datetime | None = None) -> bool:
    """A scheduled version goes back to draft (its publication is cancelled). False when there is
    nothing to cancel (a draft, or scheduled for another time than `activates_at`); a conflict
    when it is published."""
    _live_row(session)
    version = get_version(session, version_id, for_update=True)
    if version.status == "draft" or (
        version.status == "scheduled" and activates_at is not None and version.activates_at != activates_at
    ):
        return False
    if version.status != "scheduled":
        raise VersionConflict(f"catalog version {version_id} is {version.status}: it can no longer be unpublished")
    version.status, version.activates_at, version.published_by = "draft", None, None
    return True
