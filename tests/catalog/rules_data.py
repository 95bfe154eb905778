"""Test price lists, part numbers, role rules and users for fresh customers (see tests/catalog/data.py),
so tests on a shared database do not see each other's rows."""

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine

from accounts.tables import User
from core.database import session_scope
from customers.rule_tables import (
    ALL,
    CATEGORY,
    SKU,
    AssortmentRule,
    CustomerPartNumber,
    PriceList,
    PriceListEntry,
    RoleLimit,
)
from models.actors import Actor
from tests.catalog.data import new_id

OPEN = (date(2020, 1, 1), None)


def add_price_list(
    engine: Engine,
    customer_id: str,
    entries: dict[str, dict[int, str | None]],
    *,
    valid: tuple[date, date | None] = OPEN,
    currency: str = "EUR",
) -> str:
    """entries: sku -> {min quantity: price or None (list price)}; returns the price list's id."""
    price_list_id = new_id("PL")
    with session_scope(engine) as session:
        session.add(
            PriceList(
                id=price_list_id,
                customer_id=customer_id,
                name=f"Prices {price_list_id}",
                currency=currency,
                valid_from=valid[0],
                valid_to=valid[1],
            )
        )
        session.flush()
        for sku, breaks in entries.items():
            for min_quantity, price in breaks.items():
                session.add(
                    PriceListEntry(
                        price_list_id=price_list_id,
                        sku=sku,
                        min_quantity=min_quantity,
                        price=None if price is None else Decimal(price),
                    )
                )
    return price_list_id


def add_part_numbers(engine: Engine, customer_id: str, numbers: dict[str, str]) -> None:
    with session_scope(engine) as session:
        for sku, number in numbers.items():
            session.add(CustomerPartNumber(customer_id=customer_id, sku=sku, part_number=number))


def rule(
    customer_id: str,
    role: str,
    *,
    sku: str | None = None,
    category: str | None = None,
    see: bool = True,
    order: bool = True,
) -> AssortmentRule:
    scope, target = (SKU, sku) if sku else (CATEGORY, category) if category else (ALL, "")
    return AssortmentRule(customer_id=customer_id, role=role, scope=scope, target=target, may_see=see, may_order=order)


def add_rules(engine: Engine, *rules: AssortmentRule) -> None:
    with session_scope(engine) as session:
        for r in rules:
            session.add(r)


def add_role_limit(
    engine: Engine, customer_id: str, role: str, order_limit: str | None = None, monthly_limit: str | None = None
) -> None:
    with session_scope(engine) as session:
        session.add(
            RoleLimit(
                customer_id=customer_id,
                role=role,
                order_limit=None if order_limit is None else Decimal(order_limit),
                monthly_limit=None if monthly_limit is None else Decimal(monthly_limit),
            )
        )


def add_user(
    engine: Engine,
    customer_id: str,
    roles: list[str],
    *,
    order_limit: str | None = None,
    monthly_limit: str | None = None,
    password_hash: str = "-",
) -> Actor:
    email = f"{new_id('user')}@test.example"
    with session_scope(engine) as session:
        session.add(
            User(
                email=email,
                name="Test user",
                password_hash=password_hash,
                customer_id=customer_id,
                roles=roles,
                order_limit=None if order_limit is None else Decimal(order_limit),
                monthly_limit=None if monthly_limit is None else Decimal(monthly_limit),
            )
        )
    return Actor(id=email, roles=roles, customer_id=customer_id)
