"""Price precedence (special/contract, price list with quantity breaks and validity dates, list
price only when assigned), on SQLite and PostgreSQL; and a validated order keeps its prices."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from catalog import assortment
from catalog.pricing import Break, Quote, Sources, decide, minimum_quantity, price_breaks, unit_price
from catalog.views import customer_catalog
from contracts.in_force import effective_contract
from contracts.tables import ContractItem
from core.database import session_scope
from customers.rule_tables import PriceListEntry
from models.orders import ValidatedOrder
from orders.validation import OrderRejected, validate_order
from tests.catalog.data import BUYERS, add_buyer, add_customer, order
from tests.catalog.rules_data import add_price_list

TODAY = date(2026, 11, 27)
CONTRACT = (date(2025, 1, 1), date(2030, 12, 31))
D = Decimal


def quote(db, customer_id: str, sku: str, quantity: int, as_of: date = TODAY) -> tuple[Decimal, str] | None:
    with session_scope(db) as session:
        q = unit_price(session, customer_id, sku, quantity, as_of)
    return None if q is None else (q.unit_price, q.source)


# --- the rule itself (pure) ---------------------------------------------------------------------


def test_decide_precedence_without_a_database():
    agreed = Sources(
        list_price=D("10.00"),
        contract=D("8.00"),
        breaks=(Break(1, D("7.00")), Break(50, D("7.50")), Break(100, D("6.00"))),
    )
    assert decide(agreed, 1) == Quote(D("8.00"), "contract")  # a price from 1 piece never beats the contract
    assert decide(agreed, 49) == Quote(D("8.00"), "contract")
    assert decide(agreed, 50) == Quote(D("7.50"), "price_list", 50)  # a lower break: volume discount
    assert decide(agreed, 100) == Quote(D("6.00"), "price_list", 100)
    special = Sources(list_price=D("10.00"), special=D("7.90"), contract=D("8.00"), breaks=(Break(50, D("7.95")),))
    assert decide(special, 60) == Quote(D("7.90"), "special")  # the break is not lower than the special price
    listed = Sources(list_price=D("10.00"), breaks=(Break(1, None), Break(10, D("9.00"))))
    assert decide(listed, 1) == Quote(D("10.00"), "list")
    assert decide(listed, 10) == Quote(D("9.00"), "price_list", 10)
    moq = Sources(list_price=D("10.00"), breaks=(Break(5, D("9.50")),))
    assert decide(moq, 4) is None and decide(moq, 5) == Quote(D("9.50"), "price_list", 5)
    assert minimum_quantity(moq) == 5 and minimum_quantity(agreed) == 1
    assert decide(Sources(list_price=D("10.00")), 1) is None  # not assigned: not in the assortment
    assert minimum_quantity(Sources(list_price=D("10.00"))) is None
    # list price in another currency than the contract: an assignment at list price does not apply
    assert decide(Sources(list_price=None, breaks=(Break(1, None),)), 1) is None
    assert price_breaks(agreed) == [(1, D("8.00")), (50, D("7.50")), (100, D("6.00"))]
    assert price_breaks(listed) == [(1, D("10.00")), (10, D("9.00"))]


# --- with the database --------------------------------------------------------------------------


def test_contract_price_first_then_volume_discounts_of_the_price_list(db):
    customer, _ = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    add_price_list(db, customer, {"CBL-CAT6-5M": {1: "3.50", 100: "3.90", 500: "4.50", 1000: "3.50"}})
    assert quote(db, customer, "CBL-CAT6-5M", 1) == (D("4.00"), "contract")
    assert quote(db, customer, "CBL-CAT6-5M", 99) == (D("4.00"), "contract")
    assert quote(db, customer, "CBL-CAT6-5M", 100) == (D("3.90"), "price_list")
    assert quote(db, customer, "CBL-CAT6-5M", 700) == (D("3.90"), "price_list")  # 4.50 is no discount
    assert quote(db, customer, "CBL-CAT6-5M", 1000) == (D("3.50"), "price_list")


def test_price_list_prices_items_outside_the_contract_and_assigns_list_prices(db):
    customer, _ = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    add_price_list(
        db,
        customer,
        {"SW-24-PRO": {1: "1600.00", 10: "1550.00"}, "PWR-UPS-AT": {5: "600.00"}, "SVC-INSTALL-ONSITE": {1: None}},
    )
    assert quote(db, customer, "SW-24-PRO", 1) == (D("1600.00"), "price_list")
    assert quote(db, customer, "SW-24-PRO", 9) == (D("1600.00"), "price_list")
    assert quote(db, customer, "SW-24-PRO", 10) == (D("1550.00"), "price_list")
    assert quote(db, customer, "PWR-UPS-AT", 4) is None  # below the minimum order quantity
    assert quote(db, customer, "PWR-UPS-AT", 5) == (D("600.00"), "price_list")
    assert quote(db, customer, "SVC-INSTALL-ONSITE", 1) == (D("990.00"), "list")  # assigned at list price
    with session_scope(db) as session:
        page = customer_catalog(session, customer, TODAY)
    items = {i.sku: i for i in page.items}
    assert page.total == 4 and list(items) == ["CBL-CAT6-5M", "PWR-UPS-AT", "SVC-INSTALL-ONSITE", "SW-24-PRO"]
    assert (items["PWR-UPS-AT"].price, items["PWR-UPS-AT"].min_quantity, items["PWR-UPS-AT"].price_source) == (
        D("600.00"),
        5,
        "price_list",
    )
    assert [(b.min_quantity, b.price) for b in items["SW-24-PRO"].price_breaks] == [
        (1, D("1600.00")),
        (10, D("1550.00")),
    ]
    assert (items["SVC-INSTALL-ONSITE"].price, items["SVC-INSTALL-ONSITE"].price_source) == (D("990.00"), "list")
    assert items["CBL-CAT6-5M"].price_breaks == [] and items["PWR-UPS-AT"].price_breaks == []  # one price each


def test_list_price_only_for_items_explicitly_assigned(db):
    customer, _ = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    assert quote(db, customer, "SW-24-PRO", 1) is None
    with session_scope(db) as session:
        assert [i.sku for i in customer_catalog(session, customer, TODAY).items] == ["CBL-CAT6-5M"]


def test_price_list_validity_dates_and_renewal(db):
    customer, _ = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    add_price_list(db, customer, {"SW-24-PRO": {1: "1600.00"}}, valid=(date(2026, 1, 1), date(2026, 6, 30)))
    assert quote(db, customer, "SW-24-PRO", 1, date(2025, 12, 31)) is None
    assert quote(db, customer, "SW-24-PRO", 1, date(2026, 1, 1)) == (D("1600.00"), "price_list")
    assert quote(db, customer, "SW-24-PRO", 1, date(2026, 6, 30)) == (D("1600.00"), "price_list")
    assert quote(db, customer, "SW-24-PRO", 1, TODAY) is None  # expired: the item leaves the assortment
    add_price_list(db, customer, {"SW-24-PRO": {1: "1580.00"}}, valid=(date(2026, 7, 1), None))
    assert quote(db, customer, "SW-24-PRO", 1, TODAY) == (D("1580.00"), "price_list")
    assert quote(db, customer, "SW-24-PRO", 1, date(2026, 3, 1)) == (D("1600.00"), "price_list")
    # two in force at once: the one valid from the later day
    add_price_list(db, customer, {"SW-24-PRO": {1: "1570.00"}}, valid=(date(2026, 11, 1), date(2026, 12, 31)))
    assert quote(db, customer, "SW-24-PRO", 1, TODAY) == (D("1570.00"), "price_list")


def test_a_price_list_in_another_currency_than_the_contract_does_not_apply(db):
    customer, _ = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    add_price_list(db, customer, {"SW-24-PRO": {1: "1500.00"}}, currency="CHF")
    assert quote(db, customer, "SW-24-PRO", 1) is None
    with session_scope(db) as session:
        page = customer_catalog(session, customer, TODAY)
    assert [(i.sku, i.currency) for i in page.items] == [("CBL-CAT6-5M", "EUR")]


def test_subsidiary_uses_the_parents_price_list_unless_it_has_its_own(db):
    parent, _ = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    child, _ = add_customer(db, parent_id=parent)
    add_price_list(db, parent, {"SW-24-PRO": {1: "1600.00"}, "CBL-CAT6-5M": {100: "3.80"}})
    assert quote(db, child, "SW-24-PRO", 1) == (D("1600.00"), "price_list")
    assert quote(db, child, "CBL-CAT6-5M", 100) == (D("3.80"), "price_list")
    add_price_list(db, child, {"PWR-UPS-AT": {1: "580.00"}})
    assert quote(db, child, "SW-24-PRO", 1) is None  # its own list replaces the parent's
    assert quote(db, child, "CBL-CAT6-5M", 100) == (D("4.00"), "contract")
    assert quote(db, child, "PWR-UPS-AT", 1) == (D("580.00"), "price_list")
    assert quote(db, parent, "PWR-UPS-AT", 1) is None


def test_special_price_wins_and_also_gets_volume_discounts(db):
    customer, _ = add_customer(db, parent_id="acme", special={"CBL-CAT6-5M": "3.99"})
    add_price_list(db, customer, {"CBL-CAT6-5M": {100: "3.70"}})
    assert quote(db, customer, "CBL-CAT6-5M", 99) == (D("3.99"), "special")
    assert quote(db, customer, "CBL-CAT6-5M", 100) == (D("3.70"), "price_list")


def test_demo_acme_cables_from_100_pieces(db):
    assert quote(db, "acme", "CBL-CAT6-5M", 20) == (D("4.20"), "contract")
    assert quote(db, "acme", "CBL-CAT6-5M", 100) == (D("3.90"), "price_list")
    assert quote(db, "acme-at", "CBL-CAT6-5M", 100) == (D("3.90"), "price_list")  # inherited
    assert quote(db, "globex", "CBL-CAT6-5M", 100) == (D("4.60"), "contract")
    with session_scope(db) as session:
        contract = effective_contract(session, "acme", TODAY)
        entry = assortment.entries(session, "acme", contract, ["CBL-CAT6-5M"], as_of=TODAY)["CBL-CAT6-5M"]
    assert price_breaks(entry.sources) == [(1, D("4.20")), (100, D("3.90"))]


def test_validation_prices_by_what_the_order_takes_of_each_item_over_all_its_lines(db):
    customer, _ = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    add_price_list(db, customer, {"CBL-CAT6-5M": {100: "3.60"}, "PWR-UPS-AT": {5: "600.00"}})
    buyer = add_buyer(db, customer)
    with session_scope(db) as session:
        v = validate_order(session, order(buyer, ("CBL-CAT6-5M", 10), ("PWR-UPS-AT", 5)), TODAY)
        assert [(line.unit_price, line.line_total) for line in v.lines] == [
            (D("4.00"), D("40.00")),
            (D("600.00"), D("3000.00")),
        ]
        # 60 + 40 cables in two lines (e.g. two cost centres) reach the break at 100 together
        v = validate_order(session, order(buyer, ("CBL-CAT6-5M", 60), ("CBL-CAT6-5M", 40)), TODAY)
        assert [(line.unit_price, line.line_total) for line in v.lines] == [
            (D("3.60"), D("216.00")),
            (D("3.60"), D("144.00")),
        ]
        assert v.net_total == D("360.00")
        v = validate_order(session, order(buyer, ("PWR-UPS-AT", 2), ("PWR-UPS-AT", 3)), TODAY)
        assert v.net_total == D("3000.00")  # the minimum of 5 counts both lines too
        with pytest.raises(OrderRejected) as rejected:
            validate_order(session, order(buyer, ("CBL-CAT6-5M", 1), ("PWR-UPS-AT", 4)), TODAY)
        assert (rejected.value.field, rejected.value.reason) == (
            "lines[1].quantity",
            "PWR-UPS-AT is sold from 5 pieces",
        )
        with pytest.raises(OrderRejected) as rejected:
            validate_order(session, order(buyer, ("PWR-UPS-AT", 2), ("PWR-UPS-AT", 2)), TODAY)
        assert rejected.value.reason == "PWR-UPS-AT is sold from 5 pieces (all lines of the item together)"
        with pytest.raises(OrderRejected) as rejected:
            validate_order(session, order(buyer, ("SW-24-PRO", 1, {"hw_version": "B2", "sw_version": "7.2"})), TODAY)
        assert rejected.value.field == "lines[0].sku"


def test_a_validated_order_keeps_its_prices_when_prices_change_later(db):
    """The workflow keeps the ValidatedOrder (serialised in its history) and bills from it; a price
    change afterwards changes new validations only."""
    customer, contract_id = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    price_list = add_price_list(db, customer, {"CBL-CAT6-5M": {100: "3.60"}})
    buyer = add_buyer(db, customer)
    placements = [order(buyer, ("CBL-CAT6-5M", 10)), order(buyer, ("CBL-CAT6-5M", 100))]
    with session_scope(db) as session:
        placed = [validate_order(session, p, TODAY) for p in placements]
    kept = [v.model_dump_json() for v in placed]  # what the workflow state holds
    with session_scope(db) as session:
        session.execute(update(ContractItem).where(ContractItem.contract_id == contract_id).values(price=D("4.80")))
        session.execute(
            update(PriceListEntry).where(PriceListEntry.price_list_id == price_list).values(price=D("4.50"))
        )
    restored = [ValidatedOrder.model_validate_json(k) for k in kept]
    assert [v.lines[0].unit_price for v in restored] == [D("4.00"), D("3.60")]
    assert [v.net_total for v in restored] == [D("40.00"), D("360.00")] == [v.net_total for v in placed]
    with session_scope(db) as session:
        again = [validate_order(session, p, TODAY) for p in placements]
    assert [v.lines[0].unit_price for v in again] == [D("4.80"), D("4.50")]  # 4.50 is a discount on 4.80


def test_the_demo_orders_of_the_existing_flows_keep_their_totals(db):
    with session_scope(db) as session:
        v = validate_order(
            session,
            order(
                BUYERS["acme"],
                ("SW-24-PRO", 4, {"hw_version": "B2", "sw_version": "8.0"}),
                ("CBL-CAT6-5M", 20),
                ("SVC-INSTALL-ONSITE", 1),
            ),
            TODAY,
        )
    assert v.net_total == D("6774.00") and v.lines[0].unit_price == D("1450.00")


def test_a_quantity_break_starts_at_one_piece_or_more(db):
    customer, _ = add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})
    with pytest.raises(IntegrityError):
        add_price_list(db, customer, {"SW-24-PRO": {0: "1.00"}})
