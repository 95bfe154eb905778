"""Orders: place, list (and export), read, approve, cancel, and the expert's sub-order decisions
(orders.service). Reads come from the order record, so they answer also after Temporal deleted a
closed order's history; a decision answers once the record holds it."""

import io
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep, GatewayDep, SettingsDep
from api.security import CurrentActor
from invoicing import service as invoicing
from models.orders import (
    ApprovalBody,
    CancelBody,
    OrderAccepted,
    OrderCreate,
    OrderQuery,
    OrderSummary,
    OrderView,
    SubOrderDecisionBody,
)
from orders import service as orders

router = APIRouter(prefix="/api/v1/orders", tags=["orders"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="the same key again (a retry after a timeout or a 5xx) gets the first answer",
    ),
]


def order_query(query: Annotated[OrderQuery, Query()]) -> OrderQuery:
    return query


Filters = Annotated[OrderQuery, Depends(order_query)]


@router.post(
    "",
    status_code=202,
    response_model=OrderAccepted,
    summary="Place a call-off order (validated, approved, fulfilled and invoiced asynchronously)",
    responses={202: {"description": "The order is durable in Temporal; follow Location for its status"}},
)
async def create_order(
    body: OrderCreate,
    response: Response,
    actor: CurrentActor,
    gateway: GatewayDep,
    settings: SettingsDep,
    engine: EngineDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200, min_length=1)] = None,
) -> OrderAccepted:
    accepted = await orders.place(gateway, engine, settings, actor, body, idempotency_key)
    response.headers["Location"] = accepted.location
    return accepted


@router.get(
    "",
    response_model=list[OrderSummary],
    summary="The caller's orders, newest first, a page at a time",
    responses={200: {"headers": {"Link": {"description": 'the next page: <...&cursor=...>; rel="next"'}}}},
)
async def list_orders(
    request: Request, response: Response, actor: CurrentActor, engine: EngineDep, query: Filters
) -> list[OrderSummary]:
    """Filters: `status`, `customer_id`, `buyer`, `placed_from` / `placed_to` (ISO 8601 with a
    zone), `customer_reference`. The next page's address is in the `Link` header (and its cursor
    in `X-Next-Cursor`)."""
    rows, next_cursor = await run_in_threadpool(orders.list_orders, engine, actor, query)
    if next_cursor is not None:
        response.headers["Link"] = f'<{request.url.include_query_params(cursor=next_cursor)}>; rel="next"'
        response.headers["X-Next-Cursor"] = next_cursor
    return rows


@router.get(
    "/export.csv",
    response_class=Response,
    summary="The caller's orders as CSV (the list's filters, every page)",
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_orders(actor: CurrentActor, engine: EngineDep, query: Filters) -> Response:
    out = io.StringIO()
    await run_in_threadpool(orders.export_orders, engine, actor, query, out)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
    )


MAX_WAIT = 30.0  # seconds a long poll may be held


def preferred_wait(prefer: str | None) -> float:
    """`Prefer: wait=N` (RFC 7240): how long the client is willing to wait, capped; 0 if not given."""
    for preference in (prefer or "").split(","):
        name, _, value = preference.strip().partition("=")
        if name.strip().lower() == "wait":
            try:
                return max(0.0, min(float(value.strip().strip('"')), MAX_WAIT))
            except ValueError:
                return 0.0
    return 0.0


@router.get(
    "/{order_id}",
    response_model=OrderView,
    summary="The order's status document",
    responses={
        200: {"headers": {"ETag": {"description": "changes whenever the order or one of its sub-orders does"}}},
        304: {
            "description": "If-None-Match named the current ETag (after `Prefer: wait=N`: nothing changed meanwhile)"
        },
    },
)
async def get_order(
    order_id: str,
    response: Response,
    actor: CurrentActor,
    gateway: GatewayDep,
    engine: EngineDep,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match", max_length=200)] = None,
    prefer: Annotated[
        str | None,
        Header(
            alias="Prefer",
            max_length=200,
            description="wait=N: with If-None-Match, hold the answer up to N s (max 30) until the order changes",
        ),
    ] = None,
) -> OrderView | Response:
    """With `If-None-Match` set to the ETag of the last answer, an unchanged order answers 304; with
    `Prefer: wait=N` as well, the answer waits until the order changes (or N seconds pass): a client
    that follows an order makes one request per change instead of polling."""
    if if_none_match is not None:  # the client has a document: compare versions before reading the order
        current = await orders.visible_version(engine, actor, order_id)
        if current is not None and if_none_match == f'"{current}"':
            wait = preferred_wait(prefer)
            if wait > 0:
                response.headers["Preference-Applied"] = f"wait={wait:g}"
            if wait == 0 or not await orders.order_changes(engine, order_id, current, wait):
                response.headers["ETag"] = if_none_match
                return Response(status_code=304, headers=dict(response.headers))
    view, version = await orders.order_document(gateway, engine, actor, order_id)
    etag = f'"{version}"' if version is not None else None
    if etag is not None:
        response.headers["ETag"] = etag
        if if_none_match == etag:
            return Response(status_code=304, headers=dict(response.headers))
    return view


@router.post(
    "/{order_id}/approval",
    response_model=OrderView,
    summary="Approve or reject, by the approver or expert the order waits for (409 otherwise)",
)
async def approve(
    order_id: str,
    body: ApprovalBody,
    actor: CurrentActor,
    gateway: GatewayDep,
    engine: EngineDep,
    idempotency_key: IdempotencyKey = None,
) -> OrderView:
    return await orders.approve(gateway, engine, actor, order_id, body, idempotency_key)


@router.post("/{order_id}/cancel", response_model=OrderView, summary="Cancel before shipping, by the buyer")
async def cancel(
    order_id: str,
    actor: CurrentActor,
    gateway: GatewayDep,
    engine: EngineDep,
    body: CancelBody | None = None,
    idempotency_key: IdempotencyKey = None,
) -> OrderView:
    return await orders.cancel(gateway, engine, actor, order_id, body, idempotency_key)


@router.post(
    "/{order_id}/suborders/{suborder_id}/decision",
    response_model=OrderView,
    summary="The expert's decision on a rejected sub-order, or on an escalated one stuck at its unit",
)
async def decide_suborder(
    order_id: str,
    suborder_id: str,
    body: SubOrderDecisionBody,
    actor: CurrentActor,
    gateway: GatewayDep,
    engine: EngineDep,
    idempotency_key: IdempotencyKey = None,
) -> OrderView:
    return await orders.decide_suborder(gateway, engine, actor, order_id, suborder_id, body, idempotency_key)


@router.post(
    "/{order_id}/invoice/retry",
    response_model=OrderView,
    summary="Check the blocked invoice again once its data is fixed (finance; the order is INVOICE_BLOCKED)",
)
async def retry_invoice(
    order_id: str, actor: CurrentActor, gateway: GatewayDep, idempotency_key: IdempotencyKey = None
) -> OrderView:
    return await invoicing.retry_invoicing(gateway, actor, order_id, idempotency_key)
