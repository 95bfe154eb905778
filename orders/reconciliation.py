"""Orders whose workflow is gone without closing their record, and requests whose workflow never
started: what the reconciliation (workflows/reconciliation.py, on a schedule) finds and settles.

A workflow that an operator terminates runs no more code: it cannot give back what it booked or
write its end to the record. And an API that dies between recording a request and starting its
workflow leaves a RECEIVED record behind. Both would otherwise stay open in the record for good.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select, tuple_
from sqlmodel import col

from contracts import service as contracts
from core.database import session_scope
from models.orders import FINAL_STATUSES, OrderPlacement, OrderStatus
from orders.tables import OrderRecord, TimelineRecord

OPEN = sorted(status.value for status in OrderStatus if status not in FINAL_STATUSES)


@dataclass(frozen=True)
class OpenOrder:
    order_id: str
    status: str
    revision: int  # 0: its workflow has not written yet (perhaps never started)
    fingerprint: str
    placement: dict


def open_orders(engine: Engine, untouched_since: datetime, batch: int = 500) -> Iterator[list[OpenOrder]]:
    """Orders not in a final status whose record has not changed since `untouched_since`, oldest
    first, a batch at a time (all of them: many may simply wait for an approval or a payment)."""
    after: tuple[datetime, str] | None = None
    while True:
        query = select(OrderRecord).where(
            col(OrderRecord.status).in_(OPEN), col(OrderRecord.updated_at) < untouched_since
        )
        if after is not None:
            query = query.where(tuple_(col(OrderRecord.updated_at), col(OrderRecord.order_id)) > after)
        with session_scope(engine) as session:
            rows = list(
                session.execute(
                    query.order_by(col(OrderRecord.updated_at), col(OrderRecord.order_id)).limit(batch)
                ).scalars()
            )
            found = [OpenOrder(r.order_id, r.status, r.revision, r.fingerprint, dict(r.placement)) for r in rows]
            if rows:
                after = (rows[-1].updated_at, rows[-1].order_id)
        if found:
            yield found
        if len(found) < batch:
            return


def placement_of(order: OpenOrder) -> OrderPlacement:
    return OrderPlacement.model_validate(order.placement)


INVOICED = {OrderStatus.INVOICED.value, OrderStatus.OVERDUE.value}


def close_abandoned(engine: Engine, order_id: str, why: str) -> bool:
    """The order's workflow ended without closing it: gives back its contract consumption and
    monthly spend, and records it CANCELLED with `why`. An invoiced order was delivered and is
    owed: it keeps its bookings and status, and is flagged for finance instead (its payment can no
    longer be booked through the order). Idempotent: False when there was nothing to do."""
    with session_scope(engine, write_lock=True) as session:
        record = session.get(OrderRecord, order_id)
        if record is None or record.status not in OPEN:
            return False
        if record.status in INVOICED:
            flag = f"{why}; it was invoiced: book its payment outside the order"
            if record.attention == flag:
                return False
            record.attention = flag
            record.revision += 1
            record.updated_at = datetime.now(UTC)
            return True
        buyer = record.buyer
        now = datetime.now(UTC)
        seq = session.execute(
            select(func.coalesce(func.max(col(TimelineRecord.seq)), -1)).where(
                col(TimelineRecord.order_id) == order_id, col(TimelineRecord.source) == "order"
            )
        ).scalar_one()
        session.add(
            TimelineRecord(
                order_id=order_id,
                source="order",
                seq=seq + 1,
                at=now,
                actor="system",
                event="order.cancelled",
                detail=why,
            )
        )
        record.status = OrderStatus.CANCELLED.value
        record.pending_approval = None
        record.revision += 1  # no save of the gone workflow can follow; readers see it changed
        record.updated_at = now
    # both idempotent: a retry after a crash gives back nothing twice
    contracts.release(engine, order_id)
    contracts.release_spend(engine, buyer, order_id)
    return True
