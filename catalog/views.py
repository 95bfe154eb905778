"""The catalog as a customer sees it (API and pages): assortment entries as CatalogItem models."""
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session

from catalog import assortment
from catalog.tables import Item
from models.catalog import CatalogItem, CatalogPage, ConfigConstraint, ConfigOption


def to_catalog_item(item: Item, price, source: str) -> CatalogItem:
    return CatalogItem(
        sku=item.sku, name=item.name, description=item.description, category=item.category, unit=item.unit,
        price=price, list_price=item.list_price, currency=item.currency, vat_rate=item.vat_rate,
        price_source=source, expert_review=item.expert_review, configurable=bool(item.options),
        options=[ConfigOption(name=k, values=v) for k, v in item.options.items()],
        constraints=[ConfigConstraint(type=c.get("type", ""), when=c.get("when", {}), message=c.get("message", ""))
                     for c in item.constraints],
    )


def customer_catalog(session: Session, customer_id: str, as_of: date, *, q: str | None = None,
                     category: str | None = None, limit: int = 50, offset: int = 0) -> CatalogPage:
    """Raises assortment.NoValidContract when the customer has no contract in force."""
    contract = assortment.effective_contract(session, customer_id, as_of)
    entries, total = assortment.search(session, customer_id, contract, q=q, category=category,
                                       limit=limit, offset=offset)
    return CatalogPage(items=[to_catalog_item(e.item, e.price, e.source) for e in entries],
                       total=total, limit=limit, offset=offset)


def seller_catalog(session: Session, *, q: str | None = None, category: str | None = None,
                   limit: int = 50, offset: int = 0) -> CatalogPage:
    """The whole catalog at list prices, for the seller's staff."""
    query = select(Item)
    if q:
        query = query.where(func.lower(Item.name).like(f"%{q.lower()}%") | func.lower(Item.sku).like(f"%{q.lower()}%"))
    if category:
        query = query.where(Item.category == category)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    items = session.execute(query.order_by(Item.sku).limit(limit).offset(offset)).scalars().all()
    return CatalogPage(items=[to_catalog_item(i, i.list_price, "list") for i in items], total=total,
                       limit=limit, offset=offset)
