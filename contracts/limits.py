"""Order limits of a buyer: per order and per calendar month, net, in the contract's currency.

- A user's own limit (`User.order_limit`, `User.monthly_limit`) wins.
- Without one, the limits of the user's roles at the customer apply (`RoleLimit`; the nearest
  customer up the tree that has role limits decides): the highest of the roles that set one, as
  rights add up over roles. A role without a row, or with NULL, sets no limit.
- No limit from either: unlimited.

An order over the per-order limit, or one that takes the buyer's accepted orders of the month
over the monthly limit, needs the customer's approval (validation says why in
`ValidatedOrder.approval_reasons`).

The month's spend is a ledger (`BuyerSpend`) of accepted orders' net values, one row per order:
`record_spend` (idempotent: a retry rewrites the same row) when an order is accepted,
`release_spend` (idempotent) when it is cancelled or rejected; the order workflow calls them as
activities (activities/spending.py). Validation only reads the ledger.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from accounts.tables import User
from contracts.tables import BuyerSpend
from core.database import session_scope
from customers.rule_tables import RoleLimit
from customers.tree import nearest_owner

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Limits:
    order_limit: Decimal | None  # None = unlimited
    monthly_limit: Decimal | None


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _highest(values: list[Decimal | None]) -> Decimal | None:
    set_ = [v for v in values if v is not None]
    return max(set_) if set_ else None


def limits_for(session: Session, user: User, chain_ids: list[str]) -> Limits:
    order_limit, monthly_limit = user.order_limit, user.monthly_limit
    if order_limit is not None and monthly_limit is not None:
        return Limits(order_limit, monthly_limit)
    rows = (
        session.execute(select(RoleLimit).where(col(RoleLimit.customer_id).in_(chain_ids))).scalars().all()
        if chain_ids
        else []
    )
    owner = nearest_owner(chain_ids, {row.customer_id for row in rows})
    mine = [row for row in rows if row.customer_id == owner and row.role in user.roles]
    return Limits(
        order_limit if order_limit is not None else _highest([row.order_limit for row in mine]),
        monthly_limit if monthly_limit is not None else _highest([row.monthly_limit for row in mine]),
    )


def month_spend(session: Session, user: str, month: str, *, excluding: str | None = None) -> Decimal:
    """The net value of the user's accepted orders placed in `month` ("2026-11"), without the
    order `excluding` (validation of an order never counts the order itself)."""
    query = select(col(BuyerSpend.net)).where(col(BuyerSpend.user_email) == user, col(BuyerSpend.month) == month)
    if excluding is not None:
        query = query.where(col(BuyerSpend.order_id) != excluding)
    # summed in Python: exact on SQLite too, where money is stored as text (a month has few orders)
    return sum((Decimal(net) for net in session.execute(query).scalars()), ZERO)


def record_spend(engine: Engine, user: str, order_id: str, month: str, net: Decimal, currency: str = "EUR") -> None:
    """Counts an accepted order towards its buyer's month (or, again, what is left of it: a
    dropped line counts no more). Idempotent per (user, order): the row says the last `net`."""
    # read-then-write: take SQLite's write lock up front (a deferred upgrade fails under load)
    with session_scope(engine, write_lock=True) as session:
        try:
            record_spend_in(session, user, order_id, month, net, currency)
        except IntegrityError:  # a concurrent first attempt wrote the row: it says the same
            session.rollback()


def lock_buyer(session: Session, user: str) -> None:
    """Serialises the buyer's orders from here to the end of the transaction (PostgreSQL: the
    user's row; SQLite's writer holds the whole database), so that checking the monthly limit and
    booking the order's spend cannot interleave with another order of the same buyer."""
    session.execute(select(User).where(col(User.email) == user).with_for_update())


def record_spend_in(
    session: Session, user: str, order_id: str, month: str, net: Decimal, currency: str = "EUR"
) -> None:
    """`record_spend` in the caller's transaction."""
    row = session.get(BuyerSpend, (user, order_id))
    if row is None:
        row = BuyerSpend(
            user_email=user,
            order_id=order_id,
            month=month,
            net=net,
            currency=currency,
            recorded_at=datetime.now(UTC),
        )
    else:
        row.month, row.net, row.currency = month, net, currency
    session.add(row)
    session.flush()


def release_spend(engine: Engine, user: str, order_id: str) -> None:
    """Takes a cancelled or rejected order out of its buyer's month. Idempotent."""
    with session_scope(engine, write_lock=True) as session:
        session.execute(
            delete(BuyerSpend).where(col(BuyerSpend.user_email) == user, col(BuyerSpend.order_id) == order_id)
        )
