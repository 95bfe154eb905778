"""Sub-assortments: a customer's view of the seller catalog defined by categories, SKUs and filter
rules, and that view as the export and the quality rules see it.

A sub-assortment (the customer's own, or else the nearest ancestor's in the customer tree) holds
the items of the listed categories or SKUs (all items when both lists are empty) that match every
filter rule. This module keeps the definition and the matching; which items a customer has is
decided in one place, catalog/pricing.py (catalog/assortment.py reads it): with a sub-assortment
the customer's assortment is exactly the sub-assortment's items, at the customer's prices
(special, contract, price list, else the list price in the contract's currency; an item without
any of them is left out); without one its contract, special and price-list items. The catalog API,
order validation, the export (`view`) and the quality rules (`scope`) all use that assortment.

Filter rules over JSON attributes are not portable SQL, so the matching items of the live catalog
are materialised in `subassortmentitem` (per definition, under its owner): when a version is
published (catalog/versions/publishing.py), and when a definition is set or removed (`set_definition`,
`replace`). Before anything is published the live catalog is the `item` table (no attributes).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlmodel import Session, col

from catalog import assortment, pricing
from catalog.tables import Item
from catalog.versions import store
from catalog.versions.content import ATTRIBUTE_KEYS, ITEM_FIELDS
from catalog.versions.store import BATCH, iter_version_rows
from catalog.versions.tables import CatalogLive, CatalogVersionItem
from catalog.view_tables import SubAssortment, SubAssortmentItem
from contracts.in_force import NoValidContract
from core.database import table_of
from core.errors import Invalid
from customers.tables import Customer
from customers.tree import customer_chain
from models.catalog_versions import FilterRule, SubAssortmentIn

RULE_FIELDS = frozenset(("sku", *ITEM_FIELDS, *ATTRIBUTE_KEYS)) - {"options", "constraints"}


class InvalidDefinition(Invalid):
    pass


@dataclass
class ViewEntry:
    item: CatalogVersionItem  # the item as the live version has it (with its quality attributes)
    price: Decimal
    price_source: str  # special, contract, price_list, list
    currency: str  # the contract's
    part_number: str | None = None  # the customer's own number for the item
    min_quantity: int = 1  # below it the item cannot be ordered (a price list's minimum)
    price_breaks: tuple[tuple[int, Decimal], ...] = ()  # (from quantity, unit price) where the price changes


# --- the definition --------------------------------------------------------------------------------


def definition(session: Session, customer_id: str) -> SubAssortment | None:
    """The sub-assortment of the customer or of its nearest ancestor that has one."""
    chain_ids = [c.id for c in customer_chain(session, customer_id)]
    owner = pricing.subassortment_owner(session, chain_ids)
    return None if owner is None else session.get(SubAssortment, owner)


def set_definition(session: Session, customer_id: str, body: SubAssortmentIn | None) -> SubAssortment | None:
    """Sets (or, with None, removes) the customer's own sub-assortment, and materialises its items
    of the live catalog."""
    if session.get(Customer, customer_id) is None:
        raise InvalidDefinition(f"unknown customer {customer_id}")
    # serialised with publishers (they lock the live pointer, then refill every sub-assortment)
    session.get(CatalogLive, "live", with_for_update=True)
    current = session.get(SubAssortment, customer_id)
    if body is None:
        session.execute(delete(SubAssortmentItem).where(col(SubAssortmentItem.customer_id) == customer_id))
        if current is not None:
            session.delete(current)
            session.flush()
        return None
    for rule in body.rules:
        if rule.field not in RULE_FIELDS:
            raise InvalidDefinition(
                f"unknown field {rule.field!r} in a filter rule (known: {', '.join(sorted(RULE_FIELDS))})"
            )
    row = current or SubAssortment(customer_id=customer_id)
    row.name, row.categories, row.skus = body.name, list(body.categories), list(body.skus)
    row.rules = [r.model_dump() for r in body.rules]
    session.add(row)
    session.flush()
    materialise(session, customer_id)
    return row


def own_definition(session: Session, customer_id: str) -> SubAssortmentIn | None:
    """The customer's own sub-assortment as the API and the CLI show it (None: none of its own)."""
    row = session.get(SubAssortment, customer_id)
    return (
        None
        if row is None
        else SubAssortmentIn(name=row.name, categories=row.categories, skus=row.skus, rules=row.rules)
    )


# --- matching ------------------------------------------------------------------------------------


def _value(item: Any, name: str) -> Any:
    if name in ATTRIBUTE_KEYS:
        return (getattr(item, "attributes", None) or {}).get(name)  # an `item` row has none
    return getattr(item, name)


def _comparable(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, Decimal) or (isinstance(a, int) and not isinstance(a, bool)):
        try:
            return Decimal(a), Decimal(str(b))
        except InvalidOperation:
            pass
    return str(a), str(b)


def parse_rules(rules: Iterable[dict[str, Any] | FilterRule]) -> list[FilterRule]:
    return [r if isinstance(r, FilterRule) else FilterRule(**r) for r in rules]


def matches(item: Any, rules: Sequence[dict[str, Any] | FilterRule]) -> bool:
    """Whether the item (a version's row, or an `item` row) matches every filter rule."""
    for rule in parse_rules(rules):
        value = _value(item, rule.field)
        if rule.op == "present":
            ok = value not in (None, "")
        elif rule.op == "absent":
            ok = value in (None, "")
        elif value is None:
            ok = rule.op in ("ne", "not_in")
        elif rule.op in ("in", "not_in"):
            ok = (str(value) in [str(v) for v in (rule.value or [])]) == (rule.op == "in")
        elif rule.op == "contains":
            ok = str(rule.value).lower() in str(value).lower()
        else:
            a, b = _comparable(value, rule.value)
            ok = {"eq": a == b, "ne": a != b, "lt": a < b, "lte": a <= b, "gt": a > b, "gte": a >= b}[rule.op]
        if not ok:
            return False
    return True


def _listed(sub: SubAssortment, sku, category) -> list:
    """The definition's categories and SKUs as a condition (none: every item)."""
    return [or_(category.in_(sub.categories), sku.in_(sub.skus))] if sub.categories or sub.skus else []


def _live_candidates(session: Session, sub: SubAssortment) -> Iterator[list[Any]]:
    """The live catalog's items of the definition's categories and SKUs, a batch at a time: the
    live version's rows; before the first publish, the active rows of the `item` table."""
    live = store.live_version(session)
    if live is not None:
        yield from iter_version_rows(
            session, live, where=_listed(sub, col(CatalogVersionItem.sku), col(CatalogVersionItem.category))
        )
        return
    last = ""
    while True:
        items = list(
            session.execute(
                select(Item)
                .where(pricing.SELLABLE, col(Item.sku) > last, *_listed(sub, col(Item.sku), col(Item.category)))
                .order_by(col(Item.sku))
                .limit(BATCH)
            ).scalars()
        )
        if not items:
            return
        yield items
        last = items[-1].sku


def materialise(session: Session, owner_id: str) -> int:
    """Writes the live catalog's items of the customer's own sub-assortment into
    `subassortmentitem` (none when it has no sub-assortment); returns how many."""
    session.execute(delete(SubAssortmentItem).where(col(SubAssortmentItem.customer_id) == owner_id))
    sub = session.get(SubAssortment, owner_id)
    if sub is None:
        return 0
    rules, count = parse_rules(sub.rules), 0
    for rows in _live_candidates(session, sub):
        skus = [r.sku for r in rows if matches(r, rules)]
        if skus:
            session.execute(insert(table_of(SubAssortmentItem)), [{"customer_id": owner_id, "sku": s} for s in skus])
            count += len(skus)
    return count


def materialise_all(session: Session) -> dict[str, int]:
    """At publication: every sub-assortment's items of the new live version."""
    owners = list(
        session.execute(select(col(SubAssortment.customer_id)).order_by(col(SubAssortment.customer_id))).scalars()
    )
    session.execute(delete(SubAssortmentItem).where(col(SubAssortmentItem.customer_id).not_in(owners)))
    return {owner: materialise(session, owner) for owner in owners}


# --- the view as the quality rules and the export see it -----------------------------------------


def _context(session: Session, customer_id: str, as_of: date, *, lapsed: bool = False) -> pricing.PriceContext | None:
    """The customer's price context; without a contract in force None (no catalog), or with
    `lapsed` the one of its latest contract (what validation prices from for the expert)."""
    try:
        return pricing.context(session, customer_id, as_of)
    except NoValidContract as exc:
        if lapsed and exc.contract is not None:
            return pricing.context(session, customer_id, as_of, exc.contract)
        return None


def scope(
    session: Session, customer_id: str, version_id: int, as_of: date, *, priced: bool = True
) -> Iterator[CatalogVersionItem]:
    """The version's items in the customer's view before its quality rules, in SKU order: for the
    live version its assortment (catalog/assortment.py); for another version (a draft) the items
    its assortment would have if that version were published. Nothing without a contract.
    With a sub-assortment and `priced` false, also its items without a price for the customer
    (what the quality rules withhold: a special, contract or price-list price can bring such an
    item into the view later, without a re-check)."""
    ctx = _context(session, customer_id, as_of, lapsed=True)
    if ctx is None:
        return
    if version_id == store.live_version(session):
        members = (
            select(col(SubAssortmentItem.sku)).where(col(SubAssortmentItem.customer_id) == ctx.subassortment_owner)
            if not priced and ctx.subassortment_owner is not None
            else assortment.member_skus(ctx, withheld=True)
        )
        for rows in iter_version_rows(session, version_id, where=[col(CatalogVersionItem.sku).in_(members)]):
            yield from rows
        return
    if ctx.subassortment_owner is not None:
        sub = session.get(SubAssortment, ctx.subassortment_owner)
        assert sub is not None  # the owner is who has one
        rules = parse_rules(sub.rules)
        where = [*_listed(sub, col(CatalogVersionItem.sku), col(CatalogVersionItem.category))]
        if priced:
            where.append(pricing.has_price(ctx, col(CatalogVersionItem.sku), col(CatalogVersionItem.currency)))
        for rows in iter_version_rows(session, version_id, where=where):
            yield from (r for r in rows if matches(r, rules))
        return
    skus: Any = pricing.assortment_skus(ctx).c.sku  # Any: mypy 2.4 crashes inferring select() over it
    for rows in iter_version_rows(session, version_id, where=[col(CatalogVersionItem.sku).in_(select(skus))]):
        yield from rows


def _as_version_row(item: Item, version_id: int | None) -> CatalogVersionItem:
    """A live item the live version does not hold (added to `item` directly), without attributes."""
    return CatalogVersionItem(
        version_id=version_id or 0,
        sku=item.sku,
        attributes={},
        content_hash="",
        **{f: getattr(item, f) for f in ITEM_FIELDS},
    )


def view(session: Session, customer_id: str, as_of: date, *, batch: int = 500) -> Iterator[ViewEntry]:
    """The customer's view of the live catalog, in SKU order: exactly the entries of its assortment
    that the catalog API lists and order validation accepts (no role rights: the view is the
    customer's, not a user's), with the live version's content and the customer's prices and part
    numbers. Empty without a contract in force (the catalog API has no catalog for it either)."""
    ctx = _context(session, customer_id, as_of)
    if ctx is None:
        return
    live = store.live_version(session)
    for chunk in assortment.all_entries(session, ctx, batch=batch):
        rows = (
            {}
            if live is None or not chunk
            else {
                r.sku: r
                for r in session.execute(
                    select(CatalogVersionItem).where(
                        col(CatalogVersionItem.version_id) == live,
                        col(CatalogVersionItem.sku).in_([e.item.sku for e in chunk]),
                    )
                ).scalars()
            }
        )
        for e in chunk:
            yield ViewEntry(
                item=rows.get(e.item.sku) or _as_version_row(e.item, live),
                price=e.price,
                price_source=e.source,
                currency=ctx.currency,
                part_number=e.part_number,
                min_quantity=e.min_quantity,
                price_breaks=tuple(pricing.price_breaks(e.sources)) if e.sources else (),
            )
        for row in rows.values():
            session.expunge(row)
