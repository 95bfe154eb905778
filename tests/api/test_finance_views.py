"""Finance views over real HTTP, on SQLite and PostgreSQL: the invoice list (filters, paging by
Link header, each customer its own, blocked ones for the seller's staff), open items with aging,
DSO and blocked invoices (seller finance only), and the /finance and /invoices pages. The rows
are inserted into the API's database directly: no order runs through the workflows here."""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
import pytest

from api.app import create_app
from core.calendar import utc_today
from core.database import session_scope
from core.settings import Settings
from invoicing.tables import CREDIT_NOTE, PAID, BlockedInvoice, InvoiceRecord
from tests.dbs import database_fixture
from tests.system import password_login, served

db = database_fixture(scope="module")

PROBLEM = "application/problem+json"
TODAY = utc_today()
AS_OF = date(2026, 6, 30)  # the figures' day; the list's statuses count from today
D = Decimal


def invoice(customer_id: str, issued: date, gross: str = "100.00", **fields) -> InvoiceRecord:
    invoice_id = f"inv-{uuid.uuid4().hex[:12]}"
    values = {
        "id": invoice_id,
        "seller_id": "seller",
        "number": f"2026-{uuid.uuid4().int % 10**6:06d}",
        "order_id": f"O-{uuid.uuid4().hex[:8]}",
        "customer_id": customer_id,
        "currency": "EUR",
        "issue_date": issued,
        "due_date": issued + timedelta(days=30),
        "payment_terms_days": 30,
        "net_total": D(gross),
        "vat_total": D("0.00"),
        "gross_total": D(gross),
        "lines": [],
        "created_at": datetime.now(UTC),
        "issue_key": f"key-{invoice_id}",
        **fields,
    }
    return InvoiceRecord(**values)


@pytest.fixture(scope="module")
def rows(db) -> dict[str, InvoiceRecord]:
    made = {
        # figures on AS_OF: acme 100 aged 10, 200 aged 45 (overdue), 1190 less a 190 credit note aged 95
        "acme_new": invoice("acme", AS_OF - timedelta(days=10)),
        "acme_overdue": invoice("acme", AS_OF - timedelta(days=45), "200.00"),
        "acme_credited": invoice("acme", AS_OF - timedelta(days=95), "1190.00", credited_total=D("190.00")),
        "acme_paid": invoice("acme", AS_OF - timedelta(days=20), "300.00", status=PAID, paid_total=D("300.00")),
        "globex": invoice("globex", AS_OF - timedelta(days=70), "500.00", currency="CHF"),
        # the list's statuses: due tomorrow, and past due yesterday (open in the table: overdue)
        "acme_due_soon": invoice("acme", TODAY - timedelta(days=29)),
        "acme_past_due": invoice("acme", TODAY - timedelta(days=31)),
    }
    made["acme_credit_note"] = invoice(
        "acme",
        AS_OF - timedelta(days=5),
        "190.00",
        document_type=CREDIT_NOTE,
        preceding_invoice_id=made["acme_credited"].id,
    )
    blocked = BlockedInvoice(
        seller_id="seller",
        issue_key="blocked-1",
        order_id="O-blocked",
        customer_id="acme",
        document_type="380",
        currency="EUR",
        gross_total=D("119.00"),
        findings=[
            {"rule_id": "BR-DE-15", "level": "error", "location": "/rsm:X", "text": "The buyer reference is missing"}
        ],
        blocked_at=datetime(2026, 6, 29, 9, 0, tzinfo=UTC),
        checked_at=datetime(2026, 6, 29, 9, 0, tzinfo=UTC),
    )
    with session_scope(db) as session:
        session.add_all([*made.values(), blocked])
    return made


@pytest.fixture(scope="module")
async def api(db, rows, dev_env):
    """The app on this module's database, served by uvicorn."""
    settings = Settings(
        database_url=db.url.render_as_string(hide_password=False),
        temporal_address=dev_env.client.service_client.config.target_host,
        jwt_secret="test-secret-" + uuid.uuid4().hex,
        login_limit_per_client="10000/minute",
    )
    async with served(create_app(settings, engine=db, client=dev_env.client)) as base:
        yield base


@pytest.fixture(scope="module")
async def http(api):
    async with httpx.AsyncClient(base_url=api, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
async def login(http):
    return password_login(http)


async def test_finance_lists_invoices_and_credit_notes_a_page_at_a_time(http, login, rows):
    finance = await login("finance@seller.example")
    r = await http.get("/api/v1/invoices", params={"limit": 3}, headers=finance)
    assert r.status_code == 200, r.text
    seen = [item["invoice_id"] for item in r.json()]
    while "Link" in r.headers:
        next_url = r.headers["Link"].split(">")[0].lstrip("<")
        assert r.headers["X-Next-Cursor"] in next_url and "limit=3" in next_url
        r = await http.get(next_url, headers=finance)
        assert r.status_code == 200, r.text
        seen += [item["invoice_id"] for item in r.json()]
    expected = sorted(rows.values(), key=lambda row: (row.issue_date, row.id), reverse=True)
    assert seen == [row.id for row in expected]

    r = await http.get("/api/v1/invoices", params={"document_type": "381"}, headers=finance)
    (note,) = r.json()
    assert note["number"] == rows["acme_credit_note"].number and note["open_amount"] == "0.00"
    assert note["preceding_invoice_id"] == rows["acme_credited"].id
    r = await http.get("/api/v1/invoices", params={"customer_id": "globex"}, headers=finance)
    assert [(i["currency"], i["gross_total"], i["open_amount"]) for i in r.json()] == [("CHF", "500.00", "500.00")]
    r = await http.get(
        "/api/v1/invoices",
        params={"issued_from": str(TODAY - timedelta(days=31)), "status": "overdue"},
        headers=finance,
    )
    assert [i["invoice_id"] for i in r.json()] == [rows["acme_past_due"].id]
    r = await http.get(
        "/api/v1/invoices", params={"issued_from": str(TODAY - timedelta(days=31)), "status": "open"}, headers=finance
    )
    assert [i["invoice_id"] for i in r.json()] == [rows["acme_due_soon"].id]
    r = await http.get("/api/v1/invoices", params={"status": "paid"}, headers=finance)
    assert [(i["invoice_id"], i["status"]) for i in r.json()] == [(rows["acme_paid"].id, "paid")]


async def test_blocked_documents_are_listed_to_the_seller_staff_without_a_number(http, login):
    finance = await login("finance@seller.example")
    r = await http.get("/api/v1/invoices", params={"status": "blocked"}, headers=finance)
    (blocked,) = r.json()
    assert blocked["number"] is None and blocked["invoice_id"] is None
    assert (blocked["order_id"], blocked["findings_count"], blocked["status"]) == ("O-blocked", 1, "blocked")
    buyer = await login("buyer@acme.example")
    r = await http.get("/api/v1/invoices", params={"status": "blocked"}, headers=buyer)
    assert r.status_code == 200 and r.json() == []


async def test_a_customer_sees_only_its_own_documents(http, login, rows):
    acme = await login("buyer@acme.example")
    r = await http.get("/api/v1/invoices", params={"limit": 500}, headers=acme)
    assert r.status_code == 200
    assert {i["customer_id"] for i in r.json()} == {"acme"} and len(r.json()) == 7
    r = await http.get("/api/v1/invoices", params={"customer_id": "globex"}, headers=acme)
    assert r.status_code == 200 and r.json() == []  # another customer's: none, as in the order list
    globex = await login("buyer@globex.example")
    r = await http.get("/api/v1/invoices", headers=globex)
    assert [i["invoice_id"] for i in r.json()] == [rows["globex"].id]
    unit = await login("ops@warehouse.example")
    r = await http.get("/api/v1/invoices", headers=unit)
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM


async def test_bad_filters_are_problems_naming_the_field(http, login):
    finance = await login("finance@seller.example")
    for params, field in (
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"status": "unpaid"}, "status"),
        ({"document_type": "384"}, "document_type"),
        ({"issued_from": "2026-13-01"}, "issued_from"),
        ({"limit": 0}, "limit"),
        ({"issued_from": "2026-06-02", "issued_to": "2026-06-01"}, "issued_to"),
    ):
        r = await http.get("/api/v1/invoices", params=params, headers=finance)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, (params, r.text)
        assert r.json()["field"].endswith(field), r.json()
    r = await http.get("/api/v1/finance/dso", params={"days": 0}, headers=finance)
    assert r.status_code == 422 and r.json()["field"].endswith("days")
    r = await http.get("/api/v1/finance/dso", params={"as_of": "0001-01-01"}, headers=finance)
    assert r.status_code == 422 and r.json()["field"] == "as_of"
    # the calendar's ends are dates like any other
    r = await http.get("/api/v1/invoices", params={"status": "blocked", "issued_to": "9999-12-31"}, headers=finance)
    assert r.status_code == 200 and len(r.json()) == 1
    r = await http.get("/api/v1/finance/open-items", params={"as_of": "0001-01-01"}, headers=finance)
    assert r.status_code == 200 and r.json()["customers"] == []


async def test_open_items_with_aging_per_customer_and_currency(http, login, rows):
    finance = await login("finance@seller.example")
    r = await http.get("/api/v1/finance/open-items", params={"as_of": str(AS_OF)}, headers=finance)
    assert r.status_code == 200, r.text
    body = r.json()
    groups = {(g["customer_id"], g["currency"]): g for g in body["customers"]}
    acme = groups["acme", "EUR"]
    assert acme["buckets"] == {
        "days_0_30": "100.00",
        "days_31_60": "200.00",
        "days_61_90": "0.00",
        "over_90": "1000.00",
    }
    assert acme["open_total"] == "1300.00" and acme["overdue"] == "1200.00"
    assert {i["invoice_id"] for i in acme["items"]} == {
        rows[k].id for k in ("acme_new", "acme_overdue", "acme_credited")
    }
    assert groups["globex", "CHF"]["buckets"]["days_61_90"] == "500.00"
    assert {t["currency"]: t["open_total"] for t in body["totals"]} == {"CHF": "500.00", "EUR": "1300.00"}
    r = await http.get(
        "/api/v1/finance/open-items", params={"as_of": str(AS_OF), "customer_id": "globex"}, headers=finance
    )
    assert [g["customer_id"] for g in r.json()["customers"]] == ["globex"]


async def test_days_sales_outstanding(http, login):
    finance = await login("finance@seller.example")
    r = await http.get("/api/v1/finance/dso", params={"as_of": str(AS_OF), "days": 90}, headers=finance)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["days"] == 90 and body["period_from"] == str(AS_OF - timedelta(days=89))
    eur = next(f for f in body["figures"] if f["currency"] == "EUR")
    # invoiced in the period: 100 + 200 + 300 (paid) - 190 (credit note) = 410; open: 1300
    assert (eur["open_receivables"], eur["invoiced"]) == ("1300.00", "410.00")
    assert eur["dso"] == pytest.approx(285.4)  # 1300 / 410 x 90


async def test_blocked_invoices_with_their_findings(http, login):
    finance = await login("finance@seller.example")
    r = await http.get("/api/v1/finance/blocked-invoices", headers=finance)
    assert r.status_code == 200, r.text
    (blocked,) = r.json()
    assert blocked["order_id"] == "O-blocked" and blocked["gross_total"] == "119.00"
    assert blocked["findings"] == [
        {"rule_id": "BR-DE-15", "level": "error", "location": "/rsm:X", "text": "The buyer reference is missing"}
    ]


@pytest.mark.parametrize("email", ["buyer@acme.example", "admin@seller.example", "ops@warehouse.example"])
async def test_the_finance_views_are_the_seller_finance_staffs(http, login, email):
    headers = await login(email)
    for path in ("/api/v1/finance/open-items", "/api/v1/finance/dso", "/api/v1/finance/blocked-invoices"):
        r = await http.get(path, headers=headers)
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM, (path, r.text)
        assert "finance" in r.json()["detail"]


@asynccontextmanager
async def sign_in(api: str, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose cookie jar holds `email`'s session."""
    async with httpx.AsyncClient(base_url=api, timeout=30, follow_redirects=False) as client:
        r = await client.post("/login", data={"username": email, "password": "demo", "next": "/"})
        assert r.status_code == 303, r.text
        yield client


async def test_the_finance_and_invoice_pages_show_the_figures(api, rows):
    async with sign_in(api, "finance@seller.example") as finance:
        r = await finance.get("/finance", params={"as_of": str(AS_OF)})
        assert r.status_code == 200, r.text
        html = r.text
        assert 'href="/finance"' in html and 'href="/invoices"' in html  # the navigation
        for figure in ("1300.00 EUR", "1000.00 EUR", "1200.00 EUR", "500.00 CHF", "410.00 EUR", "285.4"):
            assert figure in html, figure
        assert "BR-DE-15" in html and "The buyer reference is missing" in html
        assert 'href="/api/v1/finance/unmatched-payments"' in html
        r = await finance.get("/invoices", params={"status": "overdue"})
        assert r.status_code == 200 and rows["acme_past_due"].number in r.text
        assert rows["acme_due_soon"].number not in r.text
        r = await finance.get("/invoices", params={"issued_from": "yesterday"})
        assert r.status_code == 422 and "issued_from" in r.text
    async with sign_in(api, "buyer@acme.example") as buyer:
        r = await buyer.get("/invoices")
        assert r.status_code == 200 and rows["acme_new"].number in r.text and rows["globex"].number not in r.text
        assert 'href="/finance"' not in r.text
        r = await buyer.get("/finance")
        assert r.status_code == 403
