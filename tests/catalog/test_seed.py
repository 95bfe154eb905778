"""The demo data loads idempotently: a second load changes nothing."""

from decimal import Decimal

from sqlalchemy import func, select

from accounts.tables import User
from catalog.tables import Item
from contracts.tables import Contract, ContractItem
from core.database import session_scope
from customers.rule_tables import SpecialItem
from customers.tables import Customer
from demo.seed import CONTRACT_ITEMS, CUSTOMERS, ITEMS, USERS, load_demo_data
from partners.tables import DeliveryUnit

TABLES = [Customer, Item, Contract, ContractItem, SpecialItem, DeliveryUnit, User]


def snapshot(db) -> dict:
    with session_scope(db) as session:
        counts = {t.__name__: session.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}
        hashes = {u.email: u.password_hash for u in session.execute(select(User)).scalars()}
        prices = {(c.contract_id, c.sku): c.price for c in session.execute(select(ContractItem)).scalars()}
    return {"counts": counts, "hashes": hashes, "prices": prices}


def test_loading_the_demo_data_twice_changes_nothing(db):
    before = snapshot(db)
    load_demo_data(db)
    load_demo_data(db)
    after = snapshot(db)
    assert after == before
    with session_scope(db) as session:
        for model in CUSTOMERS:
            assert session.get(Customer, model.id) is not None
        assert {i.sku for i in ITEMS} <= set(session.execute(select(Item.sku)).scalars())
        assert session.get(ContractItem, ("ACME-FC-2026", "SW-24-PRO")).price == Decimal("1450.00")
        for email, *_ in USERS:
            assert session.get(User, email).active


def test_reloading_restores_changed_demo_rows(db):
    with session_scope(db) as session:
        session.get(ContractItem, ("GLOBEX-FC-2026", "CBL-CAT6-5M")).price = Decimal("9.99")
        session.get(User, "buyer@globex.example").roles = ["buyer", "approver"]
    load_demo_data(db)
    with session_scope(db) as session:
        assert session.get(ContractItem, ("GLOBEX-FC-2026", "CBL-CAT6-5M")).price == next(
            c.price for c in CONTRACT_ITEMS if (c.contract_id, c.sku) == ("GLOBEX-FC-2026", "CBL-CAT6-5M")
        )
        assert session.get(User, "buyer@globex.example").roles == ["buyer"]
