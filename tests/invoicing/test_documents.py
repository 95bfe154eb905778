"""EN 16931 e-invoice documents: one per VAT category, a mixed one and a credit note, each written
as CII XML, passing our own check (the Factur-X EN 16931 schema and rules) and, where ../shared is
there, the official EN 16931 / XRechnung validator; broken documents give the rules they break;
the ZUGFeRD PDF/A-3 carries the XML."""

import re
import threading
from datetime import date
from decimal import Decimal
from io import BytesIO

import facturx
import pytest
from pydantic import ValidationError
from pypdf import PdfReader

from core.settings import Settings
from invoicing import documents
from invoicing.documents import build, check, to_cii_xml, to_pdf
from invoicing.documents.checks import LINE_NET_RULE
from invoicing.seller import seller_account, seller_party
from invoicing.tax import breakdown, totals, vat_treatment
from models.einvoices import DocumentLine, InvoiceDocument, Party, VatCategory
from models.money import line_amounts
from tests.invoicing.official import official_check

D = Decimal
SETTINGS = Settings(_env_file=None)
SELLER = seller_party(SETTINGS)
ACCOUNT = seller_account(SETTINGS)
LEITWEG_ID = "04011000-12345-03"

ACME_DE = Party(
    name="ACME Deutschland GmbH",
    street="Hauptstraße 5",
    postal_code="10115",
    city="Berlin",
    country="DE",
    vat_id="DE987654321",
    email="invoices@acme.example",
)
ACME_AT = Party(
    name="ACME Austria GmbH",
    street="Ringstraße 10",
    postal_code="1010",
    city="Wien",
    country="AT",
    vat_id="ATU12345678",
    email="rechnung@acme.example",
)
ACME_CH = Party(name="ACME Schweiz AG", street="Bahnhofstrasse 1", postal_code="8001", city="Zürich", country="CH")


def line(line_id="1", quantity="3", price="10.00", supply="goods", item=VatCategory.S, rate="0.19", reason=None,
         buyer=ACME_DE, **extra) -> DocumentLine:  # fmt: skip
    """A line taxed as `vat_treatment` decides for this buyer."""
    category, vat_rate, exemption = vat_treatment(
        SELLER.country, buyer.country, buyer.vat_id, supply, item, D(rate), reason
    )
    return DocumentLine(
        line_id=line_id,
        sku=f"SKU-{line_id}",
        name=f"Item {line_id}",
        quantity=D(quantity),
        unit_price=D(price),
        net_amount=(D(quantity) * D(price)).quantize(D("0.01")),
        vat_category=category,
        vat_rate=vat_rate,
        exemption_reason=exemption,
        **extra,
    )


def invoice(lines, buyer=ACME_DE, **fields) -> InvoiceDocument:
    values = {
        "number": "2025-000042",
        "issue_date": date(2025, 3, 3),
        "seller": SELLER,
        "buyer": buyer,
        "order_reference": "PO-4711",
        "delivery_date": date(2025, 2, 28),
        "due_date": date(2025, 4, 2),
        "payment_terms": "30 days net",
        "payment_account": ACCOUNT,
        "lines": lines,
        "order_id": "ORD-0001",
    }
    return InvoiceDocument(**(values | fields))


VALID = {
    "S, XRechnung with cash discount, part numbers and order lines": invoice(
        [line(buyer_item_id="ACME-77", order_line_id="10"), line("2", "1", "99.90", rate="0.07")],
        buyer_reference=LEITWEG_ID,
        discount_days=14,
        discount_percent=D("2"),
        notes=["Thank you for your order."],
    ),
    "Z": invoice([line(item=VatCategory.Z, rate="0")]),
    "E": invoice([line(item=VatCategory.E, rate="0", reason="Exempt under § 4 Nr. 14 UStG")]),
    "AE, services to ACME Austria": invoice([line(supply="services", buyer=ACME_AT)], buyer=ACME_AT),
    "K, goods to ACME Austria": invoice([line(buyer=ACME_AT), line("2", buyer=ACME_AT)], buyer=ACME_AT),
    "G, goods to Switzerland": invoice([line(buyer=ACME_CH)], buyer=ACME_CH),
    "O, services to Switzerland": invoice([line(supply="services", buyer=ACME_CH)], buyer=ACME_CH),
    "S + E, XRechnung": invoice(
        [line(), line("2", item=VatCategory.E, rate="0", reason="Exempt under § 4 Nr. 8 UStG")],
        buyer_reference=LEITWEG_ID,
        delivery_date=None,
        delivery_period_start=date(2025, 2, 1),
        delivery_period_end=date(2025, 2, 28),
    ),
    "credit note 381, XRechnung, partly paid": invoice(
        [line(quantity="1")],
        document_type="381",
        number="2025-000043",
        buyer_reference=LEITWEG_ID,
        preceding_invoice_number="2025-000042",
        preceding_invoice_date=date(2025, 3, 3),
        payment_terms="Credited to your account",
        paid_amount=D("5.00"),
    ),
}


@pytest.mark.parametrize("doc", VALID.values(), ids=VALID.keys())
def test_a_valid_document_passes_our_check_and_the_official_validator(doc):
    xml = to_cii_xml(doc)
    findings = check(xml)
    assert rules(findings) == set(), findings
    # the one warning: CII requires the header delivery element, empty when there is no delivery date
    assert all(f.rule_id == "PEPPOL-EN16931-R008" and "HeaderTradeDelivery" in f.location for f in findings)
    accepted, output = official_check(xml)
    assert accepted, output


def test_an_xrechnung_names_the_specification_and_the_rest_is_plain_en16931():
    xrechnung = to_cii_xml(VALID["S + E, XRechnung"]).decode()
    assert "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0" in xrechnung
    assert f"<ram:BuyerReference>{LEITWEG_ID}</ram:BuyerReference>" in xrechnung
    plain = to_cii_xml(VALID["E"]).decode()
    assert "<ram:ID>urn:cen.eu:en16931:2017</ram:ID>" in plain


def test_everything_the_document_carries_is_in_the_xml():
    xml = to_cii_xml(VALID["S, XRechnung with cash discount, part numbers and order lines"]).decode()
    for expected in [
        "<ram:BuyerAssignedID>ACME-77</ram:BuyerAssignedID>",  # BT-156
        "<ram:BuyerOrderReferencedDocument>\n          <ram:LineID>10</ram:LineID>",  # BT-132
        "<ram:IssuerAssignedID>PO-4711</ram:IssuerAssignedID>",  # BT-13
        "#SKONTO#TAGE=14#PROZENT=2.00#\n</ram:Description>",
        '<udt:DateTimeString format="102">20250402</udt:DateTimeString>',  # due date
        '<udt:DateTimeString format="102">20250228</udt:DateTimeString>',  # delivery date
        "<ram:IBANID>DE89370400440532013000</ram:IBANID>",
        "<ram:TypeCode>58</ram:TypeCode>",
        "<ram:PaymentReference>2025-000042</ram:PaymentReference>",
        '<ram:ID schemeID="FC">99/123/45678</ram:ID>',  # BT-32
        '<ram:URIID schemeID="EM">invoices@acme.example</ram:URIID>',  # BT-49
    ]:
        assert expected in xml
    credit = to_cii_xml(VALID["credit note 381, XRechnung, partly paid"]).decode()
    assert "<ram:TypeCode>381</ram:TypeCode>" in credit
    assert re.search(r"<ram:InvoiceReferencedDocument>\s*<ram:IssuerAssignedID>2025-000042<", credit)
    assert "<ram:TotalPrepaidAmount>5.00</ram:TotalPrepaidAmount>" in credit


def test_exempt_categories_carry_their_reason_in_the_breakdown():
    k = to_cii_xml(VALID["K, goods to ACME Austria"]).decode()
    assert "<ram:ExemptionReason>Intra-community supply</ram:ExemptionReason>" in k
    assert "<ram:ExemptionReasonCode>VATEX-EU-IC</ram:ExemptionReasonCode>" in k
    assert k.count("<ram:CategoryCode>K</ram:CategoryCode>") == 3  # two lines, one breakdown
    ae = to_cii_xml(VALID["AE, services to ACME Austria"]).decode()
    assert "<ram:ExemptionReasonCode>VATEX-EU-AE</ram:ExemptionReasonCode>" in ae
    mixed = to_cii_xml(VALID["S + E, XRechnung"]).decode()
    assert "<ram:ExemptionReason>Exempt under § 4 Nr. 8 UStG</ram:ExemptionReason>" in mixed


def rules(findings) -> set[str]:
    return {f.rule_id for f in findings if f.level == "error"}


def test_reverse_charge_without_the_buyers_vat_id_breaks_br_ae_02():
    no_vat_id = ACME_AT.model_copy(update={"vat_id": None})
    doc = invoice([line(supply="services", buyer=ACME_AT)], buyer=no_vat_id)  # taxed as AE, but the buyer has no VAT ID
    assert "BR-AE-02" in rules(check(to_cii_xml(doc)))


def test_an_exempt_line_without_a_reason_breaks_br_e_10():
    exempt = line(item=VatCategory.E, rate="0", reason="placeholder").model_copy(update={"exemption_reason": None})
    assert "BR-E-10" in rules(check(to_cii_xml(invoice([exempt]))))


def test_a_line_whose_net_amount_is_not_quantity_times_price_is_an_error():
    wrong = line().model_copy(update={"net_amount": D("31.00")})
    findings = check(to_cii_xml(invoice([wrong])))
    assert rules(findings) == {LINE_NET_RULE}
    assert "31.00" in findings[0].text and "30.00" in findings[0].text


def test_a_credit_note_without_the_invoice_it_credits_is_checked_too():
    doc = VALID["credit note 381, XRechnung, partly paid"].model_copy(
        update={"preceding_invoice_number": None, "preceding_invoice_date": None}
    )
    xml = to_cii_xml(doc)
    assert "InvoiceReferencedDocument" not in xml.decode()


def test_broken_xml_and_schema_errors_are_findings_and_no_entity_is_resolved(tmp_path):
    assert rules(check(b"<not-closed>")) == {"XML"}
    assert rules(check(b'<?xml version="1.0"?><a/>')) == {"XSD"}
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    evil = to_cii_xml(VALID["E"]).replace(b"2025-000042", b"&x;", 1)
    evil = evil.replace(b"?>", f'?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'.encode(), 1)
    findings = check(evil)
    assert rules(findings) == {"XML"} and "DOCTYPE" in findings[0].text and "TOP SECRET" not in str(findings)


def test_vat_is_rounded_once_per_group_not_per_line():
    lines = [line(str(n), quantity="1", price="10.50") for n in (1, 2, 3)]
    per_line = sum(line_amounts(1, D("10.50"), D("0.19")).vat for _ in lines)
    [group] = breakdown(lines)
    assert per_line == D("6.00")  # 3 x round(1.995)
    assert group.tax_amount == D("5.99")  # round(31.50 x 0.19 = 5.985)
    amounts = totals(lines, D("0"))
    assert (amounts.line_total, amounts.tax_total, amounts.grand_total) == (D("31.50"), D("5.99"), D("37.49"))
    xml = to_cii_xml(invoice(lines))
    assert check(xml) == []
    assert official_check(xml)[0]


def test_groups_per_category_and_rate_with_totals_that_add_up():
    lines = [line("1"), line("2", rate="0.07"), line("3", price="0.33"), line("4", item=VatCategory.Z, rate="0")]
    groups = {(g.category, g.rate): g for g in breakdown(lines)}
    assert set(groups) == {(VatCategory.S, D("0.19")), (VatCategory.S, D("0.07")), (VatCategory.Z, D("0"))}
    assert groups[VatCategory.S, D("0.19")].taxable_amount == D("30.99")
    amounts = totals(lines, D("10.00"))
    assert amounts.tax_total == sum(g.tax_amount for g in groups.values())  # BR-CO-14
    assert amounts.grand_total == amounts.tax_basis_total + amounts.tax_total  # BR-CO-15
    assert amounts.due_payable == amounts.grand_total - D("10.00")  # BR-CO-16


@pytest.mark.parametrize(
    ("buyer_country", "vat_id", "supply", "expected"),
    [
        ("DE", "DE987654321", "goods", (VatCategory.S, D("0.19"), None)),
        ("AT", "ATU12345678", "goods", (VatCategory.K, D("0"), "Intra-community supply")),
        ("AT", "ATU12345678", "services", (VatCategory.AE, D("0"), "Reverse charge")),
        ("AT", None, "goods", (VatCategory.S, D("0.19"), None)),
        ("CH", None, "goods", (VatCategory.G, D("0"), "Export outside the EU")),
        ("US", "12-3456789", "services", (VatCategory.O, D("0"), "Not subject to VAT")),
    ],
)
def test_vat_treatment_follows_where_the_buyer_is(buyer_country, vat_id, supply, expected):
    assert vat_treatment("DE", buyer_country, vat_id, supply, VatCategory.S, D("0.19"), None) == expected


def test_zero_rated_and_exempt_items_keep_their_category():
    assert vat_treatment("DE", "AT", "ATU1", "goods", VatCategory.Z, D("0"), None) == (VatCategory.Z, D("0"), None)
    assert vat_treatment("DE", "DE", None, "services", VatCategory.E, D("0"), "§ 4 UStG") == (
        VatCategory.E,
        D("0"),
        "§ 4 UStG",
    )
    with pytest.raises(ValueError, match="exemption reason"):
        vat_treatment("DE", "DE", None, "services", VatCategory.E, D("0"), None)


def test_the_pdf_is_a_pdf_a_3_carrying_the_same_xml():
    doc = VALID["S, XRechnung with cash discount, part numbers and order lines"]
    xml, pdf, findings = build(doc)
    assert findings == [] and pdf is not None
    assert pdf.startswith(b"%PDF")
    filename, embedded = facturx.get_xml_from_pdf(pdf, check_xsd=False)
    assert filename == "factur-x.xml" and embedded == xml
    reader = PdfReader(BytesIO(pdf))
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b"<pdfaid:part>3</pdfaid:part>" in metadata
    assert b"<pdfaid:conformance>B</pdfaid:conformance>" in metadata
    text = reader.pages[0].extract_text()
    for expected in ["Invoice 2025-000042", "ACME Deutschland GmbH", "DE89 3704 0044 0532 0130 00", "PO-4711"]:
        assert expected in text
    for font in reader.pages[0]["/Resources"]["/Font"].values():  # PDF/A: every font embedded
        assert "/FontFile2" in font.get_object()["/FontDescriptor"]


def test_a_credit_note_pdf_shows_what_it_credits():
    doc = VALID["credit note 381, XRechnung, partly paid"]
    text = PdfReader(BytesIO(to_pdf(doc, to_cii_xml(doc)))).pages[0].extract_text()
    assert "Credit note 2025-000043" in text and "2025-000042" in text and "Amount due" in text


def test_build_gives_no_pdf_for_a_document_with_errors():
    no_vat_id = ACME_AT.model_copy(update={"vat_id": None})
    _, pdf, findings = build(invoice([line(supply="services", buyer=ACME_AT)], buyer=no_vat_id))
    assert pdf is None and "BR-AE-02" in rules(findings)


def test_check_serves_several_threads_at_once():
    xmls = [to_cii_xml(doc) for doc in VALID.values()]
    alone = [check(xml) for xml in xmls]
    results: list[list] = []

    def work():
        results.extend(check(xml) for xml in xmls)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, results)) == sorted(map(str, alone * 4))
    documents.warm_up()  # compiled already: returns at once


def test_the_seller_comes_from_the_settings_and_a_bad_iban_is_refused():
    assert SELLER.vat_id == "DE123456789" and SELLER.legal_registration == "HRB 12345, Amtsgericht Stuttgart"
    assert ACCOUNT.iban == "DE89370400440532013000" and ACCOUNT.bic == "COBADEFFXXX"
    assert Settings(_env_file=None, seller_iban="DE89 3704 0044 0532 0130 00").seller_iban == "DE89370400440532013000"
    with pytest.raises(ValidationError, match="seller_iban"):
        Settings(_env_file=None, seller_iban="DE89370400440532013001")
    with pytest.raises(ValidationError, match="seller_bic"):
        Settings(_env_file=None, seller_bic="COBADE")
