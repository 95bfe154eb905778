"""Contract prices per customer, inheritance of the parent's contract, contract validity and order
validation, on SQLite and PostgreSQL."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.tables import User
from catalog import assortment
from contracts.in_force import NoValidContract, effective_contract
from contracts.tables import Contract, ContractItem
from core.database import session_scope
from orders.validation import OrderRejected, validate_order
from tests.catalog.data import BUYERS, SWITCH_CONFIG, add_buyer, add_customer, order

TODAY = date(2026, 11, 27)


def prices(db, customer_id: str, skus: list[str], as_of: date = TODAY) -> dict[str, tuple[Decimal, str]]:
    with session_scope(db) as session:
        contract = effective_contract(session, customer_id, as_of)
        found = assortment.entries(session, customer_id, contract, skus)
        return {sku: (entry.price, entry.source) for sku, entry in found.items()}


ALL_SKUS = ["SW-24-PRO", "CBL-CAT6-5M", "SVC-INSTALL-ONSITE", "PWR-UPS-AT"]


def test_each_customer_pays_its_contract_price(db):
    assert prices(db, "acme", ALL_SKUS) == {
        "SW-24-PRO": (Decimal("1450.00"), "contract"),
        "CBL-CAT6-5M": (Decimal("4.20"), "contract"),
        "SVC-INSTALL-ONSITE": (Decimal("890.00"), "contract"),
    }
    assert prices(db, "globex", ALL_SKUS) == {
        "SW-24-PRO": (Decimal("1520.00"), "contract"),
        "CBL-CAT6-5M": (Decimal("4.60"), "contract"),
    }


def test_validated_order_carries_the_customers_price_and_terms(db):
    with session_scope(db) as session:
        acme = validate_order(session, order(BUYERS["acme"], ("SW-24-PRO", 1, SWITCH_CONFIG)), TODAY)
        globex = validate_order(session, order(BUYERS["globex"], ("SW-24-PRO", 1, SWITCH_CONFIG)), TODAY)
    assert (acme.contract_id, acme.lines[0].unit_price, acme.payment_terms_days) == (
        "ACME-FC-2026",
        Decimal("1450.00"),
        30,
    )
    assert (globex.contract_id, globex.lines[0].unit_price, globex.payment_terms_days) == (
        "GLOBEX-FC-2026",
        Decimal("1520.00"),
        14,
    )
    assert acme.lines[0].delivery_unit_id == "netpartner"
    assert acme.approver_customer_ids == ["acme"]


def test_subsidiary_inherits_the_parent_contract_plus_its_special_assortment(db):
    assert prices(db, "acme-at", ALL_SKUS) == {
        "SW-24-PRO": (Decimal("1450.00"), "contract"),
        "CBL-CAT6-5M": (Decimal("4.20"), "contract"),
        "SVC-INSTALL-ONSITE": (Decimal("890.00"), "contract"),
        "PWR-UPS-AT": (Decimal("589.00"), "special"),
    }
    with session_scope(db) as session:
        assert effective_contract(session, "acme-at", TODAY).id == "ACME-FC-2026"
        validated = validate_order(session, order(BUYERS["acme-at"], ("PWR-UPS-AT", 2), ("CBL-CAT6-5M", 5)), TODAY)
        assert validated.customer_id == "acme-at"
        assert validated.approver_customer_ids == ["acme-at", "acme"]
        assert [(line.sku, line.unit_price) for line in validated.lines] == [
            ("PWR-UPS-AT", Decimal("589.00")),
            ("CBL-CAT6-5M", Decimal("4.20")),
        ]
        # the parent does not get the subsidiary's special assortment
        with pytest.raises(OrderRejected, match="PWR-UPS-AT is not in your contract assortment"):
            validate_order(session, order(BUYERS["acme"], ("PWR-UPS-AT", 1)), TODAY)


def test_special_price_wins_over_the_inherited_contract_price(db):
    customer_id, _ = add_customer(db, parent_id="acme", special={"CBL-CAT6-5M": "3.99"})
    assert prices(db, customer_id, ["CBL-CAT6-5M", "SW-24-PRO"]) == {
        "CBL-CAT6-5M": (Decimal("3.99"), "special"),
        "SW-24-PRO": (Decimal("1450.00"), "contract"),
    }
    with session_scope(db) as session:
        contract = effective_contract(session, customer_id, TODAY)
        entries, total = assortment.search(session, customer_id, contract, q="cable", category=None, limit=10, offset=0)
    assert total == 1 and [(e.item.sku, e.price) for e in entries] == [("CBL-CAT6-5M", Decimal("3.99"))]


def test_expired_contract_rejects_the_order_naming_the_contract(db):
    customer_id, contract_id = add_customer(
        db, contract=(date(2020, 1, 1), date(2020, 12, 31)), prices={"CBL-CAT6-5M": "4.00"}
    )
    buyer = add_buyer(db, customer_id)
    with session_scope(db) as session:
        with pytest.raises(NoValidContract) as raised:
            effective_contract(session, customer_id, TODAY)
        assert str(raised.value) == (
            f"the framework contract {contract_id} is not in force on 2026-11-27 (valid 2020-01-01 to 2020-12-31)"
        )
        with pytest.raises(OrderRejected) as rejected:
            validate_order(session, order(buyer, ("CBL-CAT6-5M", 1)), TODAY)
        assert rejected.value.field == "contract"
        assert rejected.value.reason.startswith("Order not possible: the framework contract")
        assert contract_id in rejected.value.reason
        # on a day it was in force, the same order is fine
        validated = validate_order(session, order(buyer, ("CBL-CAT6-5M", 1)), date(2020, 6, 1))
        assert validated.contract_id == contract_id and validated.lines[0].unit_price == Decimal("4.00")


def test_contract_not_yet_in_force_and_no_contract_at_all(db):
    future, future_contract = add_customer(
        db, contract=(date(2027, 1, 1), date(2028, 12, 31)), prices={"CBL-CAT6-5M": "4.00"}
    )
    none, _ = add_customer(db)
    with session_scope(db) as session:
        with pytest.raises(NoValidContract, match=f"{future_contract} is not in force on 2026-11-27"):
            effective_contract(session, future, TODAY)
        with pytest.raises(NoValidContract, match="there is no framework contract for this customer"):
            effective_contract(session, none, TODAY)


def test_renewed_contract_replaces_the_expired_one(db):
    customer_id, old = add_customer(db, contract=(date(2020, 1, 1), date(2020, 12, 31)), prices={"CBL-CAT6-5M": "4.00"})
    with session_scope(db) as session:
        session.add(
            Contract(
                id=f"{old}-NEW",
                customer_id=customer_id,
                name="renewal",
                valid_from=date(2021, 1, 1),
                valid_to=date(2030, 12, 31),
            )
        )
        session.flush()
        session.add(ContractItem(contract_id=f"{old}-NEW", sku="CBL-CAT6-5M", price=Decimal("3.80")))
    assert prices(db, customer_id, ["CBL-CAT6-5M"]) == {"CBL-CAT6-5M": (Decimal("3.80"), "contract")}
    assert prices(db, customer_id, ["CBL-CAT6-5M"], date(2020, 5, 1)) == {"CBL-CAT6-5M": (Decimal("4.00"), "contract")}


def test_subsidiary_of_a_customer_with_an_expired_contract_is_told_which_contract(db):
    parent, contract_id = add_customer(db, contract=(date(2020, 1, 1), date(2020, 12, 31)))
    child, _ = add_customer(db, parent_id=parent)
    with session_scope(db) as session, pytest.raises(NoValidContract, match=contract_id):
        effective_contract(session, child, TODAY)


def test_order_limit_is_on_the_net_total(db):
    buyer = add_buyer(db, "acme", order_limit="42.00")
    unlimited = add_buyer(db, "acme", order_limit=None)
    with session_scope(db) as session:
        at_limit = validate_order(session, order(buyer, ("CBL-CAT6-5M", 10)), TODAY)  # 42.00 net, 49.98 gross
        over = validate_order(session, order(buyer, ("CBL-CAT6-5M", 11)), TODAY)
        big = validate_order(session, order(unlimited, ("SW-24-PRO", 100, SWITCH_CONFIG)), TODAY)
    assert (at_limit.net_total, at_limit.order_limit, at_limit.needs_customer_approval) == (
        Decimal("42.00"),
        Decimal("42.00"),
        False,
    )
    assert (over.net_total, over.needs_customer_approval) == (Decimal("46.20"), True)
    assert (big.net_total, big.order_limit, big.needs_customer_approval) == (Decimal("145000.00"), None, False)


def test_only_active_buyers_of_a_customer_may_order(db):
    buyer = add_buyer(db, "acme")
    with session_scope(db) as session:
        session.get(User, buyer.id).active = False
    with session_scope(db) as session:
        for actor in (
            buyer,
            BUYERS["acme"].model_copy(update={"id": "expert@seller.example"}),
            BUYERS["acme"].model_copy(update={"id": "nobody@acme.example"}),
        ):
            with pytest.raises(OrderRejected, match="may not place orders") as rejected:
                validate_order(session, order(actor, ("CBL-CAT6-5M", 1)), TODAY)
            assert rejected.value.field == "buyer"


def test_validation_totals_are_sums_of_rounded_lines(db):
    with session_scope(db) as session:
        v = validate_order(
            session,
            order(BUYERS["acme"], ("SW-24-PRO", 1, SWITCH_CONFIG), ("CBL-CAT6-5M", 3), ("SVC-INSTALL-ONSITE", 1)),
            TODAY,
        )
    assert [(line.line_total, line.vat_amount) for line in v.lines] == [
        (Decimal("1450.00"), Decimal("275.50")),
        (Decimal("12.60"), Decimal("2.39")),  # 2.394
        (Decimal("890.00"), Decimal("169.10")),
    ]
    assert (v.net_total, v.vat_total, v.gross_total) == (Decimal("2352.60"), Decimal("446.99"), Decimal("2799.59"))
    assert v.currency == "EUR"
    assert v.needs_customer_approval is False and v.expert_review_skus == ["SVC-INSTALL-ONSITE"]
    assert all(isinstance(x, Decimal) for x in (v.net_total, v.vat_total, v.gross_total, v.lines[0].vat_rate))
    assert v.lines[0].vat_rate == Decimal("0.19")


def test_configuration_problems_reject_the_order_with_the_line(db):
    with session_scope(db) as session, pytest.raises(OrderRejected) as rejected:
        validate_order(
            session,
            order(BUYERS["acme"], ("CBL-CAT6-5M", 1), ("SW-24-PRO", 1, {"hw_version": "A1", "sw_version": "8.0"})),
            TODAY,
        )
    assert rejected.value.field == "lines[1].configuration"
    assert rejected.value.reason == (
        "SW-24-PRO cannot be delivered as configured: hardware version A1 does not support software version 8.0"
    )
