"""Test customers, contracts and buyers, each with fresh ids so tests on a shared database do not
see each other's rows."""

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import Engine

from accounts.tables import User
from contracts.tables import Contract, ContractItem
from core.database import session_scope
from customers.rule_tables import SpecialItem
from customers.tables import Customer
from models.actors import Actor
from models.orders import OrderLineRequest, OrderPlacement
from tests.workflows.helpers import POLICY


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def add_customer(
    engine: Engine,
    *,
    parent_id: str | None = None,
    contract: tuple[date, date] | None = None,
    prices: dict[str, str] | None = None,
    special: dict[str, str] | None = None,
) -> tuple[str, str | None]:
    """A customer, optionally with a contract valid (from, to) over `prices`; returns its id and
    the contract's id."""
    customer_id, contract_id = new_id("cust"), None
    with session_scope(engine) as session:
        session.add(Customer(id=customer_id, name=f"Test customer {customer_id}", parent_id=parent_id))
        session.flush()
        if contract is not None:
            contract_id = new_id("FC")
            session.add(
                Contract(
                    id=contract_id,
                    customer_id=customer_id,
                    name=f"Contract {contract_id}",
                    valid_from=contract[0],
                    valid_to=contract[1],
                    payment_terms_days=21,
                )
            )
            session.flush()
            for sku, price in (prices or {}).items():
                session.add(ContractItem(contract_id=contract_id, sku=sku, price=Decimal(price)))
        for sku, price in (special or {}).items():
            session.add(SpecialItem(customer_id=customer_id, sku=sku, price=Decimal(price)))
    return customer_id, contract_id


def add_buyer(engine: Engine, customer_id: str, order_limit: str | None = None) -> Actor:
    email = f"{new_id('buyer')}@test.example"
    with session_scope(engine) as session:
        session.add(
            User(
                email=email,
                name="Test buyer",
                password_hash="-",
                customer_id=customer_id,
                roles=["buyer"],
                order_limit=None if order_limit is None else Decimal(order_limit),
            )
        )
    return Actor(id=email, roles=["buyer"], customer_id=customer_id)


def order(buyer: Actor, *lines: tuple) -> OrderPlacement:
    """lines: (sku, quantity) or (sku, quantity, configuration)."""
    return OrderPlacement(
        order_id=new_id("O"),
        seller_id="seller",
        buyer=buyer,
        policy=POLICY,
        lines=[
            OrderLineRequest(sku=line[0], quantity=line[1], configuration=line[2] if len(line) > 2 else {})
            for line in lines
        ],
    )


BUYERS = {
    "acme": Actor(id="buyer@acme.example", roles=["buyer"], customer_id="acme"),
    "acme-at": Actor(id="buyer@acme-at.example", roles=["buyer"], customer_id="acme-at"),
    "globex": Actor(id="buyer@globex.example", roles=["buyer"], customer_id="globex"),
}
SWITCH_CONFIG = {"hw_version": "B2", "sw_version": "7.2"}
