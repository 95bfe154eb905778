"""Creating and editing customers (the seller's administrators): a new id is free, a parent exists
and the tree stays a tree (no customer becomes its own ancestor). The field checks that need no
database are models/customers.py's. Every change is recorded in the audit trail (kind `customer`)
in its own transaction."""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from catalog import quality
from core.errors import Conflict, Invalid
from customers import audit
from customers.errors import CustomerNotFound
from customers.tables import Customer
from customers.tree import customer_chain
from models.customers import CustomerIn, CustomerPatch

# body field -> column; the address is flattened into the customer's row
ADDRESS_COLUMNS = {"street": "street", "postal_code": "postal_code", "city": "city", "country": "address_country"}
REQUIRED = ("name", "country")


def _check_parent(session: Session, customer_id: str, parent_id: str | None) -> None:
    """The parent exists, and is neither the customer nor one of its subsidiaries (a cycle)."""
    if parent_id is None:
        return
    chain = [c.id for c in customer_chain(session, parent_id)]
    if not chain:
        raise Invalid(f"there is no customer {parent_id} to be the parent", field="parent_id")
    if customer_id in chain:
        raise Invalid(
            f"{parent_id} cannot be the parent of {customer_id}: {customer_id} is "
            + ("itself" if parent_id == customer_id else f"above it ({' → '.join(reversed(chain))})"),
            field="parent_id",
        )


def create_customer(session: Session, body: CustomerIn, *, actor: str) -> Customer:
    """Refuses a taken id (Conflict) and an unknown parent (Invalid, `parent_id`)."""
    if session.get(Customer, body.customer_id) is not None:
        raise Conflict(f"customer {body.customer_id} exists already", field="customer_id")
    _check_parent(session, body.customer_id, body.parent_id)
    customer = Customer(id=body.customer_id, name=body.name, parent_id=body.parent_id, country=body.country)
    _set(customer, body.model_dump(exclude={"customer_id", "name", "parent_id", "country"}, exclude_unset=True))
    session.add(customer)
    session.flush()
    audit.record(session, actor=actor, kind="customer", customer_id=customer.id, before=None, after=audit.row(customer))
    if customer.parent_id is not None:  # it inherits the parent's contract and price lists: its view
        quality.recheck_views(session, customer.id)
    return customer


def update_customer(session: Session, customer_id: str, patch: CustomerPatch, *, actor: str) -> Customer:
    """Only the fields sent change; `null` clears an optional one (a required one: Invalid)."""
    if "parent_id" in patch.model_fields_set:
        # a new parent: the tree is locked first (all customers, in one order; parents change
        # rarely), so that A under B and B under A at the same moment cannot both pass the cycle
        # check (PostgreSQL; SQLite's write lock serialises writers anyway)
        session.execute(select(col(Customer.id)).order_by(col(Customer.id)).with_for_update()).all()
    customer = session.get(Customer, customer_id, with_for_update=True)
    if customer is None:
        raise CustomerNotFound(customer_id)
    sent = patch.model_dump(include=patch.model_fields_set)
    for name in REQUIRED:
        if name in sent and sent[name] is None:
            raise Invalid(f"{name} cannot be removed, only changed", field=name)
    if "parent_id" in sent:
        _check_parent(session, customer_id, sent["parent_id"])
    before = audit.row(customer)
    if "address" in sent:  # merged field by field; null clears it all
        address = patch.address
        sent["address"] = None if address is None else address.model_dump(include=address.model_fields_set)
    _set(customer, sent)
    session.add(customer)
    session.flush()
    audit.record(
        session, actor=actor, kind="customer", customer_id=customer_id, before=before, after=audit.row(customer)
    )
    if "parent_id" in sent and before is not None and before["parent_id"] != customer.parent_id:
        quality.recheck_views(session, customer_id)  # what it inherits changed, for its subsidiaries too
    return customer


def _set(customer: Customer, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "address":
            value = value if value is not None else dict.fromkeys(ADDRESS_COLUMNS)
            for field, column in ADDRESS_COLUMNS.items():
                if field in value:
                    setattr(customer, column, value[field])
        else:
            setattr(customer, name, value)
