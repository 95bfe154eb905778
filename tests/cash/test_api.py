"""Bank statements over HTTP on the running system: a camt.053 file with matched, partial,
over-paid, discounted, unmatched, debit and pending entries books each payment through its
order's workflow; the same file again books nothing; a booking interrupted by a crash is finished
once; finance assigns and dismisses what is left. SQLite, or PostgreSQL with TEST_DATABASE."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cash.tables import BankEntry
from core.calendar import utc_today
from core.database import session_scope
from invoicing.tables import InvoiceRecord
from models.money import round_money
from tests.api.flows import order_until
from tests.api.record_flows import invoiced_order, pay
from tests.cash.camt import BILLION_LAUGHS, IBAN, Ntry, statement

URL = "/api/v1/finance/bank-statements"
UNMATCHED = "/api/v1/finance/unmatched-payments"


def upload(data: bytes) -> dict:
    return {"file": ("statement.xml", data, "application/xml")}


async def invoice_of(http, login, invoice_id: str) -> dict:
    r = await http.get(f"/api/v1/invoices/{invoice_id}", headers=await login("finance@seller.example"))
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_statement_is_applied_once_and_finance_settles_the_rest(http, login, app_db):
    run = uuid.uuid4().hex[:8]
    (_, a), (_, b), (_, c) = await asyncio.gather(
        *(invoiced_order(http, login, f"cash-{name}-{run}") for name in "abc")
    )
    inv_a, inv_b, inv_c = (doc["invoices"][0] for doc in (a, b, c))
    gross_a, gross_b, gross_c = (Decimal(i["gross_total"]) for i in (inv_a, inv_b, inv_c))
    with session_scope(app_db) as session:  # C's terms: 2 % discount within the window
        record = session.get(InvoiceRecord, inv_c["invoice_id"])
        record.discount_percent, record.discount_until = Decimal("2.00"), utc_today() + timedelta(days=5)
    discounted_c = gross_c - round_money(gross_c * Decimal("0.02"))

    # B's booking was made, and the process died before the entry's row learned of it
    key_b = f"{IBAN}:{run}-4"
    reference_b = f"bank:{key_b}:{inv_b['number']}"
    r = await pay(http, login, inv_b["invoice_id"], f"{gross_b - Decimal('12.34'):.2f}", reference_b)
    assert r.status_code == 200, r.text
    with session_scope(app_db) as session:
        session.add(
            BankEntry(
                key=key_b,
                account=IBAN,
                statement_id=f"S-{run}",
                position=4,
                booking_date=utc_today(),
                amount=gross_b - Decimal("12.34"),
                currency="EUR",
                credit=True,
                remittance=inv_b["number"],
                outcome="partial",
                pending=[
                    {
                        "invoice_id": inv_b["invoice_id"],
                        "number": inv_b["number"],
                        "amount": f"{gross_b - Decimal('12.34'):.2f}",
                        "reference": reference_b,
                    }
                ],
                unmatched_amount=Decimal("0.00"),
                imported_at=datetime.now(UTC),
                imported_by="crashed",
            )
        )

    data = statement(
        Ntry("10.00", [f"RE {inv_a['number']}"], ref=f"{run}-1"),
        Ntry(f"{gross_a - Decimal('10.00') + Decimal('5.00'):.2f}", [inv_a["invoice_id"]], ref=f"{run}-2"),
        Ntry(f"{discounted_c:.2f}", ["Skonto", f"RE {inv_c['number']}"], ref=f"{run}-3"),
        Ntry(f"{gross_b - Decimal('12.34'):.2f}", creditor_ref=inv_b["number"], ref=f"{run}-4"),
        Ntry("12.34", ["Zahlung ohne Referenz"], ref=f"{run}-5"),
        Ntry("50.00", ["Miete"], credit=False, ref=f"{run}-6"),
        Ntry("99.00", [f"RE {inv_a['number']}"], booked=False, ref=f"{run}-7"),
        statement_id=f"S-{run}",
    )
    finance = await login("finance@seller.example")
    r = await http.post(URL, files=upload(data), headers=finance)
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["statement_id"], report["account"]) == (f"S-{run}", IBAN)
    entries = report["entries"]
    assert [e["outcome"] for e in entries] == [
        "partial",
        "overpaid",
        "matched",
        "partial",
        "unmatched",
        "skipped",
        "skipped",
    ]
    assert report["counts"] == {
        "matched": 1,
        "partial": 2,
        "overpaid": 1,
        "unmatched": 1,
        "skipped": 2,
        "duplicate": 0,
    }
    assert entries[1]["bookings"] == [
        {"invoice_id": inv_a["invoice_id"], "number": inv_a["number"], "amount": f"{gross_a - 10:.2f}"}
    ]
    assert entries[1]["unmatched_amount"] == "5.00" and "over-payment" in entries[1]["notes"][0]
    assert entries[2]["bookings"][0]["amount"] == f"{discounted_c:.2f}"
    assert entries[4]["unmatched_amount"] == "12.34"

    # each match signalled its order: A is paid in full
    buyer = await login("buyer@acme.example")
    await order_until(http, buyer, a["order_id"], lambda d: d["status"] == "PAID")
    invoice_a = await invoice_of(http, login, inv_a["invoice_id"])
    invoice_b = await invoice_of(http, login, inv_b["invoice_id"])
    assert Decimal(invoice_a["paid_total"]) == gross_a and len(invoice_a["payments"]) == 2
    assert len(invoice_b["payments"]) == 1  # the interrupted booking: once

    # the same statement again books nothing
    r = await http.post(URL, files=upload(data), headers=finance)
    assert r.status_code == 200, r.text
    assert [e["outcome"] for e in r.json()["entries"]] == ["duplicate"] * 6 + ["skipped"]
    assert (await invoice_of(http, login, inv_a["invoice_id"]))["payments"] == invoice_a["payments"]

    # finance assigns the payment without a reference to B (settling it) and refunds A's excess
    r = await http.get(UNMATCHED, params={"limit": 200}, headers=finance)
    assert r.status_code == 200, r.text
    open_keys = {i["key"] for i in r.json()["items"]}
    assert {entries[1]["key"], entries[4]["key"]} <= open_keys
    assign = {"invoice_id": inv_b["invoice_id"]}
    for _ in range(2):  # a client's retry with the same Idempotency-Key books nothing more
        r = await http.post(
            f"{UNMATCHED}/{entries[4]['key']}/assign", json=assign, headers={**finance, "Idempotency-Key": run}
        )
        assert r.status_code == 200, r.text
        assert r.json()["unmatched_amount"] == "0.00" and [b["amount"] for b in r.json()["bookings"]] == ["12.34"]
    await order_until(http, buyer, b["order_id"], lambda d: d["status"] == "PAID")
    assert len((await invoice_of(http, login, inv_b["invoice_id"]))["payments"]) == 2
    r = await http.post(
        f"{UNMATCHED}/{entries[4]['key']}/assign", json={"invoice_id": inv_b["invoice_id"]}, headers=finance
    )
    assert r.status_code == 409 and r.json()["field"] == "entry_key"
    r = await http.post(f"{UNMATCHED}/{entries[1]['key']}/dismiss", json={"note": "refunded"}, headers=finance)
    assert r.status_code == 200 and r.json()["dismiss_note"] == "refunded"
    r = await http.get(UNMATCHED, params={"limit": 200}, headers=finance)
    assert not {entries[1]["key"], entries[4]["key"]} & {i["key"] for i in r.json()["items"]}


async def test_refusals(http, login):
    finance = await login("finance@seller.example")
    r = await http.post(URL, files=upload(statement(Ntry("1.00"))), headers=await login("buyer@acme.example"))
    assert r.status_code == 403, r.text
    r = await http.get(UNMATCHED, headers=await login("buyer@acme.example"))
    assert r.status_code == 403, r.text
    r = await http.post(URL, files=upload(BILLION_LAUGHS), headers=finance)
    assert r.status_code == 422 and r.json()["field"] == "file", r.text
    foreign = statement(Ntry("1.00")).replace(b"camt.053.001.08", b"camt.054.001.08")
    r = await http.post(URL, files=upload(foreign), headers=finance)
    assert r.status_code == 422 and "camt.053" in r.json()["detail"], r.text
    r = await http.post(URL, files=upload(b" " * (10 * 1024**2 + 1)), headers=finance)
    assert r.status_code == 413 and r.json()["field"] == "file", r.text
    r = await http.post(URL, files=upload(b" " * (11 * 1024**2)), headers=finance)
    assert r.status_code == 413, r.text
    r = await http.post(f"{UNMATCHED}/{IBAN}:nope/assign", json={"invoice_id": "INV-x"}, headers=finance)
    assert r.status_code == 404 and r.json()["field"] == "entry_key", r.text
