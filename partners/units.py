"""Delivery units: the seller's warehouses and service teams and the partner companies that fulfil
sub-orders."""

from sqlalchemy import Engine, select
from sqlmodel import col

from core.database import session_scope
from partners.tables import DeliveryUnit


def unit_names(engine: Engine) -> dict[str, str]:
    """Delivery unit id -> name, for the order and sub-order pages."""
    with session_scope(engine) as session:
        units = session.execute(select(DeliveryUnit).order_by(col(DeliveryUnit.name))).scalars()
        return {u.id: u.name for u in units}


def unit_exists(engine: Engine, unit_id: str) -> bool:
    with session_scope(engine) as session:
        return session.get(DeliveryUnit, unit_id) is not None


def backend_of(engine: Engine, unit_id: str) -> tuple[str | None, str]:
    """The unit's backend: its webhook URL (None: it works in the portal only) and signing secret."""
    with session_scope(engine) as session:
        unit = session.get(DeliveryUnit, unit_id)
        if unit is None:
            raise ValueError(f"unknown delivery unit {unit_id}")
        return unit.webhook_url, unit.webhook_secret
