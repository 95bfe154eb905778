"""Invoice to cash on the pages, over real HTTP with a real worker: finance issues a credit note,
pauses and resumes dunning on the invoice page; an order whose e-invoice is blocked shows finance
the findings and is checked again from its page once the data is fixed. The customer's people see
neither form."""

import re

from core.database import session_scope
from customers.tables import Customer
from tests.api.flows import CABLES, SWITCH, deliver_all, order_until, place
from tests.api.record_flows import fresh_customer
from tests.pages.conftest import hidden
from tests.pages.test_pages import page_until

FINANCE = "finance@seller.example"


def flash(html: str) -> str:
    match = re.search(r'<p class="flash [a-z]+" role="status">([^<]*)</p>', html)
    assert match, "no flash message on the page"
    return match.group(1)


async def test_finance_credits_pauses_and_resumes_on_the_invoice_page(signed_in, http, login):
    headers = await login("buyer@acme.example")
    order_id = (await place(http, headers, SWITCH, CABLES)).json()["order_id"]
    doc = await order_until(http, headers, order_id, lambda d: len(d["suborders"]) == 2)
    await deliver_all(http, doc)
    doc = await order_until(http, headers, order_id, lambda d: d["status"] == "INVOICED")
    invoice_id, url = doc["invoices"][0]["invoice_id"], f"/invoices/{doc['invoices'][0]['invoice_id']}"
    cables = next(line["line_no"] for line in doc["lines"] if line["sku"] == "CBL-CAT6-5M")

    buyer = await signed_in("buyer@acme.example")
    page = (await buyer.get(url)).text
    assert 'id="invoice-status">OPEN' in page and "credit-note-form" not in page and "dunning-form" not in page

    finance = await signed_in(FINANCE)
    page = (await finance.get(url)).text
    assert 'id="credit-note-form"' in page and "Pause dunning" in page and "No credit notes." in page
    csrf, token = hidden(page, "csrf"), hidden(page, "form_token")
    credit = {"csrf": csrf, "form_token": token, "line_no": str(cables), "quantity": "11", "reason": "returned"}
    r = await finance.post(f"{url}/credit-notes", data=credit)
    assert r.status_code == 303 and r.headers["location"] == url
    assert "invoiced 10 piece(s), not 11" in flash((await finance.get(url)).text)

    for _ in range(2):  # the same form twice (a double click): one credit note
        r = await finance.post(f"{url}/credit-notes", data={**credit, "quantity": "2"})
        assert r.status_code == 303
    page = (await finance.get(url)).text
    assert "issued: 10.00 EUR" in flash(page)
    assert 'id="invoice-credited">10.00 EUR' in page and 'id="invoice-open">1765.48 EUR' in page
    notes = re.findall(r'<a href="/invoices/([^"]+)">', page.split('id="credit-notes"')[1].split("</table>")[0])
    assert len(notes) == 1
    note_page = (await finance.get(f"/invoices/{notes[0]}")).text
    assert "Credit note" in note_page and f'href="/invoices/{invoice_id}"' in note_page and "returned" in note_page
    assert "credit-note-form" not in note_page and "Record payment" not in note_page
    assert f'href="/invoices/{notes[0]}"' in (await buyer.get(url)).text  # the customer sees the credit note

    r = await finance.post(f"{url}/dunning", data={"csrf": csrf, "action": "pause", "reason": "quantity disputed"})
    assert r.status_code == 303
    page = (await finance.get(url)).text
    assert flash(page) == "Dunning paused." and 'id="dunning-paused"' in page and "Resume dunning" in page
    r = await finance.post(f"{url}/dunning", data={"csrf": csrf, "action": "pause", "reason": "again"})
    assert "paused already" in flash((await finance.get(url)).text)
    r = await finance.post(f"{url}/dunning", data={"csrf": csrf, "action": "resume", "reason": ""})
    page = (await finance.get(url)).text
    assert flash(page) == "Dunning resumed." and "dunning-paused" not in page and "Pause dunning" in page
    html = await page_until(buyer, f"/orders/{order_id}", "dunning.resumed")
    assert "dunning.paused" in html and "credit_note.issued" in html

    # the customer's people post the forms in vain
    buyer_csrf = hidden((await buyer.get(url)).text, "csrf")
    await buyer.post(f"{url}/dunning", data={"csrf": buyer_csrf, "action": "pause", "reason": "x"})
    assert "finance" in flash((await buyer.get(url)).text)


async def test_a_blocked_invoice_shows_its_findings_and_is_checked_again(signed_in, http, login, app_db, demo_hash):
    # a public buyer (Leitweg-ID: XRechnung) without the city in its address: BR-DE-8 refuses it
    customer_id, email = fresh_customer(app_db, demo_hash)
    with session_scope(app_db) as session:
        row = session.get_one(Customer, customer_id)
        row.buyer_reference, row.street, row.postal_code, row.country = "04011000-1234512345-06", "Weg 1", "10115", "DE"
    headers = await login(email)
    order_id = (await place(http, headers, CABLES)).json()["order_id"]
    doc = await order_until(http, headers, order_id, lambda d: len(d["suborders"]) == 1)
    await deliver_all(http, doc)
    await order_until(http, headers, order_id, lambda d: d["status"] == "INVOICE_BLOCKED")
    url = f"/orders/{order_id}"

    buyer = await signed_in(email)
    page = (await buyer.get(url)).text
    assert "INVOICE_BLOCKED" in page and 'id="invoice-blocked"' not in page and "invoice-retry" not in page
    r = await buyer.post(f"{url}/invoice/retry", data={"csrf": hidden(page, "csrf")})
    assert r.status_code == 303 and "finance" in flash((await buyer.get(url)).text)

    finance = await signed_in(FINANCE)
    page = (await finance.get(url)).text
    assert 'id="invoice-blocked"' in page and "BR-DE-8" in page and 'id="invoice-retry"' in page
    with session_scope(app_db) as session:
        session.get_one(Customer, customer_id).city = "Berlin"
    r = await finance.post(f"{url}/invoice/retry", data={"csrf": hidden(page, "csrf")})
    assert r.status_code == 303 and r.headers["location"] == url
    assert flash((await finance.get(url)).text) == f"The invoice of order {order_id} is checked again."
    html = await page_until(finance, url, 'href="/invoices/')
    assert 'id="invoice-blocked"' not in html and "invoice.retried" in html
    r = await finance.post(f"{url}/invoice/retry", data={"csrf": hidden(html, "csrf")})
    assert "no blocked invoice" in flash((await finance.get(url)).text)
