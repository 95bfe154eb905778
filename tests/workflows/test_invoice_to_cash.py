"""Invoice to cash in the order's workflow: the e-invoice checked before it is issued (and the
order waiting in INVOICE_BLOCKED until finance fixes the data), the cash discount, dunning levels
with a dispute's pause, collections, and credit notes reducing what the customer owes.

Each test that changes terms or data has its own customer, so the shared demo data stays as it is."""

from datetime import date, timedelta
from decimal import Decimal

import facturx
from sqlalchemy import select

from contracts.tables import Contract
from core.database import session_scope
from customers.tables import Customer
from invoicing import service as invoicing
from invoicing.tables import BlockedInvoice, DunningNotice, InvoiceDelivery, InvoiceDocumentRow, InvoiceRecord
from models.invoices import CreditLine, CreditNoteBody, DunningPause, PaymentIn
from models.orders import OrderLineRequest, OrderStatus
from tests.catalog.data import add_buyer, add_customer
from tests.invoicing.official import VALIDATE, official_check
from tests.workflows.helpers import (
    ACME_AT_BUYER,
    BUYER,
    CABLES,
    FINANCE,
    SWITCH,
    deliver,
    events,
    placement,
    refused,
    start,
    status,
    wait_for,
)
from workflows.order import OrderWorkflow

PRICES = {"SW-24-PRO": "1000.00", "CBL-CAT6-5M": "5.00", "SVC-INSTALL-ONSITE": "800.00"}


def customer(engine, **fields) -> tuple[str, str]:
    """A fresh customer with a contract (21 days net) and its buyer; `fields` set on the customer
    (address...) or, prefixed `contract_`, on the contract."""
    customer_id, contract_id = add_customer(engine, contract=(date(2020, 1, 1), date(2099, 12, 31)), prices=PRICES)
    with session_scope(engine) as session:
        row = session.get(Customer, customer_id)
        row.street, row.postal_code, row.city, row.country = "Hauptstraße 1", "10115", "Berlin", "DE"
        row.invoice_email = f"ap@{customer_id}.example"
        contract = session.get(Contract, contract_id)
        for name, value in fields.items():
            if name.startswith("contract_"):
                setattr(contract, name.removeprefix("contract_"), value)
            else:
                setattr(row, name, value)
    return customer_id, contract_id


async def delivered(client, task_queue, p):
    handle = await start(client, task_queue, p)
    view = await wait_for(handle, lambda v: len(v.suborders) == 1)
    await deliver(client, view.suborders[0].suborder_id, view.suborders[0].partner_id)
    return handle


def document(engine, invoice_id: str) -> InvoiceDocumentRow:
    with session_scope(engine) as session:
        return session.get(InvoiceDocumentRow, invoice_id)


def payment(invoice, amount: str, reference: str) -> PaymentIn:
    return PaymentIn(invoice_id=invoice.invoice_id, amount=Decimal(amount), reference=reference, actor=FINANCE)


async def test_the_invoice_is_an_xrechnung_the_official_rules_accept_with_its_pdf(client, task_queue, engine):
    handle = await delivered(client, task_queue, placement(CABLES))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    invoice = view.invoices[0]
    row = document(engine, invoice.invoice_id)
    assert b"urn:xeinkauf.de:kosit:xrechnung_3.0" in row.xml  # ACME has a buyer reference
    assert b"ACME-IT-4711" in row.xml and invoice.number.encode() in row.xml
    assert facturx.get_xml_from_pdf(row.pdf, check_xsd=False)[1] == row.xml
    with session_scope(engine) as session:
        sent = session.execute(select(InvoiceDelivery).where(InvoiceDelivery.invoice_id == invoice.invoice_id))
        assert {(d.channel, d.status) for d in sent.scalars()} >= {("email", "skipped")}  # no SMTP_HOST in tests
    if VALIDATE.exists():
        accepted, output = official_check(row.xml)
        assert accepted, output


async def test_acme_austria_gets_an_intra_community_supply_without_vat(client, task_queue, engine):
    p = placement(OrderLineRequest(sku="PWR-UPS-AT", quantity=2), buyer=ACME_AT_BUYER)
    handle = await delivered(client, task_queue, p)
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    invoice = view.invoices[0]
    assert invoice.vat_total == Decimal("0.00") and invoice.gross_total == invoice.net_total
    xml = document(engine, invoice.invoice_id).xml
    assert b"<ram:CategoryCode>K</ram:CategoryCode>" in xml and b"ATU12345675" in xml
    if VALIDATE.exists():
        accepted, output = official_check(xml)
        assert accepted, output


async def test_a_blocked_invoice_waits_for_finance_and_is_issued_once_the_data_is_fixed(client, task_queue, engine):
    # a public buyer (Leitweg-ID: XRechnung) whose address lacks the city: BR-DE-8 refuses it
    customer_id, _ = customer(engine, buyer_reference="04011000-1234512345-06", city=None)
    buyer = add_buyer(engine, customer_id)
    handle = await delivered(client, task_queue, placement(CABLES, buyer=buyer))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICE_BLOCKED)
    assert "BR-DE-8" in {f.rule_id for f in view.invoice_findings}
    assert not view.invoices and "invoice.blocked" in events(view)
    with session_scope(engine) as session:
        blocked = session.execute(select(BlockedInvoice).where(BlockedInvoice.order_id == view.order_id)).scalar_one()
        assert blocked.resolved_at is None and blocked.findings
        numbered = session.execute(select(InvoiceRecord).where(InvoiceRecord.order_id == view.order_id)).first()
        assert numbered is None  # no number was taken
    assert "finance" in await refused(handle.execute_update(OrderWorkflow.retry_invoicing, BUYER), "Conflict")

    with session_scope(engine) as session:
        session.get(Customer, customer_id).city = "Berlin"
    await handle.execute_update(OrderWorkflow.retry_invoicing, FINANCE)
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    assert view.invoice_findings == [] and events(view)[-2:] == ["invoice.retried", "invoice.issued"]
    with session_scope(engine) as session:
        blocked = session.execute(select(BlockedInvoice).where(BlockedInvoice.order_id == view.order_id)).scalar_one()
        assert blocked.resolved_at is not None and blocked.invoice_id == view.invoices[0].invoice_id


async def test_paid_within_the_discount_window_the_discounted_amount_settles(client, task_queue, engine, time_env):
    customer_id, _ = customer(engine, contract_discount_days=14, contract_discount_percent=Decimal("2.00"))
    buyer = add_buyer(engine, customer_id)
    handle = await delivered(client, task_queue, placement(CABLES, buyer=buyer))  # 10 x 5.00
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    invoice = view.invoices[0]
    assert invoice.gross_total == Decimal("59.50")
    with session_scope(engine) as session:
        row = session.get(InvoiceRecord, invoice.invoice_id)
        assert row.discount_until == row.issue_date + timedelta(days=14) and row.discount_percent == Decimal("2.00")
    assert b"#SKONTO#TAGE=14#PROZENT=2.00#" in document(engine, invoice.invoice_id).xml

    await time_env.sleep(timedelta(days=10))
    result = await handle.execute_update(OrderWorkflow.record_payment, payment(invoice, "58.31", "BANK-SKONTO"))
    assert result.settled  # 59.50 less 2 % = 58.31
    assert (await handle.result()).status == OrderStatus.PAID


async def test_the_discounted_amount_after_the_window_leaves_the_rest_open(client, task_queue, engine, time_env):
    customer_id, _ = customer(engine, contract_discount_days=14, contract_discount_percent=Decimal("2.00"))
    buyer = add_buyer(engine, customer_id)
    handle = await delivered(client, task_queue, placement(CABLES, buyer=buyer))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    await time_env.sleep(timedelta(days=15))
    late = await handle.execute_update(OrderWorkflow.record_payment, payment(view.invoices[0], "58.31", "BANK-LATE"))
    assert not late.settled
    rest = await handle.execute_update(OrderWorkflow.record_payment, payment(view.invoices[0], "1.19", "BANK-REST"))
    assert rest.settled
    assert (await handle.result()).status == OrderStatus.PAID


async def test_dunning_levels_pause_for_a_dispute_and_end_in_collections(client, task_queue, engine, time_env):
    customer_id, _ = customer(engine)  # 21 days net; the default schedule: +7, +21, +35, +49 days
    buyer = add_buyer(engine, customer_id)
    p = placement(CABLES, buyer=buyer)
    handle = await delivered(client, task_queue, p)
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    invoice = view.invoices[0]

    await time_env.sleep(timedelta(days=22 + 7))  # overdue, then the reminder
    view = await wait_for(handle, lambda v: v.dunning_level == 1)
    assert view.status == OrderStatus.OVERDUE
    pause = DunningPause(invoice_id=invoice.invoice_id, actor=FINANCE, reason="customer disputes the quantity")
    await handle.execute_update(OrderWorkflow.pause_dunning, pause)
    assert "paused already" in await refused(handle.execute_update(OrderWorkflow.pause_dunning, pause), "Conflict")
    await time_env.sleep(timedelta(days=30))  # level 2 was due at +21: paused, nothing happens
    view = await status(handle)
    assert view.dunning_level == 1 and view.dunning_paused

    await handle.execute_update(OrderWorkflow.resume_dunning, pause)
    await time_env.sleep(timedelta(days=20))  # the levels moved by the 30 days paused: +21 is now +51
    view = await wait_for(handle, lambda v: v.dunning_level == 2)
    await time_env.sleep(timedelta(days=40))
    view = await wait_for(handle, lambda v: v.status == OrderStatus.COLLECTIONS)
    assert view.dunning_level == 4
    assert [e for e in events(view) if e.startswith("dunning.")] == [
        "dunning.reminder",
        "dunning.paused",
        "dunning.resumed",
        "dunning.notice",
        "dunning.notice",
        "dunning.collections",
    ]
    with session_scope(engine) as session:
        notices = session.execute(
            select(DunningNotice).where(DunningNotice.invoice_id == invoice.invoice_id).order_by(DunningNotice.level)
        ).scalars()
        assert [(n.level, n.kind, n.fee) for n in notices] == [
            (1, "reminder", Decimal("0.00")),
            (2, "notice", Decimal("5.00")),
            (3, "notice", Decimal("10.00")),
            (4, "collections", Decimal("0.00")),
        ]
        assert session.get(InvoiceRecord, invoice.invoice_id).status == "collections"

    await handle.execute_update(OrderWorkflow.record_payment, payment(invoice, "59.50", "BANK-COLL"))
    result = await handle.result()
    assert result.status == OrderStatus.PAID


async def test_a_credit_note_lowers_what_is_owed_and_can_settle_the_rest(client, task_queue, engine):
    handle = await delivered(client, task_queue, placement(CABLES))  # 10 x 4.20 net, ACME
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    invoice = invoicing.issuing.get_invoice(engine, view.invoices[0].invoice_id)
    assert invoice is not None
    # 4 cables returned: 16.80 net + 3.19 VAT
    body = CreditNoteBody(lines=[CreditLine(line_no=1, quantity=4)], reason="4 cables returned")
    note = await invoicing.issue_credit_note(
        _Orders(client), engine, invoicing.seller(_settings()), FINANCE, invoice.invoice_id, body, "RET-1"
    )
    assert note.document_type == "381" and note.gross_total == Decimal("19.99")
    again = await invoicing.issue_credit_note(
        _Orders(client), engine, invoicing.seller(_settings()), FINANCE, invoice.invoice_id, body, "RET-1"
    )
    assert again.invoice_id == note.invoice_id  # the same key: the same credit note
    xml = document(engine, note.invoice_id).xml
    assert b"<ram:TypeCode>381</ram:TypeCode>" in xml
    assert invoice.number.encode() in xml  # BT-25: the invoice it credits
    if VALIDATE.exists():
        accepted, output = official_check(xml)
        assert accepted, output

    # the rest: 49.98 - 19.99 = 29.99 settles the invoice
    result = await handle.execute_update(OrderWorkflow.record_payment, payment(invoice, "29.99", "BANK-REST"))
    assert result.settled
    final = await handle.result()
    assert final.status == OrderStatus.PAID
    assert "credit_note.issued" in events(final)
    assert {i.document_type for i in final.invoices} == {"380", "381"}


def _settings():
    from core.settings import Settings

    return Settings()


class _Orders:
    """The order workflows as the service sees them, over the test's client (api/gateway.py)."""

    def __init__(self, client):
        from api.gateway import Gateway

        self.gateway = Gateway(client, _settings())

    def __getattr__(self, name):
        return getattr(self.gateway, name)


async def test_partial_invoicing_invoices_each_delivery_as_it_comes(client, task_queue, engine):
    customer_id, _ = customer(engine, invoicing_policy="per_delivery")
    buyer = add_buyer(engine, customer_id)
    handle = await start(client, task_queue, placement(SWITCH, CABLES, buyer=buyer))
    view = await wait_for(handle, lambda v: len(v.suborders) == 2)
    by_unit = {s.partner_id: s.suborder_id for s in view.suborders}

    await deliver(client, by_unit["central-warehouse"], "central-warehouse")
    view = await wait_for(handle, lambda v: len(v.invoices) == 1)
    assert view.status == OrderStatus.IN_FULFILLMENT  # the switch is still on its way
    cables = view.invoices[0]
    assert cables.gross_total == Decimal("59.50")  # 10 x 5.00 + 19 %
    # the delivered part can be paid while the rest is on its way
    paid = await handle.execute_update(OrderWorkflow.record_payment, payment(cables, "59.50", "BANK-PART-1"))
    assert paid.settled

    await deliver(client, by_unit["netpartner"], "netpartner")
    view = await wait_for(handle, lambda v: v.status == OrderStatus.INVOICED)
    assert [i.gross_total for i in view.invoices] == [Decimal("59.50"), Decimal("1190.00")]
    with session_scope(engine) as session:
        rows = session.execute(select(InvoiceRecord).where(InvoiceRecord.order_id == view.order_id)).scalars()
        assert sorted(r.suborder_id for r in rows) == sorted(by_unit.values())
    await handle.execute_update(OrderWorkflow.record_payment, payment(view.invoices[1], "1190.00", "BANK-PART-2"))
    result = await handle.result()
    assert result.status == OrderStatus.PAID and result.paid_total == Decimal("1249.50")
