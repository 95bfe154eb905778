from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core import temporal_names as names
from models.orders import ValidatedOrder, ValidationRequest
from orders import service as orders


class ValidationActivities:
    def __init__(self, engine: Engine):
        self.engine = engine

    @activity.defn
    def validate_order(self, request: ValidationRequest) -> ValidatedOrder:
        """Checks the order against the catalog; a broken business rule fails without retry."""
        try:
            return orders.validate(self.engine, request)
        except orders.OrderRejected as exc:
            raise ApplicationError(exc.reason, exc.field, type=names.ORDER_REJECTED, non_retryable=True) from exc
