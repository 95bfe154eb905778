"""Items a customer's quality rules withheld are not in that customer's view, nor orderable by it."""

from datetime import date

import pytest

from catalog import assortment
from catalog.versions.store import live_version
from catalog.view_tables import HiddenItem
from contracts.in_force import effective_contract
from core.database import session_scope
from orders.validation import OrderRejected, validate_order
from tests.workflows.helpers import BUYER, CABLES, GLOBEX_BUYER, placement

TODAY = date(2026, 11, 27)


def test_withheld_item_leaves_the_customers_view_and_validation(db):
    with session_scope(db) as session:
        session.add(
            HiddenItem(
                customer_id="acme",
                sku="CBL-CAT6-5M",
                version_id=live_version(session) or 1,
                failures=[{"rule": "image", "message": "no image"}],
            )
        )
    try:
        with session_scope(db) as session:
            contract = effective_contract(session, "acme", TODAY)
            page, _total = assortment.search(session, "acme", contract, q=None, category=None, limit=50, offset=0)
            assert "CBL-CAT6-5M" not in [e.item.sku for e in page]
            assert "CBL-CAT6-5M" not in assortment.entries(session, "acme", contract, ["CBL-CAT6-5M"])
            with pytest.raises(OrderRejected) as rejected:
                validate_order(session, placement(CABLES), TODAY)
            assert rejected.value.field == "lines[0].sku"
            # other customers still see it
            globex = effective_contract(session, "globex", TODAY)
            assert "CBL-CAT6-5M" in assortment.entries(session, "globex", globex, ["CBL-CAT6-5M"])
            assert validate_order(session, placement(CABLES, buyer=GLOBEX_BUYER), TODAY).lines[0].sku == "CBL-CAT6-5M"
    finally:
        with session_scope(db) as session:
            session.delete(session.get(HiddenItem, ("acme", "CBL-CAT6-5M")))


def test_orders_record_the_catalog_version_they_were_validated_against(db):
    with session_scope(db) as session:
        version = live_version(session)
        validated = validate_order(session, placement(CABLES, buyer=BUYER), TODAY)
    assert version is not None and validated.catalog_version == version
