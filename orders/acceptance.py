"""Accepting an order: validate it, take what it calls off its framework contract and count it
towards its buyer's month, in one transaction.

One transaction, so that limits cannot be beaten: the buyer's orders queue on the buyer (and
orders of one contract on the contract) from the check to the booking, so two orders that each
fit under the monthly limit cannot both pass it together, and a crash never leaves half a
booking behind. Retried, it books the same again (every booking is a target per order, not an
increment).
"""

from datetime import date

from sqlmodel import Session

from contracts import consumption, limits
from models.contracts import ConsumptionLine
from models.orders import Acceptance, OrderPlacement
from orders.validation import OrderRejected, validate_order


def accept(session: Session, placement: OrderPlacement, as_of: date) -> Acceptance:
    """Validates and books the order; OrderRejected (nothing booked) when a rule refuses it,
    including a contract exceeded whose `on_exceed` is "reject". A contract exceeded whose
    `on_exceed` is "expert" books the spend but not the contract: the expert decides
    (`Acceptance.consumption.accepted` is False)."""
    limits.lock_buyer(session, placement.buyer.id)
    validated = validate_order(session, placement, as_of)
    consumed = None
    if validated.contract_id:
        lines = [
            ConsumptionLine(sku=line.sku, quantity=line.quantity, value=line.line_total) for line in validated.lines
        ]
        try:
            consumed = consumption.consume_in(session, validated.contract_id, placement.order_id, lines)
        except consumption.NoContract as exc:
            raise OrderRejected(f"Order not possible: {exc}", "contract") from exc
        if not consumed.accepted and consumed.on_exceed != "expert":
            reason = f"beyond the framework contract {validated.contract_id}: {consumed.reason}"
            raise OrderRejected(f"Order not possible: {reason}", "lines")
    limits.record_spend_in(
        session,
        placement.buyer.id,
        placement.order_id,
        limits.month_of(as_of),
        validated.net_total,
        validated.currency,
    )
    return Acceptance(validated=validated, consumption=consumed, month=limits.month_of(as_of))
