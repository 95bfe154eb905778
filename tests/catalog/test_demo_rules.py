"""The demo catalog rules (demo/catalog_rules.py) load idempotently and restore changed rows."""

from decimal import Decimal

from sqlalchemy import func, select

from accounts.tables import User
from core.database import session_scope
from customers.rule_tables import AssortmentRule, CustomerPartNumber, PriceList, PriceListEntry, RoleLimit
from demo.catalog_rules import load_catalog_rules

TABLES = [PriceList, PriceListEntry, CustomerPartNumber, AssortmentRule, RoleLimit, User]


def snapshot(db) -> dict:
    with session_scope(db) as session:
        counts = {t.__name__: session.execute(select(func.count()).select_from(t)).scalar_one() for t in TABLES}
        tech = session.get(User, "tech@acme.example")
        entry = session.get(PriceListEntry, ("ACME-PL-2026", "CBL-CAT6-5M", 100))
        return {"counts": counts, "tech": (tech.password_hash, tech.roles, tech.order_limit), "price": entry.price}


def test_loading_the_demo_rules_twice_changes_nothing(db):
    before = snapshot(db)
    load_catalog_rules(db)
    load_catalog_rules(db)
    assert snapshot(db) == before
    assert before["tech"][1:] == (["buyer", "technician"], Decimal("1000.00"))
    assert before["price"] == Decimal("3.90")


def test_reloading_restores_changed_demo_rules(db):
    with session_scope(db) as session:
        session.get(PriceListEntry, ("ACME-PL-2026", "CBL-CAT6-5M", 100)).price = Decimal("1.00")
        session.get(AssortmentRule, ("acme", "technician", "category", "services")).may_order = True
        session.get(User, "tech@acme.example").roles = ["buyer"]
    load_catalog_rules(db)
    with session_scope(db) as session:
        assert session.get(PriceListEntry, ("ACME-PL-2026", "CBL-CAT6-5M", 100)).price == Decimal("3.90")
        assert session.get(AssortmentRule, ("acme", "technician", "category", "services")).may_order is False
        assert session.get(User, "tech@acme.example").roles == ["buyer", "technician"]
