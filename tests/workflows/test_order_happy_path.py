from decimal import Decimal

from core.settings import Settings
from models.invoices import PaymentIn
from models.orders import OrderStatus
from tests.workflows.helpers import CABLES, FINANCE, SWITCH, deliver, placement, start, wait_for
from worker import orders_worker
from workflows.order import OrderWorkflow


async def test_order_runs_from_receipt_to_paid(time_env, engine, task_queue):
    client = time_env.client
    async with orders_worker(client, engine, Settings(temporal_task_queue=task_queue)):
        p = placement(SWITCH, CABLES)
        handle = await start(client, task_queue, p)
        view = await wait_for(handle, lambda v: len(v.suborders) == 2)
        assert view.status == OrderStatus.IN_FULFILLMENT
        assert view.net_total == Decimal("1492.00")  # 1 x 1450.00 + 10 x 4.20, contract prices
        assert view.gross_total == Decimal("1775.48")
        units = {s.partner_id: s.suborder_id for s in view.suborders}
        assert set(units) == {"netpartner", "central-warehouse"}
        for unit, sid in units.items():
            await deliver(client, sid, unit)
        view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
        invoice = view.invoices[0]
        assert invoice.gross_total == Decimal("1775.48")
        await handle.execute_update(
            OrderWorkflow.record_payment,
            PaymentIn(invoice_id=invoice.invoice_id, amount=Decimal("1775.48"), reference="BANK-1", actor=FINANCE),
        )
        result = await handle.result()
        assert result.status == OrderStatus.PAID
        events = [e.event for e in result.timeline]
        assert events[0] == "order.received" and events[-1] == "order.paid"
        assert "suborder.delivered" in events and "invoice.issued" in events
