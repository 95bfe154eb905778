"""The notifications service: the inbox of reminders, escalations and unit messages, posted by the
activities (once per key) and read by each role in the portal and the API."""

from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlmodel import col

from core.database import session_scope
from models.actors import Actor
from models.notifications import Notification
from notifications.tables import NotificationRow


def post(engine: Engine, note: Notification) -> bool:
    """Stores the notification once per key; returns False when it was already there."""
    # read-then-write: take SQLite's write lock up front (a deferred upgrade fails under load)
    with session_scope(engine, write_lock=True) as session:
        if session.get(NotificationRow, note.key) is not None:
            return False
        session.add(NotificationRow(**note.model_dump(), created_at=datetime.now(UTC)))
        return True


def inbox(engine: Engine, actor: Actor, limit: int = 50) -> list[NotificationRow]:
    """What the caller's roles (within its customer or delivery unit) were sent, newest first."""
    query = select(NotificationRow).where(col(NotificationRow.role).in_(actor.roles or ["-"]))
    if actor.customer_id:
        query = query.where(col(NotificationRow.customer_id) == actor.customer_id)
    elif actor.delivery_unit_id:
        query = query.where(col(NotificationRow.delivery_unit_id) == actor.delivery_unit_id)
    else:
        query = query.where(col(NotificationRow.customer_id).is_(None), col(NotificationRow.delivery_unit_id).is_(None))
    with session_scope(engine) as session:
        return list(session.execute(query.order_by(col(NotificationRow.created_at).desc()).limit(limit)).scalars())
