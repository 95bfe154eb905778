"""Inbound partner webhooks: Standard Webhooks signature check and the replay guard."""

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from core.database import session_scope
from partners.tables import DeliveryUnit, WebhookReceipt

__all__ = ["WebhookVerificationError", "already_received", "remember", "unit_secret", "verify"]


def unit_secret(engine: Engine, unit_id: str) -> str | None:
    with session_scope(engine) as session:
        unit = session.get(DeliveryUnit, unit_id)
        return None if unit is None else unit.webhook_secret


def verify(secret: str, body: bytes, headers: dict[str, str]) -> None:
    """Raises WebhookVerificationError on a bad signature or a timestamp older/newer than 5 min."""
    Webhook(secret).verify(body, headers, json_parse=False)


def already_received(engine: Engine, unit_id: str, webhook_id: str) -> bool:
    with session_scope(engine) as session:
        return session.get(WebhookReceipt, (unit_id, webhook_id)) is not None


def remember(engine: Engine, unit_id: str, webhook_id: str, suborder_id: str, event_type: str) -> None:
    try:
        with session_scope(engine) as session:
            session.add(
                WebhookReceipt(
                    delivery_unit_id=unit_id,
                    webhook_id=webhook_id,
                    suborder_id=suborder_id,
                    event_type=event_type,
                    received_at=datetime.now(UTC),
                )
            )
    except IntegrityError:
        pass  # a concurrent delivery of the same webhook got here first
