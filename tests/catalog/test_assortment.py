"""Catalog search: a customer's assortment with its prices, by text, category and page."""

from datetime import date
from decimal import Decimal

from catalog import assortment
from contracts.in_force import effective_contract
from core.database import session_scope

TODAY = date(2026, 11, 27)


def search(db, customer_id: str, *, q=None, category=None, limit=50, offset=0):
    with session_scope(db) as session:
        contract = effective_contract(session, customer_id, TODAY)
        entries, total = assortment.search(
            session, customer_id, contract, q=q, category=category, limit=limit, offset=offset
        )
    return [(e.item.sku, e.price, e.source) for e in entries], total


def skus(result) -> list[str]:
    return [sku for sku, _, _ in result[0]]


def test_whole_assortment_ordered_by_sku_with_the_customers_prices(db):
    entries, total = search(db, "acme-at")
    assert total == 4
    assert entries == [
        ("CBL-CAT6-5M", Decimal("4.20"), "contract"),
        ("PWR-UPS-AT", Decimal("589.00"), "special"),
        ("SVC-INSTALL-ONSITE", Decimal("890.00"), "contract"),
        ("SW-24-PRO", Decimal("1450.00"), "contract"),
    ]
    entries, total = search(db, "globex")
    assert total == 2
    assert entries == [("CBL-CAT6-5M", Decimal("4.60"), "contract"), ("SW-24-PRO", Decimal("1520.00"), "contract")]


def test_text_search_is_case_insensitive_over_name_sku_and_description(db):
    assert skus(search(db, "acme", q="SWITCH")) == ["SW-24-PRO"]  # name "Network switch ..."
    assert skus(search(db, "acme", q="cat6")) == ["CBL-CAT6-5M"]  # SKU
    assert skus(search(db, "acme-at", q="austrian")) == ["PWR-UPS-AT"]  # description
    assert search(db, "acme", q="austrian") == ([], 0)  # not in ACME's assortment
    assert search(db, "acme", q="no such thing") == ([], 0)


def test_category_filter_and_combination_with_text(db):
    assert skus(search(db, "acme", category="services")) == ["SVC-INSTALL-ONSITE"]
    assert skus(search(db, "acme-at", category="power")) == ["PWR-UPS-AT"]
    assert search(db, "globex", category="services") == ([], 0)
    assert skus(search(db, "acme", q="install", category="services")) == ["SVC-INSTALL-ONSITE"]
    assert search(db, "acme", q="install", category="cables") == ([], 0)


def test_paging_reports_the_total_of_all_matches(db):
    first = search(db, "acme-at", limit=3, offset=0)
    second = search(db, "acme-at", limit=3, offset=3)
    beyond = search(db, "acme-at", limit=3, offset=10)
    assert first[1] == second[1] == beyond[1] == 4
    assert skus(first) == ["CBL-CAT6-5M", "PWR-UPS-AT", "SVC-INSTALL-ONSITE"]
    assert skus(second) == ["SW-24-PRO"]
    assert skus(beyond) == []
    # paging within a filtered search
    assert search(db, "acme-at", q="e", limit=1, offset=1)[1] == search(db, "acme-at", q="e")[1]


def test_search_text_is_literal_not_a_like_pattern(db):
    # no item's name, SKU or description contains these characters
    assert search(db, "acme", q="%") == ([], 0)
    assert search(db, "acme", q="_") == ([], 0)
    assert search(db, "acme", q="\\") == ([], 0)
    assert skus(search(db, "acme", q="24-pro")) == ["SW-24-PRO"]
