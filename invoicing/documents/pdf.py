"""The human-readable A4 invoice (reportlab) made a ZUGFeRD / Factur-X PDF/A-3 that carries its XML.

The fonts are the Bitstream Vera TrueType fonts inside reportlab's package, embedded in the PDF as
PDF/A requires (the 14 standard PDF fonts are not embedded).
"""

from decimal import Decimal
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

import facturx
import reportlab
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from invoicing.tax import breakdown, totals
from models.einvoices import InvoiceDocument, Party

FONTS = Path(reportlab.__file__).parent / "fonts"
REGULAR, BOLD = "Vera", "VeraBd"
TITLES = {"380": "Invoice", "381": "Credit note"}


def _register_fonts() -> None:
    for name in (REGULAR, BOLD):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(FONTS / f"{name}.ttf")))


def to_pdf(doc: InvoiceDocument, xml: bytes) -> bytes:
    """A PDF/A-3 (Factur-X EN 16931 level) of the document with `xml` embedded as factur-x.xml."""
    title = f"{TITLES[doc.document_type]} {doc.number}"
    return facturx.generate_from_binary(
        _readable_pdf(doc, title),
        xml,
        flavor="factur-x",
        level="en16931",
        check_xsd=False,  # checks.check ran the schema and the rules before
        pdf_metadata={
            "author": doc.seller.name,
            "keywords": "Factur-X, ZUGFeRD, invoice",
            "title": title,
            "subject": f"{title} to {doc.buyer.name}",
        },
        lang="en-GB",
    )


def _readable_pdf(doc: InvoiceDocument, title: str) -> bytes:
    _register_fonts()
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=10)
    heading = ParagraphStyle("heading", parent=body, fontName=BOLD, fontSize=16, leading=20)
    out = BytesIO()
    page = SimpleDocTemplate(
        out, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=18 * mm, bottomMargin=18 * mm,
        title=title, author=doc.seller.name,
        initialFontName=REGULAR,  # the canvas would start with Helvetica, which is not embedded
    )  # fmt: skip
    cur = doc.currency

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    label = ParagraphStyle("label", parent=body, fontName=BOLD)
    parties = Table(
        [[p("Seller", label), p("Bill to", label)], [p(_party_text(doc.seller)), p(_party_text(doc.buyer))]],
        colWidths=[85 * mm, 85 * mm],
    )
    parties.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), REGULAR), ("VALIGN", (0, 0), (-1, -1), "TOP")]))

    facts = [("Number", doc.number), ("Date", doc.issue_date.isoformat())]
    if doc.preceding_invoice_number:
        on = f" of {doc.preceding_invoice_date.isoformat()}" if doc.preceding_invoice_date else ""
        facts.append(("Credits invoice", doc.preceding_invoice_number + on))
    if doc.buyer_reference:
        facts.append(("Buyer reference", doc.buyer_reference))
    if doc.order_reference:
        facts.append(("Your order", doc.order_reference))
    if doc.order_id:
        facts.append(("Our order", doc.order_id))
    if doc.delivery_date:
        facts.append(("Delivery date", doc.delivery_date.isoformat()))
    if doc.delivery_period_start and doc.delivery_period_end:
        facts.append(("Delivery period", f"{doc.delivery_period_start} to {doc.delivery_period_end}"))
    if doc.due_date:
        facts.append(("Due date", doc.due_date.isoformat()))

    lines = [["#", "Item", "Quantity", "Unit price", "VAT", "Net"]]
    for line in doc.lines:
        item = f"{line.name}\n{line.sku}" + (f" / your part {line.buyer_item_id}" if line.buyer_item_id else "")
        lines.append(
            [
                line.line_id,
                p(item, small),
                f"{line.quantity.normalize():f} {line.unit_code}",
                _amount(line.unit_price),
                f"{line.vat_category.value} {_rate(line.vat_rate)}",
                _amount(line.net_amount),
            ]
        )
    line_table = Table(lines, colWidths=[10 * mm, 70 * mm, 22 * mm, 24 * mm, 18 * mm, 26 * mm], repeatRows=1)
    line_table.setStyle(_grid())

    vat = [["VAT category", "Rate", "Taxable", "VAT", "Exemption reason"]]
    for group in breakdown(doc.lines):
        vat.append(
            [
                group.category.value,
                _rate(group.rate),
                _amount(group.taxable_amount),
                _amount(group.tax_amount),
                p(group.exemption_reason or "", small),
            ]
        )
    vat_table = Table(vat, colWidths=[24 * mm, 16 * mm, 28 * mm, 24 * mm, 78 * mm])
    vat_table.setStyle(_grid())
    vat_table.setStyle(TableStyle([("ALIGN", (4, 0), (4, -1), "LEFT")]))

    amounts = totals(doc.lines, doc.paid_amount)
    sums = [
        ["Total net", f"{_amount(amounts.tax_basis_total)} {cur}"],
        ["VAT", f"{_amount(amounts.tax_total)} {cur}"],
        ["Total", f"{_amount(amounts.grand_total)} {cur}"],
    ]
    if amounts.paid_amount:
        sums += [
            ["Paid", f"{_amount(amounts.paid_amount)} {cur}"],
            ["Amount due", f"{_amount(amounts.due_payable)} {cur}"],
        ]
    sums_table = Table(sums, colWidths=[40 * mm, 40 * mm], hAlign="RIGHT")
    sums_table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("FONTNAME", (0, 2), (-1, 2), BOLD),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("LINEABOVE", (0, 2), (-1, 2), 0.5, colors.black),
            ]
        )
    )

    payment = [doc.payment_terms] if doc.payment_terms else []
    if doc.discount_days and doc.discount_percent:
        payment.append(f"{doc.discount_percent:.2f} % cash discount when paid within {doc.discount_days} days.")
    if doc.payment_account and doc.document_type == "380":  # a credit note is paid out, not in
        account = doc.payment_account
        bic = f", BIC {account.bic}" if account.bic else ""
        payment.append(f"Please transfer to IBAN {_iban(account.iban)}{bic}, reference {doc.number}.")

    flow = [
        p(title, heading),
        Spacer(1, 4 * mm),
        parties,
        Spacer(1, 6 * mm),
        Table(
            [[p(k), p(v)] for k, v in facts],
            colWidths=[40 * mm, 130 * mm],
            hAlign="LEFT",
            style=[("FONTNAME", (0, 0), (-1, -1), REGULAR)],
        ),
        Spacer(1, 6 * mm),
        line_table,
        Spacer(1, 4 * mm),
        sums_table,
        Spacer(1, 6 * mm),
        vat_table,
        Spacer(1, 6 * mm),
        *[p(text) for text in payment + doc.notes],
    ]
    page.build(flow)
    return out.getvalue()


def _party_text(party: Party) -> str:
    place = f"{party.postal_code} {party.city}".strip()
    rows = [row for row in (party.name, party.street, place, party.country) if row]
    if party.vat_id:
        rows.append(f"VAT ID {party.vat_id}")
    if party.tax_number:
        rows.append(f"Tax number {party.tax_number}")
    if party.legal_registration:
        rows.append(party.legal_registration)
    if party.contact_name or party.contact_phone or party.contact_email:
        rows.append(", ".join(x for x in (party.contact_name, party.contact_phone, party.contact_email) if x))
    return "\n".join(rows)


def _grid() -> TableStyle:
    return TableStyle(
        [
            ("FONTNAME", (0, 0), (-1, -1), REGULAR),
            ("FONTNAME", (0, 0), (-1, 0), BOLD),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
            ("LINEBELOW", (0, -1), (-1, -1), 0.25, colors.grey),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("ALIGN", (2, 0), (-1, -1), "RIGHT"),
        ]
    )


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"


def _rate(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f} %"


def _iban(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
