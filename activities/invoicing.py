from sqlalchemy import Engine
from temporalio import activity

from invoicing import service as invoicing
from models.invoices import Invoice, InvoiceRequest, PaymentIn, PaymentResult


class InvoicingActivities:
    def __init__(self, engine: Engine):
        self.engine = engine

    @activity.defn
    def issue_invoice(self, request: InvoiceRequest) -> Invoice:
        """Idempotent per order: a retry returns the invoice the first attempt wrote."""
        return invoicing.issue_invoice(self.engine, request)

    @activity.defn
    def record_payment(self, payment: PaymentIn) -> PaymentResult:
        """Idempotent per (invoice, reference)."""
        return invoicing.book_payment(self.engine, payment)
