"""Failures heal instead of failing the order, business refusals have a defined outcome, and an
order that ends without being delivered tells its units and gives back what it booked."""

import asyncio
import threading
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
from sqlalchemy import select, text
from sqlmodel import col
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import CancelledError

from contracts.tables import BuyerSpend
from core import temporal_names as names
from core.database import session_scope
from core.settings import Settings
from models.approvals import SubOrderDecision
from models.orders import OrderStatus
from models.suborders import SubOrderStatus
from partners.tables import DeliveryUnit
from tests.workflows.helpers import (
    CABLES,
    EXPERT,
    POLICY,
    SWITCH,
    deliver,
    events,
    notifications,
    placement,
    report,
    start,
    status,
    suborder,
    wait_for,
)
from worker import orders_worker
from workflows.order import OrderWorkflow


def spend(engine, order_id: str) -> list[Decimal]:
    with session_scope(engine) as session:
        return list(session.execute(select(col(BuyerSpend.net)).where(col(BuyerSpend.order_id) == order_id)).scalars())


def in_fulfilment(count: int):
    return lambda v: v.status == OrderStatus.IN_FULFILLMENT and len(v.suborders) == count


async def test_a_failing_database_write_raises_attention_and_the_order_resumes_when_it_heals(
    client, task_queue, engine
):
    """The record's table is gone for a while (a broken migration, a locked database): the order
    keeps retrying, shows operators what fails, and goes on by itself once the table is back."""
    p = placement(CABLES, policy=POLICY.model_copy(update={"attention_after": timedelta(seconds=1)}))
    with session_scope(engine) as session:
        session.execute(text("ALTER TABLE orderrecord RENAME TO orderrecord_away"))
    try:
        handle = await start(client, task_queue, p)
        for _ in range(200):
            live = await handle.query(OrderWorkflow.view)
            if live.attention:
                break
            await asyncio.sleep(0.05)
        assert live.attention and live.attention.startswith("saving the order record: ")
        assert (await handle.describe()).typed_search_attributes.get(names.NEEDS_ATTENTION) is True
        assert live.status == OrderStatus.IN_FULFILLMENT  # it does not fail, it waits for the record
    finally:
        with session_scope(engine) as session:
            session.execute(text("ALTER TABLE orderrecord_away RENAME TO orderrecord"))
    # the save is a local activity: its retries back off in the worker's own time (1, 2, 4, 8 s ...),
    # which the test server does not skip; the next one may be a while (seen in CI: over 10 s)
    view = await wait_for(handle, lambda v: v.attention is None and v.suborders, attempts=1200)
    assert view.status == OrderStatus.IN_FULFILLMENT
    assert (await handle.describe()).typed_search_attributes.get(names.NEEDS_ATTENTION) is False
    await deliver(client, view.suborders[0].suborder_id, "central-warehouse")
    assert (await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)).attention is None


class Refusing(BaseHTTPRequestHandler):
    """A unit's backend that refuses every message (a 4xx: sending it again cannot help)."""

    received: ClassVar[list[bytes]] = []

    def do_POST(self):
        self.received.append(self.rfile.read(int(self.headers["content-length"])))
        self.send_response(422)
        self.end_headers()
        self.wfile.write(b'{"error": "unknown article"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def refusing_backend(engine):
    Refusing.received.clear()  # what this test's server received only
    server = ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # write_lock: a read that turns into a write fails at once when a worker wrote in between (WAL)
    with session_scope(engine, write_lock=True) as session:
        unit = session.get(DeliveryUnit, "netpartner")
        before, unit.webhook_url = unit.webhook_url, f"http://127.0.0.1:{server.server_port}/hook"
    yield Refusing.received
    with session_scope(engine, write_lock=True) as session:
        session.get(DeliveryUnit, "netpartner").webhook_url = before
    server.shutdown()


async def test_a_unit_that_refuses_its_suborder_is_escalated_at_once(client, task_queue, engine, refusing_backend):
    handle = await start(client, task_queue, placement(SWITCH))
    view = await wait_for(handle, lambda v: v.suborders and v.suborders[0].escalated)
    sub = view.suborders[0]
    assert sub.status == SubOrderStatus.SENT  # still the unit's, until the expert decides
    escalated = next(e for e in view.timeline if e.event == "suborder.escalated")
    assert "netpartner could not be told: netpartner's backend refused suborder.created: HTTP 422" in escalated.detail
    assert len(refusing_backend) == 1  # not retried: the unit said no
    assert b"delivery_address" in refusing_backend[0] and b"unit_price" not in refusing_backend[0]
    # the expert moves the lines to the warehouse
    await handle.execute_update(
        OrderWorkflow.decide_suborder,
        SubOrderDecision(action="reassign", suborder_id=sub.suborder_id, partner_id="central-warehouse", actor=EXPERT),
    )
    view = await wait_for(handle, in_fulfilment(2))
    assert suborder(view, "netpartner").status == SubOrderStatus.CANCELLED


async def test_a_backend_in_the_internal_network_is_not_called_and_the_expert_decides(
    time_env, engine, task_queue, refusing_backend
):
    """Production's worker (WEBHOOK_ALLOW_INTERNAL_TARGETS off) does not call a unit's URL that
    leads to loopback or a private network (a URL typed into a form must not reach the seller's own
    servers); the sub-order escalates to the expert like a unit's refusal."""
    settings = Settings(temporal_task_queue=task_queue, webhook_allow_internal_targets=False)
    async with orders_worker(time_env.client, engine, settings):
        handle = await start(time_env.client, task_queue, placement(SWITCH))
        view = await wait_for(handle, lambda v: v.suborders and v.suborders[0].escalated)
        escalated = next(e for e in view.timeline if e.event == "suborder.escalated")
        assert "backend address is not allowed" in escalated.detail and "127.0.0.1" in escalated.detail
        assert refusing_backend == []  # nothing was sent
        await handle.terminate(reason="test finished")


async def test_an_operator_cancelling_the_workflow_tells_the_units_and_gives_back(client, task_queue, engine):
    p = placement(SWITCH, CABLES)
    handle = await start(client, task_queue, p)
    view = await wait_for(handle, in_fulfilment(2))
    await report(client, suborder(view, "netpartner").suborder_id, "netpartner", "accepted")
    assert spend(engine, p.order_id) == [Decimal("1492.00")]

    await handle.cancel()  # Temporal UI: "Request cancellation"
    with pytest.raises(WorkflowFailureError) as failure:
        await asyncio.wait_for(handle.result(), 20)
    assert isinstance(failure.value.cause, CancelledError)
    view = await wait_for(handle, lambda v: {s.status for s in v.suborders} == {SubOrderStatus.CANCELLED})
    assert view.status == OrderStatus.CANCELLED and "order.cancelled" in events(view)
    assert "cancelled by an operator" in next(e.detail for e in view.timeline if e.event == "order.cancelled")
    assert view.contract_consumption.released and spend(engine, p.order_id) == []
    told = [n for n in notifications(engine, p.order_id) if n.key.endswith(".cancelled")]
    assert sorted(n.delivery_unit_id for n in told) == ["central-warehouse", "netpartner"]


async def test_a_dropped_line_gives_back_what_it_booked(client, task_queue, engine):
    p = placement(SWITCH, CABLES)
    handle = await start(client, task_queue, p)
    view = await wait_for(handle, in_fulfilment(2))
    assert [line.sku for line in view.contract_consumption.lines] == ["CBL-CAT6-5M", "SW-24-PRO"]
    switch = suborder(view, "netpartner").suborder_id
    await report(client, switch, "netpartner", "rejected", reason="discontinued")
    await wait_for(handle, lambda v: v.pending_approval is not None)
    await handle.execute_update(
        OrderWorkflow.decide_suborder,
        SubOrderDecision(action="drop", suborder_id=switch, comment="buy it elsewhere", actor=EXPERT),
    )
    await deliver(client, suborder(view, "central-warehouse").suborder_id, "central-warehouse")
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    assert view.invoices[0].net_total == Decimal("42.00")  # 10 cables, not the switch
    assert view.removed_lines == [1] and [line.line_no for line in view.lines] == [1, 2]
    assert [line.sku for line in view.contract_consumption.lines] == ["CBL-CAT6-5M"]
    assert spend(engine, p.order_id) == [Decimal("42.00")]
    with session_scope(engine) as session:
        rows = session.execute(
            text("SELECT sku, quantity, status FROM contractconsumption WHERE order_id = :o ORDER BY sku"),
            {"o": p.order_id},
        ).all()
    assert [tuple(r) for r in rows] == [
        ("*", 10, "active"),  # the order's total: the cables alone now
        ("CBL-CAT6-5M", 10, "active"),
        ("SW-24-PRO", 1, "released"),
    ]
    assert (await status(handle)).removed_lines == [1]
