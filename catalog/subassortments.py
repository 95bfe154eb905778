"""A customer's view of the seller catalog: which items of a version it sees, at which price.

The view is the customer's sub-assortment when it (or the nearest ancestor in the customer tree)
has one: items of the listed categories or SKUs (all items when both lists are empty) that match
every filter rule. Without one, the view is the customer's assortment (catalog/pricing.py: its
contract's items, its special assortment, its price list's items). Items the customer's quality
rules withhold are left out of the published view (catalog/quality.py). Prices are the
customer's (catalog/assortment.py: special, contract, price list, list price, in the contract's
currency); an item of a sub-assortment outside the customer's assortment has its list price.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session

from catalog import assortment, pricing, versions
from catalog.tables import Contract, Customer, SpecialItem
from catalog.version_tables import CatalogVersionItem, HiddenItem, SubAssortment
from catalog.versions import ATTRIBUTE_KEYS, ITEM_FIELDS, iter_version_rows
from models.catalog_versions import CustomerPublication, FilterRule, SubAssortmentIn

RULE_FIELDS = frozenset(("sku", *ITEM_FIELDS, *ATTRIBUTE_KEYS)) - {"options", "constraints"}


class InvalidDefinition(ValueError):
    pass


@dataclass
class ViewEntry:
    item: CatalogVersionItem
    price: Decimal
    price_source: str  # contract, special, list
    currency: str


def definition(session: Session, customer_id: str) -> SubAssortment | None:
    """The sub-assortment of the customer or of its nearest ancestor that has one."""
    for customer in assortment.customer_chain(session, customer_id):
        found = session.get(SubAssortment, customer.id)
        if found is not None:
            return found
    return None


def set_definition(session: Session, customer_id: str, body: SubAssortmentIn | None) -> SubAssortment | None:
    """Sets (or, with None, removes) the customer's own sub-assortment."""
    if session.get(Customer, customer_id) is None:
        raise InvalidDefinition(f"unknown customer {customer_id}")
    current = session.get(SubAssortment, customer_id)
    if body is None:
        if current is not None:
            session.delete(current)
        return None
    for rule in body.rules:
        if rule.field not in RULE_FIELDS:
            raise InvalidDefinition(f"unknown field {rule.field!r} in a filter rule (known: {', '.join(sorted(RULE_FIELDS))})")
    row = current or SubAssortment(customer_id=customer_id)
    row.name, row.categories, row.skus = body.name, list(body.categories), list(body.skus)
    row.rules = [r.model_dump() for r in body.rules]
    session.add(row)
    return row


def own_definition(session: Session, customer_id: str) -> SubAssortmentIn | None:
    """The customer's own sub-assortment as the API and the CLI show it (None: none of its own)."""
    row = session.get(SubAssortment, customer_id)
    return None if row is None else SubAssortmentIn(name=row.name, categories=row.categories, skus=row.skus,
                                                     rules=row.rules)


def replace(session: Session, customer_id: str, body: SubAssortmentIn | None) -> CustomerPublication | None:
    """Sets (or, with None, removes) the customer's own sub-assortment; its view changed, so a
    customer with quality rules is re-checked against the live version. Returns that re-check
    (None: no rules or nothing published)."""
    from catalog import quality  # here, not at the top: quality imports this module

    set_definition(session, customer_id, body)
    session.flush()
    if not quality.rules_of(session, customer_id):
        return None
    live = versions.live_version(session)
    return None if live is None else quality.apply_customer(session, customer_id, live)


def _value(item: CatalogVersionItem, name: str) -> Any:
    if name in ATTRIBUTE_KEYS:
        return (item.attributes or {}).get(name)
    return getattr(item, name)


def _comparable(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, Decimal) or isinstance(a, int) and not isinstance(a, bool):
        try:
            return Decimal(a), Decimal(str(b))
        except InvalidOperation:
            pass
    return str(a), str(b)


def matches(item: CatalogVersionItem, rules: list[dict[str, Any]]) -> bool:
    for raw in rules:
        rule = FilterRule(**raw)
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


def _contract(session: Session, customer_id: str, as_of: date) -> Contract | None:
    try:
        return assortment.effective_contract(session, customer_id, as_of)
    except assortment.NoValidContract:
        return None


def scope(session: Session, customer_id: str, version_id: int, as_of: date) -> Iterator[CatalogVersionItem]:
    """The version's items in the customer's view, before quality rules, in SKU order."""
    sub = definition(session, customer_id)
    if sub is not None:
        where = []
        if sub.categories or sub.skus:
            where.append(or_(CatalogVersionItem.category.in_(sub.categories), CatalogVersionItem.sku.in_(sub.skus)))
        for rows in iter_version_rows(session, version_id, where=where):
            yield from (r for r in rows if matches(r, sub.rules))
        return
    contract = _contract(session, customer_id, as_of)
    if contract is None:  # no contract in force: its special assortment only
        members = select(SpecialItem.sku).where(SpecialItem.customer_id == customer_id)
    else:
        members = select(pricing.assortment_skus(pricing.context(session, customer_id, as_of, contract)).c.sku)
    for rows in iter_version_rows(session, version_id, where=[CatalogVersionItem.sku.in_(members)]):
        yield from rows


def _prices(session: Session, customer_id: str, contract: Contract | None, skus: list[str], as_of: date
            ) -> dict[str, tuple[Decimal, str]]:
    """The customer's prices (the one place that knows them: catalog/assortment.py)."""
    if contract is None or not skus:
        return {}
    return {sku: (e.price, e.source)
            for sku, e in assortment.entries(session, customer_id, contract, skus, as_of=as_of).items()}


def view(session: Session, customer_id: str, version_id: int, as_of: date, *,
         include_hidden: bool = False, batch: int = 500) -> Iterator[ViewEntry]:
    """The customer's view of a version with its prices, in SKU order; items its quality rules
    withhold are left out unless `include_hidden`."""
    contract = _contract(session, customer_id, as_of)
    hidden = set() if include_hidden else set(session.execute(
        select(HiddenItem.sku).where(HiddenItem.customer_id == customer_id)).scalars())
    chunk: list[CatalogVersionItem] = []

    def priced(rows: list[CatalogVersionItem]) -> Iterator[ViewEntry]:
        prices = _prices(session, customer_id, contract, [r.sku for r in rows], as_of)
        for r in rows:
            if r.sku in prices:  # the customer's price, in its contract's currency
                price, source = prices[r.sku]
                yield ViewEntry(item=r, price=price, price_source=source, currency=contract.currency)
            else:
                yield ViewEntry(item=r, price=r.list_price, price_source="list", currency=r.currency)

    for item in scope(session, customer_id, version_id, as_of):
        if item.sku in hidden:
            continue
        chunk.append(item)
        if len(chunk) >= batch:
            yield from priced(chunk)
            chunk = []
    if chunk:
        yield from priced(chunk)


def categories(session: Session, customer_id: str, version_id: int, as_of: date) -> list[str]:
    return sorted({e.item.category for e in view(session, customer_id, version_id, as_of)})
