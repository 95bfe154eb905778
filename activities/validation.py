from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core import temporal_names as names
from core.database import session_scope
from models.orders import ValidatedOrder, ValidationRequest
from orders.validation import OrderRejected, validate_order


class ValidationActivities:
    def __init__(self, engine: Engine):
        self.engine = engine

    @activity.defn
    def validate_order(self, request: ValidationRequest) -> ValidatedOrder:
        """Checks the order against the catalog; a broken business rule fails without retry."""
        try:
            with session_scope(self.engine) as session:
                return validate_order(session, request.placement, request.as_of)
        except OrderRejected as exc:
            raise ApplicationError(exc.reason, exc.field, type=names.ORDER_REJECTED, non_retryable=True) from exc
