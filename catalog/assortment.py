"""What a customer may order and at which price: the one place both the catalog API and order
validation ask.

A customer's assortment is the items of its framework contract (its own, or else the nearest
ancestor's in the customer tree) plus its special assortment, whose prices win over the contract.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, literal, or_, select, union_all
from sqlmodel import Session

from catalog.tables import Contract, ContractItem, Customer, Item, SpecialItem


class NoValidContract(Exception):
    """The customer has no framework contract in force on the given day."""


@dataclass(frozen=True)
class Entry:
    item: Item
    price: Decimal
    source: str  # "contract" or "special"


def customer_chain(session: Session, customer_id: str) -> list[Customer]:
    """The customer, its parent, its parent's parent...; empty when the customer is unknown."""
    chain: list[Customer] = []
    current = session.get(Customer, customer_id)
    while current is not None and current not in chain:
        chain.append(current)
        current = session.get(Customer, current.parent_id) if current.parent_id else None
    return chain


def effective_contract(session: Session, customer_id: str, as_of: date) -> Contract:
    """The contract of the nearest customer in the tree that has one, if it is in force."""
    for customer in customer_chain(session, customer_id):
        contracts = session.execute(
            select(Contract).where(Contract.customer_id == customer.id).order_by(Contract.valid_from.desc())
        ).scalars().all()
        if not contracts:
            continue
        for contract in contracts:
            if contract.valid_from <= as_of <= contract.valid_to:
                return contract
        latest = contracts[0]
        raise NoValidContract(
            f"the framework contract {latest.id} is not in force on {as_of.isoformat()} "
            f"(valid {latest.valid_from.isoformat()} to {latest.valid_to.isoformat()})"
        )
    raise NoValidContract("there is no framework contract for this customer")


def _priced_skus(customer_id: str, contract_id: str):
    """(sku, price, source) rows of the assortment; special prices shadow contract prices."""
    special = select(SpecialItem.sku, SpecialItem.price, literal("special").label("source")).where(
        SpecialItem.customer_id == customer_id
    )
    contract = select(ContractItem.sku, ContractItem.price, literal("contract").label("source")).where(
        ContractItem.contract_id == contract_id,
        ContractItem.sku.not_in(select(SpecialItem.sku).where(SpecialItem.customer_id == customer_id)),
    )
    return union_all(special, contract).subquery("priced")


def entries(session: Session, customer_id: str, contract: Contract, skus: list[str]) -> dict[str, Entry]:
    """The assortment entries for the given SKUs (missing SKUs are not in the assortment)."""
    priced = _priced_skus(customer_id, contract.id)
    rows = session.execute(
        select(Item, priced.c.price, priced.c.source).join(priced, priced.c.sku == Item.sku).where(Item.sku.in_(skus))
    ).all()
    return {item.sku: Entry(item, Decimal(price), source) for item, price, source in rows}


def search(
    session: Session, customer_id: str, contract: Contract, *, q: str | None, category: str | None,
    limit: int, offset: int,
) -> tuple[list[Entry], int]:
    """One page of the assortment, ordered by SKU, and the number of matching entries."""
    priced = _priced_skus(customer_id, contract.id)
    query = select(Item, priced.c.price, priced.c.source).join(priced, priced.c.sku == Item.sku)
    if q:
        # the buyer's text is matched literally: % and _ are not wildcards here
        literal_q = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{literal_q}%"
        query = query.where(or_(func.lower(Item.name).like(pattern, escape="\\"),
                                func.lower(Item.sku).like(pattern, escape="\\"),
                                func.lower(Item.description).like(pattern, escape="\\")))
    if category:
        query = query.where(Item.category == category)
    total = session.execute(select(func.count()).select_from(query.subquery())).one()[0]
    rows = session.execute(query.order_by(Item.sku).limit(limit).offset(offset)).all()
    return [Entry(item, Decimal(price), source) for item, price, source in rows], int(total)
