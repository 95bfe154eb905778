"""The order reconciliation (workflows/reconciliation.py, activities/reconciliation.py): an order
whose workflow an operator terminates is settled (CANCELLED in the record, its contract consumption
and monthly spend given back), and a request recorded whose workflow never started is started."""

import uuid
from datetime import timedelta

from sqlalchemy import select
from sqlmodel import col

from activities import order_starter
from contracts.tables import BuyerSpend, ContractConsumption
from core import temporal_names as names
from core.database import session_scope
from models.actors import Actor
from models.orders import OrderLineRequest, OrderPlacement, ReconciliationReport, ReconciliationRequest
from orders import record
from orders.policy import order_policy
from tests.api.flows import CABLES, order_until, place
from tests.api.record_flows import OVER_LIMIT, invoiced_order, until_closed

BUYER = Actor(id="buyer@acme.example", roles=["buyer"], customer_id="acme")


async def reconcile(dev_env, settings) -> ReconciliationReport:
    return await dev_env.client.execute_workflow(
        names.RECONCILIATION_WORKFLOW,
        ReconciliationRequest(grace=timedelta(0)),
        id=f"{names.RECONCILIATION_SCHEDULE_ID}-test-{uuid.uuid4().hex[:8]}",
        task_queue=settings.temporal_task_queue,
        result_type=ReconciliationReport,
    )


def bookings(app_db, order_id: str) -> tuple[list[str], int]:
    """The statuses of the order's contract consumption rows, and its monthly spend rows."""
    with session_scope(app_db) as session:
        consumed = session.execute(
            select(col(ContractConsumption.status)).where(col(ContractConsumption.order_id) == order_id)
        ).scalars()
        spend = session.execute(select(BuyerSpend).where(col(BuyerSpend.order_id) == order_id)).scalars()
        return sorted(consumed), len(list(spend))


async def test_a_terminated_order_is_cancelled_and_gives_back_what_it_booked(
    http, login, dev_env, api_settings, app_db
):
    buyer = await login("buyer@acme.example")
    order_id = (await place(http, buyer, OVER_LIMIT, CABLES)).json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_CUSTOMER_APPROVAL")
    consumed, spend = bookings(app_db, order_id)
    assert "active" in consumed and spend == 1

    workflow_id = names.order_workflow_id(order_id)
    await dev_env.client.get_workflow_handle(workflow_id).terminate("an operator's mistake")
    await until_closed(dev_env.client, workflow_id)
    # the workflow ran no code to close its order: the record still says it waits
    r = await http.get(f"/api/v1/orders/{order_id}", headers=buyer)
    assert r.json()["status"] == "AWAITING_CUSTOMER_APPROVAL"

    report = await reconcile(dev_env, api_settings)
    assert order_id in report.closed
    doc = (await http.get(f"/api/v1/orders/{order_id}", headers=buyer)).json()
    assert doc["status"] == "CANCELLED" and doc["pending_approval"] is None
    assert doc["timeline"][-1]["event"] == "order.cancelled" and "terminated" in doc["timeline"][-1]["detail"]
    consumed, spend = bookings(app_db, order_id)
    assert "active" not in consumed and spend == 0
    # a second run finds nothing to do for it
    assert order_id not in (await reconcile(dev_env, api_settings)).closed


async def test_a_request_whose_workflow_never_started_is_started(http, login, dev_env, api_settings, app_db):
    """The API recorded the order and stopped before it started the workflow (a crash)."""
    buyer = await login("buyer@acme.example")
    order_id = f"T-{uuid.uuid4().hex[:10].upper()}"
    placement = OrderPlacement(
        order_id=order_id,
        seller_id=api_settings.seller_id,
        buyer=BUYER,
        lines=[OrderLineRequest(sku="CBL-CAT6-5M", quantity=2)],
        policy=order_policy(api_settings),
    )
    with session_scope(app_db) as session:
        record.open_order(session, placement, "fingerprint-of-the-request", f"key-{order_id}")
    assert (await http.get(f"/api/v1/orders/{order_id}", headers=buyer)).json()["status"] == "RECEIVED"

    report = await reconcile(dev_env, api_settings)
    assert order_id in report.started
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    assert doc["status"] == "IN_FULFILLMENT"
    # started once: a second run sees it running
    assert order_id not in (await reconcile(dev_env, api_settings)).started


async def test_the_schedule_is_created_once_and_updated_after(dev_env, api_settings):
    client = dev_env.client
    queue = api_settings.temporal_task_queue
    schedule_id = await order_starter.schedule_reconciliation(client, queue, timedelta(hours=1), timedelta(minutes=2))
    try:
        await order_starter.schedule_reconciliation(client, queue, timedelta(minutes=5), timedelta(minutes=2))
        desc = await client.get_schedule_handle(schedule_id).describe()
        assert desc.schedule.spec.intervals[0].every == timedelta(minutes=5)
    finally:
        await client.get_schedule_handle(schedule_id).delete()


async def test_an_invoiced_order_whose_workflow_was_terminated_is_flagged_not_cancelled(
    http, login, dev_env, api_settings, app_db
):
    """It was delivered and is owed: it keeps its invoice and bookings, and finance is told that
    its payment can no longer be booked through the order."""
    _, doc = await invoiced_order(http, login, f"recon-{uuid.uuid4()}")
    order_id = doc["order_id"]
    workflow_id = names.order_workflow_id(order_id)
    await dev_env.client.get_workflow_handle(workflow_id).terminate("an operator's mistake")
    await until_closed(dev_env.client, workflow_id)

    assert order_id in (await reconcile(dev_env, api_settings)).closed
    buyer = await login("buyer@acme.example")
    after = (await http.get(f"/api/v1/orders/{order_id}", headers=buyer)).json()
    assert after["status"] == "INVOICED" and "terminated" in after["attention"]
    consumed, spend = bookings(app_db, order_id)
    assert "active" in consumed and spend == 1
    assert order_id not in (await reconcile(dev_env, api_settings)).closed  # flagged once
