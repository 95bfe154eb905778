"""Order limits per order and per month, of the user or of the user's roles, and the monthly
spend ledger (idempotent record/release), on SQLite and PostgreSQL."""

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from accounts.tables import User
from contracts.limits import Limits, limits_for, month_of, month_spend, record_spend, release_spend
from contracts.tables import BuyerSpend
from core.database import session_scope
from orders.validation import validate_order
from tests.catalog.data import add_customer, new_id, order
from tests.catalog.rules_data import add_role_limit, add_user

TODAY = date(2026, 11, 27)
CONTRACT = (date(2025, 1, 1), date(2030, 12, 31))
D = Decimal


def new_customer(db, **kwargs) -> str:
    return add_customer(db, contract=CONTRACT, prices={"CBL-CAT6-5M": "10.00"}, **kwargs)[0]


def validate(db, user, cables: int, as_of: date = TODAY, order_id: str | None = None):
    placement = order(user, ("CBL-CAT6-5M", cables))
    if order_id:
        placement = placement.model_copy(update={"order_id": order_id})
    with session_scope(db) as session:
        return validate_order(session, placement, as_of)


def spent(db, user, month: str = "2026-11") -> Decimal:
    with session_scope(db) as session:
        return month_spend(session, user.id, month)


def test_spend_ledger_is_idempotent_per_order(db):
    user = add_user(db, new_customer(db), ["buyer"])
    assert spent(db, user) == D("0.00")
    record_spend(db, user.id, "O-1", "2026-11", D("100.10"))
    record_spend(db, user.id, "O-1", "2026-11", D("100.10"))  # a retried activity
    record_spend(db, user.id, "O-2", "2026-11", D("50.25"))
    record_spend(db, user.id, "O-3", "2026-10", D("999.00"))
    assert spent(db, user) == D("150.35") and spent(db, user, "2026-10") == D("999.00")
    record_spend(db, user.id, "O-2", "2026-11", D("40.00"))  # re-recorded after a change: the latest counts
    assert spent(db, user) == D("140.10")
    release_spend(db, user.id, "O-1")
    release_spend(db, user.id, "O-1")
    assert spent(db, user) == D("40.00")
    with session_scope(db) as session:
        assert month_spend(session, user.id, "2026-11", excluding="O-2") == D("0.00")
        rows = session.execute(select(func.count()).select_from(BuyerSpend).where(BuyerSpend.user_email == user.id))
        assert rows.scalar_one() == 2


def test_monthly_limit_sends_the_order_to_the_approver_with_the_reason(db):
    user = add_user(db, new_customer(db), ["buyer"], monthly_limit="1000.00")
    record_spend(db, user.id, new_id("O"), month_of(TODAY), D("700.00"))
    record_spend(db, user.id, new_id("O"), "2026-10", D("5000.00"))  # last month does not count
    fits = validate(db, user, 30)  # 700 + 300 = 1000: at the limit
    assert (fits.needs_customer_approval, fits.approval_reasons, fits.monthly_limit) == (False, [], D("1000.00"))
    over = validate(db, user, 31)
    assert over.needs_customer_approval is True
    assert over.approval_reasons == [
        "with this order the buyer's orders of 2026-11 come to 1010.00 EUR net, over the monthly limit 1000.00 "
        "(700.00 EUR before this order)"
    ]
    # an order already in the ledger (a retried validation) does not count twice
    own = new_id("O")
    record_spend(db, user.id, own, month_of(TODAY), D("300.00"))
    assert validate(db, user, 30, order_id=own).needs_customer_approval is False
    # next month starts afresh
    assert validate(db, user, 99, as_of=date(2026, 12, 1)).needs_customer_approval is False


def test_order_and_monthly_limit_reasons_together(db):
    user = add_user(db, new_customer(db), ["buyer"], order_limit="100.00", monthly_limit="150.00")
    record_spend(db, user.id, new_id("O"), month_of(TODAY), D("100.00"))
    v = validate(db, user, 11)
    assert v.needs_customer_approval and v.order_limit == D("100.00")
    assert v.approval_reasons[0] == "net total 110.00 EUR exceeds the buyer's order limit 100.00"
    assert v.approval_reasons[1].startswith("with this order the buyer's orders of 2026-11 come to 210.00 EUR net")


def test_role_limits_apply_when_the_user_has_none_of_its_own(db):
    customer = new_customer(db)
    add_role_limit(db, customer, "buyer", order_limit="100.00", monthly_limit="500.00")
    add_role_limit(db, customer, "senior", order_limit="300.00")
    plain = add_user(db, customer, ["buyer"])
    senior = add_user(db, customer, ["buyer", "senior"])
    own = add_user(db, customer, ["buyer"], order_limit="1000.00")
    with session_scope(db) as session:
        chain = [customer]
        assert limits_for(session, session.get(User, plain.id), chain) == Limits(D("100.00"), D("500.00"))
        assert limits_for(session, session.get(User, senior.id), chain) == Limits(
            D("300.00"), D("500.00")
        )  # the highest
        assert limits_for(session, session.get(User, own.id), chain) == Limits(D("1000.00"), D("500.00"))  # own wins
    assert validate(db, plain, 11).approval_reasons == ["net total 110.00 EUR exceeds the buyer's order limit 100.00"]
    assert validate(db, senior, 11).needs_customer_approval is False
    assert (
        validate(db, own, 51).approval_reasons[0].endswith("over the monthly limit 500.00 (0.00 EUR before this order)")
    )


def test_a_subsidiary_uses_the_parents_role_limits_unless_it_has_its_own(db):
    parent = new_customer(db)
    child = add_customer(db, parent_id=parent)[0]
    add_role_limit(db, parent, "buyer", order_limit="100.00")
    user = add_user(db, child, ["buyer"])
    assert validate(db, user, 11).order_limit == D("100.00")
    add_role_limit(db, child, "approver", order_limit="5.00")  # the child's own role limits: none for buyers
    assert validate(db, user, 11).order_limit is None


def test_no_limits_at_all_is_unlimited(db):
    user = add_user(db, new_customer(db), ["buyer"])
    v = validate(db, user, 100_000)
    assert (v.order_limit, v.monthly_limit, v.needs_customer_approval, v.approval_reasons) == (None, None, False, [])


def test_demo_technician_limits(db):
    with session_scope(db) as session:
        tech = session.get(User, "tech@acme.example")
        assert limits_for(session, tech, ["acme"]) == Limits(D("1000.00"), D("3000.00"))
        buyer = session.get(User, "buyer@acme.example")
        assert limits_for(session, buyer, ["acme"]) == Limits(D("5000.00"), None)


def test_spend_activities_are_idempotent(db):
    from activities.spending import SpendActivities
    from models.spend import SpendRecord, SpendRelease

    user = add_user(db, new_customer(db), ["buyer"])
    activities = SpendActivities(db)
    record = SpendRecord(user=user.id, order_id="O-ACT", month="2026-11", net=D("12.34"))
    activities.record_spend(record)
    activities.record_spend(record)
    assert spent(db, user) == D("12.34")
    activities.release_spend(SpendRelease(user=user.id, order_id="O-ACT"))
    activities.release_spend(SpendRelease(user=user.id, order_id="O-ACT"))
    assert spent(db, user) == D("0.00")
