"""Accepting an order checks the buyer's monthly limit and books the order's spend (and its
contract consumption) in one transaction: orders racing in parallel cannot beat a limit together.
On SQLite and PostgreSQL (tests/dbs.py), like the contract consumption race."""

import threading
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import col

from accounts.tables import User
from contracts import limits
from contracts.tables import BuyerSpend
from core.database import session_scope
from models.orders import Acceptance, ValidationRequest
from orders import service as orders
from tests.catalog.data import add_buyer, add_customer, order

PRICES = {"CBL-CAT6-5M": "5.00"}
TODAY = date(2026, 6, 15)
THREADS = 6


def buyer_with_monthly_limit(db, monthly: str):
    customer_id, _ = add_customer(db, contract=(date(2020, 1, 1), date(2099, 12, 31)), prices=PRICES)
    buyer = add_buyer(db, customer_id)
    with session_scope(db) as session:
        session.get(User, buyer.id).monthly_limit = Decimal(monthly)
    return buyer


def accept_all(db, placements) -> list[Acceptance]:
    barrier = threading.Barrier(len(placements))
    results: list = [None] * len(placements)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = orders.accept(db, ValidationRequest(placement=placements[index], as_of=TODAY))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(placements))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not [r for r in results if not isinstance(r, Acceptance)], results
    return results


def booked(db, user: str) -> list[Decimal]:
    with session_scope(db) as session:
        return sorted(session.execute(select(col(BuyerSpend.net)).where(col(BuyerSpend.user_email) == user)).scalars())


def test_racing_orders_under_the_monthly_limit_cannot_pass_it_together(db):
    # each order is 10 x 5.00 = 50.00 net; the month allows 120.00: two fit, the others need approval
    buyer = buyer_with_monthly_limit(db, "120.00")
    placements = [order(buyer, ("CBL-CAT6-5M", 10)) for _ in range(THREADS)]
    results = accept_all(db, placements)
    free = [r for r in results if not r.validated.needs_customer_approval]
    assert len(free) == 2
    for result in results:
        if result.validated.needs_customer_approval:
            assert "over the monthly limit 120.00" in result.validated.approval_reasons[0]
    # every accepted order counts towards the month (an approver may still let it through)
    assert booked(db, buyer.id) == [Decimal("50.00")] * THREADS
    assert {r.month for r in results} == {"2026-06"}


def test_accepting_again_books_nothing_twice(db):
    buyer = buyer_with_monthly_limit(db, "1000.00")
    placement = order(buyer, ("CBL-CAT6-5M", 4))
    first = orders.accept(db, ValidationRequest(placement=placement, as_of=TODAY))
    again = orders.accept(db, ValidationRequest(placement=placement, as_of=TODAY))  # a retried activity
    assert first.validated.net_total == again.validated.net_total == Decimal("20.00")
    assert booked(db, buyer.id) == [Decimal("20.00")]
    with session_scope(db) as session:
        assert limits.month_spend(session, buyer.id, "2026-06") == Decimal("20.00")
