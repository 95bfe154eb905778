"""Activities for framework contract consumption (contracts.service). Both are idempotent."""

from sqlalchemy import Engine
from temporalio import activity

from contracts import service as contracts
from models.contracts import ConsumptionRequest, ConsumptionResult, ReleaseRequest, ReleaseResult


class ContractActivities:
    def __init__(self, engine: Engine):
        self.engine = engine

    @activity.defn
    def consume_contract(self, request: ConsumptionRequest) -> ConsumptionResult:
        """Consumes the contract for the order, or says why not (`accepted=False`, a business
        result, not an error: the workflow decides by the contract's `on_exceed`). A retry gets
        the first attempt's result."""
        return contracts.consume(self.engine, request.contract_id, request.order_id, request.lines, force=request.force)

    @activity.defn
    def release_contract(self, request: ReleaseRequest) -> ReleaseResult:
        """Gives back what the order consumed; a retry releases nothing more."""
        return ReleaseResult(order_id=request.order_id, released_rows=contracts.release(self.engine, request.order_id))
