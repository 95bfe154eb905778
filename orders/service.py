"""The order service: what the API, the pages and the activities do with orders. It places an
order (a durable workflow), lists and shows the caller's orders, takes approvals, cancellations
and the expert's sub-order decisions, and validates an order for its workflow. Who may do what is
decided here; the workflows (through `OrderWorkflows`) decide what the order's state allows."""

import functools
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import IO

from anyio import to_thread
from sqlalchemy import Engine

from core.database import session_scope
from core.errors import Conflict, Forbidden, Invalid, NotFound, Unavailable
from core.settings import Settings
from models.actors import Actor, require_role
from models.approvals import ApprovalDecision, PendingApproval, SubOrderDecision
from models.orders import (
    FINAL_STATUSES,
    Acceptance,
    ApprovalBody,
    CancelBody,
    CancelRequest,
    OrderAccepted,
    OrderCreate,
    OrderPlacement,
    OrderQuery,
    OrderStatus,
    OrderSummary,
    OrderView,
    SubOrderDecisionBody,
    ValidatedOrder,
    ValidationRequest,
)
from models.records import OrderSnapshot, SubOrderSnapshot
from models.suborders import SubOrderStatus, SubOrderView
from orders import acceptance, reconciliation, record, validation
from orders.ids import new_order_id, request_fingerprint
from orders.order_workflows import OrderWorkflows
from orders.policy import order_policy
from orders.reconciliation import OpenOrder
from orders.tables import OrderRecord
from orders.visibility import may_see, may_see_order
from orders.watch import OrderWatch
from partners import units

OrderRejected = validation.OrderRejected


async def place(
    workflows: OrderWorkflows,
    engine: Engine,
    settings: Settings,
    actor: Actor,
    body: OrderCreate,
    idempotency_key: str | None,
) -> OrderAccepted:
    """Records the order, then starts its workflow: durable once this returns. The same
    Idempotency-Key is the same order for good, also after Temporal deleted its history (another
    body with it is refused)."""
    require_role(actor, "buyer")
    if actor.customer_id is None:
        raise Forbidden("Only a customer's buyers place orders")
    order_id = new_order_id(actor.customer_id, idempotency_key)
    placement = OrderPlacement(
        order_id=order_id,
        seller_id=settings.seller_id,
        buyer=actor,
        lines=body.lines,
        customer_reference=body.customer_reference,
        delivery_address=body.delivery_address,
        delivery_contact=body.delivery_contact,
        policy=order_policy(settings),
    )
    # fields added since keys were first used count only when given: an old request's retry still matches
    added = {"delivery_contact"} if body.delivery_contact is None else set()
    fingerprint = request_fingerprint({"buyer": actor.id, **body.model_dump(mode="json", exclude=added)})
    opened, new = await to_thread.run_sync(_open, engine, placement, fingerprint, idempotency_key)
    if opened.fingerprint != fingerprint:
        raise Invalid("This Idempotency-Key was already used for a different order", field="Idempotency-Key")
    location = f"/api/v1/orders/{order_id}"
    accepted = OrderAccepted(order_id=order_id, status=OrderStatus(opened.status), location=location)
    if opened.revision > 0:  # its workflow ran (and may be gone after the retention): the same order
        return accepted
    try:
        _, status = await workflows.place_order(placement, fingerprint)
    except BaseException:
        if new:  # not accepted: the client may try again, or not
            await to_thread.run_sync(_forget, engine, order_id)
        raise
    return accepted.model_copy(update={"status": status})


def _open(engine: Engine, placement: OrderPlacement, fingerprint: str, key: str | None) -> tuple[OrderRecord, bool]:
    with session_scope(engine, write_lock=True) as session:
        return record.open_order(session, placement, fingerprint, key)


def _forget(engine: Engine, order_id: str) -> None:
    with session_scope(engine, write_lock=True) as session:
        record.forget_unstarted(session, order_id)


def _listable(actor: Actor) -> list[str] | None:
    """The customers whose orders the caller lists: a customer's people their customer's, the
    seller's staff all (None)."""
    if actor.is_seller_staff:
        return None
    if actor.customer_id is None:
        raise Forbidden("Delivery units see their sub-orders under /api/v1/suborders")
    return [actor.customer_id]


def list_orders(engine: Engine, actor: Actor, query: OrderQuery) -> tuple[list[OrderSummary], str | None]:
    """One page of the caller's orders, newest first, and the next page's cursor (None: last page)."""
    customers = _listable(actor)
    try:
        with session_scope(engine) as session:
            return record.list_orders(session, query, customers)
    except ValueError as exc:
        raise Invalid(str(exc), field="cursor") from exc


def export_orders(engine: Engine, actor: Actor, query: OrderQuery, out: IO[str]) -> int:
    """Every order of the caller the query matches, as CSV (no paging); returns how many."""
    customers = _listable(actor)
    try:
        with session_scope(engine) as session:
            return record.export_csv(session, query, customers, out)
    except ValueError as exc:
        raise Invalid(str(exc), field="cursor") from exc


def recorded_order(engine: Engine, order_id: str) -> OrderView | None:
    with session_scope(engine) as session:
        return record.order_view(session, order_id)


def _recorded_with_version(engine: Engine, order_id: str) -> tuple[OrderView | None, str | None]:
    with session_scope(engine) as session:  # one transaction: the tag is the document's
        return record.order_view(session, order_id), record.order_version(session, order_id)


async def order_document(
    workflows: OrderWorkflows, engine: Engine, actor: Actor, order_id: str
) -> tuple[OrderView, str | None]:
    """The order's status document and its version tag (None for an order read from its workflow,
    placed before the record existed), if the caller may see it."""
    view, version = await to_thread.run_sync(_recorded_with_version, engine, order_id)
    if view is None:
        view, version = await workflows.order(order_id), None
    if not may_see_order(actor, view):
        raise NotFound(f"order {order_id} not found")
    return view, version


def _visible_version(engine: Engine, actor: Actor, order_id: str) -> str | None:
    with session_scope(engine) as session:
        header = session.get(OrderRecord, order_id)
        if header is None:
            return None
        pending = PendingApproval.model_validate(header.pending_approval) if header.pending_approval else None
        if not may_see(actor, header.customer_id or None, pending):
            raise NotFound(f"order {order_id} not found")
        return record.order_version(session, order_id)


async def visible_version(engine: Engine, actor: Actor, order_id: str) -> str | None:
    """The version tag (ETag) of the order's record, if the caller may see the order, without
    reading the whole order (None: not recorded)."""
    return await to_thread.run_sync(_visible_version, engine, actor, order_id)


def _versions(engine: Engine, order_ids: list[str]) -> dict[str, str]:
    with session_scope(engine) as session:
        return record.order_versions(session, order_ids)


_watches: dict[int, OrderWatch] = {}  # per database engine of this process


async def order_changes(engine: Engine, order_id: str, version: str, wait: float) -> bool:
    """Waits up to `wait` seconds for the order to move on from `version` (a long poll). True: it did."""
    watch = _watches.get(id(engine))
    if watch is None:
        watch = _watches[id(engine)] = OrderWatch(functools.partial(_versions, engine))
    return await watch.changes(order_id, version, wait)


async def visible_order(workflows: OrderWorkflows, engine: Engine, actor: Actor, order_id: str) -> OrderView:
    """The order's status document from its record (an order placed before the record existed: from
    its workflow), if the caller may see it; else not found, as if it did not exist."""
    view = await to_thread.run_sync(recorded_order, engine, order_id)
    if view is None:
        view = await workflows.order(order_id)
    if not may_see_order(actor, view):
        raise NotFound(f"order {order_id} not found")
    return view


async def _decide(
    workflows: OrderWorkflows,
    engine: Engine,
    actor: Actor,
    order_id: str,
    key: str | None,
    send: Callable[[], Awaitable[OrderView]],
    check: Callable[[], Awaitable[None]] | None = None,
) -> OrderView:
    """Sends a decision (`send`) to the order, if the caller may see it and it still takes decisions,
    and answers with the record (the workflow saved it before answering).

    A closed order refuses (409, as its workflow would answer while it ran), except a client's retry
    with the Idempotency-Key of the decision that closed it: that one gets the first answer, as long
    as Temporal keeps the order's history (another key, or a history gone: the refusal)."""
    view = await visible_order(workflows, engine, actor, order_id)
    if view.status not in FINAL_STATUSES:
        if check is not None:
            await check()
        return await _after(engine, order_id, await send())
    refusal = Conflict(f"the order is {view.status.value}: no decision can be taken")
    if key is None:
        raise refusal
    try:
        answer = await send()
    except Unavailable:  # Temporal is down: try again later, the answer may still be there
        raise
    except Exception as exc:  # not this key's decision (the workflow refused it), or no workflow any more
        raise refusal from exc
    return await _after(engine, order_id, answer)


async def _after(engine: Engine, order_id: str, answer: OrderView) -> OrderView:
    """What the caller sees after its decision: the record (the workflow saved it before answering)."""
    return await to_thread.run_sync(recorded_order, engine, order_id) or answer


async def approve(
    workflows: OrderWorkflows, engine: Engine, actor: Actor, order_id: str, body: ApprovalBody, key: str | None = None
) -> OrderView:
    """The approver's or expert's decision; the order refuses anyone it does not wait for."""
    decision = ApprovalDecision(decision=body.decision, comment=body.comment, actor=actor)
    return await _decide(
        workflows, engine, actor, order_id, key, lambda: workflows.decide(order_id, decision, _key(actor, key))
    )


async def cancel(
    workflows: OrderWorkflows,
    engine: Engine,
    actor: Actor,
    order_id: str,
    body: CancelBody | None,
    key: str | None = None,
) -> OrderView:
    """The buyer cancels (the order refuses once something shipped)."""
    request = CancelRequest(actor=actor, reason=(body.reason if body else "") or "cancelled by the buyer")
    return await _decide(
        workflows, engine, actor, order_id, key, lambda: workflows.cancel(order_id, request, _key(actor, key))
    )


async def decide_suborder(
    workflows: OrderWorkflows,
    engine: Engine,
    actor: Actor,
    order_id: str,
    suborder_id: str,
    body: SubOrderDecisionBody,
    key: str | None = None,
) -> OrderView:
    """The expert's decision on a rejected sub-order, or on an escalated one stuck at its unit."""

    async def unit_exists() -> None:
        if body.action == "reassign" and not (body.partner_id and await _unit_exists(engine, body.partner_id)):
            raise Invalid("reassign needs the id of an existing delivery unit", field="partner_id")

    decision = SubOrderDecision(
        action=body.action, suborder_id=suborder_id, partner_id=body.partner_id, comment=body.comment, actor=actor
    )
    return await _decide(
        workflows,
        engine,
        actor,
        order_id,
        key,
        lambda: workflows.decide_suborder(order_id, decision, _key(actor, key)),
        unit_exists,
    )


def _key(actor: Actor, key: str | None) -> str | None:
    """The update id of a person's Idempotency-Key: theirs alone."""
    return None if key is None else f"{actor.id}:{key}"


async def _unit_exists(engine: Engine, unit_id: str) -> bool:
    return await to_thread.run_sync(units.unit_exists, engine, unit_id)


def accept(engine: Engine, request: ValidationRequest) -> Acceptance:
    """Validates the order and books it (contract, monthly spend) in one transaction; OrderRejected
    names the line and field at fault, and nothing is booked then."""
    with session_scope(engine, write_lock=True) as session:
        return acceptance.accept(session, request.placement, request.as_of)


def save_order(engine: Engine, snapshot: OrderSnapshot) -> bool:
    """The order workflow's status document into the record (a stale revision changes nothing)."""
    with session_scope(engine, write_lock=True) as session:
        return record.save_order(session, snapshot)


def save_suborder(engine: Engine, snapshot: SubOrderSnapshot) -> bool:
    """A sub-order workflow's document into the record (a stale revision changes nothing)."""
    with session_scope(engine, write_lock=True) as session:
        return record.save_suborder(session, snapshot)


def suborder_state(engine: Engine, suborder_id: str) -> SubOrderView | None:
    """The sub-order as its workflow last wrote it (None: not recorded)."""
    with session_scope(engine) as session:
        return record.suborder_view(session, suborder_id)


def shipped_suborders(engine: Engine, order_id: str) -> list[str]:
    """The order's sub-orders whose unit reported them shipped or delivered, as the record says
    (each sub-order writes its state before it answers its unit)."""
    with session_scope(engine) as session:
        view = record.order_view(session, order_id)
    done = (SubOrderStatus.SHIPPED, SubOrderStatus.DELIVERED)
    return [] if view is None else [s.suborder_id for s in view.suborders if s.status in done]


def validate(engine: Engine, request: ValidationRequest) -> ValidatedOrder:
    """Checks the order against its customer's contract, assortment, rights and limits, and prices
    it; OrderRejected names the line and field at fault."""
    with session_scope(engine) as session:
        return validation.validate_order(session, request.placement, request.as_of)


# --- reconciliation (orders/reconciliation.py) ---------------------------------------------------


def open_orders(engine: Engine, untouched_for: timedelta) -> Iterator[list[OpenOrder]]:
    return reconciliation.open_orders(engine, datetime.now(UTC) - untouched_for)


def placement_of(order: OpenOrder) -> OrderPlacement:
    return reconciliation.placement_of(order)


def close_abandoned(engine: Engine, order_id: str, why: str) -> bool:
    return reconciliation.close_abandoned(engine, order_id, why)
