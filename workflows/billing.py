"""Billing of an order: the invoice for what was delivered, the wait for payment until the due
date, dunning once it is overdue, and the rules behind the `record_payment` update. Holds the
invoice and what has been paid on it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.invoicing import InvoicingActivities
    from core import temporal_names as names
    from models.invoices import Invoice, InvoiceLineIn, InvoiceRequest, PaymentIn, PaymentResult
    from models.orders import OrderStatus, PricedLine
    from workflows import options
    from workflows.healing import until_done
    from workflows.order_context import OrderContext


MAX_DUNNING_REMINDERS = 6


class Billing:
    def __init__(self, order: OrderContext) -> None:
        self.order = order
        self.invoice: Invoice | None = None
        self.paid_total = Decimal("0.00")
        self.payments: dict[str, PaymentResult] = {}  # by bank reference (orders of new code)

    async def run(self, lines: list[PricedLine]) -> None:
        """Invoices the delivered `lines`, then waits until the invoice is paid (the order ends PAID)."""
        await self._issue(lines)
        await self._collect()

    async def _issue(self, lines: list[PricedLine]) -> None:
        order, v = self.order, self.order.validated
        assert v is not None
        request = InvoiceRequest(
            seller_id=order.placement.seller_id,
            order_id=order.placement.order_id,
            customer_id=v.customer_id,
            currency=v.currency,
            payment_terms_days=v.payment_terms_days,
            issue_date=workflow.now().date(),
            lines=[
                InvoiceLineIn(
                    line_no=li.line_no,
                    sku=li.sku,
                    name=li.name,
                    quantity=li.quantity,
                    unit_price=li.unit_price,
                    vat_rate=li.vat_rate,
                )
                for li in lines
            ],
        )
        if order.v2:
            self.invoice = await self._local("issuing the invoice", InvoicingActivities.issue_invoice, request)
        else:
            self.invoice = await workflow.execute_activity_method(
                InvoicingActivities.issue_invoice, request, **options.DB
            )
        self.paid_total = self.invoice.paid_total
        order.set_status(OrderStatus.INVOICED)
        order.record(
            "system",
            "invoice.issued",
            f"invoice {self.invoice.number}: {self.invoice.gross_total} {self.invoice.currency}, "
            f"due {self.invoice.due_date.isoformat()}",
        )

    async def _collect(self) -> None:
        """Waits until the day after the due date, then reminds finance every dunning interval
        (the last reminder waits without end)."""
        order, invoice = self.order, self.invoice
        assert invoice is not None
        due = datetime.combine(invoice.due_date + timedelta(days=1), time.min, tzinfo=UTC)

        def paid() -> bool:
            return self.paid_total >= invoice.gross_total

        wait = due - workflow.now()
        if order.lean and wait.total_seconds() > 0:
            due_date_passed = asyncio.create_task(workflow.sleep(wait))
            await workflow.wait_condition(lambda: paid() or due_date_passed.done())
            # not left to lapse with the workflow: the time-skipping test server stalls its clock on
            # timers of closed workflows
            due_date_passed.cancel()
        else:
            try:
                if wait.total_seconds() > 0:
                    await workflow.wait_condition(paid, timeout=wait)
            except TimeoutError:
                pass
        reminders = 0
        while not paid():
            if order.status != OrderStatus.OVERDUE:
                order.set_status(OrderStatus.OVERDUE)
                order.record("system", "invoice.overdue", f"invoice {invoice.number} was due {invoice.due_date}")
            reminders += 1
            await order.notify_role(
                "finance", None, f"dunning.{reminders}", f"Invoice {invoice.number} is overdue (reminder {reminders})"
            )
            try:
                timeout = order.placement.policy.dunning_interval if reminders < MAX_DUNNING_REMINDERS else None
                await workflow.wait_condition(paid, timeout=timeout)
            except TimeoutError:
                continue
        order.finish(OrderStatus.PAID, "system", "order.paid", f"{self.paid_total} {invoice.currency} received")

    # --- the record_payment update --------------------------------------------------------------

    async def record_payment(self, payment: PaymentIn) -> PaymentResult:
        booked = self.payments.get(payment.reference)
        if booked is not None:  # a retry of a payment this order took: the answer the first call got
            return booked.model_copy(update={"added": False})
        if self.order.v2:
            result = await self._local("booking a payment", InvoicingActivities.record_payment, payment)
            self.payments[payment.reference] = result
        else:
            result = await workflow.execute_activity_method(InvoicingActivities.record_payment, payment, **options.DB)
        self.paid_total = max(self.paid_total, result.paid_total)  # payments only ever add up
        # lean: booked before, in a workflow task that was lost, is still news to this order
        if result.added or (self.order.lean and result.payment is not None):
            self.order.record(payment.actor.id, "payment.received", f"{payment.amount} ({payment.reference})")
        return result

    def check_payment(self, payment: PaymentIn) -> None:
        """The validator of `record_payment`: raises the refusal."""
        if "finance" not in payment.actor.roles or not payment.actor.is_seller_staff:
            raise ApplicationError("only the seller's finance users record payments", type=names.CONFLICT)
        if self.invoice is None:  # the invoice (shown in the record) is being issued again after a lost task
            raise ApplicationError("the order's invoice is not issued yet, try again", type=names.NOT_YET)
        if payment.invoice_id != self.invoice.invoice_id:
            raise ApplicationError("no such open invoice on this order", type=names.CONFLICT)
        booked = self.payments.get(payment.reference)
        if booked is not None and booked.payment is not None:
            if booked.payment.amount != payment.amount:
                raise ApplicationError(
                    f"reference {payment.reference} was booked with {booked.payment.amount:.2f}, "
                    f"not {payment.amount:.2f}",
                    type=names.CONFLICT,
                )
            return  # a retry: answered with the payment as booked
        if self.order.status not in (OrderStatus.INVOICED, OrderStatus.OVERDUE):
            raise ApplicationError(f"the order is {self.order.status.value}", type=names.CONFLICT)

    async def _local(self, what: str, activity, arg):
        return await until_done(
            self.order,
            what,
            self.order.placement.policy.attention_after,
            lambda opts: workflow.execute_local_activity_method(activity, arg, **opts),
            options.LOCAL,
        )
