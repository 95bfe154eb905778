"""The catalog as a customer sees it (API and pages): assortment entries as CatalogItem models.
The items are the customer's assortment (catalog/assortment.py: its sub-assortment when it or an
ancestor has one), the same order validation accepts and the export holds."""

from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

from catalog import assortment, pricing
from catalog.configuration import INCOMPATIBLE, SURCHARGE, constraint_message, surcharge_amount
from catalog.rights import Decision, rights_for
from catalog.tables import Item
from models.catalog import (
    CatalogItem,
    CatalogPage,
    ConfigConstraint,
    ConfigOption,
    ConfigSurcharge,
    PriceBreak,
)

STAFF = Decision(True, False, "only a customer's buyers place orders")


def _condition(value: dict | None) -> dict:
    return {k: (list(map(str, v)) if isinstance(v, list) else str(v)) for k, v in (value or {}).items()}


def to_catalog_item(
    item: Item,
    price,
    source: str,
    *,
    currency: str | None = None,
    entry: assortment.Entry | None = None,
    decision: Decision | None = None,
) -> CatalogItem:
    """The item as the caller sees it. `entry` adds the customer's part number and price breaks."""
    decision = decision or (entry.decision if entry is not None else None)
    sources = entry.sources if entry is not None else None
    return CatalogItem(
        sku=item.sku,
        name=item.name,
        description=item.description,
        category=item.category,
        unit=item.unit,
        price=price,
        list_price=item.list_price,
        currency=currency or item.currency,
        list_price_currency=item.currency,
        vat_rate=item.vat_rate,
        price_source=source,
        expert_review=item.expert_review,
        configurable=bool(item.options),
        options=[ConfigOption(name=k, values=v) for k, v in item.options.items()],
        constraints=[
            ConfigConstraint(
                type=c.get("type", INCOMPATIBLE),
                when=_condition(c.get("when")),
                then=_condition(c.get("then")),
                message=constraint_message(c),
            )
            for c in item.constraints
            if c.get("type", INCOMPATIBLE) != SURCHARGE
        ],
        surcharges=[
            ConfigSurcharge(when=_condition(c.get("when")), amount=surcharge_amount(c), message=constraint_message(c))
            for c in item.constraints
            if c.get("type") == SURCHARGE
        ],
        customer_part_number=entry.part_number if entry is not None else None,
        min_quantity=entry.min_quantity if entry is not None else 1,
        price_breaks=[PriceBreak(min_quantity=m, price=p) for m, p in pricing.price_breaks(sources)]
        if sources is not None
        else [],
        orderable=decision.may_order if decision is not None else True,
        not_orderable_reason=None if decision is None or decision.may_order else decision.reason,
    )


def entry_item(entry: assortment.Entry, currency: str) -> CatalogItem:
    return to_catalog_item(entry.item, entry.price, entry.source, currency=currency, entry=entry)


def customer_catalog(
    session: Session,
    customer_id: str,
    as_of: date,
    *,
    q: str | None = None,
    category: str | None = None,
    limit: int = 50,
    offset: int = 0,
    roles: list[str] | None = None,
) -> CatalogPage:
    """The page of the customer's assortment a user with `roles` may see, at the customer's
    prices. Raises NoValidContract when the customer has no contract in force."""
    ctx = pricing.context(session, customer_id, as_of)
    rights = None if roles is None else rights_for(session, ctx.chain_ids, roles)
    entries, total = assortment.search(
        session, customer_id, ctx.contract, q=q, category=category, limit=limit, offset=offset, rights=rights, ctx=ctx
    )
    return CatalogPage(items=[entry_item(e, ctx.currency) for e in entries], total=total, limit=limit, offset=offset)


def seller_catalog(
    session: Session, *, q: str | None = None, category: str | None = None, limit: int = 50, offset: int = 0
) -> CatalogPage:
    """The whole live catalog at list prices, for the seller's staff."""
    query = select(Item).where(pricing.SELLABLE)
    if q:
        pattern = assortment.like_pattern(q)
        query = query.where(
            func.lower(col(Item.name)).like(pattern, escape="\\") | func.lower(col(Item.sku)).like(pattern, escape="\\")
        )
    if category:
        query = query.where(col(Item.category) == category)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = session.execute(query.order_by(col(Item.sku)).limit(limit).offset(offset)).scalars().all()
    return CatalogPage(
        items=[to_catalog_item(i, i.list_price, pricing.LIST, decision=STAFF) for i in items],
        total=total,
        limit=limit,
        offset=offset,
    )
