"""Customer part numbers: shown in the customer's catalog, searchable, carried onto order lines,
inherited by subsidiaries per item unless overridden; on SQLite and PostgreSQL."""

from datetime import date

from catalog import assortment
from catalog.views import customer_catalog
from contracts.in_force import effective_contract
from core.database import session_scope
from customers.part_numbers import part_numbers
from orders.validation import validate_order
from tests.catalog.data import BUYERS, SWITCH_CONFIG, add_buyer, add_customer, order
from tests.catalog.rules_data import add_part_numbers

TODAY = date(2026, 11, 27)
CONTRACT = (date(2025, 1, 1), date(2030, 12, 31))


def catalog_numbers(db, customer_id: str, **filters) -> dict[str, str | None]:
    with session_scope(db) as session:
        page = customer_catalog(session, customer_id, TODAY, **filters)
    return {item.sku: item.customer_part_number for item in page.items}


def test_demo_part_numbers_in_the_catalog_and_inherited_by_the_subsidiary(db):
    assert catalog_numbers(db, "acme") == {
        "CBL-CAT6-5M": "ACME-CBL-0005",
        "SVC-INSTALL-ONSITE": "ACME-SVC-0001",
        "SW-24-PRO": "ACME-NET-0024",
    }
    assert catalog_numbers(db, "acme-at") == {
        "CBL-CAT6-5M": "ACME-CBL-0005",
        "PWR-UPS-AT": "AT-USV-1500",
        "SVC-INSTALL-ONSITE": "ACME-SVC-0001",
        "SW-24-PRO": "ACME-NET-0024",
    }
    assert catalog_numbers(db, "globex") == {"CBL-CAT6-5M": None, "SW-24-PRO": None}


def test_subsidiary_overrides_single_part_numbers(db):
    parent, _ = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00", "SW-24-PRO": "1400.00"})
    child, _ = add_customer(db, parent_id=parent)
    grandchild, _ = add_customer(db, parent_id=child)
    add_part_numbers(db, parent, {"CBL-CAT6-5M": "P-CABLE", "SW-24-PRO": "P-SWITCH"})
    add_part_numbers(db, child, {"SW-24-PRO": "C-SWITCH"})
    assert catalog_numbers(db, parent) == {"CBL-CAT6-5M": "P-CABLE", "SW-24-PRO": "P-SWITCH"}
    assert catalog_numbers(db, child) == {"CBL-CAT6-5M": "P-CABLE", "SW-24-PRO": "C-SWITCH"}
    assert catalog_numbers(db, grandchild) == {"CBL-CAT6-5M": "P-CABLE", "SW-24-PRO": "C-SWITCH"}
    # the search finds the customer's own number, not the one it overrides
    assert catalog_numbers(db, grandchild, q="c-switch") == {"SW-24-PRO": "C-SWITCH"}
    assert catalog_numbers(db, grandchild, q="p-switch") == {}
    assert catalog_numbers(db, grandchild, q="p-cable") == {"CBL-CAT6-5M": "P-CABLE"}
    assert catalog_numbers(db, parent, q="p-switch") == {"SW-24-PRO": "P-SWITCH"}
    with session_scope(db) as session:
        assert part_numbers(session, [grandchild, child, parent], ["SW-24-PRO", "CBL-CAT6-5M", "PWR-UPS-AT"]) == {
            "SW-24-PRO": "C-SWITCH",
            "CBL-CAT6-5M": "P-CABLE",
        }


def test_the_catalog_search_finds_the_customers_part_number(db):
    assert catalog_numbers(db, "acme", q="acme-net") == {"SW-24-PRO": "ACME-NET-0024"}
    assert catalog_numbers(db, "acme-at", q="usv") == {"PWR-UPS-AT": "AT-USV-1500"}
    assert catalog_numbers(db, "globex", q="acme-net") == {}  # another customer's numbers are not searched
    with session_scope(db) as session:
        contract = effective_contract(session, "acme", TODAY)
        entries, total = assortment.search(session, "acme", contract, q="0005", category=None, limit=10, offset=0)
    assert total == 1 and [(e.item.sku, e.part_number) for e in entries] == [("CBL-CAT6-5M", "ACME-CBL-0005")]


def test_order_lines_carry_the_customers_part_number(db):
    with session_scope(db) as session:
        acme = validate_order(
            session, order(BUYERS["acme"], ("SW-24-PRO", 1, SWITCH_CONFIG), ("CBL-CAT6-5M", 2)), TODAY
        )
        austria = validate_order(session, order(BUYERS["acme-at"], ("PWR-UPS-AT", 1), ("CBL-CAT6-5M", 2)), TODAY)
        globex = validate_order(session, order(BUYERS["globex"], ("CBL-CAT6-5M", 2)), TODAY)
    assert [line.customer_part_number for line in acme.lines] == ["ACME-NET-0024", "ACME-CBL-0005"]
    assert [line.customer_part_number for line in austria.lines] == ["AT-USV-1500", "ACME-CBL-0005"]
    assert [line.customer_part_number for line in globex.lines] == [None]


def test_a_new_customer_part_number_shows_at_once(db):
    customer, _ = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    buyer = add_buyer(db, customer)
    assert catalog_numbers(db, customer) == {"CBL-CAT6-5M": None}
    add_part_numbers(db, customer, {"CBL-CAT6-5M": "MY-CABLE-1"})
    assert catalog_numbers(db, customer) == {"CBL-CAT6-5M": "MY-CABLE-1"}
    with session_scope(db) as session:
        v = validate_order(session, order(buyer, ("CBL-CAT6-5M", 1)), TODAY)
    assert v.lines[0].customer_part_number == "MY-CABLE-1"
