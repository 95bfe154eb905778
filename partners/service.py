"""The partner service: delivery units and their sub-orders, for the API, the pages, the CLI and
the activities. The seller's administrators onboard units and rotate their secrets; a unit's
people see and move their unit's sub-orders (the portal); a unit's backend reports with signed
webhooks, each webhook id with one effect; the seller's staff see all."""

import uuid
from datetime import timedelta

from anyio import to_thread
from sqlalchemy import Engine

from core.database import session_scope
from core.errors import Forbidden, NotFound
from models.actors import Actor, require_admin, require_role
from models.delivery_units import DeliveryUnitCreate, DeliveryUnitOut, DeliveryUnitSecret, DeliveryUnitUpdate
from models.suborders import (
    EventType,
    PartnerEvent,
    PortalEvent,
    SubOrderStatus,
    SubOrderSummary,
    SubOrderView,
)
from orders import record
from partners import onboarding, units, webhooks
from partners.suborder_workflows import SubOrderWorkflows

WebhookVerificationError = webhooks.WebhookVerificationError


# --- delivery units ------------------------------------------------------------------------------

unit_names = units.unit_names
unit_exists = units.unit_exists
backend_of = units.backend_of
unit_secret = webhooks.unit_secret  # the webhook signing secret (the CLI plays a unit's backend)
UnitNotFound = onboarding.UnitNotFound
UnitExists = onboarding.UnitExists


def _require_staff(actor: Actor) -> None:
    if not actor.is_seller_staff:
        raise Forbidden("Delivery units are shown to the seller's staff")


def list_units(engine: Engine, actor: Actor) -> list[DeliveryUnitOut]:
    """Every delivery unit (never a secret), for the seller's staff."""
    _require_staff(actor)
    return onboarding.list_units(engine)


def get_unit(engine: Engine, actor: Actor, unit_id: str) -> DeliveryUnitOut:
    _require_staff(actor)
    return onboarding.get_unit(engine, unit_id)


def create_unit(engine: Engine, actor: Actor, body: DeliveryUnitCreate) -> DeliveryUnitSecret:
    """A new unit with a generated signing secret, answered this once (administrators)."""
    require_admin(actor)
    return onboarding.create_unit(engine, body)


def update_unit(engine: Engine, actor: Actor, unit_id: str, changes: DeliveryUnitUpdate) -> DeliveryUnitOut:
    require_admin(actor)
    return onboarding.update_unit(engine, unit_id, changes)


def rotate_secret(
    engine: Engine, actor: Actor, unit_id: str, grace: timedelta, *, revoke_previous: bool = False
) -> DeliveryUnitSecret:
    """A new signing secret, answered this once (administrators): outbound messages are signed
    with it at once, the previous one verifies inbound webhooks for `grace` more."""
    require_admin(actor)
    return onboarding.rotate_secret(engine, unit_id, grace, revoke_previous=revoke_previous)


# --- sub-orders ----------------------------------------------------------------------------------


def unit_scope(actor: Actor) -> str | None:
    """Whose sub-orders the actor sees: a delivery unit's people their unit's, the seller's staff
    all (None); nobody else."""
    if actor.delivery_unit_id is not None:
        return actor.delivery_unit_id
    if actor.is_seller_staff:
        return None
    raise Forbidden("Sub-orders are for delivery units and the seller's staff")


def list_suborders(engine: Engine, actor: Actor, status: SubOrderStatus | None, limit: int) -> list[SubOrderSummary]:
    """The caller's unit's sub-orders (the seller's staff: every unit's), newest first, from the
    order record: what to deliver and where, never the customer's prices."""
    unit = unit_scope(actor)
    with session_scope(engine) as session:
        return record.list_suborders(session, unit, status, limit)


def _recorded(engine: Engine, suborder_id: str) -> SubOrderView | None:
    with session_scope(engine) as session:
        return record.suborder_view(session, suborder_id)


async def visible_suborder(
    workflows: SubOrderWorkflows, engine: Engine, actor: Actor, suborder_id: str
) -> SubOrderView:
    """The sub-order with its timeline from the record (one of an order placed before the record
    existed: from its workflow), if it is the caller's unit's."""
    unit = unit_scope(actor)
    view = await to_thread.run_sync(_recorded, engine, suborder_id)
    if view is None:
        view = await workflows.suborder(suborder_id)
    if unit is not None and view.partner_id != unit:
        raise NotFound(f"sub-order {suborder_id} not found")
    return view


async def report_from_portal(
    workflows: SubOrderWorkflows,
    engine: Engine,
    actor: Actor,
    suborder_id: str,
    body: PortalEvent,
    idempotency_key: str | None,
) -> SubOrderView:
    """A unit's user reports progress; the same Idempotency-Key (a double click) counts once."""
    require_role(actor, "fulfilment")
    await visible_suborder(workflows, engine, actor, suborder_id)
    event_id = f"portal:{idempotency_key or uuid.uuid4().hex}"
    return await workflows.report(
        PartnerEvent(type=body.type, suborder_id=suborder_id, event_id=event_id, data=body.data, actor=actor),
        update_id=event_id,
    )


# --- signed webhooks from a unit's backend -------------------------------------------------------


def webhook_secrets(engine: Engine, unit_id: str) -> list[str]:
    """The secrets that verify the unit's webhooks now (after a rotation, the previous one too
    during its grace period); NotFound for an unknown unit."""
    secrets = webhooks.unit_secrets(engine, unit_id)
    if secrets is None:
        raise NotFound(f"unknown delivery unit {unit_id}", field="partner_id")
    return secrets


verify_webhook = webhooks.verify
already_received = webhooks.already_received


async def report_from_backend(
    workflows: SubOrderWorkflows,
    engine: Engine,
    unit_id: str,
    webhook_id: str,
    event_type: EventType,
    suborder_id: str,
    data: dict,
) -> SubOrderView:
    """Applies a verified webhook: the update id makes concurrent deliveries of one webhook one
    update in Temporal, and the receipt makes a later redelivery a duplicate."""
    event = PartnerEvent(
        type=event_type,
        suborder_id=suborder_id,
        event_id=webhook_id,
        data=data,
        actor=Actor(id=f"partner:{unit_id}", delivery_unit_id=unit_id),
    )
    view = await workflows.report(event, update_id=f"webhook:{unit_id}:{webhook_id}")
    await to_thread.run_sync(webhooks.remember, engine, unit_id, webhook_id, suborder_id, event_type)
    return view
