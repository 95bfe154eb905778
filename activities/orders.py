"""Activities of the order's own bookkeeping (orders.service, contracts.service): accepting it,
writing its record, and booking only what it still delivers. Short database work: the workflows
run them as local activities. Each is idempotent."""

from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from contracts import service as contracts
from core import temporal_names as names
from models.orders import Acceptance, ValidationRequest
from models.records import OrderSnapshot, SubOrderSnapshot
from models.spend import BookingTarget
from models.suborders import SubOrderView
from orders import service as orders


class OrderActivities:
    def __init__(self, engine: Engine):
        self.engine = engine

    @activity.defn
    def accept_order(self, request: ValidationRequest) -> Acceptance:
        """Validates and books the order in one transaction; a broken business rule fails without
        retry (nothing booked)."""
        try:
            acceptance = orders.accept(self.engine, request)
        except orders.OrderRejected as exc:
            activity.logger.info("order rejected: %s", exc.reason)  # the log line names the order (core/logs.py)
            raise ApplicationError(exc.reason, exc.field, type=names.ORDER_REJECTED, non_retryable=True) from exc
        order = acceptance.validated
        activity.logger.info("order accepted: %s %s net", order.net_total, order.currency)
        return acceptance

    @activity.defn
    def keep_bookings(self, target: BookingTarget) -> None:
        contracts.keep_bookings(self.engine, target)

    @activity.defn
    def save_order(self, snapshot: OrderSnapshot) -> bool:
        return orders.save_order(self.engine, snapshot)

    @activity.defn
    def save_suborder(self, snapshot: SubOrderSnapshot) -> bool:
        return orders.save_suborder(self.engine, snapshot)

    @activity.defn
    def suborder_state(self, suborder_id: str) -> SubOrderView | None:
        return orders.suborder_state(self.engine, suborder_id)

    @activity.defn
    def shipped_suborders(self, order_id: str) -> list[str]:
        return orders.shipped_suborders(self.engine, order_id)
