"""Delivery units for the seller: administrators onboard them and rotate their webhook signing
secrets (partners.service); the seller's staff read them. A secret is answered once, when it is
made, and never shown again."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, Path, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep, SettingsDep
from api.security import CurrentActor
from models.customer_rules import Printable
from models.delivery_units import (
    DeliveryUnitCreate,
    DeliveryUnitOut,
    DeliveryUnitSecret,
    DeliveryUnitUpdate,
    SecretRotation,
)
from partners import service as partners

router = APIRouter(prefix="/api/v1/delivery-units", tags=["delivery units"])
UnitId = Annotated[str, Path(min_length=1, max_length=64), Printable]
ONCE = "The answer carries the `whsec_` signing secret: it is shown this once, store it in the unit's backend."


@router.get("", response_model=list[DeliveryUnitOut], summary="Every delivery unit (seller staff); never a secret")
async def list_units(actor: CurrentActor, engine: EngineDep) -> list[DeliveryUnitOut]:
    return await run_in_threadpool(partners.list_units, engine, actor)


@router.post(
    "",
    response_model=DeliveryUnitSecret,
    status_code=201,
    summary="Onboard a delivery unit (seller administrators) with a generated webhook signing secret",
    description=ONCE + " An existing `unit_id` is 409; `webhook_url` must be an http or https URL.",
)
async def create_unit(
    body: DeliveryUnitCreate, response: Response, actor: CurrentActor, engine: EngineDep
) -> DeliveryUnitSecret:
    unit = await run_in_threadpool(partners.create_unit, engine, actor, body)
    response.headers["Location"] = f"{router.prefix}/{quote(unit.unit_id, safe='')}"
    return unit


@router.get("/{unit_id}", response_model=DeliveryUnitOut, summary="One delivery unit (seller staff); never its secret")
async def get_unit(unit_id: UnitId, actor: CurrentActor, engine: EngineDep) -> DeliveryUnitOut:
    return await run_in_threadpool(partners.get_unit, engine, actor, unit_id)


@router.patch(
    "/{unit_id}",
    response_model=DeliveryUnitOut,
    summary="Change a unit's name, webhook URL, contact e-mail, kind or adapter (seller administrators); "
    "only the fields sent change",
)
async def update_unit(
    unit_id: UnitId, body: DeliveryUnitUpdate, actor: CurrentActor, engine: EngineDep
) -> DeliveryUnitOut:
    return await run_in_threadpool(partners.update_unit, engine, actor, unit_id, body)


@router.post(
    "/{unit_id}/secret",
    response_model=DeliveryUnitSecret,
    summary="Rotate a unit's webhook signing secret (seller administrators)",
    description=ONCE + " Messages to the unit are signed with the new secret at once; the previous "
    "one keeps verifying the unit's webhooks until `previous_secret_until` (WEBHOOK_SECRET_GRACE "
    'later), unless `{"revoke_previous": true}` is sent.',
)
async def rotate_secret(
    unit_id: UnitId,
    actor: CurrentActor,
    engine: EngineDep,
    settings: SettingsDep,
    body: Annotated[SecretRotation | None, Body()] = None,
) -> DeliveryUnitSecret:
    revoke = body is not None and body.revoke_previous
    return await run_in_threadpool(
        lambda: partners.rotate_secret(engine, actor, unit_id, settings.webhook_secret_grace, revoke_previous=revoke)
    )
