"""Editing a customer's price lists (catalog managers, API and CLI): a list is put whole, with all
its entries (quantity breaks), or deleted. What a list means for prices: catalog/pricing.py.

Errors, the customer lock and the checks shared with the other kinds of rules: customers/rule_edits.py.
A put or delete is recorded with its actor in the audit trail (customers/audit.py) as kind "price_list":
the list with its entries before and after.
"""

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from catalog import quality
from catalog.tables import Item
from core.database import session_scope
from customers import audit
from customers.errors import InvalidRule, RuleConflict, RuleNotFound
from customers.rule_edits import check_key, check_text, customer
from customers.rule_tables import PriceList, PriceListEntry
from models.customer_rules import PriceListEntry as EntryModel
from models.customer_rules import PriceListIn, PriceListOut

LOOKUP_CHUNK = 1000  # SKUs per IN (...) look-up: well below SQLite's and PostgreSQL's parameter limits


def _out(session: Session, lists: list[PriceList]) -> list[PriceListOut]:
    found: dict[str, list[EntryModel]] = {pl.id: [] for pl in lists}
    if found:
        rows = session.execute(
            select(PriceListEntry)
            .where(col(PriceListEntry.price_list_id).in_(list(found)))
            .order_by(col(PriceListEntry.sku), col(PriceListEntry.min_quantity))
        ).scalars()
        for row in rows:
            found[row.price_list_id].append(EntryModel(sku=row.sku, min_quantity=row.min_quantity, price=row.price))
    return [
        PriceListOut(
            price_list_id=pl.id,
            customer_id=pl.customer_id,
            name=pl.name,
            currency=pl.currency,
            valid_from=pl.valid_from,
            valid_to=pl.valid_to,
            entries=found[pl.id],
        )
        for pl in lists
    ]


def price_lists(session: Session, customer_id: str) -> list[PriceListOut]:
    """The customer's own price lists (none: it uses the nearest parent's), oldest first."""
    customer(session, customer_id)
    lists = (
        session.execute(
            select(PriceList)
            .where(col(PriceList.customer_id) == customer_id)
            .order_by(col(PriceList.valid_from), col(PriceList.id))
        )
        .scalars()
        .all()
    )
    return _out(session, list(lists))


def _snapshot(session: Session, price_list: PriceList | None) -> dict | None:
    """The list with its entries as the audit trail keeps it."""
    if price_list is None:
        return None
    entries = session.execute(
        select(PriceListEntry)
        .where(col(PriceListEntry.price_list_id) == price_list.id)
        .order_by(col(PriceListEntry.sku), col(PriceListEntry.min_quantity))
    ).scalars()
    return {**(audit.row(price_list) or {}), "entries": [audit.row(e, exclude=("price_list_id",)) for e in entries]}


def _check_entries(session: Session, entries: list[EntryModel]) -> None:
    seen: set[tuple[str, int]] = set()
    for i, entry in enumerate(entries):
        check_text(entry.sku, f"entries[{i}].sku")
        if (entry.sku, entry.min_quantity) in seen:
            raise InvalidRule(
                f"a second price for {entry.sku} from {entry.min_quantity} pieces", f"entries[{i}].min_quantity"
            )
        seen.add((entry.sku, entry.min_quantity))
    skus = sorted({entry.sku for entry in entries})
    known: set[str] = set()
    for start in range(0, len(skus), LOOKUP_CHUNK):
        known.update(
            session.execute(
                select(col(Item.sku)).where(col(Item.sku).in_(skus[start : start + LOOKUP_CHUNK]))
            ).scalars()
        )
    for i, entry in enumerate(entries):
        if entry.sku not in known:
            raise InvalidRule(f"{entry.sku} is not in the seller's catalog", f"entries[{i}].sku")


def put_price_list(
    engine: Engine, customer_id: str, price_list_id: str, body: PriceListIn, *, actor: str
) -> PriceListOut:
    """Creates the customer's price list or replaces it with its entries."""
    check_key(price_list_id, "price_list_id")
    check_text(body.name, "name")
    if body.valid_to is not None and body.valid_from > body.valid_to:
        raise InvalidRule("valid_from must not be after valid_to", "valid_to")
    with session_scope(engine, write_lock=True) as session:
        customer(session, customer_id, lock=True)
        _check_entries(session, body.entries)
        existing = session.get(PriceList, price_list_id, with_for_update=True)
        if existing is not None and existing.customer_id != customer_id:
            raise RuleConflict(f"the price list id {price_list_id} is another customer's", "price_list_id")
        before = _snapshot(session, existing)
        session.execute(delete(PriceListEntry).where(col(PriceListEntry.price_list_id) == price_list_id))
        price_list = session.merge(
            PriceList(id=price_list_id, customer_id=customer_id, **body.model_dump(exclude={"entries"}))
        )
        try:
            session.flush()  # the list before its entries (foreign key)
        except IntegrityError as exc:
            # another customer's edit took the new id meanwhile (the customer's lock does not cover
            # that; PostgreSQL's unique index made this insert wait for it, then fail)
            raise RuleConflict(f"the price list id {price_list_id} is another customer's", "price_list_id") from exc
        session.add_all([PriceListEntry(price_list_id=price_list_id, **entry.model_dump()) for entry in body.entries])
        session.flush()
        audit.record(
            session,
            actor=actor,
            kind="price_list",
            customer_id=customer_id,
            subject=price_list_id,
            before=before,
            after=_snapshot(session, price_list),
        )
        quality.recheck_views(session, customer_id)  # its entries may bring items into views
        return _out(session, [price_list])[0]


def delete_price_list(engine: Engine, customer_id: str, price_list_id: str, *, actor: str) -> None:
    with session_scope(engine, write_lock=True) as session:
        customer(session, customer_id, lock=True)
        price_list = session.get(PriceList, price_list_id)
        if price_list is None or price_list.customer_id != customer_id:
            raise RuleNotFound(f"customer {customer_id} has no price list {price_list_id}")
        audit.record(
            session,
            actor=actor,
            kind="price_list",
            customer_id=customer_id,
            subject=price_list_id,
            before=_snapshot(session, price_list),
            after=None,
        )
        session.execute(delete(PriceListEntry).where(col(PriceListEntry.price_list_id) == price_list_id))
        session.delete(price_list)
