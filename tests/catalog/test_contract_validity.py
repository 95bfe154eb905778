"""An order outside the contract's validity period: rejected, or sent to the expert, by contract setting."""

from datetime import date

import pytest

from contracts.tables import Contract
from core.database import session_scope
from orders.validation import OrderRejected, validate_order
from tests.catalog.data import add_buyer, add_customer, order

EXPIRED = (date(2024, 1, 1), date(2024, 12, 31))
TODAY = date(2026, 11, 27)


def expired_contract_customer(db, on_exceed: str):
    customer_id, contract_id = add_customer(db, contract=EXPIRED, prices={"CBL-CAT6-5M": "4.00"})
    with session_scope(db) as session:
        session.get(Contract, contract_id).on_exceed = on_exceed
    return add_buyer(db, customer_id), contract_id


def test_outside_validity_is_rejected_naming_the_period(db):
    buyer, contract_id = expired_contract_customer(db, "reject")
    with session_scope(db) as session, pytest.raises(OrderRejected) as rejected:
        validate_order(session, order(buyer, ("CBL-CAT6-5M", 10)), TODAY)
    assert rejected.value.field == "contract"
    assert contract_id in rejected.value.reason and "2024-12-31" in rejected.value.reason


def test_outside_validity_goes_to_the_expert_when_the_contract_says_so(db):
    buyer, contract_id = expired_contract_customer(db, "expert")
    with session_scope(db) as session:
        validated = validate_order(session, order(buyer, ("CBL-CAT6-5M", 10)), TODAY)
    assert validated.contract_id == contract_id and validated.net_total == 40
    assert len(validated.expert_reasons) == 1 and "2024-12-31" in validated.expert_reasons[0]
