"""The partner portal: a delivery unit's sub-orders and the buttons that report their progress."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import deps
from api.pages.common import form_token, page, redirect, render, status_filter
from api.problems import Problem
from models.actors import Actor
from models.suborders import TRANSITIONS, PortalEvent, SubOrderStatus
from partners import service as partners

router = APIRouter()

# The partner portal's buttons: form value -> event type, and which sub-order states offer it.
PORTAL_ACTIONS = {
    "accept": "suborder.accepted",
    "ship": "suborder.shipped",
    "deliver": "suborder.delivered",
    "reject": "suborder.rejected",
}


def _portal_actions(actor: Actor, status: Any) -> list[str]:
    """The buttons a delivery unit's user gets for a sub-order in this status."""
    if "fulfilment" not in actor.roles or actor.delivery_unit_id is None or status is None:
        return []
    return [name for name, event in PORTAL_ACTIONS.items() if SubOrderStatus(status) in TRANSITIONS[event][0]]


@router.get("/suborders")
@page()
async def suborders_page(request: Request, status: str | None = None) -> Response:
    actor: Actor = request.state.actor
    wanted = status_filter(SubOrderStatus, status)
    rows = await run_in_threadpool(partners.list_suborders, deps.engine(request), actor, wanted, 100)
    return render(
        request,
        "suborders.html",
        {
            "rows": [
                {"row": row, "actions": _portal_actions(actor, row.status), "token": form_token()} for row in rows
            ],
            "status": wanted.value if wanted else "",
            "statuses": [s.value for s in SubOrderStatus],
        },
    )


@router.get("/suborders/{suborder_id}")
@page()
async def suborder_page(request: Request, suborder_id: str) -> Response:
    actor: Actor = request.state.actor
    view = await partners.visible_suborder(deps.gateway(request), deps.engine(request), actor, suborder_id)
    units = await run_in_threadpool(partners.unit_names, deps.engine(request))
    return render(
        request,
        "suborder.html",
        {"sub": view, "units": units, "token": form_token(), "actions": _portal_actions(actor, view.status)},
    )


@router.post("/suborders/{suborder_id}/events")
@page(back="/suborders/{suborder_id}")
async def suborder_event_submit(request: Request, suborder_id: str) -> Response:
    form = await request.form()
    action = str(form.get("action", ""))
    if action not in PORTAL_ACTIONS:
        raise Problem(422, f"unknown action {action!r}", field="action")
    data = {}
    for field in ("tracking", "reason", "note"):
        if value := str(form.get(field, "")).strip():
            data[field] = value[:500]
    body = PortalEvent(type=PORTAL_ACTIONS[action], data=data)
    token = str(form.get("form_token", ""))[:100] or None  # the Idempotency-Key: a double click counts once
    view = await partners.report_from_portal(
        deps.gateway(request), deps.engine(request), request.state.actor, suborder_id, body, token
    )
    return redirect(f"/suborders/{suborder_id}", ("ok", f"Sub-order {suborder_id} is {view.status.value}."))
