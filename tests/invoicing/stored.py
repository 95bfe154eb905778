"""Issued invoices as the tests of delivery and downloads need them: an invoice row and its stored
XML and PDF, written directly (the issuing and the document generation are tested elsewhere)."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine

from core.database import session_scope
from customers.tables import Customer
from invoicing.tables import INVOICE, InvoiceDocumentRow, InvoiceRecord

XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"/>\n'
)
PDF = b"%PDF-1.7\n% a tiny stand-in for the ZUGFeRD PDF\n%%EOF\n"


def new_customer(
    engine: Engine, *, email: str | None = None, webhook: str | None = None, secret: str | None = None
) -> str:
    customer_id = f"c-{uuid.uuid4().hex[:10]}"
    with session_scope(engine) as session:
        session.add(
            Customer(
                id=customer_id,
                name="Delivery Test GmbH",
                country="DE",
                invoice_email=email,
                invoice_webhook_url=webhook,
                invoice_webhook_secret=secret,
            )
        )
    return customer_id


def new_invoice(
    engine: Engine, customer_id: str, *, document_type: str = INVOICE, with_document: bool = True
) -> InvoiceRecord:
    suffix = uuid.uuid4().hex[:8]
    issued = date(2026, 11, 27)
    record = InvoiceRecord(
        id=f"INV-test-{suffix}",
        seller_id="test",
        number=f"2026-{suffix}",
        order_id=f"O-{suffix}",
        customer_id=customer_id,
        currency="EUR",
        issue_date=issued,
        due_date=issued + timedelta(days=30),
        payment_terms_days=30,
        net_total=Decimal("100.00"),
        vat_total=Decimal("19.00"),
        gross_total=Decimal("119.00"),
        lines=[],
        created_at=datetime.now(UTC),
        document_type=document_type,
        issue_key=f"test:{suffix}",
    )
    with session_scope(engine) as session:
        session.add(record)
        session.flush()
        if with_document:
            session.add(
                InvoiceDocumentRow(
                    invoice_id=record.id,
                    xml=XML.replace(b"/>", f"><!-- {record.id} --></rsm:CrossIndustryInvoice>".encode(), 1),
                    pdf=PDF,
                    profile="urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0",
                    created_at=datetime.now(UTC),
                )
            )
    return record


def stored_document(engine: Engine, invoice_id: str) -> InvoiceDocumentRow:
    with session_scope(engine) as session:
        row = session.get(InvoiceDocumentRow, invoice_id)
        assert row is not None
        return row
