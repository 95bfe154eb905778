"""A new framework contract with its items (onboarding, without SQL). What needs the database is
checked here (the customer and the SKUs exist, the id is free); the body's own fields by
models/contracts.py `ContractCreate`. The contract and each item are recorded in the audit trail of
commercial terms (customers/audit.py) in the same transaction, as edits are (contracts/terms.py)."""

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from catalog import quality
from catalog.tables import Item
from contracts.tables import Contract, ContractItem
from contracts.terms import check_discount
from core.database import session_scope
from core.errors import Conflict, Invalid
from customers import audit
from customers.tables import Customer
from models.contracts import ContractCreate


class ContractExists(Conflict):
    def __init__(self, contract_id: str):
        super().__init__(f"a contract {contract_id} exists already", field="contract_id")


def check(body: ContractCreate) -> None:
    """What the body alone breaks beyond its fields' own rules."""
    if body.valid_from > body.valid_to:
        raise Invalid("valid_from must not be after valid_to", field="valid_to")
    check_discount(body.payment_terms_days, body.discount_days, body.discount_percent, sent=body.model_fields_set)
    seen: dict[str, int] = {}
    for index, item in enumerate(body.items):
        if item.sku in seen:
            raise Invalid(f"{item.sku} is listed twice (also items[{seen[item.sku]}])", field=f"items[{index}].sku")
        seen[item.sku] = index


def create_contract(engine: Engine, body: ContractCreate, *, actor: str) -> None:
    check(body)
    try:
        _insert(engine, body, actor)
    except IntegrityError:
        # two creations of one id at once on PostgreSQL: the primary key refused the second
        with session_scope(engine) as session:
            if session.get(Contract, body.contract_id) is not None:
                raise ContractExists(body.contract_id) from None
        raise


def _insert(engine: Engine, body: ContractCreate, actor: str) -> None:
    with session_scope(engine, write_lock=True) as session:  # SQLite: one creation at a time
        if session.get(Contract, body.contract_id) is not None:
            raise ContractExists(body.contract_id)
        if session.get(Customer, body.customer_id) is None:
            raise Invalid(f"unknown customer {body.customer_id}", field="customer_id")
        skus = [item.sku for item in body.items]
        known = set(session.execute(select(col(Item.sku)).where(col(Item.sku).in_(skus))).scalars()) if skus else set()
        for index, item in enumerate(body.items):
            if item.sku not in known:
                raise Invalid(f"{item.sku} is not in the seller's catalog", field=f"items[{index}].sku")
        contract = Contract(
            id=body.contract_id,
            customer_id=body.customer_id,
            name=body.name,
            valid_from=body.valid_from,
            valid_to=body.valid_to,
            currency=body.currency,
            payment_terms_days=body.payment_terms_days,
            discount_days=body.discount_days,
            discount_percent=body.discount_percent,
            value_cap=body.value_cap,
            tolerance_percent=body.tolerance_percent,
            on_exceed=body.on_exceed,
        )
        session.add(contract)
        session.flush()  # the items refer to it
        audit.record(
            session,
            actor=actor,
            kind="contract.terms",
            customer_id=body.customer_id,
            contract_id=body.contract_id,
            before=None,
            after=audit.row(contract),
        )
        for terms in body.items:
            row = ContractItem(
                contract_id=body.contract_id,
                sku=terms.sku,
                price=terms.price,
                agreed_quantity=terms.agreed_quantity,
                value_cap=terms.value_cap,
            )
            session.add(row)
            audit.record(
                session,
                actor=actor,
                kind="contract.item",
                customer_id=body.customer_id,
                contract_id=body.contract_id,
                subject=terms.sku,
                before=None,
                after=audit.row(row),
            )
        session.flush()
        quality.recheck_views(session, body.customer_id)  # the customer's view gets the items
