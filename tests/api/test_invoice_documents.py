"""Downloading an invoice's documents over real HTTP: the XRechnung XML and the ZUGFeRD PDF for the
customer's buyer and for finance, 404 problems for another customer and for an invoice without an
electronic document; the invoice page links them and shows how the invoice went out."""

from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from core.database import session_scope
from invoicing.tables import InvoiceDelivery
from tests.api.test_onboarding import customer_body, fresh_id
from tests.invoicing.stored import new_invoice, stored_document

INVOICES = "/api/v1/invoices"


@pytest.fixture(scope="module")
def invoice(app_db):
    return new_invoice(app_db, "acme")


async def test_the_customers_buyer_downloads_the_xml_and_the_pdf(http, login, app_db, invoice):
    headers = await login("buyer@acme.example")
    stored = stored_document(app_db, invoice.id)
    xml = await http.get(f"{INVOICES}/{invoice.id}/xml", headers=headers)
    assert xml.status_code == 200, xml.text
    assert xml.content == stored.xml
    assert xml.headers["content-type"].startswith("application/xml")
    assert xml.headers["content-disposition"] == f'attachment; filename="{invoice.number}.xml"'
    pdf = await http.get(f"{INVOICES}/{invoice.id}/pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.content == stored.pdf
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="{invoice.number}.pdf"'
    assert xml.headers["etag"] != pdf.headers["etag"]

    again = await http.get(f"{INVOICES}/{invoice.id}/xml", headers={**headers, "If-None-Match": xml.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == xml.headers["etag"]


async def test_finance_downloads_any_customers_invoice(http, login, invoice):
    r = await http.get(f"{INVOICES}/{invoice.id}/pdf", headers=await login("finance@seller.example"))
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


@pytest.mark.parametrize("kind", ["xml", "pdf"])
async def test_another_customer_gets_a_404_problem(http, login, invoice, kind):
    r = await http.get(f"{INVOICES}/{invoice.id}/{kind}", headers=await login("buyer@globex.example"))
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert invoice.id in r.json()["detail"]


async def test_an_invoice_without_document_is_a_404_problem(http, login, app_db):
    older = new_invoice(app_db, "acme", with_document=False)
    headers = await login("buyer@acme.example")
    assert (await http.get(f"{INVOICES}/{older.id}", headers=headers)).status_code == 200  # the invoice is there
    r = await http.get(f"{INVOICES}/{older.id}/xml", headers=headers)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "no electronic document" in r.json()["detail"]


async def test_an_unknown_invoice_is_a_404_problem(http, login):
    r = await http.get(f"{INVOICES}/INV-nobody-1/pdf", headers=await login("finance@seller.example"))
    assert r.status_code == 404


async def test_the_invoice_page_links_the_documents_and_shows_the_deliveries(system, app_db, invoice):
    async with httpx.AsyncClient(base_url=system, timeout=30) as browser:
        r = await browser.post("/login", data={"username": "buyer@acme.example", "password": "demo", "next": "/"})
        assert r.status_code == 303
        page = await browser.get(f"/invoices/{invoice.id}")
        assert page.status_code == 200
        assert f'href="/api/v1/invoices/{invoice.id}/xml"' in page.text
        assert f'href="/api/v1/invoices/{invoice.id}/pdf"' in page.text
        assert "Not sent yet." in page.text
        # the page's link works with the session cookie (reading the API)
        download = await browser.get(f"/api/v1/invoices/{invoice.id}/pdf")
        assert download.status_code == 200 and download.content == stored_document(app_db, invoice.id).pdf


async def test_the_invoice_page_shows_each_channels_status(system, app_db):
    invoice = new_invoice(app_db, "acme")
    now = datetime.now(UTC)
    with session_scope(app_db) as session:
        session.add(
            InvoiceDelivery(
                invoice_id=invoice.id,
                channel="email",
                recipient="invoices@acme.example",
                status="sent",
                attempts=1,
                message_id="<m@x>",
                sent_at=now,
                updated_at=now,
            )
        )
        session.add(
            InvoiceDelivery(
                invoice_id=invoice.id,
                channel="webhook",
                status="failed",
                attempts=2,
                detail="the mail relay relay.internal said no",
                updated_at=now,
            )
        )
    async with httpx.AsyncClient(base_url=system, timeout=30) as browser:
        await browser.post("/login", data={"username": "buyer@acme.example", "password": "demo", "next": "/"})
        page = (await browser.get(f"/invoices/{invoice.id}")).text
    assert "invoices@acme.example" in page and "SENT" in page and "FAILED" in page
    assert "relay.internal" not in page  # the details are for the seller's staff


# --- the customer's invoice webhook: set through the customer API, its secret answered once --------


async def test_the_invoice_webhook_gets_a_secret_answered_once(http, login):
    admin = await login("admin@seller.example")
    customer_id = fresh_id()
    body = customer_body(customer_id, invoice_webhook_url="https://erp.initech.example/invoices")
    r = await http.post("/api/v1/customers", json=body, headers=admin)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["invoice_webhook_url"] == "https://erp.initech.example/invoices"
    secret = created["invoice_webhook_secret"]
    assert secret.startswith("whsec_")
    Webhook(secret)  # a valid Standard Webhooks secret

    path = f"/api/v1/customers/{customer_id}"
    read = (await http.get(path, headers=admin)).json()
    assert read["invoice_webhook_url"] == body["invoice_webhook_url"] and read["invoice_webhook_secret"] is None
    moved = (
        await http.patch(path, json={"invoice_webhook_url": "https://erp2.initech.example/in"}, headers=admin)
    ).json()
    assert moved["invoice_webhook_url"] == "https://erp2.initech.example/in"
    assert moved["invoice_webhook_secret"] is None  # the system keeps the secret it has

    cleared = (await http.patch(path, json={"invoice_webhook_url": None}, headers=admin)).json()
    assert cleared["invoice_webhook_url"] is None and cleared["invoice_webhook_secret"] is None
    again = (
        await http.patch(path, json={"invoice_webhook_url": "https://erp.initech.example/x"}, headers=admin)
    ).json()
    assert again["invoice_webhook_secret"].startswith("whsec_") and again["invoice_webhook_secret"] != secret

    r = await http.get(f"/api/v1/catalog/changes?customer_id={customer_id}&kind=customer", headers=admin)
    assert r.status_code == 200 and "whsec_" not in r.text  # the audit trail holds no secret


async def test_a_webhook_url_that_can_never_be_a_target_is_422_naming_it(http, login):
    admin = await login("admin@seller.example")
    for url in ("http://169.254.169.254/latest/meta-data", "ftp://erp.example/x", "https://user:pw@erp.example/x"):
        r = await http.post("/api/v1/customers", json=customer_body(fresh_id(), invoice_webhook_url=url), headers=admin)
        assert r.status_code == 422, (url, r.text)
        assert r.json()["field"] == "invoice_webhook_url", r.text
