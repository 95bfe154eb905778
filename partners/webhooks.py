"""Inbound partner webhooks: Standard Webhooks signature check and the replay guard. After a
rotation a unit's previous secret verifies too, until its grace period ends
(partners/onboarding.py `rotate_secret`)."""

from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from core.database import session_scope
from partners import onboarding
from partners.tables import DeliveryUnit, WebhookReceipt

__all__ = ["WebhookVerificationError", "already_received", "remember", "unit_secret", "unit_secrets", "verify"]


def unit_secret(engine: Engine, unit_id: str) -> str | None:
    with session_scope(engine) as session:
        unit = session.get(DeliveryUnit, unit_id)
        return None if unit is None else unit.webhook_secret


def unit_secrets(engine: Engine, unit_id: str) -> list[str] | None:
    """The secrets that verify the unit's webhooks now: the current one, and the previous one
    during its grace period; None for an unknown unit."""
    with session_scope(engine) as session:
        unit = session.get(DeliveryUnit, unit_id)
        if unit is None:
            return None
        previous = unit.previous_webhook_secret
        in_grace = previous is not None and onboarding.in_grace(unit, datetime.now(UTC))
        return [unit.webhook_secret, previous] if in_grace and previous is not None else [unit.webhook_secret]


def verify(secrets: list[str], body: bytes, headers: dict[str, str]) -> None:
    """Raises WebhookVerificationError unless one of the secrets signed it, or on a timestamp
    older/newer than 5 min."""
    for secret in secrets[:-1]:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
            return
        except WebhookVerificationError:
            continue  # the next one may have signed it
    Webhook(secrets[-1]).verify(body, headers, json_parse=False)  # its error is the answer


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
