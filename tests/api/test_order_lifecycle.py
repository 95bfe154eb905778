"""The whole happy path over HTTP, as the README walks through it."""

from decimal import Decimal

from tests.api.flows import CABLES, SWITCH, deliver_all, order_until, place


async def test_buyer_orders_partners_deliver_finance_collects(http, login):
    buyer = await login("buyer@acme.example")
    r = await place(http, buyer, SWITCH, CABLES, customer_reference="PO-4711")
    assert r.status_code == 202, r.text
    order_id = r.json()["order_id"]
    assert r.headers["location"] == f"/api/v1/orders/{order_id}"
    assert r.json()["status"] in ("RECEIVED", "VALIDATING", "IN_FULFILLMENT")

    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 2)
    assert doc["status"] == "IN_FULFILLMENT"
    assert doc["customer_id"] == "acme"
    assert [(li["sku"], li["unit_price"], li["line_total"]) for li in doc["lines"]] == [
        ("SW-24-PRO", "1450.00", "1450.00"),
        ("CBL-CAT6-5M", "4.20", "42.00"),
    ]
    assert (doc["net_total"], doc["vat_total"], doc["gross_total"], doc["currency"]) == (
        "1492.00",
        "283.48",
        "1775.48",
        "EUR",
    )
    assert doc["pending_approval"] is None
    assert doc["catalog_version"] >= 1  # the published catalog version it was validated against

    # each delivery unit sees its own sub-order
    ops = await login("ops@netpartner.example")
    subs = (await http.get("/api/v1/suborders", headers=ops)).json()
    mine = [s for s in subs if s["order_id"] == order_id]
    assert len(mine) == 1 and mine[0]["lines"][0]["sku"] == "SW-24-PRO" and mine[0]["partner_id"] == "netpartner"

    await deliver_all(http, doc)
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "INVOICED")
    invoice = doc["invoices"][0]
    assert invoice["gross_total"] == "1775.48" and invoice["number"] and invoice["due_date"]
    assert {s["status"] for s in doc["suborders"]} == {"DELIVERED"}

    finance = await login("finance@seller.example")
    r = await http.get(f"/api/v1/invoices/{invoice['invoice_id']}", headers=buyer)
    assert r.status_code == 200 and r.json()["payment_terms"] == "30 days net"
    assert [Decimal(li["gross_amount"]) for li in r.json()["lines"]] == [Decimal("1725.50"), Decimal("49.98")]
    r = await http.post(
        f"/api/v1/invoices/{invoice['invoice_id']}/payments",
        json={"amount": "1775.48", "reference": "BANK-4711"},
        headers=finance,
    )
    assert r.status_code == 200, r.text
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "PAID")
    events = [e["event"] for e in doc["timeline"]]
    assert events[0] == "order.received" and events[-1] == "order.paid"
    assert all({"at", "actor", "event", "detail"} <= set(e) for e in doc["timeline"])
