"""Invoice and payment: partial payments, repeated references, overdue invoices, who may book, and
the search attributes operators filter by."""

from datetime import timedelta
from decimal import Decimal

from temporalio.client import WorkflowExecutionStatus

from core import temporal_names as names
from models.invoices import PaymentIn
from models.orders import OrderStatus
from tests.workflows.helpers import (
    BUYER,
    CABLES,
    EXPERT,
    FINANCE,
    deliver,
    events,
    notifications,
    placement,
    refused,
    start,
    status,
    wait_for,
)
from workflows.order import OrderWorkflow

GROSS = Decimal("49.98")  # 10 x 4.20 = 42.00 net + 7.98 VAT


async def invoiced(client, task_queue, p=None):
    """An order of cables, delivered and invoiced; returns its handle and invoice."""
    handle = await start(client, task_queue, p or placement(CABLES))
    view = await wait_for(handle, lambda v: len(v.suborders) == 1)
    await deliver(client, view.suborders[0].suborder_id, "central-warehouse")
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    invoice = view.invoices[0]
    assert invoice.gross_total == GROSS
    return handle, invoice


def payment(invoice, amount: str, reference: str, actor=FINANCE) -> PaymentIn:
    return PaymentIn(invoice_id=invoice.invoice_id, amount=Decimal(amount), reference=reference, actor=actor)


async def test_partial_payment_keeps_the_order_invoiced_and_a_repeated_reference_counts_once(client, task_queue):
    handle, invoice = await invoiced(client, task_queue)
    first = await handle.execute_update(OrderWorkflow.record_payment, payment(invoice, "20.00", "BANK-1"))
    assert first.added and first.paid_total == Decimal("20.00")
    view = await status(handle)
    assert view.status == OrderStatus.INVOICED and view.paid_total == Decimal("20.00")

    again = await handle.execute_update(OrderWorkflow.record_payment, payment(invoice, "20.00", "BANK-1"))
    assert not again.added and again.paid_total == Decimal("20.00")
    view = await status(handle)
    assert view.status == OrderStatus.INVOICED and view.paid_total == Decimal("20.00")
    assert events(view).count("payment.received") == 1

    rest = await handle.execute_update(OrderWorkflow.record_payment, payment(invoice, "29.98", "BANK-2"))
    assert rest.added and rest.paid_total == GROSS
    result = await handle.result()
    assert result.status == OrderStatus.PAID and result.paid_total == GROSS
    assert events(result).count("payment.received") == 2
    assert result.timeline[-1].event == "order.paid" and result.timeline[-1].detail == "49.98 EUR received"


async def test_unpaid_invoice_becomes_overdue_and_is_paid_later(client, task_queue, time_env, engine):
    p = placement(CABLES)
    handle, invoice = await invoiced(client, task_queue, p)
    assert invoice.due_date == invoice.issue_date + timedelta(days=30)  # ACME: 30 days net

    await time_env.sleep(timedelta(days=29))
    assert (await status(handle)).status == OrderStatus.INVOICED  # not due yet

    await time_env.sleep(timedelta(days=3))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.OVERDUE)
    overdue = next(e for e in view.timeline if e.event == "invoice.overdue")
    assert overdue.at.date() > invoice.due_date
    # the default schedule's first level: a reminder 7 days after the due date, to the customer and finance
    await time_env.sleep(timedelta(days=7))
    view = await wait_for(handle, lambda v: v.dunning_level == 1)
    dunning = [n for n in notifications(engine, p.order_id) if f".dunning.{invoice.number}.1" in n.key]
    assert sorted((n.role, n.customer_id) for n in dunning) == [("buyer", "acme"), ("finance", None)]
    assert invoice.number in dunning[0].subject

    await handle.execute_update(OrderWorkflow.record_payment, payment(invoice, "49.98", "BANK-LATE"))
    result = await handle.result()
    assert result.status == OrderStatus.PAID
    assert events(result)[-4:] == ["invoice.overdue", "dunning.reminder", "payment.received", "order.paid"]


async def test_only_the_sellers_finance_books_payments(client, task_queue):
    handle, invoice = await invoiced(client, task_queue)
    for actor in (BUYER, EXPERT):
        message = await refused(
            handle.execute_update(OrderWorkflow.record_payment, payment(invoice, "49.98", "BANK-X", actor=actor)),
            "Conflict",
        )
        assert message == "only the seller's finance users record payments"
    # a customer's user who claims the finance role is not the seller's finance
    fake = BUYER.model_copy(update={"roles": ["finance"]})
    await refused(
        handle.execute_update(OrderWorkflow.record_payment, payment(invoice, "49.98", "BANK-X", actor=fake)), "Conflict"
    )
    wrong_invoice = payment(invoice, "49.98", "BANK-X").model_copy(update={"invoice_id": "INV-nope"})
    await refused(handle.execute_update(OrderWorkflow.record_payment, wrong_invoice), "Conflict")
    view = await status(handle)
    assert view.status == OrderStatus.INVOICED and view.paid_total == Decimal("0.00")


async def test_no_payment_before_the_invoice(client, task_queue):
    """The API sends a payment only for an invoice the database holds; an order that has no invoice
    yet is re-running the workflow task that issued it (after a lost task): "not yet", which the
    API answers with 503 and Retry-After."""
    handle = await start(client, task_queue, placement(CABLES))
    await wait_for(handle, lambda v: v.status == OrderStatus.IN_FULFILLMENT)
    early = PaymentIn(invoice_id="INV-seller-2026-000001", amount=Decimal("1"), reference="R", actor=FINANCE)
    assert "not issued yet" in await refused(handle.execute_update(OrderWorkflow.record_payment, early), "NotYet")
    view = await status(handle)
    assert view.paid_total == Decimal("0.00") and not view.invoices


async def test_search_attributes_of_a_paid_order(client, task_queue):
    handle, invoice = await invoiced(client, task_queue)
    described = await handle.describe()
    assert described.typed_search_attributes.get(names.ORDER_STATUS) == "INVOICED"
    await handle.execute_update(OrderWorkflow.record_payment, payment(invoice, "49.98", "BANK-SA"))
    result = await handle.result()
    assert result.status == OrderStatus.PAID

    described = await handle.describe()
    assert described.status == WorkflowExecutionStatus.COMPLETED
    attributes = described.typed_search_attributes
    assert attributes.get(names.ORDER_STATUS) == "PAID"
    assert attributes.get(names.CUSTOMER_ID) == "acme"
    assert attributes.get(names.ORDER_TOTAL) == float(GROSS)
    assert attributes.get(names.NEEDS_ATTENTION) is None  # never raised: never set
    # the totals live in the order record (lists read it), not in the memo any more
    assert (await status(handle)).gross_total == GROSS
