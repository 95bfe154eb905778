"""One issued invoice of an order, followed until it is settled (orders of ENGINE_CASH).

After its due date the invoice is overdue; then each level of the customer's dunning schedule
comes after its days (durable timers), moved on by the time finance paused dunning (a dispute);
the last level may hand it over to collections. Payments and credit notes settle it: what the
order learns (payments it books, credit notes it is told of) and, at each step, what the database
knows (invoicing/collection.py), so a message the order missed still counts.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from activities.invoice_delivery import InvoiceDeliveryActivities
    from activities.invoicing import InvoicingActivities
    from models.invoices import (
        CreditNoteIssued,
        DunningLevel,
        Invoice,
        InvoiceCheck,
        InvoiceState,
        InvoiceSummary,
        PaymentResult,
    )
    from workflows import options
    from workflows.healing import business_failure, until_done
    from workflows.order_context import OrderContext

Local = Callable[[str, Any, Any], Awaitable[Any]]


class Receivable:
    def __init__(self, order: OrderContext, invoice: Invoice, dunning: list[DunningLevel], local: Local) -> None:
        self.order = order
        self.invoice = invoice
        self.dunning = dunning
        self._local = local
        self.level = 0  # the dunning level reached
        self.paused_by: str | None = None
        self.paid = invoice.paid_total
        self.credited = invoice.credited_total
        self.open_amount = invoice.gross_total - invoice.credited_total - invoice.paid_total
        self.credit_notes: list[InvoiceSummary] = []
        self.settled = invoice.status in ("paid", "credited")
        self.overdue = False
        self.collections = False
        self.recheck = False  # the database may know more (a credit note was issued)

    # --- the course ---------------------------------------------------------------------------------

    async def send(self) -> None:
        """To the customer (e-mail, its system's webhook). A delivery that cannot succeed is for
        finance to follow up (on the timeline and in finance's inbox): the order goes on (the
        customer can download the invoice)."""
        order, invoice = self.order, self.invoice
        try:
            await until_done(
                order,
                "sending the invoice",
                order.placement.policy.attention_after,
                lambda opts: workflow.execute_local_activity_method(
                    InvoiceDeliveryActivities.deliver_invoice, invoice.invoice_id, **opts
                ),
                options.SEND,
            )
        except FailureError as err:
            refusal = business_failure(err)
            if refusal is None:
                raise
            order.record("system", "invoice.not_sent", f"invoice {invoice.number}: {refusal.message}"[:1000])
            await order.notify_role(
                "finance", None, "invoice.not_sent", f"Invoice {invoice.number} could not be sent", refusal.message
            )
            return
        # sent: the invoice's deliveries say to whom and when (invoicing/delivery.py); no timeline
        # entry, so that sending costs the order no record save of its own

    async def collect(self, changed: Callable[[], None]) -> None:
        """Until settled: overdue after the due date, then each dunning level; `changed()` after
        every step the order's status may show."""
        order, invoice = self.order, self.invoice
        due = datetime.combine(invoice.due_date + timedelta(days=1), time.min, tzinfo=UTC)
        paused = timedelta(0)  # how long dunning was paused: the levels move by as much
        await self._settled_or(due)
        while not self.settled:
            if not self.overdue:
                if await self._check(0):
                    break
                self.overdue = True
                order.record("system", "invoice.overdue", f"invoice {invoice.number} was due {invoice.due_date}")
                changed()
            if self.paused_by is not None:
                since = workflow.now()
                await workflow.wait_condition(lambda: self.settled or self.recheck or self.paused_by is None)
                paused += workflow.now() - since
                await self._recheck()
                continue
            if self.level >= len(self.dunning):
                await workflow.wait_condition(lambda: self.settled or self.recheck)
                await self._recheck()
                continue
            level = self.dunning[self.level]
            at = due + timedelta(days=level.days_after_due) + paused
            settled = await self._settled_or(at, also=lambda: self.paused_by is not None)
            if not settled and self.paused_by is None and workflow.now() >= at:
                await self._dun(level)
                changed()
        changed()

    async def _dun(self, level: DunningLevel) -> None:
        order, invoice = self.order, self.invoice
        number = self.level + 1
        if await self._check(number, level):
            return
        self.level = number
        fee = f", fee {level.fee} {invoice.currency}" if level.fee else ""
        state = f"{self.open_amount} {invoice.currency} open{fee}"
        order.record("system", f"dunning.{level.kind}", f"level {number}: invoice {invoice.number}, {state}")
        what = "reminder" if level.kind == "reminder" else "dunning notice"
        subject = f"Invoice {invoice.number}: {what} {number}"
        key = f"dunning.{invoice.number}.{number}"
        await order.notify_role("buyer", order.placement.buyer.customer_id, f"{key}.customer", subject, state)
        await order.notify_role("finance", None, key, subject, state)
        if level.kind == "collections":
            self.collections = True
            order.record("system", "invoice.collections", f"invoice {invoice.number} handed over to collections")

    async def _settled_or(self, at: datetime, also: Callable[[], bool] = lambda: False) -> bool:
        """Waits until settled, `also()` holds, or `at`; asks the database again whenever it may
        know more. True: settled."""
        while not self.settled and not also():
            wait = at - workflow.now()
            if wait <= timedelta(0):
                break
            timer = asyncio.create_task(workflow.sleep(wait))

            def woken(timer: asyncio.Task = timer) -> bool:
                return self.settled or self.recheck or also() or timer.done()

            await workflow.wait_condition(woken)
            timer.cancel()  # the test server stalls its clock on timers of closed workflows
            await self._recheck()
        return self.settled

    async def _recheck(self) -> None:
        if self.recheck:
            self.recheck = False
            await self._check(None)

    async def _check(self, level: int | None, rule: DunningLevel | None = None) -> bool:
        """The invoice as the database has it (taken to the dunning level, when given). True: settled."""
        check = InvoiceCheck(invoice_id=self.invoice.invoice_id, on=workflow.now().date(), level=level, rule=rule)
        state: InvoiceState = await self._local("following the invoice", InvoicingActivities.check_invoice, check)
        self.paid = max(self.paid, state.paid_total)
        self.credited = max(self.credited, state.credited_total)
        self.open_amount = state.open_amount
        known = {note.invoice_id for note in self.credit_notes}
        self.credit_notes += [note for note in state.credit_notes if note.invoice_id not in known]
        if state.settled:
            self.settled = True
        return self.settled

    # --- what finance and the order tell it -----------------------------------------------------------

    def paid_with(self, result: PaymentResult) -> None:
        self.paid = max(self.paid, result.paid_total)  # payments only ever add up
        if result.settled:
            self.settled = True

    def credit_note_issued(self, issued: CreditNoteIssued) -> None:
        if all(note.invoice_id != issued.credit_note.invoice_id for note in self.credit_notes):
            self.credit_notes.append(issued.credit_note)
            self.order.record(
                issued.actor,
                "credit_note.issued",
                f"credit note {issued.credit_note.number} on invoice {self.invoice.number}: "
                f"{issued.credit_note.gross_total} {issued.credit_note.currency} ({issued.reason})",
            )
        self.credited = max(self.credited, issued.credited_total)
        self.recheck = True
