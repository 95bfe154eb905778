"""Cash application rules (cash/matching.py), without a database: which invoices an entry names,
and how its money is split over them."""

from datetime import date
from decimal import Decimal

from cash.matching import InvoiceState, allocate, invoice_numbers

DAY = date(2026, 3, 10)


def invoice(number: str, gross: str, paid: str = "0.00", **extra) -> InvoiceState:
    fields = {
        "invoice_id": f"INV-seller-{number}",
        "number": number,
        "currency": "EUR",
        "document_type": "380",
        "gross": Decimal(gross),
        "credited": Decimal("0.00"),
        "paid": Decimal(paid),
        "discount_percent": None,
        "discount_until": None,
        **extra,
    }
    return InvoiceState(**fields)


def by_number(*invoices: InvoiceState) -> dict[str, list[InvoiceState]]:
    found: dict[str, list[InvoiceState]] = {}
    for i in invoices:
        found.setdefault(i.number, []).append(i)
    return found


def booked(allocation) -> list[tuple[str, str]]:
    return [(b.number, f"{b.amount:.2f}") for b in allocation.bookings]


def test_numbers_are_found_plain_in_ids_and_after_words_once_each_in_order():
    lines = ["RE 2026-000123 und INV-seller-2026-000007", "2026-000123 again; IBAN DE12202600012345678"]
    assert invoice_numbers(lines) == ["2026-000123", "2026-000007"]
    assert invoice_numbers(["2026-0001", "12026-000123", "2026-0001234567"]) == []


def test_exact_payment_matches():
    a = allocate(Decimal("100.00"), "EUR", DAY, ["RE 2026-000001"], by_number(invoice("2026-000001", "100.00")))
    assert (a.outcome, booked(a), a.unmatched) == ("matched", [("2026-000001", "100.00")], Decimal("0.00"))


def test_partial_payment_books_what_came():
    a = allocate(Decimal("40.00"), "EUR", DAY, ["2026-000001"], by_number(invoice("2026-000001", "100.00", "10.00")))
    assert (a.outcome, booked(a), a.unmatched) == ("partial", [("2026-000001", "40.00")], Decimal("0.00"))


def test_over_payment_settles_the_invoice_and_leaves_the_excess():
    a = allocate(Decimal("120.00"), "EUR", DAY, ["2026-000001"], by_number(invoice("2026-000001", "100.00", "10.00")))
    assert (a.outcome, booked(a), a.unmatched) == ("overpaid", [("2026-000001", "90.00")], Decimal("30.00"))
    assert "over-payment of invoice 2026-000001" in a.notes[0]


def test_the_discounted_amount_settles_within_the_window_only():
    terms = {"discount_percent": Decimal("2.00"), "discount_until": DAY}
    invoices = by_number(invoice("2026-000001", "100.00", **terms))
    in_time = allocate(Decimal("98.00"), "EUR", DAY, ["2026-000001"], invoices)
    assert (in_time.outcome, booked(in_time)) == ("matched", [("2026-000001", "98.00")])
    late = allocate(Decimal("98.00"), "EUR", date(2026, 3, 11), ["2026-000001"], invoices)
    assert late.outcome == "partial"
    full_in_time = allocate(Decimal("100.00"), "EUR", DAY, ["2026-000001"], invoices)
    assert (full_in_time.outcome, full_in_time.unmatched) == ("overpaid", Decimal("2.00"))


def test_several_invoices_are_paid_in_the_order_named_each_up_to_what_settles_it():
    invoices = by_number(invoice("2026-000001", "100.00"), invoice("2026-000002", "50.00"))
    a = allocate(Decimal("120.00"), "EUR", DAY, ["2026-000002, 2026-000001"], invoices)
    assert (a.outcome, booked(a)) == ("partial", [("2026-000002", "50.00"), ("2026-000001", "70.00")])
    a = allocate(Decimal("160.00"), "EUR", DAY, ["2026-000001 2026-000002"], invoices)
    assert (a.outcome, booked(a), a.unmatched) == (
        "overpaid",
        [("2026-000001", "100.00"), ("2026-000002", "50.00")],
        Decimal("10.00"),
    )


def test_unknown_paid_credit_note_and_foreign_currency_are_no_targets():
    invoices = by_number(
        invoice("2026-000001", "100.00", "100.00"),
        invoice("2026-000002", "30.00", document_type="381"),
        invoice("2026-000003", "30.00", currency="CHF"),
    )
    for remittance, why in [
        ("no reference at all", "names no invoice number"),
        ("RE 2026-009999", "2026-009999 is no invoice of ours"),
        ("RE 2026-000001", "invoice 2026-000001 is paid"),
        ("RE 2026-000002", "2026-000002 is a credit note"),
        ("RE 2026-000003", "invoice 2026-000003 is in CHF"),
    ]:
        a = allocate(Decimal("30.00"), "EUR", DAY, [remittance], invoices)
        assert (a.outcome, a.bookings, a.unmatched) == ("unmatched", (), Decimal("30.00")), remittance
        assert why in a.notes[0]


def test_a_number_of_several_sellers_needs_the_full_id():
    mine, theirs = invoice("2026-000001", "10.00"), invoice("2026-000001", "10.00", invoice_id="INV-other-2026-000001")
    invoices = by_number(mine, theirs)
    assert allocate(Decimal("10.00"), "EUR", DAY, ["2026-000001"], invoices).outcome == "unmatched"
    a = allocate(Decimal("10.00"), "EUR", DAY, ["inv-other-2026-000001"], invoices)
    assert [b.invoice_id for b in a.bookings] == ["INV-other-2026-000001"]
