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
    from models.actors import Actor
    from models.einvoices import Finding
    from models.invoices import (
        CreditNoteIssued,
        Invoice,
        InvoiceLineIn,
        InvoiceRequest,
        InvoiceSummary,
        PaymentIn,
        PaymentResult,
    )
    from models.orders import FINAL_STATUSES, OrderStatus, PricedLine
    from workflows import options
    from workflows.healing import until_done
    from workflows.order_context import OrderContext
    from workflows.receivable import Receivable


MAX_DUNNING_REMINDERS = 6


class Billing:
    def __init__(self, order: OrderContext) -> None:
        self.order = order
        self.invoice: Invoice | None = None
        self.paid_total = Decimal("0.00")
        self.payments: dict[str, PaymentResult] = {}  # by bank reference (orders of new code)

        # invoice to cash (orders of ENGINE_CASH): each issued invoice followed by a Receivable
        self.cash = order.placement.engine >= names.ENGINE_CASH
        self.findings: list[Finding] = []  # why the invoice being issued is blocked
        self.retry_by: str | None = None  # finance asked to check the blocked invoice again
        self.receivables: dict[str, Receivable] = {}  # by invoice id, as issued
        self.invoiced: set[str] = set()  # the issue keys done: the order, or order/sub-order
        self.collecting: list[asyncio.Task] = []
        self.fulfilled = False  # every sub-order has finished: the order's status is billing's

    async def run(self, lines: list[PricedLine]) -> None:
        """Invoices the delivered `lines`, then waits until the invoice is paid (the order ends PAID)."""
        if self.cash:
            await self._run_cash(lines)
            return
        await self._issue(lines)
        await self._collect()

    def invoices(self) -> list[InvoiceSummary]:
        """The order's documents: its invoices and the credit notes on them."""
        if not self.cash:
            return [self.invoice] if self.invoice else []
        return [doc for r in self.receivables.values() for doc in [r.invoice, *r.credit_notes]]

    def dunning_level(self) -> int:
        return max((r.level for r in self.receivables.values()), default=0)

    def dunning_paused(self) -> bool:
        return any(r.paused_by is not None for r in self.receivables.values())

    # --- invoice to cash --------------------------------------------------------------------------

    def per_delivery(self) -> bool:
        v = self.order.validated
        return self.cash and v is not None and v.invoicing_policy == "per_delivery"

    async def invoice_deliveries(self) -> None:
        """Partial invoicing: while fulfilment runs, an invoice for each sub-order once delivered."""
        while True:
            await workflow.wait_condition(lambda: self.fulfilled or self._next_part() is not None)
            part = self._next_part()
            if part is None:
                return
            await self._invoice_part(*part)

    def fulfilment_over(self) -> None:
        """Every sub-order has finished: from now on the order's status follows its invoices."""
        self.fulfilled = True
        if self.findings:
            self.order.set_status(OrderStatus.INVOICE_BLOCKED)

    def _next_part(self) -> tuple[str, str | None, list[PricedLine]] | None:
        for suborder_id, lines in self.order.delivered_parts().items():
            key = f"{self.order.placement.order_id}/{suborder_id}"
            if key not in self.invoiced and lines:
                return key, suborder_id, lines
        return None

    async def _run_cash(self, lines: list[PricedLine]) -> None:
        if self.per_delivery():
            while (part := self._next_part()) is not None:  # delivered since the watcher ended
                await self._invoice_part(*part)
        else:
            await self._invoice_part(self.order.placement.order_id, None, lines)
        self.fulfilled = True
        self._show_status()
        await asyncio.gather(*self.collecting)
        invoices = list(self.receivables.values())
        credited = sum((r.credited for r in invoices), Decimal("0.00"))
        currency = invoices[0].invoice.currency if invoices else ""
        self.order.finish(
            OrderStatus.PAID,
            "system",
            "order.paid",
            f"{self.paid_total} {currency} received" + (f", {credited} credited" if credited else ""),
        )

    async def _invoice_part(self, key: str, suborder_id: str | None, lines: list[PricedLine]) -> None:
        """The e-invoice for `lines`, checked before it is issued; while it breaks a rule the order
        waits (INVOICE_BLOCKED) until finance has fixed the data and asks to check it again. Then
        it is sent and followed until settled (a task of its own)."""
        order, v = self.order, self.order.validated
        assert v is not None
        request = InvoiceRequest(
            seller_id=order.placement.seller_id,
            order_id=order.placement.order_id,
            customer_id=v.customer_id,
            currency=v.currency,
            payment_terms_days=v.payment_terms_days,
            discount_days=v.discount_days,
            discount_percent=v.discount_percent,
            issue_date=workflow.now().date(),
            order_reference=order.placement.customer_reference,
            issue_key=key,
            suborder_id=suborder_id,
            lines=invoice_lines(lines),
        )
        while True:
            today = workflow.now().date()
            request = request.model_copy(update={"issue_date": today, "delivery_date": today})
            result = await self._local("issuing the invoice", InvoicingActivities.issue_document, request)
            if result.invoice is not None:
                break
            self.findings = result.findings
            if self.fulfilled or not self.per_delivery():
                order.set_status(OrderStatus.INVOICE_BLOCKED)
            why = "; ".join(f"{f.rule_id}: {f.text}" for f in result.findings[:5])
            order.record("system", "invoice.blocked", why[:2000])
            await order.notify_role(
                "finance", None, "invoice.blocked", f"The invoice of order {order.placement.order_id} is blocked", why
            )
            self.retry_by = None
            await workflow.wait_condition(lambda: self.retry_by is not None)
            order.record(self.retry_by or "finance", "invoice.retried", "checked again")
        self.findings, self.retry_by = [], None
        invoice = result.invoice
        self.invoiced.add(key)
        receivable = Receivable(order, invoice, result.dunning, self._local)
        self.receivables[invoice.invoice_id] = receivable
        if self.invoice is None:
            self.invoice = invoice
        self.paid_total = sum((r.paid for r in self.receivables.values()), Decimal("0.00"))
        part = f" for sub-order {suborder_id}" if suborder_id else ""
        order.record(
            "system",
            "invoice.issued",
            f"invoice {invoice.number}{part}: {invoice.gross_total} {invoice.currency}, "
            f"due {invoice.due_date.isoformat()} ({invoice.payment_terms})",
        )
        self._show_status()
        await receivable.send()
        self.collecting.append(asyncio.create_task(receivable.collect(self._show_status)))

    def _show_status(self) -> None:
        """The order's status from its invoices, once fulfilment is over: COLLECTIONS or OVERDUE when
        an open invoice is, else INVOICED (PAID when all are settled: `_run_cash` ends it)."""
        if not self.fulfilled or self.findings:
            return
        open_ = [r for r in self.receivables.values() if not r.settled]
        if not open_:
            return
        if any(r.collections for r in open_):
            self.order.set_status(OrderStatus.COLLECTIONS)
        elif any(r.overdue for r in open_):
            self.order.set_status(OrderStatus.OVERDUE)
        else:
            self.order.set_status(OrderStatus.INVOICED)

    # --- finance's messages (invoice to cash) ------------------------------------------------------

    def retry_invoicing(self, actor: Actor) -> None:
        self.retry_by = actor.id

    def check_retry(self, actor: Actor) -> None:
        _require_finance(actor)
        if not self.findings or self.retry_by is not None:
            raise ApplicationError(
                f"the order is {self.order.status.value}: no blocked invoice to check again", type=names.CONFLICT
            )

    async def pause_dunning(self, invoice_id: str, actor: Actor, reason: str, paused: bool) -> None:
        receivable = self.receivables[invoice_id]
        receivable.paused_by = actor.id if paused else None
        event = "dunning.paused" if paused else "dunning.resumed"
        self.order.record(actor.id, event, f"invoice {receivable.invoice.number}: {reason}")
        await until_done(
            self.order,
            "pausing dunning",
            self.order.placement.policy.attention_after,
            lambda opts: workflow.execute_local_activity_method(
                InvoicingActivities.set_dunning_paused, args=[invoice_id, paused], **opts
            ),
            options.LOCAL,
        )

    def check_pause(self, actor: Actor, invoice_id: str, paused: bool) -> None:
        _require_finance(actor)
        receivable = self.receivables.get(invoice_id) if self.cash else None
        if receivable is None:
            raise ApplicationError("no such open invoice on this order", type=names.CONFLICT)
        if receivable.settled or self.order.status in FINAL_STATUSES:
            raise ApplicationError(f"invoice {receivable.invoice.number} is settled", type=names.CONFLICT)
        if paused == (receivable.paused_by is not None):
            raise ApplicationError(f"dunning is {'paused' if paused else 'not paused'} already", type=names.CONFLICT)

    def credit_note_issued(self, issued: CreditNoteIssued) -> None:
        receivable = self.receivables.get(issued.invoice_id)
        if receivable is not None:
            receivable.credit_note_issued(issued)

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
            lines=invoice_lines(lines),
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
        if self.cash and payment.received_on is None:  # the workflow's day: what the discount window asks
            payment = payment.model_copy(update={"received_on": workflow.now().date()})
        if self.order.v2:
            result = await self._local("booking a payment", InvoicingActivities.record_payment, payment)
            self.payments[payment.reference] = result
        else:
            result = await workflow.execute_activity_method(InvoicingActivities.record_payment, payment, **options.DB)
        if self.cash:
            self.receivables[payment.invoice_id].paid_with(result)
            self.paid_total = sum((r.paid for r in self.receivables.values()), Decimal("0.00"))
        else:
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
        if payment.invoice_id not in (self.receivables if self.cash else {self.invoice.invoice_id}):
            if self.cash and (not self.fulfilled or self.findings):  # perhaps issued in a task that was lost
                raise ApplicationError("the invoice is not issued on this order yet, try again", type=names.NOT_YET)
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
        # invoice to cash: a delivered part's invoice may be paid while the rest is on its way
        takes_payments = (
            self.order.status not in FINAL_STATUSES
            if self.cash
            else self.order.status in (OrderStatus.INVOICED, OrderStatus.OVERDUE)
        )
        if not takes_payments:
            raise ApplicationError(f"the order is {self.order.status.value}", type=names.CONFLICT)

    async def _local(self, what: str, activity, arg):
        return await until_done(
            self.order,
            what,
            self.order.placement.policy.attention_after,
            lambda opts: workflow.execute_local_activity_method(activity, arg, **opts),
            options.LOCAL,
        )


def _require_finance(actor: Actor) -> None:
    if "finance" not in actor.roles or not actor.is_seller_staff:
        raise ApplicationError("only the seller's finance users may do this", type=names.CONFLICT)


def invoice_lines(lines: list[PricedLine]) -> list[InvoiceLineIn]:
    return [
        InvoiceLineIn(
            line_no=li.line_no,
            sku=li.sku,
            name=li.name,
            quantity=li.quantity,
            unit_price=li.unit_price,
            vat_rate=li.vat_rate,
            customer_part_number=li.customer_part_number,
        )
        for li in lines
    ]
