from sqlalchemy import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from core import temporal_names as names
from invoicing import service as invoicing
from models.invoices import Invoice, InvoiceRequest, PaymentIn, PaymentResult


class InvoicingActivities:
    def __init__(self, engine: Engine):
        self.engine = engine

    @activity.defn
    def issue_invoice(self, request: InvoiceRequest) -> Invoice:
        """Idempotent per order: a retry returns the invoice the first attempt wrote."""
        invoice = invoicing.issue_invoice(self.engine, request)
        activity.logger.info("invoice %s: %s %s gross", invoice.number, invoice.gross_total, invoice.currency)
        return invoice

    @activity.defn
    def record_payment(self, payment: PaymentIn) -> PaymentResult:
        """Idempotent per (invoice, reference); the same reference with another amount fails
        without retry."""
        try:
            return invoicing.book_payment(self.engine, payment)
        except invoicing.PaymentConflict as exc:
            raise ApplicationError(str(exc), type=names.CONFLICT, non_retryable=True) from exc
