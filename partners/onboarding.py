"""Onboarding delivery units (the seller's administrators): create, change, list, and rotate the
webhook signing secret.

The secret signs both directions (Standard Webhooks): our messages to the unit's backend and its
reports to us. A rotation signs outbound messages with the new secret at once; the previous one
keeps verifying inbound webhooks until `previous_secret_until`, so that the unit's backend can be
switched over without a gap (partners/webhooks.py `unit_secrets`)."""

import base64
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from core.database import session_scope
from core.errors import Conflict, Invalid, NotFound
from core.outbound import refusal_when_saved
from models.customer_rules import possible_key
from models.delivery_units import DeliveryUnitCreate, DeliveryUnitOut, DeliveryUnitSecret, DeliveryUnitUpdate
from partners.tables import DeliveryUnit

SECRET_BYTES = 32  # Standard Webhooks asks for 24 to 64 random bytes
NOT_NULLABLE = ("name", "kind", "adapter")


class UnitNotFound(NotFound):
    def __init__(self, unit_id: str):
        super().__init__(f"delivery unit {unit_id} not found")


class UnitExists(Conflict):
    def __init__(self, unit_id: str):
        super().__init__(f"a delivery unit {unit_id} exists already", field="unit_id")


def new_secret() -> str:
    """A fresh signing secret in the Standard Webhooks format: whsec_ and base64 of random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite drops it


def in_grace(unit: DeliveryUnit, now: datetime) -> bool:
    """Whether the unit's previous secret still verifies inbound webhooks."""
    until = _aware(unit.previous_secret_until)
    return unit.previous_webhook_secret is not None and until is not None and now < until


def out(unit: DeliveryUnit, now: datetime | None = None) -> DeliveryUnitOut:
    now = now or datetime.now(UTC)
    return DeliveryUnitOut(
        unit_id=unit.id,
        name=unit.name,
        kind=unit.kind,
        adapter=unit.adapter,
        webhook_url=unit.webhook_url,
        contact_email=unit.contact_email,
        secret_rotated_at=_aware(unit.secret_rotated_at),
        previous_secret_until=_aware(unit.previous_secret_until) if in_grace(unit, now) else None,
    )


def with_secret(unit: DeliveryUnit) -> DeliveryUnitSecret:
    return DeliveryUnitSecret(**out(unit).model_dump(), webhook_secret=unit.webhook_secret)


def list_units(engine: Engine) -> list[DeliveryUnitOut]:
    with session_scope(engine) as session:
        units = session.execute(select(DeliveryUnit).order_by(col(DeliveryUnit.id))).scalars()
        return [out(unit) for unit in units]


def _unit(session, unit_id: str, *, lock: bool = False) -> DeliveryUnit:
    unit = session.get(DeliveryUnit, unit_id, with_for_update=lock) if possible_key(unit_id) else None
    if unit is None:
        raise UnitNotFound(unit_id)
    return unit


def get_unit(engine: Engine, unit_id: str) -> DeliveryUnitOut:
    with session_scope(engine) as session:
        return out(_unit(session, unit_id))


def _checked_url(url: object) -> str | None:
    """The webhook URL as stored; Invalid (naming `webhook_url`) for one that can never be a target."""
    if url is None:
        return None
    problem = refusal_when_saved(str(url))
    if problem:
        raise Invalid(problem, field="webhook_url")
    return str(url)


def create_unit(engine: Engine, body: DeliveryUnitCreate) -> DeliveryUnitSecret:
    """The unit with a generated secret, which the answer carries this once."""
    unit = DeliveryUnit(
        id=body.unit_id,
        name=body.name,
        kind=body.kind,
        adapter=body.adapter,
        webhook_url=_checked_url(body.webhook_url),
        contact_email=body.contact_email,
        webhook_secret=new_secret(),
    )
    try:
        with session_scope(engine, write_lock=True) as session:
            if session.get(DeliveryUnit, body.unit_id) is not None:
                raise UnitExists(body.unit_id)
            session.add(unit)
    except IntegrityError:  # created at the same moment by another request (PostgreSQL)
        raise UnitExists(body.unit_id) from None
    return with_secret(unit)


def update_unit(engine: Engine, unit_id: str, changes: DeliveryUnitUpdate) -> DeliveryUnitOut:
    """Changes the fields sent (only those); the secret is changed by `rotate_secret` alone."""
    with session_scope(engine, write_lock=True) as session:
        unit = _unit(session, unit_id, lock=True)
        for name in changes.model_fields_set:
            value = getattr(changes, name)
            if value is None and name in NOT_NULLABLE:
                raise Invalid(f"{name} cannot be cleared", field=name)
            setattr(unit, name, _checked_url(value) if name == "webhook_url" else value)
        return out(unit)


def rotate_secret(
    engine: Engine, unit_id: str, grace: timedelta, *, revoke_previous: bool = False
) -> DeliveryUnitSecret:
    """A new secret for the unit; the one it replaces verifies inbound webhooks for `grace` more
    (not at all with `revoke_previous`). A secret replaced earlier stops counting now: only the
    last two ever verify."""
    now = datetime.now(UTC)
    with session_scope(engine, write_lock=True) as session:
        unit = _unit(session, unit_id, lock=True)
        keep = not revoke_previous and grace > timedelta(0)
        unit.previous_webhook_secret = unit.webhook_secret if keep else None
        unit.previous_secret_until = now + grace if keep else None
        unit.webhook_secret = new_secret()
        unit.secret_rotated_at = now
        return with_secret(unit)
