"""Creating and editing customers (the seller's administrators): a new id is free, a parent exists
and the tree stays a tree (no customer becomes its own ancestor). The field checks that need no
database are models/customers.py's. Every change is recorded in the audit trail (kind `customer`)
in its own transaction, without the invoice webhook's signing secret.

The customer's invoice webhook (invoicing/delivery.py sends to it) gets a Standard Webhooks signing
secret when its URL is first set; the answer carries it that once (as delivery units' do,
partners/onboarding.py). Clearing the URL drops the secret: a later URL gets a fresh one.

A dunning schedule is kept as invoicing reads it (invoicing/dunning.py `checked`, `schedule_of`);
none is the seller's default."""

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlmodel import Session, col

from catalog import quality
from core.errors import Conflict, Invalid
from core.outbound import refusal_when_saved
from customers import audit
from customers.errors import CustomerNotFound
from customers.tables import Customer
from customers.tree import customer_chain
from invoicing import dunning
from models.customers import CustomerIn, CustomerPatch
from models.invoices import DunningLevel
from partners.onboarding import new_secret

# body field -> column; the address is flattened into the customer's row
ADDRESS_COLUMNS = {"street": "street", "postal_code": "postal_code", "city": "city", "country": "address_country"}
REQUIRED = ("name", "country", "invoicing_policy")
NOT_AUDITED = ("invoice_webhook_secret",)  # a secret has no place in a trail many people read


class Onboarded(NamedTuple):
    customer: Customer
    webhook_secret: str | None  # a new signing secret, to be answered this once


def _audit_row(customer: Customer) -> dict[str, Any] | None:
    return audit.row(customer, exclude=NOT_AUDITED)


def _set_webhook(customer: Customer, url: object) -> str | None:
    """Sets (or with None clears) the invoice webhook; the new secret when the URL is first set."""
    if url is None:
        customer.invoice_webhook_url = customer.invoice_webhook_secret = None
        return None
    problem = refusal_when_saved(str(url))  # where it leads is checked again when it is used
    if problem:
        raise Invalid(problem, field="invoice_webhook_url")
    customer.invoice_webhook_url = str(url)
    if customer.invoice_webhook_secret:
        return None  # the customer's system keeps verifying with the secret it has
    customer.invoice_webhook_secret = new_secret()
    return customer.invoice_webhook_secret


def _schedule(levels: Sequence[DunningLevel] | None) -> list[dict[str, Any]] | None:
    """The schedule as stored (JSON); refuses levels out of order (Invalid, `dunning_schedule`)."""
    if levels is None:
        return None
    try:
        return [level.model_dump(mode="json") for level in dunning.checked(levels)]
    except dunning.InvalidSchedule as exc:
        raise Invalid(str(exc), field="dunning_schedule") from None


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


def create_customer(session: Session, body: CustomerIn, *, actor: str) -> Onboarded:
    """Refuses a taken id (Conflict), an unknown parent (Invalid, `parent_id`), a webhook URL that
    can never be a target (Invalid, `invoice_webhook_url`) and a dunning schedule out of order
    (Invalid, `dunning_schedule`)."""
    if session.get(Customer, body.customer_id) is not None:
        raise Conflict(f"customer {body.customer_id} exists already", field="customer_id")
    _check_parent(session, body.customer_id, body.parent_id)
    customer = Customer(id=body.customer_id, name=body.name, parent_id=body.parent_id, country=body.country)
    values = body.model_dump(exclude={"customer_id", "name", "parent_id", "country"}, exclude_unset=True)
    if "dunning_schedule" in values:
        values["dunning_schedule"] = _schedule(body.dunning_schedule)
    secret = _set_webhook(customer, values.pop("invoice_webhook_url", None))
    _set(customer, values)
    session.add(customer)
    session.flush()
    audit.record(
        session, actor=actor, kind="customer", customer_id=customer.id, before=None, after=_audit_row(customer)
    )
    if customer.parent_id is not None:  # it inherits the parent's contract and price lists: its view
        quality.recheck_views(session, customer.id)
    return Onboarded(customer, secret)


def update_customer(session: Session, customer_id: str, patch: CustomerPatch, *, actor: str) -> Onboarded:
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
    if "dunning_schedule" in sent:
        sent["dunning_schedule"] = _schedule(patch.dunning_schedule)
    before = _audit_row(customer)
    if "address" in sent:  # merged field by field; null clears it all
        address = patch.address
        sent["address"] = None if address is None else address.model_dump(include=address.model_fields_set)
    secret = _set_webhook(customer, sent.pop("invoice_webhook_url")) if "invoice_webhook_url" in sent else None
    _set(customer, sent)
    session.add(customer)
    session.flush()
    audit.record(
        session, actor=actor, kind="customer", customer_id=customer_id, before=before, after=_audit_row(customer)
    )
    if "parent_id" in sent and before is not None and before["parent_id"] != customer.parent_id:
        quality.recheck_views(session, customer_id)  # what it inherits changed, for its subsidiaries too
    return Onboarded(customer, secret)


def _set(customer: Customer, values: dict[str, Any]) -> None:
    for name, value in values.items():
        if name == "address":
            value = value if value is not None else dict.fromkeys(ADDRESS_COLUMNS)
            for field, column in ADDRESS_COLUMNS.items():
                if field in value:
                    setattr(customer, column, value[field])
        else:
            setattr(customer, name, value)
