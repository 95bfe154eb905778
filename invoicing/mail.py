"""The e-mail that carries an invoice or credit note to the customer's invoice address: a short text,
the XRechnung CII XML (the invoice itself) and the ZUGFeRD PDF attached as "<number>.xml" and
"<number>.pdf". Its Message-ID is derived from the invoice, never random: a copy sent again (a
crash between handing the mail over and recording it) is the same message to the receiver, whose
mail system or ERP can drop the duplicate."""

import re
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from email.utils import formatdate

from invoicing.tables import CREDIT_NOTE, InvoiceRecord

# what RFC 5322 allows in the left part of a Message-ID (dot-atom text); anything else becomes "_"
_NOT_ATOM = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]")
_NOT_FILENAME = re.compile(r"[^A-Za-z0-9._-]")


def message_id(invoice_id: str, sender: str) -> str:
    """The same for every attempt to send the invoice: <invoice.{id}@{the sender's domain}>."""
    domain = sender.rpartition("@")[2].strip(" >") or "order2cash.invalid"
    return f"<invoice.{_NOT_ATOM.sub('_', invoice_id).strip('.')}@{domain}>"


def file_stem(number: str) -> str:
    """The attachment's name without suffix: the invoice number, safe in any file system."""
    return _NOT_FILENAME.sub("_", number) or "invoice"


def kind_of(invoice: InvoiceRecord) -> str:
    return "Credit note" if invoice.document_type == CREDIT_NOTE else "Invoice"


def _amount(value: Decimal, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def _body(invoice: InvoiceRecord, links: dict[str, str]) -> str:
    kind = kind_of(invoice)
    issued = invoice.issue_date.isoformat() if isinstance(invoice.issue_date, date) else str(invoice.issue_date)
    if invoice.document_type == CREDIT_NOTE:
        what = f"we credit you {_amount(invoice.gross_total, invoice.currency)} with credit note {invoice.number}"
        what += f" of {issued}" + (f" ({invoice.reason})" if invoice.reason else "") + "."
    else:
        what = (
            f"please find attached invoice {invoice.number} of {issued} over "
            f"{_amount(invoice.gross_total, invoice.currency)}, due on {invoice.due_date.isoformat()}."
        )
    reference = f"\nYour reference: {invoice.buyer_reference}" if invoice.buyer_reference else ""
    return (
        f"Dear customer,\n\n{what}{reference}\n\n"
        f"{kind} {invoice.number} is the attached XML file (XRechnung, UN/CEFACT CII); the PDF (ZUGFeRD)\n"
        "carries the same data for reading and for systems that take ZUGFeRD.\n\n"
        f"Download: {links['xml']}\n          {links['pdf']}\n\n"
        "This message was sent automatically.\n"
    )


def invoice_message(
    invoice: InvoiceRecord, xml: bytes, pdf: bytes, *, sender: str, recipient: str, links: dict[str, str]
) -> EmailMessage:
    """The message, ready for SMTP; `links` holds the download addresses ("xml", "pdf")."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = f"{kind_of(invoice)} {invoice.number}"
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id(invoice.id, sender)
    message.set_content(_body(invoice, links))
    stem = file_stem(invoice.number)
    message.add_attachment(xml, maintype="application", subtype="xml", filename=f"{stem}.xml")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"{stem}.pdf")
    return message
