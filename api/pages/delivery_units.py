"""Delivery units for the seller's administrators: the list (the seller's staff read it), a new unit,
a unit's particulars, and the rotation of its webhook signing secret (partners/service.py, the
API's checks). A secret is shown on the page that answers the form that made it, once: it is never
stored in a cookie or shown again after a reload."""

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import deps
from api.pages.common import page, redirect, render
from models.actors import Actor, require_admin
from models.delivery_units import DeliveryUnitCreate, DeliveryUnitUpdate
from partners import service as partners

router = APIRouter()

FIELDS = ("name", "webhook_url", "contact_email", "kind")


def unit_url(unit_id: str) -> str:
    return "/delivery-units/" + quote(unit_id, safe="")


def _form(form) -> dict[str, str | None]:
    """The form's fields; an empty one is null (on an edit: removed)."""
    return {name: str(form.get(name, "")).strip() or None for name in FIELDS}


@router.get("/delivery-units")
@page()
async def units_page(request: Request) -> Response:
    actor: Actor = request.state.actor
    rows = await run_in_threadpool(partners.list_units, deps.engine(request), actor)
    return render(request, "delivery_units.html", {"rows": rows, "may_edit": actor.is_admin})


@router.get("/delivery-units/new")
@page()
async def new_unit_form(request: Request) -> Response:
    require_admin(request.state.actor)
    return render(request, "delivery_unit.html", {"u": None, "secret": None})


@router.post("/delivery-units/new")
@page(back="/delivery-units/new")
async def create_unit(request: Request) -> Response:
    actor: Actor = request.state.actor
    form = await request.form()
    fields = {k: v for k, v in _form(form).items() if v is not None}
    body = DeliveryUnitCreate.model_validate({"unit_id": str(form.get("unit_id", "")).strip(), **fields})
    unit = await run_in_threadpool(partners.create_unit, deps.engine(request), actor, body)
    # no redirect: the secret is on this answer alone
    return render(request, "delivery_unit.html", {"u": unit, "secret": unit.webhook_secret, "created": True})


@router.get("/delivery-units/{unit_id}")
@page()
async def unit_page(request: Request, unit_id: str) -> Response:
    actor: Actor = request.state.actor
    unit = await run_in_threadpool(partners.get_unit, deps.engine(request), actor, unit_id)
    return render(request, "delivery_unit.html", {"u": unit, "secret": None, "may_edit": actor.is_admin})


@router.post("/delivery-units/{unit_id}")
@page(back="/delivery-units/{unit_id}")
async def update_unit(request: Request, unit_id: str) -> Response:
    actor: Actor = request.state.actor
    fields = _form(await request.form())
    if fields["kind"] is None:
        del fields["kind"]  # not on the form: unchanged
    changes = DeliveryUnitUpdate.model_validate(fields)
    await run_in_threadpool(partners.update_unit, deps.engine(request), actor, unit_id, changes)
    return redirect(unit_url(unit_id), ("ok", f"Delivery unit {unit_id} saved."))


@router.post("/delivery-units/{unit_id}/secret")
@page(back="/delivery-units/{unit_id}")
async def rotate_secret(request: Request, unit_id: str) -> Response:
    actor: Actor = request.state.actor
    form = await request.form()
    revoke = form.get("revoke_previous") == "1"
    grace = deps.settings(request).webhook_secret_grace
    # the form names the rotation it saw: a reload of the answer (the browser sends the form again)
    # must not rotate once more, which would drop the secret still in its grace period
    seen = await run_in_threadpool(partners.get_unit, deps.engine(request), actor, unit_id)
    current = seen.secret_rotated_at.isoformat() if seen.secret_rotated_at else "never"
    if str(form.get("rotated_at", current)) != current:
        return redirect(unit_url(unit_id), ("error", "The secret was rotated since this form was shown: not again."))
    unit = await run_in_threadpool(
        lambda: partners.rotate_secret(deps.engine(request), actor, unit_id, grace, revoke_previous=revoke)
    )
    return render(request, "delivery_unit.html", {"u": unit, "secret": unit.webhook_secret, "may_edit": True})
