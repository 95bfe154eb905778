"""Delivering invoices: a real SMTP server (aiosmtpd) takes the mail with both documents, a real
local HTTP server takes the signed webhook; each channel sends once, failures are typed for the
workflow (permanent: no retry, finance decides; temporary: retried). SQLite and PostgreSQL."""

import email
import email.policy
import json
import socket
import threading
from base64 import b64decode
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.invoice_delivery import InvoiceDeliveryActivities
from core import temporal_names as names
from core.database import session_scope
from core.settings import Settings
from invoicing import mail
from invoicing.tables import CREDIT_NOTE, InvoiceDelivery, InvoiceRecord
from partners.onboarding import new_secret
from tests.invoicing.stored import new_customer, new_invoice, stored_document

PUBLIC = "https://o2c.example"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Catcher:
    """An SMTP handler that keeps what it is sent; `rcpt_reply` refuses every recipient with it."""

    def __init__(self, rcpt_reply: str | None = None):
        self.rcpt_reply = rcpt_reply
        self.messages: list[email.message.EmailMessage] = []
        self.recipients: list[list[str]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server(handler: Catcher) -> Iterator[int]:
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


class Receiver:
    """The customer's system: a real HTTP server that answers `status` and keeps what it got."""

    def __init__(self, status: int = 204):
        self.status = status
        self.received: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/invoices"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def settings(smtp_port: int | None = None) -> Settings:
    return Settings(
        smtp_host="127.0.0.1" if smtp_port else None,
        smtp_port=smtp_port or 25,
        smtp_from="invoices@seller.example",
        smtp_timeout=5,
        public_url=PUBLIC,
        webhook_allow_internal_targets=True,  # the customer's test system runs on 127.0.0.1
        partner_http_timeout=5,
    )


def deliver(db, s: Settings, invoice_id: str):
    return ActivityEnvironment().run(InvoiceDeliveryActivities(db, s).deliver_invoice, invoice_id)


def delivery_rows(db, invoice_id: str) -> dict[str, InvoiceDelivery]:
    with session_scope(db) as session:
        rows = session.execute(select(InvoiceDelivery).where(InvoiceDelivery.invoice_id == invoice_id)).scalars()
        return {row.channel: row for row in rows}


def by_channel(report) -> dict:
    return {o.channel: o for o in report.outcomes}


def test_the_mail_carries_both_documents_and_goes_once(db):
    invoice = new_invoice(db, new_customer(db, email="ap@customer.example"))
    catcher = Catcher()
    with smtp_server(catcher) as port:
        report = deliver(db, settings(port), invoice.id)
        again = deliver(db, settings(port), invoice.id)  # a retried activity, a second call

    assert len(catcher.messages) == 1, "sent once"
    message = catcher.messages[0]
    assert catcher.recipients == [["ap@customer.example"]]
    assert message["Subject"] == f"Invoice {invoice.number}"
    assert message["Message-ID"] == mail.message_id(invoice.id, "invoices@seller.example")
    attachments = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(attachments) == {f"{invoice.number}.xml", f"{invoice.number}.pdf"}
    stored = stored_document(db, invoice.id)
    assert attachments[f"{invoice.number}.xml"].get_content_type() == "application/xml"
    assert attachments[f"{invoice.number}.xml"].get_payload(decode=True) == stored.xml
    assert attachments[f"{invoice.number}.pdf"].get_payload(decode=True) == stored.pdf
    body = message.get_body(("plain",)).get_content()
    assert f"{PUBLIC}/api/v1/invoices/{invoice.id}/xml" in body and "119.00 EUR" in body

    sent = by_channel(report)
    assert sent["email"].status == "sent" and sent["email"].attempts == 1
    assert sent["webhook"].status == "skipped"  # the customer has no webhook
    assert by_channel(again)["email"].model_dump() == sent["email"].model_dump()
    rows = delivery_rows(db, invoice.id)
    assert rows["email"].status == "sent" and rows["email"].attempts == 1
    assert rows["email"].message_id == message["Message-ID"]
    with session_scope(db) as session:
        assert session.get(InvoiceRecord, invoice.id).sent_at is not None


def test_a_crash_after_the_attempt_sends_again_with_the_same_message_id(db):
    """Recorded as sending, never as sent (the worker died): the retry sends the same message."""
    invoice = new_invoice(db, new_customer(db, email="ap@customer.example"))
    catcher = Catcher()
    with smtp_server(catcher) as port:
        deliver(db, settings(port), invoice.id)
        with session_scope(db) as session:
            session.get(InvoiceDelivery, (invoice.id, "email")).status = "sending"
        deliver(db, settings(port), invoice.id)
    assert [m["Message-ID"] for m in catcher.messages] == [catcher.messages[0]["Message-ID"]] * 2
    assert delivery_rows(db, invoice.id)["email"].attempts == 2


def test_a_refused_recipient_is_a_permanent_failure_for_finance(db):
    invoice = new_invoice(db, new_customer(db, email="gone@customer.example"))
    with smtp_server(Catcher(rcpt_reply="550 5.1.1 No such user")) as port, pytest.raises(ApplicationError) as failure:
        deliver(db, settings(port), invoice.id)
    assert failure.value.type == names.INVOICE_UNDELIVERABLE
    assert failure.value.non_retryable
    assert "550" in str(failure.value)
    row = delivery_rows(db, invoice.id)["email"]
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550" in (row.detail or "")


@pytest.mark.parametrize("reply", ["451 4.3.0 Try again later", None])
def test_a_temporary_failure_is_retried_and_then_sent_once(db, reply):
    """An SMTP 4xx, or no server listening: retryable; the next attempt sends."""
    invoice = new_invoice(db, new_customer(db, email="ap@customer.example"))
    port = free_port()
    if reply:
        with smtp_server(Catcher(rcpt_reply=reply)) as port, pytest.raises(ApplicationError) as failure:
            deliver(db, settings(port), invoice.id)
    else:
        with pytest.raises(ApplicationError) as failure:  # nothing listens on the port
            deliver(db, settings(port), invoice.id)
    assert failure.value.type == names.INVOICE_DELIVERY_DELAYED
    assert not failure.value.non_retryable
    catcher = Catcher()
    with smtp_server(catcher) as port:
        report = deliver(db, settings(port), invoice.id)
    assert by_channel(report)["email"].status == "sent" and by_channel(report)["email"].attempts == 2
    assert len(catcher.messages) == 1


def test_without_an_smtp_host_the_mail_is_skipped_not_failed(db):
    invoice = new_invoice(db, new_customer(db, email="ap@customer.example"))
    report = deliver(db, settings(None), invoice.id)
    assert by_channel(report)["email"].status == "skipped"
    assert delivery_rows(db, invoice.id)["email"].attempts == 0


def test_a_customer_without_any_address_fails_without_retry(db):
    invoice = new_invoice(db, new_customer(db))
    with smtp_server(Catcher()) as port, pytest.raises(ApplicationError) as failure:
        deliver(db, settings(port), invoice.id)
    assert failure.value.type == names.INVOICE_UNDELIVERABLE and failure.value.non_retryable
    assert delivery_rows(db, invoice.id)["email"].status == "failed"


@pytest.mark.parametrize("document_type", ["380", CREDIT_NOTE])
def test_the_webhook_is_signed_and_sent_once(db, document_type):
    secret = new_secret()
    with Receiver() as receiver:
        customer = new_customer(db, webhook=receiver.url, secret=secret)
        invoice = new_invoice(db, customer, document_type=document_type)
        report = deliver(db, settings(None), invoice.id)
        deliver(db, settings(None), invoice.id)
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    payload = Webhook(secret).verify(body, headers)  # raises unless the signature is ours
    assert headers["webhook-id"] == f"invoice-{invoice.id}"
    assert payload["type"] == ("credit_note.issued" if document_type == CREDIT_NOTE else "invoice.issued")
    assert payload["invoice_id"] == invoice.id and payload["number"] == invoice.number
    assert payload["document_type"] == document_type
    assert (payload["currency"], payload["gross_total"], payload["due_date"]) == ("EUR", "119.00", "2026-12-27")
    assert payload["links"] == {k: f"{PUBLIC}/api/v1/invoices/{invoice.id}/{k}" for k in ("xml", "pdf")}
    assert b64decode(payload["xml"]) == stored_document(db, invoice.id).xml
    outcomes = by_channel(report)
    assert outcomes["webhook"].status == "sent" and outcomes["webhook"].message_id == f"invoice-{invoice.id}"
    assert outcomes["email"].status == "skipped"  # no e-mail address: the webhook takes the invoices


@pytest.mark.parametrize(
    ("status", "type_", "retried"),
    [
        (400, names.INVOICE_UNDELIVERABLE, False),
        (503, names.INVOICE_DELIVERY_DELAYED, True),
        (429, names.INVOICE_DELIVERY_DELAYED, True),
    ],
)
def test_the_webhooks_answer_decides_whether_it_is_tried_again(db, status, type_, retried):
    with Receiver(status) as receiver:
        invoice = new_invoice(db, new_customer(db, webhook=receiver.url, secret=new_secret()))
        with pytest.raises(ApplicationError) as failure:
            deliver(db, settings(None), invoice.id)
    assert failure.value.type == type_ and failure.value.non_retryable is not retried
    assert f"HTTP {status}" in str(failure.value)
    assert delivery_rows(db, invoice.id)["webhook"].status == "failed"


def test_a_webhook_into_a_link_local_address_is_refused_for_good(db):
    invoice = new_invoice(db, new_customer(db, webhook="http://169.254.169.254/latest", secret=new_secret()))
    with pytest.raises(ApplicationError) as failure:
        deliver(db, settings(None), invoice.id)
    assert failure.value.type == names.INVOICE_UNDELIVERABLE and failure.value.non_retryable


def test_an_invoice_without_document_is_not_sent(db):
    invoice = new_invoice(db, new_customer(db, email="ap@customer.example"), with_document=False)
    catcher = Catcher()
    with smtp_server(catcher) as port, pytest.raises(ApplicationError) as failure:
        deliver(db, settings(port), invoice.id)
    assert failure.value.type == names.INVOICE_UNDELIVERABLE
    assert catcher.messages == []


def test_the_webhook_body_is_json_with_money_as_a_string(db):
    with Receiver() as receiver:
        invoice = new_invoice(db, new_customer(db, webhook=receiver.url, secret=new_secret()))
        deliver(db, settings(None), invoice.id)
    assert isinstance(json.loads(receiver.received[0][1])["gross_total"], str)
