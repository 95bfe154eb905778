"""The CII XML (UN/CEFACT Cross Industry Invoice D16B) of an invoice document, written with drafthorse.

An XRechnung 3.0 when the buyer gave a buyer reference (a Leitweg-ID), else the Factur-X / ZUGFeRD
EN 16931 profile. drafthorse checks the result against its Factur-X EN 16931 schema.
"""

from decimal import Decimal

from drafthorse.models.accounting import ApplicableTradeTax
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration, TradeParty
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem

from invoicing.tax import breakdown, exemption_code, totals
from models.einvoices import InvoiceDocument, Party, VatCategory
from models.money import CENT

XRECHNUNG = "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
EN16931 = "urn:cen.eu:en16931:2017"
# BT-23, which XRechnung's examples carry (the Peppol billing process)
BILLING_PROCESS = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
SEPA_CREDIT_TRANSFER = "58"
SCHEMA = "FACTUR-X_EN16931"


def to_cii_xml(doc: InvoiceDocument) -> bytes:
    document = Document()
    document.context.guideline_parameter.id = XRECHNUNG if doc.is_xrechnung else EN16931
    if doc.is_xrechnung:
        document.context.business_parameter.id = BILLING_PROCESS
    header = document.header
    header.id = doc.number
    header.type_code = doc.document_type
    header.issue_date_time = doc.issue_date
    for text in doc.notes:
        header.notes.add(IncludedNote(content=text))

    # outside the scope of VAT (O): no VAT identifier may appear (BR-O-02)
    with_vat_ids = all(line.vat_category != VatCategory.O for line in doc.lines)
    for line in doc.lines:
        document.trade.items.add(_line(line, doc))

    agreement = document.trade.agreement
    if doc.buyer_reference:
        agreement.buyer_reference = doc.buyer_reference
    _party(agreement.seller, doc.seller, with_vat_ids, seller=True)
    _party(agreement.buyer, doc.buyer, with_vat_ids, seller=False)
    if doc.order_reference:
        agreement.buyer_order.issuer_assigned_id = doc.order_reference

    delivery = document.trade.delivery
    if doc.delivery_date:
        delivery.event.occurrence = doc.delivery_date
    if any(line.vat_category == VatCategory.K for line in doc.lines):
        # an intra-community supply names the country it goes to (BR-IC-12): the buyer's address
        delivery.ship_to.name = doc.buyer.name
        _address(delivery.ship_to, doc.buyer)

    _settlement(document, doc)
    return document.serialize(schema=SCHEMA)


def _line(line, doc: InvoiceDocument) -> LineItem:
    item = LineItem()
    item.document.line_id = line.line_id
    item.product.seller_assigned_id = line.sku
    if line.buyer_item_id:
        item.product.buyer_assigned_id = line.buyer_item_id
    item.product.name = line.name
    if line.order_line_id:
        item.agreement.buyer_order.line_id = line.order_line_id
    item.agreement.net.amount = line.unit_price
    item.delivery.billed_quantity = (line.quantity, line.unit_code)
    item.settlement.trade_tax.type_code = "VAT"
    item.settlement.trade_tax.category_code = line.vat_category.value
    if line.vat_category != VatCategory.O:  # outside the scope of VAT: no rate at all (BR-O-05)
        item.settlement.trade_tax.rate_applicable_percent = _percent(line.vat_rate)
    item.settlement.monetary_summation.total_amount = _money(line.net_amount)
    return item


def _party(target: TradeParty, party: Party, with_vat_ids: bool, seller: bool) -> None:
    target.name = party.name
    if party.legal_registration:
        target.legal_organization.id = party.legal_registration  # BT-30 / BT-47
    if party.contact_name or party.contact_phone or party.contact_email:
        if party.contact_name:
            target.contact.person_name = party.contact_name
        if party.contact_phone:
            target.contact.telephone.number = party.contact_phone
        if party.contact_email:
            target.contact.email.address = party.contact_email
    _address(target, party)
    if party.email:
        target.electronic_address.uri_ID = ("EM", party.email)
    if party.vat_id and with_vat_ids:
        target.tax_registrations.add(TaxRegistration(id=("VA", party.vat_id)))
    if seller and party.tax_number:
        target.tax_registrations.add(TaxRegistration(id=("FC", party.tax_number)))


def _address(target: TradeParty, party: Party) -> None:
    # only what is known: EN 16931 needs the country alone; XRechnung's rules (BR-DE-8, BR-DE-9)
    # ask for city and post code, and block the invoice when they are missing
    if party.street:
        target.address.line_one = party.street
    if party.postal_code:
        target.address.postcode = party.postal_code
    if party.city:
        target.address.city_name = party.city
    target.address.country_id = party.country


def _settlement(document: Document, doc: InvoiceDocument) -> None:
    settlement = document.trade.settlement
    settlement.currency_code = doc.currency
    settlement.payment_reference = doc.number  # BT-83: the remittance a transfer should carry
    if doc.payment_account:
        means = PaymentMeans()
        means.type_code = SEPA_CREDIT_TRANSFER
        means.payee_account.iban = doc.payment_account.iban
        if doc.payment_account.account_name:
            means.payee_account.account_name = doc.payment_account.account_name
        if doc.payment_account.bic:
            means.payee_institution.bic = doc.payment_account.bic
        settlement.payment_means.add(means)

    for group in breakdown(doc.lines):
        tax = ApplicableTradeTax()
        tax.calculated_amount = _money(group.tax_amount)
        tax.type_code = "VAT"
        if group.category not in (VatCategory.S, VatCategory.Z):
            tax.exemption_reason = group.exemption_reason
            code = exemption_code(group.category)
            if code:
                tax.exemption_reason_code = code
        tax.basis_amount = _money(group.taxable_amount)
        tax.category_code = group.category.value
        if group.category != VatCategory.O:
            tax.rate_applicable_percent = _percent(group.rate)
        settlement.trade_tax.add(tax)

    if doc.delivery_period_start and doc.delivery_period_end:
        settlement.period.start = doc.delivery_period_start
        settlement.period.end = doc.delivery_period_end

    terms_text = payment_terms_text(doc)
    if terms_text or doc.due_date:
        terms = PaymentTerms()
        if terms_text:
            terms.description = terms_text
        if doc.due_date:
            terms.due = doc.due_date
        settlement.terms.add(terms)

    amounts = totals(doc.lines, doc.paid_amount)
    summation = settlement.monetary_summation
    summation.line_total = _money(amounts.line_total)
    summation.charge_total = Decimal("0.00")
    summation.allowance_total = Decimal("0.00")
    summation.tax_basis_total = _money(amounts.tax_basis_total)
    summation.tax_total = (_money(amounts.tax_total), doc.currency)  # BT-110 names its currency
    summation.grand_total = _money(amounts.grand_total)
    summation.prepaid_total = _money(amounts.paid_amount)
    summation.due_amount = _money(amounts.due_payable)

    if doc.preceding_invoice_number:
        settlement.invoice_referenced_document.issuer_assigned_id = doc.preceding_invoice_number
        if doc.preceding_invoice_date:
            settlement.invoice_referenced_document.issue_date_time = doc.preceding_invoice_date


def payment_terms_text(doc: InvoiceDocument) -> str:
    """The terms as text; a cash discount as the structured line XRechnung reads (BR-DE-18: a line
    of its own that ends with a line break)."""
    text = doc.payment_terms.strip()
    if doc.discount_days and doc.discount_percent:
        skonto = f"#SKONTO#TAGE={doc.discount_days}#PROZENT={doc.discount_percent:.2f}#\n"
        text = f"{text}\n{skonto}" if text else skonto
    return text


def _money(amount: Decimal) -> Decimal:
    return amount.quantize(CENT)


def _percent(rate: Decimal) -> Decimal:
    return (rate * 100).quantize(CENT)
