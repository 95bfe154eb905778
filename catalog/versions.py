"""Catalog versions: drafts, diffs and publishing.

A version is a full snapshot of the seller catalog in `catalogversionitem`. A catalog manager
imports or edits into a draft, looks at its diff against the published version and publishes it,
now or at a future date (workflows/catalog_publication.py). Publishing *materialises* the version
into the live `item` table, which orders and the catalog API read: what the version changed
against the previously published one is written (new items inserted, changed fields updated),
and items it removed are deleted, or only marked inactive (`item.active`) while a contract or
special assortment still refers to them. Fields the version did not change keep what the live
table has (edits made there directly survive a publish). Orders in flight keep the prices they
were validated with (they live in the workflow). `live_version()` is the version the `item` table
holds; older versions stay readable.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import delete, exists, func, insert, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from catalog.tables import ContractItem, Item, SpecialItem
from catalog.version_tables import CatalogLive, CatalogVersion, CatalogVersionItem
from models.catalog_versions import (
    CatalogDiff, DiffCounts, DiffItem, FieldChange, ItemChange, MaterialiseResult, PriceChange, PublishResult,
    VersionInfo, VersionItem, VersionItemPage,
)

# What an item is, in a version and in the live table; `attributes` only in versions.
ITEM_FIELDS = ("name", "description", "category", "unit", "list_price", "currency", "vat_rate",
               "delivery_unit_id", "expert_review", "options", "constraints")
CONTENT_FIELDS = (*ITEM_FIELDS, "attributes")
PRICE_FIELDS = ("list_price", "currency")
TEXT_FIELDS = ("name", "description")
ATTRIBUTE_KEYS = ("eclass", "unspsc", "image_url", "manufacturer", "manufacturer_part_number",
                  "delivery_days", "ean")
CENT = Decimal("0.01")
RATE = Decimal("0.0001")
BATCH = 500


class VersionError(Exception):
    status = 409


class VersionNotFound(VersionError):
    status = 404


class VersionConflict(VersionError):
    status = 409


class StaleDraft(VersionConflict):
    """The draft was copied from a version that is no longer the published one."""


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


# --- content and hashes ---------------------------------------------------------------------------

def normalise(content: dict[str, Any]) -> dict[str, Any]:
    """The content as stored: money to the cent, rates to 4 places (half-up), no empty attributes."""
    out = {f: content.get(f) for f in CONTENT_FIELDS}
    out["list_price"] = Decimal(out["list_price"]).quantize(CENT, rounding=ROUND_HALF_UP)
    out["vat_rate"] = Decimal(out["vat_rate"]).quantize(RATE, rounding=ROUND_HALF_UP)
    out["description"] = out["description"] or ""
    out["expert_review"] = bool(out["expert_review"])
    out["options"] = out["options"] or {}
    out["constraints"] = out["constraints"] or []
    out["attributes"] = {k: v for k, v in sorted((out["attributes"] or {}).items()) if v not in (None, "")}
    return out


def _hash(clean: dict[str, Any]) -> str:
    parts = [str(clean[f]) for f in ("name", "description", "category", "unit", "list_price", "currency",
                                     "vat_rate", "delivery_unit_id", "expert_review")]
    for f in ("options", "constraints", "attributes"):  # usually empty: JSON only when not
        parts.append(json.dumps(clean[f], sort_keys=True, separators=(",", ":"), default=str) if clean[f] else "")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def content_hash(content: dict[str, Any]) -> str:
    """A hash of the normalised content: equal hashes, equal items (imports skip those)."""
    return _hash(normalise(content))


def row_content(row: Any) -> dict[str, Any]:
    """Content fields of a CatalogVersionItem (or an Item, or a mapping)."""
    get = row.get if isinstance(row, dict) else (lambda f, d=None: getattr(row, f, d))
    return {f: get(f) for f in CONTENT_FIELDS} | {"attributes": get("attributes") or {}}


def version_row(version_id: int, sku: str, content: dict[str, Any]) -> dict[str, Any]:
    """A catalogversionitem row (for Core inserts)."""
    clean = normalise(content)
    return {"version_id": version_id, "sku": sku, **clean, "content_hash": _hash(clean)}


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
    return session.execute(select(func.count()).select_from(CatalogVersionItem)
                           .where(CatalogVersionItem.version_id == version_id)).scalar_one()


def info(session: Session, version: CatalogVersion, live: int | None = None) -> VersionInfo:
    live = live_version(session) if live is None else live
    return _info(version, item_count(session, version.id), live)


def _info(version: CatalogVersion, count: int, live: int | None) -> VersionInfo:
    from catalog import draft_lock  # it builds on this module

    return VersionInfo(**version.model_dump(), item_count=count, live=version.id == live,
                       import_running=draft_lock.running(version))


def list_versions(session: Session, limit: int = 100) -> list[VersionInfo]:
    live = live_version(session)
    counts = dict(session.execute(select(CatalogVersionItem.version_id, func.count())
                                  .group_by(CatalogVersionItem.version_id)).all())
    versions = session.execute(select(CatalogVersion).order_by(CatalogVersion.id.desc()).limit(limit)).scalars()
    return [_info(v, counts.get(v.id, 0), live) for v in versions]


def to_version_item(row: CatalogVersionItem) -> VersionItem:
    return VersionItem(**{f: getattr(row, f) for f in ("sku", *CONTENT_FIELDS)})


def version_items(session: Session, version_id: int, *, q: str | None = None, category: str | None = None,
                  limit: int = 50, offset: int = 0) -> VersionItemPage:
    get_version(session, version_id)
    query = select(CatalogVersionItem).where(CatalogVersionItem.version_id == version_id)
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(func.lower(CatalogVersionItem.sku).like(pattern, escape="\\"),
                                func.lower(CatalogVersionItem.name).like(pattern, escape="\\")))
    if category:
        query = query.where(CatalogVersionItem.category == category)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    rows = session.execute(query.order_by(CatalogVersionItem.sku).limit(limit).offset(offset)).scalars()
    return VersionItemPage(version_id=version_id, items=[to_version_item(r) for r in rows], total=total,
                           limit=limit, offset=offset)


def iter_version_rows(session: Session, version_id: int, *, where=(), batch: int = BATCH
                      ) -> Iterator[list[CatalogVersionItem]]:
    """The version's rows in SKU order, a batch at a time (keyset pagination: memory stays flat)."""
    last = ""
    while True:
        rows = list(session.execute(
            select(CatalogVersionItem).where(CatalogVersionItem.version_id == version_id,
                                             CatalogVersionItem.sku > last, *where)
            .order_by(CatalogVersionItem.sku).limit(batch)).scalars())
        if not rows:
            return
        yield rows
        last = rows[-1].sku
        for row in rows:
            session.expunge(row)


# --- drafts --------------------------------------------------------------------------------------

def create_draft(session: Session, *, created_by: str, note: str = "", source: str = "manual",
                 empty: bool = False) -> CatalogVersion:
    """A new draft: a copy of the published version (or, before the first publish, of the live
    `item` table), or an empty one."""
    version = CatalogVersion(status="draft", note=note, source=source, created_by=created_by, created_at=utcnow())
    session.add(version)
    session.flush()
    if empty:
        return version
    live = live_version(session)
    if live is not None:
        t = CatalogVersionItem.__table__
        columns = [c.name for c in t.columns]
        session.execute(insert(t).from_select(columns, select(
            *[literal(version.id).label("version_id") if c == "version_id" else t.c[c] for c in columns]
        ).where(t.c.version_id == live)))
        version.based_on = live
    else:
        snapshot_live_items(session, version.id)
    return version


def snapshot_live_items(session: Session, version_id: int) -> int:
    """Copies the active items of the live `item` table into a version (attributes empty)."""
    count, last = 0, ""
    while True:
        items = list(session.execute(select(Item).where(Item.active.is_(True), Item.sku > last)
                                     .order_by(Item.sku).limit(BATCH)).scalars())
        if not items:
            return count
        session.execute(insert(CatalogVersionItem.__table__),
                        [version_row(version_id, i.sku, row_content(i) | {"attributes": {}}) for i in items])
        count += len(items)
        last = items[-1].sku


def require_draft(session: Session, version_id: int, *, for_update: bool = False) -> CatalogVersion:
    version = get_version(session, version_id, for_update=for_update)
    if version.status != "draft":
        raise VersionConflict(f"catalog version {version_id} is {version.status}: only drafts can be changed")
    return version


def discard_draft(session: Session, version_id: int) -> None:
    version = require_draft(session, version_id, for_update=True)
    session.execute(delete(CatalogVersionItem).where(CatalogVersionItem.version_id == version_id))
    session.delete(version)


def delete_draft_item(session: Session, version_id: int, sku: str) -> bool:
    require_draft(session, version_id)
    result = session.execute(delete(CatalogVersionItem).where(CatalogVersionItem.version_id == version_id,
                                                              CatalogVersionItem.sku == sku))
    return result.rowcount > 0


# --- diff ----------------------------------------------------------------------------------------

def _changed_fields(old: CatalogVersionItem, new: CatalogVersionItem) -> dict[str, FieldChange]:
    changes = {}
    for f in ITEM_FIELDS:
        if getattr(old, f) != getattr(new, f):
            changes[f] = FieldChange(old=getattr(old, f), new=getattr(new, f))
    old_attrs, new_attrs = old.attributes or {}, new.attributes or {}
    for key in sorted(set(old_attrs) | set(new_attrs)):
        if old_attrs.get(key) != new_attrs.get(key):
            changes[f"attributes.{key}"] = FieldChange(old=old_attrs.get(key), new=new_attrs.get(key))
    return changes


def diff(session: Session, version_id: int, base_version_id: int | None = None, *, limit: int = 1000) -> CatalogDiff:
    """What publishing `version_id` would change against the published version (or against
    `base_version_id`): added and removed items, price changes and text changes listed apart."""
    get_version(session, version_id)
    base = base_version_id if base_version_id is not None else live_version(session)
    if base is not None:
        get_version(session, base)
    new, old = CatalogVersionItem.__table__.alias("new"), CatalogVersionItem.__table__.alias("old")
    result = CatalogDiff(version_id=version_id, base_version_id=base, counts=DiffCounts())
    if base == version_id:
        return result

    def only_in(a: int | None, b: int | None) -> tuple[int, list[DiffItem]]:
        if a is None:
            return 0, []
        x, y = CatalogVersionItem.__table__.alias("x"), CatalogVersionItem.__table__.alias("y")
        query = select(x.c.sku, x.c.name).where(x.c.version_id == a)
        if b is not None:
            query = query.where(~exists().where(y.c.version_id == b, y.c.sku == x.c.sku))
        count = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        rows = session.execute(query.order_by(x.c.sku).limit(limit)).all()
        return count, [DiffItem(sku=s, name=n) for s, n in rows]

    result.counts.added, result.added = only_in(version_id, base)
    result.counts.removed, result.removed = only_in(base, version_id)
    if base is not None:
        last = ""
        while True:  # changed items, a batch at a time
            pairs = session.execute(
                select(new.c.sku).join(old, (old.c.sku == new.c.sku) & (old.c.version_id == base))
                .where(new.c.version_id == version_id, new.c.content_hash != old.c.content_hash, new.c.sku > last)
                .order_by(new.c.sku).limit(BATCH)).scalars().all()
            if not pairs:
                break
            last = pairs[-1]
            rows = session.execute(select(CatalogVersionItem).where(
                CatalogVersionItem.version_id.in_([version_id, base]), CatalogVersionItem.sku.in_(pairs))).scalars().all()
            by_key = {(r.version_id, r.sku): r for r in rows}
            for sku in pairs:
                o, n = by_key[(base, sku)], by_key[(version_id, sku)]
                fields = _changed_fields(o, n)
                result.counts.changed += 1
                if any(f in fields for f in PRICE_FIELDS):
                    result.counts.price_changes += 1
                    if len(result.price_changes) < limit:
                        result.price_changes.append(PriceChange(
                            sku=sku, name=n.name, old_price=o.list_price, new_price=n.list_price,
                            old_currency=o.currency, new_currency=n.currency))
                text = {f: c for f, c in fields.items() if f in TEXT_FIELDS}
                other = {f: c for f, c in fields.items() if f not in TEXT_FIELDS and f not in PRICE_FIELDS}
                if text:
                    result.counts.text_changes += 1
                    if len(result.text_changes) < limit:
                        result.text_changes.append(ItemChange(sku=sku, name=n.name, fields=text))
                if other:
                    result.counts.other_changes += 1
                    if len(result.other_changes) < limit:
                        result.other_changes.append(ItemChange(sku=sku, name=n.name, fields=other))
            for row in rows:
                session.expunge(row)
    c = result.counts
    result.truncated = any(n > limit for n in (c.added, c.removed, c.price_changes, c.text_changes, c.other_changes))
    return result


# --- publishing ----------------------------------------------------------------------------------

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
        items = {i.sku: i for i in session.execute(select(Item).where(Item.sku.in_(skus))).scalars()}
        before = {} if previous_id is None else {r.sku: r for r in session.execute(select(CatalogVersionItem).where(
            CatalogVersionItem.version_id == previous_id, CatalogVersionItem.sku.in_(skus))).scalars()}
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
        gone_query = select(Item.sku).where(Item.active.is_(True), Item.sku.not_in(
            select(CatalogVersionItem.sku).where(CatalogVersionItem.version_id == version_id)))
    else:
        new, old = CatalogVersionItem.__table__.alias("new"), CatalogVersionItem.__table__.alias("old")
        gone_query = select(old.c.sku).where(old.c.version_id == previous_id, ~exists().where(
            new.c.version_id == version_id, new.c.sku == old.c.sku))
    for sku in session.execute(gone_query).scalars().all():
        item = session.get(Item, sku)
        if item is None or not item.active:
            continue
        referenced = session.execute(select(
            exists().where(ContractItem.sku == sku) | exists().where(SpecialItem.sku == sku))).scalar_one()
        if not referenced:
            try:
                with session.begin_nested():
                    session.delete(item)
                result.deleted += 1
                continue
            except IntegrityError:  # referenced from somewhere else
                item = session.get(Item, sku)
        item.active = False
        result.deactivated += 1
    session.flush()
    return result


def _activate(session: Session, version: CatalogVersion, live: CatalogLive, actor: str, now: datetime
              ) -> PublishResult:
    from catalog import quality, subassortments  # they read versions: imported here to avoid a cycle

    previous = live.version_id
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
    return PublishResult(version_id=version.id, status="published", activates_at=version.activates_at,
                         previous_version_id=previous, materialised=materialised, customers=customers)


def publish(session: Session, version_id: int, actor: str, activates_at: datetime | None = None,
            now: datetime | None = None, *, force: bool = False) -> PublishResult:
    """Publishes a draft now, or marks it scheduled for `activates_at` (the caller then starts the
    CatalogPublication workflow, which calls `activate_scheduled` at that time). Run it in a
    write-locked session. `force` publishes a draft copied from a version that is no longer the
    published one (undoing what the newer one changed, as its diff shows)."""
    from catalog import draft_lock  # it builds on this module

    now = now or utcnow()
    live = _live_row(session)
    version = get_version(session, version_id, for_update=True)
    if version.status != "draft":
        raise VersionConflict(f"catalog version {version_id} is {version.status}"
                              + (" (unpublish it first to change the date)" if version.status == "scheduled" else ""))
    if activates_at is not None and activates_at.tzinfo is None:
        raise ValueError("activates_at needs a time zone")
    if draft_lock.running(version, now):
        raise draft_lock.ImportBusy(f"an import is writing into catalog version {version_id}; "
                                    "publish it when the import has finished")
    if not force and version.based_on is not None and live.version_id not in (None, version.based_on):
        raise StaleDraft(f"catalog version {version_id} was copied from version {version.based_on}, but version "
                         f"{live.version_id} has been published since: publishing it would undo what version "
                         f"{live.version_id} changed. Start a new draft, or publish with force (API force: true, CLI --force)")
    if item_count(session, version_id) == 0:
        raise VersionConflict(f"catalog version {version_id} has no items: publishing it would empty the catalog")
    if activates_at is not None and activates_at > now:
        other = session.execute(select(CatalogVersion.id).where(CatalogVersion.status == "scheduled")).scalar()
        if other is not None:
            raise VersionConflict(f"catalog version {other} is already scheduled; unpublish it first")
        version.status, version.activates_at, version.published_by = "scheduled", activates_at, actor
        return PublishResult(version_id=version_id, status="scheduled", activates_at=activates_at,
                             previous_version_id=live.version_id)
    scheduled = session.execute(select(CatalogVersion).where(CatalogVersion.status == "scheduled")).scalar()
    if scheduled is not None:
        raise VersionConflict(f"catalog version {scheduled.id} is scheduled for "
                              f"{scheduled.activates_at.isoformat()}; unpublish it first")
    version.activates_at = None
    return _activate(session, version, live, actor, now)


def activate_scheduled(session: Session, version_id: int, activates_at: datetime | None = None,
                       now: datetime | None = None) -> PublishResult | None:
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
            version.status == "scheduled" and activates_at is not None and version.activates_at != activates_at):
        return False
    if version.status != "scheduled":
        raise VersionConflict(f"catalog version {version_id} is {version.status}: it can no longer be unpublished")
    version.status, version.activates_at, version.published_by = "draft", None, None
    return True
