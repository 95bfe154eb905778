"""The cash service on SQLite and PostgreSQL, for what books nothing: unmatched, debit, pending
and duplicate entries, the list finance works from, dismissing, and the refusals of `assign`
(checked before any workflow is asked). Bookings through the workflows: test_api.py."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from cash import service as cash
from core.calendar import utc_today as today
from core.database import session_scope
from core.errors import Conflict, Forbidden, Invalid, NotFound
from invoicing.tables import InvoiceRecord, PaymentRow
from models.actors import Actor
from tests.cash.camt import BILLION_LAUGHS, IBAN, Ntry, statement

FINANCE = Actor(id="fiona", roles=["finance"])
NO_WORKFLOWS = None  # nothing here books: the service never asks a workflow


def add_invoice(db, gross: str, *, document_type: str = "380", paid: str | None = None) -> InvoiceRecord:
    number = f"2099-{uuid.uuid4().int % 10**6:06d}"
    record = InvoiceRecord(
        id=f"INV-seller-{number}",
        seller_id="seller",
        number=number,
        order_id=f"test-{uuid.uuid4().hex[:8]}",
        issue_key=f"test-{uuid.uuid4().hex}",
        customer_id="acme",
        currency="EUR",
        issue_date=today(),
        due_date=today() + timedelta(days=30),
        payment_terms_days=30,
        net_total=Decimal(gross),
        vat_total=Decimal("0.00"),
        gross_total=Decimal(gross),
        lines=[],
        created_at=datetime.now(UTC),
        document_type=document_type,
    )
    with session_scope(db) as session:
        session.add(record)
        session.flush()
        if paid:
            session.add(
                PaymentRow(
                    invoice_id=record.id,
                    reference="earlier",
                    amount=Decimal(paid),
                    received_at=datetime.now(UTC),
                    recorded_by="test",
                )
            )
    return record


def run(db, data: bytes, actor: Actor = FINANCE):
    import asyncio

    return asyncio.run(cash.import_statement(NO_WORKFLOWS, db, actor, data))  # type: ignore[arg-type]


def ref() -> str:
    return f"R{uuid.uuid4().hex[:12]}"


def test_what_books_nothing_is_reported_and_the_same_file_again_is_duplicate(db):
    paid = add_invoice(db, "10.00", paid="10.00")
    credit_note = add_invoice(db, "5.00", document_type="381")
    data = statement(
        Ntry("12.34", ["no reference"], ref=ref()),
        Ntry("10.00", [f"RE {paid.number}"], ref=ref()),
        Ntry("5.00", creditor_ref=credit_note.number, ref=ref()),
        Ntry("50.00", ["rent"], credit=False, ref=ref()),
        Ntry("9.00", ["RE 2026-000001"], booked=False, ref=ref()),
        statement_id=f"S-{uuid.uuid4().hex[:6]}",
    )
    report = run(db, data)
    assert [e.outcome for e in report.entries] == ["unmatched", "unmatched", "unmatched", "skipped", "skipped"]
    assert [e.unmatched_amount for e in report.entries] == [Decimal(a) for a in ("12.34", "10.00", "5.00", "0", "0")]
    assert "is paid" in report.entries[1].notes[0] and "credit note" in report.entries[2].notes[0]
    assert report.counts["unmatched"] == 3 and report.counts["skipped"] == 2 and report.account == IBAN

    again = run(db, data)
    # booked entries are known; a pending one is not kept (it comes again once booked)
    assert [e.outcome for e in again.entries] == ["duplicate"] * 4 + ["skipped"]
    assert all(e.unmatched_amount == 0 and not e.bookings for e in again.entries)
    keys = {e.key for e in report.entries[:3]}
    page = cash.unmatched_items(db, FINANCE, 0, 200)
    assert keys <= {i.key for i in page.items}
    assert sum(1 for i in page.items if i.key in keys) == 3  # listed once, however often imported


def test_dismissing_closes_an_item_with_its_note(db):
    report = run(db, statement(Ntry("7.00", ["refund me"], ref=ref()), statement_id=f"S-{uuid.uuid4().hex[:6]}"))
    key = report.entries[0].key
    item = cash.dismiss(db, FINANCE, key, "refunded to the payer")
    assert item.dismiss_note == "refunded to the payer" and item.dismissed_by == "fiona"
    assert key not in {i.key for i in cash.unmatched_items(db, FINANCE, 0, 200).items}
    with pytest.raises(Conflict, match="nothing left"):
        cash.dismiss(db, FINANCE, key, "again")


def test_the_list_pages(db):
    run(db, statement(*[Ntry("1.00", ref=ref()) for _ in range(3)], statement_id=f"S-{uuid.uuid4().hex[:6]}"))
    total = cash.unmatched_items(db, FINANCE, 0, 1).total
    first, second = cash.unmatched_items(db, FINANCE, 0, 1), cash.unmatched_items(db, FINANCE, 1, 1)
    assert total >= 3 and len(first.items) == len(second.items) == 1 and first.items[0].key != second.items[0].key


def test_assign_refuses_what_no_booking_could_be(db):
    import asyncio

    report = run(db, statement(Ntry("20.00", ["?"], ref=ref()), statement_id=f"S-{uuid.uuid4().hex[:6]}"))
    key = report.entries[0].key
    paid, credit_note, open_ = (
        add_invoice(db, "5.00", paid="5.00"),
        add_invoice(db, "5.00", document_type="381"),
        add_invoice(db, "5.00"),
    )

    def assign(invoice_id, amount=None, entry=key):
        return asyncio.run(cash.assign(NO_WORKFLOWS, db, FINANCE, entry, invoice_id, amount))  # type: ignore[arg-type]

    with pytest.raises(NotFound) as missing:
        assign("INV-nope")
    assert missing.value.field == "invoice_id"
    with pytest.raises(NotFound):
        assign(open_.id, entry=f"{IBAN}:nope")
    with pytest.raises(Conflict, match="is paid"):
        assign(paid.id)
    with pytest.raises(Conflict, match="credit note"):
        assign(credit_note.id)
    with pytest.raises(Invalid, match="settle") as too_much:
        assign(open_.id, Decimal("6.00"))
    assert too_much.value.field == "amount"
    assert cash.unmatched_item(db, FINANCE, key).unmatched_amount == Decimal("20.00")  # nothing claimed


def test_only_the_sellers_finance_users(db):
    data = statement(Ntry("1.00", ref=ref()))
    for actor in (
        Actor(id="b", roles=["buyer"], customer_id="acme"),
        Actor(id="f", roles=["finance"], customer_id="acme"),
        Actor(id="c", roles=["catalog_manager"]),
    ):
        with pytest.raises(Forbidden):
            run(db, data, actor)
        with pytest.raises(Forbidden):
            cash.unmatched_items(db, actor)


def test_a_hostile_file_is_refused_naming_the_file(db):
    with pytest.raises(Invalid, match="DOCTYPE") as refused:
        run(db, BILLION_LAUGHS)
    assert refused.value.field == "file"
