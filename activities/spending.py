"""Activities for the buyers' monthly spend (contracts.service), for the order workflow to run when
an order is accepted (record) and when it is cancelled or rejected (release). Both are
idempotent: a retry rewrites or deletes the same row. Register `SpendActivities(engine)` on the
worker to use them."""

from sqlalchemy import Engine
from temporalio import activity

from contracts import service as contracts
from models.spend import SpendRecord, SpendRelease


class SpendActivities:
    def __init__(self, engine: Engine):
        self.engine = engine

    @activity.defn
    def record_spend(self, record: SpendRecord) -> None:
        contracts.record_spend(self.engine, record.user, record.order_id, record.month, record.net, record.currency)

    @activity.defn
    def release_spend(self, release: SpendRelease) -> None:
        contracts.release_spend(self.engine, release.user, release.order_id)
