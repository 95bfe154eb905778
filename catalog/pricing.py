"""Unit prices: the one place that decides what a customer pays for an item.

For (customer, SKU, quantity, day), in this order:

1. **Agreed price**: the customer's special assortment price (`SpecialItem`, its own agreement),
   else the price of the framework contract in force (its own or the nearest ancestor's).
   Quantity breaks of the customer's price list from N > 1 pieces apply to an agreed price as a
   volume discount, but only when they are lower: a price list never makes a contracted item
   dearer, and a price-list price from 1 piece never overrides the contract.
2. **Price list**: the customer's price list in force on the day (the nearest customer up the
   tree that has price lists decides; only a list in the contract's currency applies; if several
   are in force, the one valid from the latest day). The entry with the largest minimum quantity
   up to the ordered quantity gives the price. Below the smallest minimum quantity the item
   cannot be ordered (a minimum order quantity).
3. **List price**: only for items explicitly assigned, and only when the item's list price is in
   the contract's currency: a price-list entry without a price, or, for an item of the customer's
   sub-assortment, when it has none of the prices above (`Sources.assigned`; a price list's
   entries for the item, with their minimum quantity, still come first).

**Which items** (the assortment): with a sub-assortment (the customer's own, else the nearest
ancestor's; catalog/subassortments.py defines and matches it, table `subassortmentitem` holds its
live items), exactly the sub-assortment's items that have a price by the rules above, whether or
not the contract lists them; without one, every item with a price (contract, special and
price-list items). Never an item a published catalog version removed (`Item.active` false).
Prices are in the contract's currency. `decide` is the rule; everything else gathers its inputs
(in batches: the catalog listing and order validation price whole pages and orders with one or
two statements).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import and_, or_, select, union
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from catalog.tables import Item
from catalog.view_tables import SubAssortment, SubAssortmentItem
from contracts.in_force import effective_contract
from contracts.tables import Contract, ContractItem
from customers.rule_tables import PriceList, PriceListEntry, SpecialItem
from customers.tree import customer_chain, nearest_owner

SPECIAL, CONTRACT, PRICE_LIST, LIST = "special", "contract", "price_list", "list"
# an item a published catalog version removed, kept only because something refers to it
# (catalog/versions/publishing.py), is in no customer's assortment
SELLABLE = col(Item.active).is_(True)


@dataclass(frozen=True)
class Break:
    """A price-list entry: from `min_quantity` pieces `price` (None: the item's list price)."""

    min_quantity: int
    price: Decimal | None


@dataclass(frozen=True)
class Sources:
    """Every price the customer has for one item."""

    list_price: Decimal | None  # None when the list price is in another currency than the contract
    special: Decimal | None = None
    contract: Decimal | None = None
    breaks: tuple[Break, ...] = ()
    # in the customer's sub-assortment: assigned at its list price, like a price-list entry without
    # a price from 1 piece, when it has no agreed price and no price-list entry
    assigned: bool = False


@dataclass(frozen=True)
class Quote:
    unit_price: Decimal
    source: str  # "special", "contract", "price_list" or "list"
    min_quantity: int = 1  # the quantity break that gave the price


def _breaks(sources: Sources) -> tuple[Break, ...]:
    if sources.breaks or not sources.assigned:
        return sources.breaks
    return (Break(1, None),)


def _usable(sources: Sources) -> list[Break]:
    return sorted(
        (b for b in _breaks(sources) if b.price is not None or sources.list_price is not None),
        key=lambda b: b.min_quantity,
    )


def decide(sources: Sources, quantity: int) -> Quote | None:
    """The unit price for `quantity` pieces; None when the item cannot be had at that quantity
    (not in the assortment, or below its minimum order quantity)."""
    breaks = [b for b in _usable(sources) if b.min_quantity <= quantity]
    best = breaks[-1] if breaks else None
    agreed = sources.special if sources.special is not None else sources.contract
    if agreed is not None:
        discount = [
            (b.price, b.min_quantity) for b in breaks if b.min_quantity > 1 and b.price is not None and b.price < agreed
        ]
        if discount:
            price, min_quantity = min(discount, key=lambda pm: (pm[0], -pm[1]))
            return Quote(price, PRICE_LIST, min_quantity)
        return Quote(agreed, SPECIAL if sources.special is not None else CONTRACT)
    if best is None:
        return None
    if best.price is not None:
        return Quote(best.price, PRICE_LIST, best.min_quantity)
    assert sources.list_price is not None  # _usable keeps a break without a price only beside a list price
    return Quote(sources.list_price, LIST, best.min_quantity)


def minimum_quantity(sources: Sources) -> int | None:
    """The smallest quantity that has a price; None when the item is not in the assortment."""
    if sources.special is not None or sources.contract is not None:
        return 1
    usable = _usable(sources)
    return usable[0].min_quantity if usable else None


def price_breaks(sources: Sources) -> list[tuple[int, Decimal]]:
    """(from quantity, unit price) wherever the unit price changes, as `decide` prices them;
    empty when there is one price for every quantity."""
    start = minimum_quantity(sources)
    if start is None:
        return []
    points = sorted({start, *(b.min_quantity for b in _usable(sources) if b.min_quantity > start)})
    steps: list[tuple[int, Decimal]] = []
    for quantity in points:
        quote = decide(sources, quantity)
        if quote is not None and (not steps or steps[-1][1] != quote.unit_price):
            steps.append((quantity, quote.unit_price))
    return steps if len(steps) > 1 else []


@dataclass(frozen=True)
class PriceContext:
    """What decides a customer's prices on one day: its contract and price list in force."""

    customer_id: str
    chain_ids: list[str]  # the customer, its parent, ...
    contract: Contract
    price_list: PriceList | None
    as_of: date
    # the customer whose sub-assortment is the assortment (itself or the nearest ancestor with one)
    subassortment_owner: str | None = None

    @property
    def currency(self) -> str:
        return self.contract.currency


def price_list_in_force(session: Session, chain_ids: list[str], currency: str, as_of: date) -> PriceList | None:
    """The price list of the nearest customer in the tree that has price lists, if one is in force
    on the day in the contract's currency (the latest valid_from wins)."""
    lists = session.execute(select(PriceList).where(col(PriceList.customer_id).in_(chain_ids))).scalars().all()
    owner = nearest_owner(chain_ids, {pl.customer_id for pl in lists})
    in_force = [
        pl
        for pl in lists
        if pl.customer_id == owner
        and pl.currency == currency
        and pl.valid_from <= as_of
        and (pl.valid_to is None or as_of <= pl.valid_to)
    ]
    return max(in_force, key=lambda pl: (pl.valid_from, pl.id)) if in_force else None


def subassortment_owner(session: Session, chain_ids: list[str]) -> str | None:
    """The nearest customer of the chain (the customer itself first) that has a sub-assortment."""
    owners = set(
        session.execute(
            select(col(SubAssortment.customer_id)).where(col(SubAssortment.customer_id).in_(chain_ids))
        ).scalars()
    )
    return nearest_owner(chain_ids, owners)


def context(session: Session, customer_id: str, as_of: date, contract: Contract | None = None) -> PriceContext:
    """Raises catalog.customers.NoValidContract when no contract is in force."""
    chain_ids = [c.id for c in customer_chain(session, customer_id)]
    contract = contract or effective_contract(session, customer_id, as_of)
    return PriceContext(
        customer_id=customer_id,
        chain_ids=chain_ids,
        contract=contract,
        price_list=price_list_in_force(session, chain_ids, contract.currency, as_of),
        as_of=as_of,
        subassortment_owner=subassortment_owner(session, chain_ids),
    )


# --- SQL building blocks (the catalog listing joins these; see catalog/assortment.py) -------------


def price_joins(query, ctx: PriceContext):
    """Adds the special and contract price of each Item row: columns special_price.price and
    contract_price.price (NULL when there is none)."""
    special = aliased(SpecialItem, name="special_price")
    contract = aliased(ContractItem, name="contract_price")
    query = query.add_columns(col(special.price), col(contract.price))
    query = query.outerjoin(
        special, and_(col(special.customer_id) == ctx.customer_id, col(special.sku) == col(Item.sku))
    )
    return query.outerjoin(
        contract, and_(col(contract.contract_id) == ctx.contract.id, col(contract.sku) == col(Item.sku))
    )


def scope_conditions(ctx: PriceContext) -> list:
    """Conditions on Item rows for the items that can be in the customer's assortment at all:
    with a sub-assortment only its items; without one any item (its prices decide)."""
    if ctx.subassortment_owner is None:
        return []
    return [
        col(Item.sku).in_(
            select(col(SubAssortmentItem.sku)).where(col(SubAssortmentItem.customer_id) == ctx.subassortment_owner)
        )
    ]


def own_price_skus(ctx: PriceContext):
    """The SKUs with a price other than the list price: special, contract, price-list price."""
    selects = [
        select(col(SpecialItem.sku)).where(col(SpecialItem.customer_id) == ctx.customer_id),
        select(col(ContractItem.sku)).where(col(ContractItem.contract_id) == ctx.contract.id),
    ]
    if ctx.price_list is not None:
        selects.append(
            select(col(PriceListEntry.sku)).where(
                col(PriceListEntry.price_list_id) == ctx.price_list.id, col(PriceListEntry.price).is_not(None)
            )
        )
    return union(*selects)


def has_price(ctx: PriceContext, sku: Any, currency: Any):
    """For an item of the customer's sub-assortment (SKU and currency columns): it has a price, i.e.
    its list price is in the contract's currency (`Sources.assigned`) or it has a price of its own."""
    return or_(currency == ctx.currency, sku.in_(own_price_skus(ctx)))


class Branch(NamedTuple):
    column: Any  # the SKU column
    conditions: list  # may refer to Item when `joins_item`
    repeats: bool  # may yield a SKU more than once
    joins_item: bool = False


def assortment_branches(ctx: PriceContext) -> list[Branch]:
    """The sources of the customer's assortment. With a sub-assortment its items (those with a
    price, see `has_price`); else special items, contract items, and the price list's entries (an
    entry without a price only when the item's list price is in the contract's currency)."""
    if ctx.subassortment_owner is not None:
        return [
            Branch(
                col(SubAssortmentItem.sku),
                [
                    col(SubAssortmentItem.customer_id) == ctx.subassortment_owner,
                    has_price(ctx, col(SubAssortmentItem.sku), col(Item.currency)),
                ],
                False,
                True,
            )
        ]
    branches = [
        Branch(col(SpecialItem.sku), [col(SpecialItem.customer_id) == ctx.customer_id], False),
        Branch(col(ContractItem.sku), [col(ContractItem.contract_id) == ctx.contract.id], False),
    ]
    if ctx.price_list is not None:
        branches.append(
            Branch(
                col(PriceListEntry.sku),
                [
                    col(PriceListEntry.price_list_id) == ctx.price_list.id,
                    or_(col(PriceListEntry.price).is_not(None), col(Item.currency) == ctx.currency),
                ],
                True,
                True,
            )
        )
    return branches


def assortment_skus(ctx: PriceContext):
    """The SKUs the customer has a price for at some quantity (a subquery with column `sku`):
    exactly the items of `scope_conditions` for which `minimum_quantity` is not None."""
    selects = []
    for branch in assortment_branches(ctx):
        query = select(branch.column.label("sku"))
        if branch.joins_item:
            query = query.join(Item, col(Item.sku) == branch.column)
        selects.append(query.where(*branch.conditions))
    return (union(*selects) if len(selects) > 1 else selects[0]).subquery("assortment")


def breaks_for(session: Session, ctx: PriceContext, skus: list[str]) -> dict[str, tuple[Break, ...]]:
    """The price list's entries for these SKUs (no statement without a price list)."""
    if ctx.price_list is None or not skus:
        return {}
    rows = session.execute(
        select(col(PriceListEntry.sku), col(PriceListEntry.min_quantity), col(PriceListEntry.price))
        .where(col(PriceListEntry.price_list_id) == ctx.price_list.id, col(PriceListEntry.sku).in_(skus))
        .order_by(col(PriceListEntry.sku), col(PriceListEntry.min_quantity))
    ).all()
    found: dict[str, list[Break]] = {}
    for sku, min_quantity, price in rows:
        found.setdefault(sku, []).append(Break(int(min_quantity), None if price is None else Decimal(price)))
    return {sku: tuple(b) for sku, b in found.items()}


def sources_of(ctx: PriceContext, item: Item, special, contract, breaks: tuple[Break, ...]) -> Sources:
    """The item's prices; the caller read it under `scope_conditions` (with a sub-assortment, it
    is one of its items: assigned at its list price)."""
    return Sources(
        list_price=item.list_price if item.currency == ctx.currency else None,
        special=None if special is None else Decimal(special),
        contract=None if contract is None else Decimal(contract),
        breaks=breaks,
        assigned=ctx.subassortment_owner is not None,
    )


def item_sources(session: Session, ctx: PriceContext, skus: list[str]) -> dict[str, tuple[Item, Sources]]:
    """Every price source of these items for the customer; items outside the assortment are left
    out. Two statements: items with their agreed prices, the price list's entries."""
    if not skus:
        return {}
    rows = session.execute(
        price_joins(select(Item), ctx).where(col(Item.sku).in_(skus), SELLABLE, *scope_conditions(ctx))
    ).all()
    breaks = breaks_for(session, ctx, [row[0].sku for row in rows])
    found = {}
    for item, special, contract in rows:
        sources = sources_of(ctx, item, special, contract, breaks.get(item.sku, ()))
        if minimum_quantity(sources) is not None:
            found[item.sku] = (item, sources)
    return found


def unit_price(session: Session, customer_id: str, sku: str, quantity: int, as_of: date) -> Quote | None:
    """The unit price the customer pays for `quantity` of `sku` on `as_of`; None when the item
    is not in its assortment at that quantity. Raises NoValidContract without a contract in force."""
    ctx = context(session, customer_id, as_of)
    found = item_sources(session, ctx, [sku]).get(sku)
    return None if found is None else decide(found[1], quantity)


def with_surcharges(base: Decimal, surcharges) -> Decimal:
    """The unit price of a configured item: its price plus the surcharges its configuration incurs
    (catalog/configuration.py)."""
    return base + sum((Decimal(s.amount) for s in surcharges), Decimal("0.00"))
