"""Delivering an issued invoice or credit note to the customer: by e-mail to its invoice address
(SMTP) and by a signed webhook (Standard Webhooks) to its system, each channel once.

Every channel has a row in `invoicedelivery` (invoice, channel). A row with status `sent` is never
sent again, so a retried activity or a second call sends nothing. The attempt is recorded before
sending (status `sending`, attempts + 1) and the outcome after; a crash in between sends again on
the retry. That duplicate carries the same Message-ID (e-mail) or webhook-id (webhook), both
derived from the invoice, so the receiver can recognise and drop it.

Failures are permanent (no address, an SMTP 5xx, a webhook answer 4xx other than 408/429, an
address into the seller's network) or temporary (the server is not reached, an SMTP 4xx, a webhook
5xx/408/429); the outcome says which, the activity turns it into a retry or finance's task. No SMTP
host configured, or no webhook URL: the channel is skipped, not failed. The HTTP call itself is
the caller's (`post_webhook`): the domain holds no HTTP client."""

import base64
import hashlib
import json
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import Engine, select
from sqlmodel import Session, col
from standardwebhooks.webhooks import Webhook

from core import outbound
from core.database import session_scope
from core.errors import NotFound
from core.settings import Settings
from customers.tables import Customer
from invoicing import mail
from invoicing.tables import CREDIT_NOTE, InvoiceDelivery, InvoiceDocumentRow, InvoiceRecord
from models.invoices import DeliveryOutcome

EMAIL, WEBHOOK = "email", "webhook"
CHANNELS = (EMAIL, WEBHOOK)
SENDING, SENT, FAILED, SKIPPED = "sending", "sent", "failed", "skipped"
DETAIL_LENGTH = 1000  # the column's


class WebhookAnswer(NamedTuple):
    status: int
    text: str


# posts the body with the headers to the URL and answers the HTTP status; raises OSError (e.g.
# ConnectionError, TimeoutError) when the server was not reached or did not answer
PostWebhook = Callable[[str, bytes, Mapping[str, str]], WebhookAnswer]


class Undelivered(Exception):
    """A channel's attempt failed; `permanent`: trying again cannot mend it."""

    def __init__(self, detail: str, *, permanent: bool):
        super().__init__(detail)
        self.permanent = permanent


@dataclass(frozen=True)
class _Send:
    recipient: str
    message_id: str
    send: Callable[[], None]  # raises Undelivered


@dataclass(frozen=True)
class _NotSent:
    status: str  # skipped or failed (permanent, nothing was sent)
    detail: str
    recipient: str | None = None


def webhook_id(invoice_id: str) -> str:
    """The webhook-id of the invoice's message: the same on every attempt."""
    return f"invoice-{invoice_id}"


def document_links(settings: Settings, invoice_id: str) -> dict[str, str]:
    """Where the customer downloads the documents (the API; PUBLIC_URL, else the API's own address)."""
    base = (settings.public_url or f"http://{settings.api_host}:{settings.api_port}").rstrip("/")
    return {kind: f"{base}/api/v1/invoices/{invoice_id}/{kind}" for kind in ("xml", "pdf")}


def deliver(engine: Engine, settings: Settings, invoice_id: str, post_webhook: PostWebhook) -> list[DeliveryOutcome]:
    """Sends the document on every channel it has not yet been sent on; the outcome per channel.
    An unknown invoice: NotFound."""
    with session_scope(engine) as session:
        invoice = session.get(InvoiceRecord, invoice_id)
        if invoice is None:
            raise NotFound(f"invoice {invoice_id} not found")
        document = session.get(InvoiceDocumentRow, invoice_id)
        customer = session.get(Customer, invoice.customer_id)
    plans = {
        EMAIL: _email_plan(settings, invoice, document, customer),
        WEBHOOK: _webhook_plan(settings, invoice, document, customer, post_webhook),
    }
    return [_deliver_channel(engine, invoice_id, channel, plans[channel]) for channel in CHANNELS]


class DeliveryState(NamedTuple):
    has_document: bool  # False: issued before e-invoices, nothing to download or send
    outcomes: list[DeliveryOutcome]  # per channel, as recorded


def delivery_state(engine: Engine, invoice_id: str) -> DeliveryState:
    """Whether the invoice has its documents, and how it went out per channel."""
    with session_scope(engine) as session:
        has_document = session.execute(
            select(col(InvoiceDocumentRow.invoice_id)).where(col(InvoiceDocumentRow.invoice_id) == invoice_id)
        ).first()
        rows = session.execute(
            select(InvoiceDelivery)
            .where(col(InvoiceDelivery.invoice_id) == invoice_id)
            .order_by(col(InvoiceDelivery.channel))
        ).scalars()
        return DeliveryState(has_document is not None, [_outcome(row) for row in rows])


# --- the channels ----------------------------------------------------------------------------------


def _email_plan(
    settings: Settings, invoice: InvoiceRecord, document: InvoiceDocumentRow | None, customer: Customer | None
) -> _Send | _NotSent:
    address = customer.invoice_email if customer else None
    if not address:
        if customer is not None and customer.invoice_webhook_url:
            return _NotSent(SKIPPED, "the customer has no invoice e-mail address (its webhook takes the invoices)")
        return _NotSent(FAILED, f"customer {invoice.customer_id} has neither an invoice e-mail address nor a webhook")
    if not settings.smtp_host:
        return _NotSent(SKIPPED, "e-mail is off: no SMTP_HOST configured", address)
    if document is None:
        return _NotSent(FAILED, f"invoice {invoice.number} has no XML/PDF document to send", address)
    message = mail.invoice_message(
        invoice,
        document.xml,
        document.pdf,
        sender=settings.smtp_from,
        recipient=address,
        links=document_links(settings, invoice.id),
    )
    return _Send(address, str(message["Message-ID"]), lambda: _smtp_send(settings, message))


def _smtp_send(settings: Settings, message) -> None:
    host = settings.smtp_host or ""
    context = ssl.create_default_context()
    try:
        smtp = (
            smtplib.SMTP_SSL(host, settings.smtp_port, timeout=settings.smtp_timeout, context=context)
            if settings.smtp_ssl
            else smtplib.SMTP(host, settings.smtp_port, timeout=settings.smtp_timeout)
        )
        with smtp:
            if settings.smtp_starttls and not settings.smtp_ssl:
                smtp.starttls(context=context)
            if settings.smtp_username:
                password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
                smtp.login(settings.smtp_username, password)
            refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:  # the only recipient: its code decides
        codes = [code for code, _ in exc.recipients.values()]
        text = "; ".join(f"{code} {reply.decode(errors='replace')}" for code, reply in exc.recipients.values())
        raise Undelivered(
            f"the mail server refused the recipient: {text}", permanent=all(c >= 500 for c in codes)
        ) from exc
    except smtplib.SMTPResponseException as exc:  # 4xx: try again later; 5xx: it will not take it
        reply = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        raise Undelivered(f"the mail server answered {exc.smtp_code} {reply}", permanent=exc.smtp_code >= 500) from exc
    except smtplib.SMTPNotSupportedError as exc:  # e.g. no STARTTLS: the settings must change
        raise Undelivered(f"the mail server does not support this: {exc}", permanent=True) from exc
    except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, disconnected: try again
        raise Undelivered(
            f"the mail server {host}:{settings.smtp_port} was not reached: {exc!r}", permanent=False
        ) from exc
    if refused:  # cannot happen with one recipient; kept so that a partial refusal is never "sent"
        raise Undelivered(f"the mail server refused {', '.join(refused)}", permanent=True)


def webhook_body(settings: Settings, invoice: InvoiceRecord, document: InvoiceDocumentRow) -> bytes:
    kind = "credit_note.issued" if invoice.document_type == CREDIT_NOTE else "invoice.issued"
    return json.dumps(
        {
            "type": kind,
            "invoice_id": invoice.id,
            "number": invoice.number,
            "document_type": invoice.document_type,
            "currency": invoice.currency,
            "gross_total": f"{invoice.gross_total:.2f}",  # money as a decimal string, never a float
            "due_date": invoice.due_date.isoformat(),
            "links": document_links(settings, invoice.id),
            "xml": base64.b64encode(document.xml).decode(),
        }
    ).encode()


def _webhook_plan(
    settings: Settings,
    invoice: InvoiceRecord,
    document: InvoiceDocumentRow | None,
    customer: Customer | None,
    post_webhook: PostWebhook,
) -> _Send | _NotSent:
    url = customer.invoice_webhook_url if customer else None
    if not url:
        return _NotSent(SKIPPED, "the customer has no invoice webhook")
    if not customer or not customer.invoice_webhook_secret:
        return _NotSent(FAILED, "the customer's invoice webhook has no signing secret", url)
    if document is None:
        return _NotSent(FAILED, f"invoice {invoice.number} has no XML/PDF document to send", url)
    secret, body, message_id = (
        customer.invoice_webhook_secret,
        webhook_body(settings, invoice, document),
        webhook_id(invoice.id),
    )

    def send() -> None:
        refused = outbound.refusal_when_used(url, settings.webhook_allow_internal_targets)
        if refused:  # it leads into the seller's own network (checked now: a name may change)
            raise Undelivered(f"the customer's webhook address is not allowed: {refused}", permanent=True)
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(message_id, now, body.decode()),
        }
        try:
            answer = post_webhook(url, body, headers)
        except OSError as exc:
            raise Undelivered(f"the customer's webhook was not reached: {exc!r}", permanent=False) from exc
        if answer.status >= 300:
            refused_for_good = 400 <= answer.status < 500 and answer.status not in (408, 429)
            raise Undelivered(
                f"the customer's webhook answered HTTP {answer.status} {answer.text[:200]}", permanent=refused_for_good
            )

    return _Send(url, message_id, send)


# --- the record of each channel --------------------------------------------------------------------


def _deliver_channel(engine: Engine, invoice_id: str, channel: str, plan: _Send | _NotSent) -> DeliveryOutcome:
    with session_scope(engine, write_lock=True) as session:
        row = _locked_row(session, invoice_id, channel)
        if row.status == SENT:
            return _outcome(row)
        now = datetime.now(UTC)
        if isinstance(plan, _NotSent):  # nothing goes out
            _set(row, status=plan.status, recipient=plan.recipient, detail=plan.detail, updated_at=now)
            return _outcome(row, permanent=plan.status == FAILED)
        # the attempt is on record before anything leaves
        _set(row, status=SENDING, recipient=plan.recipient, message_id=plan.message_id, detail=None, updated_at=now)
        row.attempts += 1
    try:
        plan.send()
    except Undelivered as failure:
        return _record(engine, invoice_id, channel, FAILED, str(failure), permanent=failure.permanent)
    return _record(engine, invoice_id, channel, SENT, None)


def _locked_row(session: Session, invoice_id: str, channel: str) -> InvoiceDelivery:
    # the invoice's row serialises its deliveries on PostgreSQL (SQLite: the write lock does)
    session.get(InvoiceRecord, invoice_id, with_for_update=True)
    row = session.get(InvoiceDelivery, (invoice_id, channel), populate_existing=True)
    if row is None:
        row = InvoiceDelivery(invoice_id=invoice_id, channel=channel, status=SENDING, updated_at=datetime.now(UTC))
        session.add(row)
    return row


def _record(
    engine: Engine, invoice_id: str, channel: str, status: str, detail: str | None, *, permanent: bool = False
) -> DeliveryOutcome:
    now = datetime.now(UTC)
    with session_scope(engine, write_lock=True) as session:
        row = _locked_row(session, invoice_id, channel)
        if row.status == SENT:  # a concurrent attempt got through: that stands
            return _outcome(row)
        _set(row, status=status, detail=detail, updated_at=now)
        if status == SENT:
            row.sent_at = now
            invoice = session.get(InvoiceRecord, invoice_id)
            if invoice is not None and invoice.sent_at is None:
                invoice.sent_at = now  # first reached the customer
        return _outcome(row, permanent=permanent)


def _set(row: InvoiceDelivery, **values: object) -> None:
    for name, value in values.items():
        if name == "detail" and isinstance(value, str):
            value = value[:DETAIL_LENGTH]
        setattr(row, name, value)


def _aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo is not None else moment.replace(tzinfo=UTC)  # SQLite drops it


def _outcome(row: InvoiceDelivery, *, permanent: bool = False) -> DeliveryOutcome:
    return DeliveryOutcome(
        channel=row.channel,
        status=row.status,
        recipient=row.recipient,
        attempts=row.attempts,
        message_id=row.message_id,
        detail=row.detail,
        sent_at=_aware(row.sent_at),
        permanent=permanent,
    )


# --- downloads -------------------------------------------------------------------------------------

MEDIA_TYPES = {"xml": "application/xml", "pdf": "application/pdf"}


class DocumentFile(NamedTuple):
    content: bytes
    media_type: str
    filename: str  # "<number>.xml" / "<number>.pdf", as attached to the e-mail
    etag: str  # the content's hash: the document never changes once issued


def document_file(engine: Engine, invoice_id: str, kind: str) -> DocumentFile:
    """The issued XML or PDF; NotFound when the invoice has none (issued before e-invoices)."""
    with session_scope(engine) as session:
        invoice = session.get(InvoiceRecord, invoice_id)
        document = session.get(InvoiceDocumentRow, invoice_id)
        if invoice is None or document is None:
            raise NotFound(f"invoice {invoice_id} has no electronic document")
        content = document.xml if kind == "xml" else document.pdf
        return DocumentFile(
            content,
            MEDIA_TYPES[kind],
            f"{mail.file_stem(invoice.number)}.{kind}",
            '"' + hashlib.sha256(content).hexdigest()[:32] + '"',
        )
