"""Records the saved histories tests/test_replay.py replays.

    .venv/bin/python tests/histories/record_history.py

Runs, on the time-skipping test server against a fresh migrated SQLite database with the demo
data, one order from receipt to PAID that goes through everything a long-lived order's history
holds: validation, a customer approval (over the buyer's limit) with its reminder timer firing,
two sub-orders (netpartner: the switches, central warehouse: the cables) reported through
accepted/shipped/delivered (one event sent twice), the invoice, a partial payment, a repeated
payment reference and the final payment. Writes the order's history and the netpartner
sub-order's history as JSON next to this script.

Re-record only on purpose: the point of the saved files is that workflow code changes must keep
replaying them (or be versioned with workflow.patched).
"""
import asyncio
import os
import sys
import tempfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from temporalio.client import Client  # noqa: E402
from temporalio.common import SearchAttributePair, TypedSearchAttributes  # noqa: E402
from temporalio.contrib.pydantic import pydantic_data_converter  # noqa: E402
from temporalio.testing import WorkflowEnvironment  # noqa: E402

from models.approvals import ApprovalDecision  # noqa: E402
from models.invoices import PaymentIn  # noqa: E402
from models.orders import OrderLineRequest, OrderPlacement, OrderStatus  # noqa: E402
from models.suborders import PartnerEvent  # noqa: E402
from core.settings import Settings  # noqa: E402
from tests.conftest import executable, migrated_sqlite, register_search_attributes  # noqa: E402
from tests.workflows.helpers import APPROVER, BUYER, FINANCE, POLICY, unit_actor  # noqa: E402
from core import temporal_names as names  # noqa: E402
from worker import orders_worker  # noqa: E402
from workflows.order import OrderWorkflow  # noqa: E402
from workflows.suborder import SubOrderWorkflow  # noqa: E402

HERE = Path(__file__).resolve().parent
ORDER_ID = "T-HISTORY-PAID"
ORDER_WORKFLOW_ID = names.order_workflow_id(ORDER_ID)
SUBORDER_WORKFLOW_ID = names.suborder_workflow_id(f"{ORDER_ID}-netpartner")
ORDER_FILE = HERE / "order_paid.json"
SUBORDER_FILE = HERE / "suborder_delivered.json"


async def until(handle, predicate):
    for _ in range(400):
        view = await handle.query(OrderWorkflow.view)
        if predicate(view):
            return view
        await asyncio.sleep(0.05)
    raise RuntimeError(f"order stuck at {view.status}: {[e.event for e in view.timeline]}")


async def report(client: Client, suborder_id: str, unit: str, event: str, event_id: str, **data) -> None:
    await client.get_workflow_handle(names.suborder_workflow_id(suborder_id)).execute_update(
        SubOrderWorkflow.report,
        PartnerEvent(type=f"suborder.{event}", suborder_id=suborder_id, event_id=event_id, data=data,
                     actor=unit_actor(unit)))


async def record(workdir: Path) -> None:
    engine = migrated_sqlite(workdir / "app.db")
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=executable("temporal-test-server"), data_converter=pydantic_data_converter)
    try:
        await register_search_attributes(env.client)
        client = env.client
        async with orders_worker(client, engine, Settings(temporal_task_queue="history")):
            placement = OrderPlacement(
                order_id=ORDER_ID, seller_id="seller", buyer=BUYER, policy=POLICY,
                customer_reference="PO-4711", delivery_address="ACME GmbH, Werkstrasse 1, 10115 Berlin",
                lines=[OrderLineRequest(sku="SW-24-PRO", quantity=4,
                                        configuration={"hw_version": "B2", "sw_version": "8.0"}),
                       OrderLineRequest(sku="CBL-CAT6-5M", quantity=10)],
            )
            await client.start_workflow(
                OrderWorkflow.run, placement, id=ORDER_WORKFLOW_ID, task_queue="history",
                search_attributes=TypedSearchAttributes([SearchAttributePair(names.CUSTOMER_ID, "acme"),
                                                         SearchAttributePair(names.ORDER_STATUS, "RECEIVED")]))
            handle = client.get_workflow_handle_for(OrderWorkflow.run, ORDER_WORKFLOW_ID)
            await until(handle, lambda v: v.status == OrderStatus.AWAITING_CUSTOMER_APPROVAL)
            await env.sleep(timedelta(hours=2))  # the reminder fires
            await until(handle, lambda v: "approval.reminder" in [e.event for e in v.timeline])
            await handle.execute_update(OrderWorkflow.decide,
                                        ApprovalDecision(decision="approve", comment="budget ok", actor=APPROVER))
            view = await until(handle, lambda v: len(v.suborders) == 2)
            for sub in view.suborders:
                await report(client, sub.suborder_id, sub.partner_id, "accepted", f"{sub.suborder_id}-a")
                await report(client, sub.suborder_id, sub.partner_id, "accepted", f"{sub.suborder_id}-a")  # again
                await report(client, sub.suborder_id, sub.partner_id, "shipped", f"{sub.suborder_id}-s",
                             tracking=f"TRACK-{sub.partner_id}")
                await report(client, sub.suborder_id, sub.partner_id, "delivered", f"{sub.suborder_id}-d")
            view = await until(handle, lambda v: v.status == OrderStatus.INVOICED)
            invoice = view.invoices[0]
            for amount, reference in (("1000.00", "BANK-1"), ("1000.00", "BANK-1"), (None, "BANK-2")):
                paid = (await handle.query(OrderWorkflow.view)).paid_total
                await handle.execute_update(OrderWorkflow.record_payment, PaymentIn(
                    invoice_id=invoice.invoice_id, amount=Decimal(amount) if amount else invoice.gross_total - paid,
                    reference=reference, actor=FINANCE))
            result = await handle.result()
            assert result.status == OrderStatus.PAID, result.status
            ORDER_FILE.write_text((await handle.fetch_history()).to_json())
            sub = client.get_workflow_handle(SUBORDER_WORKFLOW_ID)
            SUBORDER_FILE.write_text((await sub.fetch_history()).to_json())
            print(f"wrote {ORDER_FILE.name} ({ORDER_WORKFLOW_ID}) and {SUBORDER_FILE.name} ({SUBORDER_WORKFLOW_ID})")
    finally:
        await env.shutdown()
        engine.dispose()


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(record(Path(tmp)))
    sys.stdout.flush()
    os._exit(0)  # temporalio/sdk-python#300: avoid the interpreter-exit abort
