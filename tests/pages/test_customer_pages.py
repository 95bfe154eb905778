"""The read-only customer pages: who sees which customers (the API's rule), one customer's rules and
whose it inherits, the audit trail for the seller's catalog managers only, and escaping. These tests
share the database with the API tests: the one customer they create (with its price list, part
number and audit entries) is removed again."""

import re

import pytest
from sqlalchemy import delete

from customers.audit_tables import CatalogChange
from customers.tables import Customer
from tests.pages.test_contract_and_catalog_pages import in_db

MANAGER = "catalog@seller.example"
TEST_CUSTOMER = "pages-test-customer"
EVIL = "<script>alert(1)</script>"


def row(html: str, attribute: str, value: str) -> str:
    match = re.search(rf'<tr {attribute}="{re.escape(value)}">(.*?)</tr>', html, re.S)
    assert match, f"no row {attribute}={value!r} on the page"
    return match.group(1)


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section class="card" id="{section_id}">(.*?)</section>', html, re.S)
    assert match, f"no section {section_id!r} on the page"
    return match.group(1)


def fact(html: str, dd_id: str) -> str:
    match = re.search(rf'<dd id="{dd_id}">(.*?)</dd>', html, re.S)
    assert match, f"no fact {dd_id!r} on the page"
    return match.group(1)


async def test_a_buyer_sees_the_own_tree_and_its_rules(signed_in):
    buyer = await signed_in("buyer@acme.example")
    r = await buyer.get("/customers")
    assert r.status_code == 200
    assert 'href="/customers"' in r.text  # the nav
    assert 'data-customer="acme"' in r.text and 'data-customer="acme-at"' in r.text
    assert "globex" not in r.text
    assert r.text.index('data-customer="acme"') < r.text.index('data-customer="acme-at"')
    assert "└" in row(r.text, "data-customer", "acme-at") and "└" not in row(r.text, "data-customer", "acme")
    assert 'href="/customers/acme-at"' in r.text and "order2cash customers ..." in r.text
    r = await buyer.get("/customers/globex")
    assert r.status_code == 404 and "customer globex not found" in r.text

    r = await buyer.get("/customers/acme")
    assert r.status_code == 200
    assert 'href="/customers/acme-at"' in fact(r.text, "subsidiaries")
    assert re.search(r'<dd id="contract"><a href="/contracts/ACME-FC-2026">ACME-FC-2026</a>', r.text)
    prices = section(r.text, "price-lists")
    assert 'data-price-list="ACME-PL-2026"' in prices and "ACME volume prices" in prices
    cable = row(prices, "data-sku", "CBL-CAT6-5M")
    assert '<td class="num">100</td>' in cable and "3.90 EUR" in cable
    technician = row(section(r.text, "role-rules"), "data-role", "technician")
    assert "services" in technician and "category" in technician
    assert '<td class="may-see">yes</td>' in technician and '<td class="may-order">no</td>' in technician
    assert "3000.00" in row(section(r.text, "role-limits"), "data-role", "technician")
    assert "ACME-NET-0024" in row(section(r.text, "part-numbers"), "data-sku", "SW-24-PRO")
    assert "Recent changes" not in r.text and 'id="changes"' not in r.text  # the audit trail is the seller's

    r = await buyer.get("/customers/acme-at")  # the subsidiary inherits; its own part number and special item
    assert r.status_code == 200
    assert "Uses <a" in section(r.text, "price-lists") and ">acme</a>’s price lists" in section(r.text, "price-lists")
    assert ">acme</a>’s role rules" in section(r.text, "role-rules")
    assert "AT-USV-1500" in section(r.text, "part-numbers")
    assert "589.00" in row(section(r.text, "special-items"), "data-sku", "PWR-UPS-AT")
    assert 'href="/customers/acme"' in fact(r.text, "parents")


async def test_a_subsidiary_buyer_sees_its_parent_but_not_its_siblings_or_special_items(signed_in):
    buyer = await signed_in("buyer@acme-at.example")
    r = await buyer.get("/customers")
    assert r.status_code == 200 and 'data-customer="acme"' in r.text and "globex" not in r.text
    r = await buyer.get("/customers/acme")
    assert r.status_code == 200 and "ACME-PL-2026" in r.text
    assert 'id="special-items"' not in r.text  # a parent's special prices are its own agreement
    for odd in ("acme%00", "a" * 65):
        assert (await buyer.get(f"/customers/{odd}")).status_code == 404


async def test_a_delivery_unit_has_no_customers(signed_in):
    unit = await signed_in("ops@warehouse.example")
    assert 'href="/customers"' not in (await unit.get("/")).text
    for path in ("/customers", "/customers/acme"):
        r = await unit.get(path)
        assert r.status_code == 403 and "Delivery units have no customers" in r.text


@pytest.fixture
def test_customer(api_settings):
    """A customer of this test only (its name needs escaping); removed with its audit entries."""
    in_db(api_settings, lambda s: s.add(Customer(id=TEST_CUSTOMER, name=f"{EVIL} Ltd", country="DE")))
    yield TEST_CUSTOMER

    def remove(session):
        session.execute(delete(CatalogChange).where(CatalogChange.customer_id == TEST_CUSTOMER))
        session.execute(delete(Customer).where(Customer.id == TEST_CUSTOMER))

    in_db(api_settings, remove)


async def test_the_catalog_manager_sees_recent_changes_and_names_are_escaped(signed_in, http, login, test_customer):
    headers = await login(MANAGER)
    base = f"/api/v1/customers/{test_customer}"
    price_list = {
        "name": f"{EVIL} prices",
        "currency": "EUR",
        "valid_from": "2026-01-01",
        "entries": [
            {"sku": "CBL-CAT6-5M", "min_quantity": 10, "price": "4.20"},
            {"sku": "SW-24-PRO", "min_quantity": 1},
        ],
    }
    try:
        r = await http.put(f"{base}/price-lists/PAGES-TEST-PL", json=price_list, headers=headers)
        assert r.status_code == 200, r.text
        r = await http.put(f"{base}/part-numbers/SW-24-PRO", json={"part_number": "PT-1"}, headers=headers)
        assert r.status_code == 200, r.text
        r = await http.put(f"{base}/part-numbers/SW-24-PRO", json={"part_number": "PT-2"}, headers=headers)
        assert r.status_code == 200, r.text

        manager = await signed_in(MANAGER)
        r = await manager.get(f"/customers/{test_customer}")
        assert r.status_code == 200
        assert EVIL not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt; prices" in r.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Ltd" in r.text
        assert "list price" in row(section(r.text, "price-lists"), "data-sku", "SW-24-PRO")
        changes = section(r.text, "changes")
        assert "<h2>Recent changes</h2>" in changes
        rows = re.findall(r'<tr data-change="\d+">(.*?)</tr>', changes, re.S)
        assert len(rows) == 3 and all(MANAGER in one for one in rows)
        assert "part_number" in rows[0] and "changed" in rows[0] and "PT-1 → part_number=PT-2" in rows[0]
        assert "price_list" in rows[2] and "created" in rows[2] and "PAGES-TEST-PL" in rows[2]
        assert EVIL not in changes

        r = await manager.get("/customers")  # every customer, the test's one too, escaped
        assert 'data-customer="globex"' in r.text and f'data-customer="{test_customer}"' in r.text
        assert EVIL not in r.text
        assert 'href="/customers"' in r.text

        buyer = await signed_in("buyer@acme.example")
        assert (await buyer.get(f"/customers/{test_customer}")).status_code == 404
    finally:
        await http.delete(f"{base}/part-numbers/SW-24-PRO", headers=headers)
        await http.delete(f"{base}/price-lists/PAGES-TEST-PL", headers=headers)
