from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core import temporal_names as names
from invoicing import service as invoicing
from models.invoices import Invoice, InvoiceCheck, InvoiceRequest, InvoiceState, IssueResult, PaymentIn, PaymentResult


class InvoicingActivities:
    def __init__(self, engine: Engine, seller: invoicing.Seller | None = None):
        self.engine = engine
        self.seller = seller

    @activity.defn
    def issue_invoice(self, request: InvoiceRequest) -> Invoice:
        """Idempotent per order: a retry returns the invoice the first attempt wrote (orders started
        before e-invoices)."""
        invoice = invoicing.issue_invoice(self.engine, request)
        activity.logger.info("invoice %s: %s %s gross", invoice.number, invoice.gross_total, invoice.currency)
        return invoice

    @activity.defn
    def issue_document(self, request: InvoiceRequest) -> IssueResult:
        """The e-invoice, checked before it is issued; idempotent per issue key. Findings (the
        document broke a rule) are an answer, not a failure: the order waits for finance."""
        assert self.seller is not None, "the worker passes the seller (worker.py)"
        result = invoicing.issue_document(self.engine, self.seller, request)
        if result.invoice is not None:
            activity.logger.info("invoice %s issued", result.invoice.number)
        else:
            activity.logger.warning("invoice blocked: %s", ", ".join(f.rule_id for f in result.findings))
        return result

    @activity.defn
    def check_invoice(self, check: InvoiceCheck) -> InvoiceState:
        """The invoice's state; with a level, overdue or at that dunning level first (idempotent)."""
        return invoicing.check_invoice(self.engine, check)

    @activity.defn
    def set_dunning_paused(self, invoice_id: str, paused: bool) -> None:
        invoicing.set_dunning_paused(self.engine, invoice_id, paused)

    @activity.defn
    def record_payment(self, payment: PaymentIn) -> PaymentResult:
        """Idempotent per (invoice, reference); the same reference with another amount fails
        without retry."""
        try:
            return invoicing.book_payment(self.engine, payment)
        except invoicing.PaymentConflict as exc:
            raise ApplicationError(str(exc), type=names.CONFLICT, non_retryable=True) from exc
