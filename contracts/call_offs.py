"""The orders that called off a framework contract, newest first: what each consumed and whether
it still counts. Read from the consumption ledger (contracts/tables.py), which
contracts/consumption.py writes."""

from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from contracts.tables import TOTAL, ContractConsumption
from models.contracts import CallOff, CallOffLine

MAX_LIMIT = 500


def call_offs(session: Session, contract_id: str, *, status: str | None = None, limit: int = 100) -> list[CallOff]:
    """The contract's call-offs (`status`: "active" or "released" only), newest first."""
    query = select(ContractConsumption).where(
        col(ContractConsumption.contract_id) == contract_id, col(ContractConsumption.sku) == TOTAL
    )
    if status is not None:
        query = query.where(col(ContractConsumption.status) == status)
    totals = list(
        session.execute(
            query.order_by(col(ContractConsumption.created_at).desc(), col(ContractConsumption.order_id)).limit(
                min(limit, MAX_LIMIT)
            )
        ).scalars()
    )
    lines: dict[str, list[CallOffLine]] = {}
    if totals:
        rows = session.execute(
            select(ContractConsumption)
            .where(
                col(ContractConsumption.contract_id) == contract_id,
                col(ContractConsumption.sku) != TOTAL,
                col(ContractConsumption.order_id).in_([t.order_id for t in totals]),
            )
            .order_by(col(ContractConsumption.order_id), col(ContractConsumption.sku))
        ).scalars()
        for row in rows:
            lines.setdefault(row.order_id, []).append(
                CallOffLine(sku=row.sku, quantity=row.quantity, value=Decimal(row.value))
            )
    return [
        CallOff(
            order_id=t.order_id,
            status=t.status,
            forced=t.forced,
            consumed_at=t.created_at,
            released_at=t.released_at,
            value=Decimal(t.value),
            lines=lines.get(t.order_id, []),
        )
        for t in totals
    ]
