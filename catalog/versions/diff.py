"""The diff of a catalog version against the published one (or another version).

What publishing a draft would change: added and removed items, and changed items with price
changes and text changes listed apart from other changes. Read by the API, the CLI, the version
page and the supplier sync (catalog/exchange/sync.py); apart from catalog/versions/store.py for size.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlmodel import Session, col

from catalog.versions.content import ITEM_FIELDS, PRICE_FIELDS, TEXT_FIELDS
from catalog.versions.store import BATCH, get_version, live_version
from catalog.versions.tables import CatalogVersionItem
from core.database import table_of
from models.catalog_versions import CatalogDiff, DiffCounts, DiffItem, FieldChange, ItemChange, PriceChange


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
    new, old = table_of(CatalogVersionItem).alias("new"), table_of(CatalogVersionItem).alias("old")
    result = CatalogDiff(version_id=version_id, base_version_id=base, counts=DiffCounts())
    if base == version_id:
        return result

    def only_in(a: int | None, b: int | None) -> tuple[int, list[DiffItem]]:
        if a is None:
            return 0, []
        x, y = table_of(CatalogVersionItem).alias("x"), table_of(CatalogVersionItem).alias("y")
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
            pairs = (
                session.execute(
                    select(new.c.sku)
                    .join(old, (old.c.sku == new.c.sku) & (old.c.version_id == base))
                    .where(new.c.version_id == version_id, new.c.content_hash != old.c.content_hash, new.c.sku > last)
                    .order_by(new.c.sku)
                    .limit(BATCH)
                )
                .scalars()
                .all()
            )
            if not pairs:
                break
            last = pairs[-1]
            rows = (
                session.execute(
                    select(CatalogVersionItem).where(
                        col(CatalogVersionItem.version_id).in_([version_id, base]),
                        col(CatalogVersionItem.sku).in_(pairs),
                    )
                )
                .scalars()
                .all()
            )
            by_key = {(r.version_id, r.sku): r for r in rows}
            for sku in pairs:
                o, n = by_key[(base, sku)], by_key[(version_id, sku)]
                fields = _changed_fields(o, n)
                result.counts.changed += 1
                if any(f in fields for f in PRICE_FIELDS):
                    result.counts.price_changes += 1
                    if len(result.price_changes) < limit:
                        result.price_changes.append(
                            PriceChange(
                                sku=sku,
                                name=n.name,
                                old_price=o.list_price,
                                new_price=n.list_price,
                                old_currency=o.currency,
                                new_currency=n.currency,
                            )
                        )
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
