"""What a customer may order and at which price: the one place the catalog API, order validation,
the export and the quality rules' scope ask.

A customer's assortment (catalog/pricing.py decides it): when the customer or the nearest
ancestor has a sub-assortment (catalog/subassortments.py), exactly the sub-assortment's items of
the live catalog, at the customer's prices (special, contract, price list, else the list price in
the contract's currency); without one, every item it has a price for: the items of its framework
contract (its own, or else the nearest ancestor's in the customer tree), its special assortment
(whose prices win over the contract), and the items of its price list in force (including items
assigned there at their list price). Never items a published catalog version removed
(`Item.active` false, kept only while something refers to them), nor items the customer's
quality rules withheld (catalog/quality.py). Which of them a user may see and order is decided by
catalog/rights.py; the customer's part numbers come from customers/part_numbers.py.

The listing is one statement for the total and one for the page (items, agreed prices, part
numbers; the rights filter is SQL), plus one for the page's price-list entries when the customer
has a price list, and a few small look-ups per request (customer tree, contract, price list,
sub-assortment owner, role rules): no statement per item. A sub-assortment's items are read from
the materialised `subassortmentitem` rows, an index range on (owner, SKU).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select, union
from sqlmodel import Session, col

from catalog import pricing
from catalog.rights import SEE_AND_ORDER, Decision, Rights
from catalog.tables import Item
from catalog.view_tables import HiddenItem, SubAssortment
from contracts.tables import Contract
from core.calendar import utc_today
from customers.part_numbers import part_number_join, skus_matching


@dataclass(frozen=True)
class Entry:
    item: Item
    price: Decimal  # the unit price at the item's minimum quantity (usually 1)
    source: str  # "special", "contract", "price_list" or "list"
    sources: pricing.Sources | None = None  # every price the customer has for the item
    part_number: str | None = None  # the customer's own number for the item
    decision: Decision = SEE_AND_ORDER  # what the user may do with it
    min_quantity: int = 1


def _entry(
    ctx: pricing.PriceContext,
    rights: Rights | None,
    item: Item,
    special,
    contract,
    part_number: str | None,
    breaks: dict,
) -> Entry | None:
    sources = pricing.sources_of(ctx, item, special, contract, breaks.get(item.sku, ()))
    minimum = pricing.minimum_quantity(sources)
    if minimum is None:
        return None
    quote = pricing.decide(sources, minimum)
    assert quote is not None  # the minimum quantity is one the item is sold at
    decision = rights.decide(item.sku, item.category) if rights is not None else SEE_AND_ORDER
    return Entry(item, quote.unit_price, quote.source, sources, part_number, decision, minimum)


def _priced_rows(query, ctx: pricing.PriceContext):
    query = pricing.price_joins(query, ctx)
    query, part_number = part_number_join(query, ctx.chain_ids)
    return query.add_columns(part_number) if part_number is not None else query


def not_withheld(customer_id: str):
    """Items the customer's quality rules withheld at the last publish are not in its view."""
    return col(Item.sku).not_in(select(col(HiddenItem.sku)).where(col(HiddenItem.customer_id) == customer_id))


def _rows(session: Session, query) -> list[tuple]:
    """(item, special price, contract price, part number) per row."""
    return [(*row, None) if len(row) == 3 else tuple(row) for row in session.execute(query).all()]


def entries(
    session: Session,
    customer_id: str,
    contract: Contract,
    skus: list[str],
    *,
    as_of: date | None = None,
    rights: Rights | None = None,
    ctx: pricing.PriceContext | None = None,
) -> dict[str, Entry]:
    """The assortment entries for the given SKUs (missing SKUs are not in the assortment).
    Entries the user may not see are included, with their `decision`: the caller decides what
    to tell (the API: 404; validation: the reason)."""
    ctx = ctx or pricing.context(session, customer_id, as_of or utc_today(), contract)
    if not skus:
        return {}
    rows = _rows(
        session,
        _priced_rows(select(Item), ctx).where(
            col(Item.sku).in_(skus), pricing.SELLABLE, not_withheld(customer_id), *pricing.scope_conditions(ctx)
        ),
    )
    breaks = pricing.breaks_for(session, ctx, [row[0].sku for row in rows])
    found = {}
    for item, special, contract_price, part_number in rows:
        entry = _entry(ctx, rights, item, special, contract_price, part_number, breaks)
        if entry is not None:
            found[item.sku] = entry
    return found


def not_in_assortment(session: Session, ctx: pricing.PriceContext, sku: str) -> str:
    """Why `sku` is not among `entries`, in the buyer's words."""
    if ctx.subassortment_owner is None:
        return f"{sku} is not in your contract assortment"
    sub = session.get(SubAssortment, ctx.subassortment_owner)
    name = (sub.name if sub is not None else "") or ctx.subassortment_owner
    return f'{sku} is not in your assortment (your catalog is the sub-assortment "{name}")'


def member_skus(ctx: pricing.PriceContext, *, withheld: bool = False):
    """The SKUs of the customer's assortment (a select of `Item.sku`): live items with a price, less
    the items its quality rules withheld (unless `withheld`)."""
    members = pricing.assortment_skus(ctx)
    query = select(col(Item.sku)).join(members, members.c.sku == col(Item.sku)).where(pricing.SELLABLE)
    return query if withheld else query.where(not_withheld(ctx.customer_id))


def all_entries(session: Session, ctx: pricing.PriceContext, *, batch: int = 500) -> Iterator[list[Entry]]:
    """The customer's whole assortment in SKU order, a batch at a time (for the export): one
    statement for a batch's SKUs, one or two for their prices."""
    last = ""
    while True:
        skus = list(
            session.execute(member_skus(ctx).where(col(Item.sku) > last).order_by(col(Item.sku)).limit(batch)).scalars()
        )
        if not skus:
            return
        found = entries(session, ctx.customer_id, ctx.contract, skus, ctx=ctx)
        yield [found[sku] for sku in skus if sku in found]
        last = skus[-1]


def like_pattern(q: str) -> str:
    # the buyer's text is matched literally: % and _ are not wildcards here
    literal_q = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{literal_q}%"


def search(
    session: Session,
    customer_id: str,
    contract: Contract,
    *,
    q: str | None,
    category: str | None,
    limit: int,
    offset: int,
    as_of: date | None = None,
    rights: Rights | None = None,
    ctx: pricing.PriceContext | None = None,
) -> tuple[list[Entry], int]:
    """One page of the assortment the user may see, ordered by SKU, and the number of matching
    entries. The text matches SKU, name, description and the customer's part number."""
    ctx = ctx or pricing.context(session, customer_id, as_of or utc_today(), contract)
    visible = rights.visible_clause(session) if rights is not None else None

    def matching(query):
        """The query (which has Item) narrowed to what the user may see and searches for."""
        query = query.where(pricing.SELLABLE, not_withheld(customer_id))
        if q:
            pattern = like_pattern(q)
            query = query.where(
                or_(
                    *(
                        func.lower(text).like(pattern, escape="\\")
                        for text in (col(Item.name), col(Item.sku), col(Item.description))
                    ),
                    col(Item.sku).in_(skus_matching(ctx.chain_ids, pattern)),
                )
            )
        if category:
            query = query.where(col(Item.category) == category)
        return query if visible is None else query.where(visible)

    members = pricing.assortment_skus(ctx)
    total = session.execute(
        select(func.count()).select_from(
            matching(select(col(Item.sku)).join(members, members.c.sku == col(Item.sku))).subquery()
        )
    ).scalar_one()

    # The page: each source of the assortment yields its first offset + limit matching SKUs in SKU
    # order (an index range scan that stops early), the union of those holds the page.
    first = []
    for column, conditions, repeats, _ in pricing.assortment_branches(ctx):
        branch = matching(select(column.label("sku")).join(Item, col(Item.sku) == column).where(*conditions))
        branch = (branch.distinct() if repeats else branch).order_by(column).limit(offset + limit)
        first.append(select(branch.subquery().c.sku))
    candidates = (union(*first) if len(first) > 1 else first[0]).subquery("candidates")
    page_skus = select(candidates.c.sku).order_by(candidates.c.sku).limit(limit).offset(offset).subquery("page")
    rows = _rows(
        session,
        _priced_rows(select(Item).join(page_skus, page_skus.c.sku == col(Item.sku)), ctx).order_by(col(Item.sku)),
    )
    breaks = pricing.breaks_for(session, ctx, [row[0].sku for row in rows])
    page = [
        _entry(ctx, rights, item, special, contract_price, number, breaks)
        for item, special, contract_price, number in rows
    ]
    return [entry for entry in page if entry is not None], int(total)
