"""The order record over HTTP: what an update answered is what the next GET shows (no polling in
between), an order outlives its workflow's history in Temporal, a closed order refuses decisions
with 409, and the lists (filters, pages, CSV) read the record."""

import asyncio
import base64
import csv
import io
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest

from core import temporal_names as names
from tests.api.flows import CABLES, INSTALL, order_until, place, webhook
from tests.api.record_flows import (
    OVER_LIMIT,
    delete_order_history,
    fresh_customer,
    order_closed,
    paid_order,
    until_closed,
    workflow_status,
)


async def get_order(http, headers, order_id: str) -> dict:
    r = await http.get(f"/api/v1/orders/{order_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


# --- 1. read your writes: every update's effect is in the very next GET -------------------------


async def test_an_approval_shows_at_once(http, login):
    buyer, approver = await login("buyer@acme.example"), await login("approver@acme.example")
    order_id = (await place(http, buyer, OVER_LIMIT)).json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_CUSTOMER_APPROVAL")
    r = await http.post(
        f"/api/v1/orders/{order_id}/approval",
        json={"decision": "approve", "comment": "budget ok"},
        headers={**approver, "Idempotency-Key": f"appr-{uuid.uuid4()}"},
    )
    assert r.status_code == 200, r.text
    doc = await get_order(http, buyer, order_id)
    assert [(a["decision"], a["actor"], a["comment"]) for a in doc["approvals"]] == [
        ("approve", "approver@acme.example", "budget ok")
    ]
    assert doc["pending_approval"] is None
    assert doc["status"] == "IN_FULFILLMENT"
    assert any(e["event"] == "approval.approve" and e["actor"] == "approver@acme.example" for e in doc["timeline"])
    assert doc["revision"] >= r.json()["revision"]


async def test_each_approval_moves_the_order_on_at_once(http, login):
    """Over the limit and with an installation: the approver's decision shows the order waiting for
    the expert, the expert's shows it in fulfilment, each in the very next GET."""
    buyer, approver = await login("buyer@acme.example"), await login("approver@acme.example")
    expert = await login("expert@seller.example")
    order_id = (await place(http, buyer, OVER_LIMIT, INSTALL)).json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_CUSTOMER_APPROVAL")
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "approve"}, headers=approver)
    assert r.status_code == 200, r.text
    doc = await get_order(http, buyer, order_id)
    assert doc["status"] == "AWAITING_EXPERT_APPROVAL" and doc["pending_approval"]["role"] == "expert"
    r = await http.post(
        f"/api/v1/orders/{order_id}/approval", json={"decision": "approve", "comment": "site ok"}, headers=expert
    )
    assert r.status_code == 200, r.text
    doc = await get_order(http, buyer, order_id)
    assert doc["status"] == "IN_FULFILLMENT" and doc["pending_approval"] is None
    assert [(a["kind"], a["decision"], a["actor"]) for a in doc["approvals"]] == [
        ("customer", "approve", "approver@acme.example"),
        ("expert", "approve", "expert@seller.example"),
    ]


async def test_the_experts_cancel_order_decision_shows_at_once(http, login):
    buyer, expert = await login("buyer@acme.example"), await login("expert@seller.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    sid = doc["suborders"][0]["suborder_id"]
    assert (await webhook(http, "central-warehouse", sid, "rejected", reason="discontinued")).status_code == 200
    await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_EXPERT_APPROVAL")
    r = await http.post(
        f"/api/v1/orders/{order_id}/suborders/{sid}/decision",
        json={"action": "cancel_order", "comment": "no other source"},
        headers=expert,
    )
    assert r.status_code == 200, r.text
    doc = await get_order(http, buyer, order_id)
    assert doc["status"] == "REJECTED" and "expert@seller.example" in doc["rejection_reason"]
    assert doc["pending_approval"] is None


async def test_a_rejection_by_the_approver_shows_at_once(http, login):
    buyer, approver = await login("buyer@acme.example"), await login("approver@acme.example")
    order_id = (await place(http, buyer, OVER_LIMIT)).json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_CUSTOMER_APPROVAL")
    r = await http.post(
        f"/api/v1/orders/{order_id}/approval", json={"decision": "reject", "comment": "not now"}, headers=approver
    )
    assert r.status_code == 200, r.text
    doc = await get_order(http, buyer, order_id)
    assert doc["status"] == "REJECTED" and "not now" in doc["rejection_reason"]
    assert [a["decision"] for a in doc["approvals"]] == ["reject"]


async def test_a_cancellation_before_fulfilment_shows_at_once(http, login):
    buyer = await login("buyer@acme.example")
    order_id = (await place(http, buyer, OVER_LIMIT)).json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_CUSTOMER_APPROVAL")
    r = await http.post(
        f"/api/v1/orders/{order_id}/cancel",
        json={"reason": "wrong quantity"},
        headers={**buyer, "Idempotency-Key": f"cancel-{uuid.uuid4()}"},
    )
    assert r.status_code == 200, r.text
    doc = await get_order(http, buyer, order_id)
    assert doc["status"] == r.json()["status"] == "CANCELLED", doc["timeline"]
    assert doc["pending_approval"] is None
    assert [(e["event"], e["actor"], e["detail"]) for e in doc["timeline"] if "cancel" in e["event"]] == [
        ("order.cancel_requested", "buyer@acme.example", "wrong quantity"),
        ("order.cancelled", "buyer@acme.example", "wrong quantity"),
    ]


async def test_a_cancellation_in_fulfilment_shows_at_once(http, login):
    """The request is recorded at once; the order ends CANCELLED once its units took the sub-orders
    back (one may have delivered in the meantime)."""
    buyer = await login("buyer@acme.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    r = await http.post(
        f"/api/v1/orders/{order_id}/cancel",
        json={"reason": "project stopped"},
        headers={**buyer, "Idempotency-Key": f"cancel-{uuid.uuid4()}"},
    )
    assert r.status_code == 200, r.text
    doc = await get_order(http, buyer, order_id)
    requested = [e for e in doc["timeline"] if e["event"] == "order.cancel_requested"]
    assert [(e["actor"], e["detail"]) for e in requested] == [("buyer@acme.example", "project stopped")]
    assert doc["revision"] >= r.json()["revision"]
    # a second cancel is refused: the record knows one was asked for
    r = await http.post(f"/api/v1/orders/{order_id}/cancel", headers=buyer)
    assert r.status_code == 409, r.text
    await order_until(http, buyer, order_id, lambda d: d["status"] == "CANCELLED")


async def test_a_suborder_decision_shows_at_once(http, login):
    buyer, expert = await login("buyer@acme.example"), await login("expert@seller.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    sid = doc["suborders"][0]["suborder_id"]
    assert (await webhook(http, "central-warehouse", sid, "rejected", reason="out of stock")).status_code == 200
    doc = await get_order(http, buyer, order_id)  # the unit's report is there at once
    assert doc["suborders"][0]["status"] == "REJECTED" and doc["suborders"][0]["reason"] == "out of stock"
    await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_EXPERT_APPROVAL")
    r = await http.post(
        f"/api/v1/orders/{order_id}/suborders/{sid}/decision",
        json={"action": "reassign", "partner_id": "netpartner", "comment": "NetPartner has stock"},
        headers={**expert, "Idempotency-Key": f"dec-{uuid.uuid4()}"},
    )
    assert r.status_code == 200, r.text
    doc = await get_order(http, buyer, order_id)
    assert doc["pending_approval"] is None and doc["status"] == "IN_FULFILLMENT"
    assert [(a["decision"], a["actor"], a["comment"]) for a in doc["approvals"]] == [
        ("reassign", "expert@seller.example", "NetPartner has stock")
    ]


async def test_partner_reports_show_at_once(http, login):
    """From the portal and from a signed webhook: the order and the sub-order show the step."""
    buyer, warehouse = await login("buyer@acme.example"), await login("ops@warehouse.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    sid = doc["suborders"][0]["suborder_id"]

    r = await http.post(
        f"/api/v1/suborders/{sid}/events",
        json={"type": "suborder.accepted"},
        headers={**warehouse, "Idempotency-Key": f"portal-{uuid.uuid4()}"},
    )
    assert r.status_code == 200 and r.json()["status"] == "ACCEPTED", r.text
    doc = await get_order(http, buyer, order_id)
    assert doc["suborders"][0]["status"] == "ACCEPTED"
    assert any(e["event"] == "suborder.accepted" for e in doc["timeline"])
    r = await http.get(f"/api/v1/suborders/{sid}", headers=warehouse)
    assert r.json()["status"] == "ACCEPTED"

    r = await webhook(http, "central-warehouse", sid, "shipped", tracking="DHL-77")
    assert r.status_code == 200 and r.json()["status"] == "processed", r.text
    doc = await get_order(http, buyer, order_id)
    assert (doc["suborders"][0]["status"], doc["suborders"][0]["tracking"]) == ("SHIPPED", "DHL-77")
    r = await http.get(f"/api/v1/suborders/{sid}", headers=warehouse)
    assert r.json()["status"] == "SHIPPED"

    assert (await webhook(http, "central-warehouse", sid, "delivered")).status_code == 200
    doc = await get_order(http, buyer, order_id)
    assert doc["suborders"][0]["status"] == "DELIVERED"
    assert [e["event"] for e in doc["timeline"] if e["event"].startswith("suborder.")][-3:] == [
        "suborder.accepted",
        "suborder.shipped",
        "suborder.delivered",
    ]


# --- 2. an order outlives its workflow's history ------------------------------------------------


async def test_a_paid_order_is_read_and_retried_after_temporal_deleted_its_history(http, login, dev_env):
    client = dev_env.client
    key = f"PO-{uuid.uuid4().hex[:10]}"
    body, paid, _ = await paid_order(http, login, key, customer_reference=key, delivery_address="Dock 4")
    order_id = paid["order_id"]
    buyer, finance = await login("buyer@acme.example"), await login("finance@seller.example")
    await order_closed(client, paid)
    before = await get_order(http, buyer, order_id)
    await delete_order_history(client, before)
    wf_id = names.order_workflow_id(order_id)

    after = await get_order(http, buyer, order_id)
    assert after == before  # the whole document: lines, approvals, sub-orders, invoices, timeline
    assert after["status"] == "PAID" and len(after["lines"]) == 2 and len(after["suborders"]) == 2
    assert [a["decision"] for a in after["approvals"]] == ["approve"]
    assert after["invoices"] and after["timeline"][-1]["event"] == "order.paid"
    for sub in after["suborders"]:
        r = await http.get(f"/api/v1/suborders/{sub['suborder_id']}", headers=finance)
        assert r.status_code == 200 and r.json()["status"] == "DELIVERED", r.text
    r = await http.get(f"/api/v1/invoices/{after['invoices'][0]['invoice_id']}", headers=finance)
    assert r.status_code == 200 and r.json()["order_id"] == order_id
    listed = (await http.get("/api/v1/orders", params={"customer_reference": key}, headers=buyer)).json()
    assert [(o["order_id"], o["status"], o["gross_total"]) for o in listed] == [
        (order_id, "PAID", after["gross_total"])
    ]

    # the buyer's retry with the same key and body is the same order: no new workflow
    r = await http.post("/api/v1/orders", json=body, headers={**buyer, "Idempotency-Key": key})
    assert r.status_code == 202, r.text
    assert (r.json()["order_id"], r.json()["status"]) == (order_id, "PAID")
    assert r.headers["location"] == f"/api/v1/orders/{order_id}"
    assert await workflow_status(client, wf_id) is None
    # another body under the key is refused, naming the header
    other = {**body, "lines": [CABLES]}
    r = await http.post("/api/v1/orders", json=other, headers={**buyer, "Idempotency-Key": key})
    assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key", r.text
    assert await workflow_status(client, wf_id) is None

    # decisions on it: 409 from the record (the order is closed), not 404 (its workflow is gone)
    approver = await login("approver@acme.example")
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "approve"}, headers=approver)
    assert r.status_code == 409 and "PAID" in r.json()["detail"], r.text
    r = await http.post(f"/api/v1/orders/{order_id}/cancel", headers=buyer)
    assert r.status_code == 409, r.text
    assert await get_order(http, buyer, order_id) == before


async def test_a_rejected_order_is_read_and_retried_after_temporal_deleted_its_history(http, login, dev_env):
    client = dev_env.client
    buyer = await login("buyer@acme.example")
    key = f"PO-{uuid.uuid4().hex[:10]}"
    unknown = {"sku": "NO-SUCH-SKU", "quantity": 1}
    r = await place(http, buyer, unknown, key=key)
    assert r.status_code == 202, r.text
    order_id = r.json()["order_id"]
    rejected = await order_until(http, buyer, order_id, lambda d: d["status"] == "REJECTED")
    await order_closed(client, rejected)
    before = await get_order(http, buyer, order_id)
    await delete_order_history(client, before)
    assert await get_order(http, buyer, order_id) == before
    assert "NO-SUCH-SKU" in before["rejection_reason"]
    r = await place(http, buyer, unknown, key=key)
    assert r.status_code == 202 and (r.json()["order_id"], r.json()["status"]) == (order_id, "REJECTED")
    assert await workflow_status(client, names.order_workflow_id(order_id)) is None
    r = await place(http, buyer, CABLES, key=key)
    assert r.status_code == 422 and r.json()["field"] == "Idempotency-Key"


# --- 4. a decision that comes too late: 409 ------------------------------------------------------


async def test_late_decisions_on_a_rejected_order_are_conflicts(http, login, dev_env):
    buyer, approver = await login("buyer@acme.example"), await login("approver@acme.example")
    expert = await login("expert@seller.example")
    order_id = (await place(http, buyer, {"sku": "NO-SUCH-SKU", "quantity": 1})).json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: d["status"] == "REJECTED")
    await until_closed(dev_env.client, names.order_workflow_id(order_id))
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "approve"}, headers=approver)
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert "REJECTED" in r.json()["detail"]
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "approve"}, headers=expert)
    assert r.status_code == 409, r.text
    r = await http.post(f"/api/v1/orders/{order_id}/cancel", headers=buyer)
    assert r.status_code == 409, r.text
    r = await http.post(
        f"/api/v1/orders/{order_id}/suborders/{order_id}-netpartner/decision",
        json={"action": "resend"},
        headers=expert,
    )
    assert r.status_code == 409, r.text


async def test_a_late_approval_after_the_order_moved_on_is_a_conflict(http, login):
    """The approver's second tab: the order was rejected by the approver in the first."""
    buyer, approver = await login("buyer@acme.example"), await login("approver@acme.example")
    order_id = (await place(http, buyer, OVER_LIMIT, INSTALL)).json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_CUSTOMER_APPROVAL")
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "reject"}, headers=approver)
    assert r.status_code == 200, r.text
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "approve"}, headers=approver)
    assert r.status_code == 409, r.text


# --- 3. lists: filters, pages, CSV ---------------------------------------------------------------


async def all_pages(http, headers, params: dict) -> tuple[list[dict], int]:
    """Every page, following the Link header; returns the orders and how many pages."""
    r = await http.get("/api/v1/orders", params=params, headers=headers)
    assert r.status_code == 200, r.text
    rows, pages = list(r.json()), 1
    while "link" in r.headers:
        link = r.headers["link"]
        assert link.endswith('>; rel="next"'), link
        url = link[1 : link.index(">")]
        assert parse_qs(urlsplit(url).query)["cursor"] == [r.headers["x-next-cursor"]]
        r = await http.get(url, headers=headers)
        assert r.status_code == 200, r.text
        rows += r.json()
        pages += 1
    return rows, pages


async def test_lists_filter_and_page_newest_first(http, login, app_db, demo_hash):
    customer, buyer_email = fresh_customer(app_db, demo_hash)
    buyer = await login(buyer_email)
    started = datetime.now(UTC)
    placed = []
    for n in range(5):
        r = await place(http, buyer, CABLES, customer_reference=f"REF-{customer}-{n % 2}")
        assert r.status_code == 202, r.text
        placed.append(r.json()["order_id"])
    outside = {"sku": "SW-24-PRO", "quantity": 1}  # not in its contract assortment: REJECTED
    rejected = (await place(http, buyer, outside)).json()["order_id"]
    placed.append(rejected)
    await order_until(http, buyer, rejected, lambda d: d["status"] == "REJECTED")
    for order_id in placed[:-1]:
        await order_until(http, buyer, order_id, lambda d: d["status"] == "IN_FULFILLMENT")
    newest_first = list(reversed(placed))

    # the customer's buyer: its orders, a page of two at a time, no duplicates, no gaps
    rows, pages = await all_pages(http, buyer, {"limit": 2})
    assert [o["order_id"] for o in rows] == newest_first and pages == 3
    assert [o["placed_at"] for o in rows] == sorted((o["placed_at"] for o in rows), reverse=True)
    rows, pages = await all_pages(http, buyer, {"limit": 6})
    assert [o["order_id"] for o in rows] == newest_first and pages == 1

    # filters, alone and together
    async def ids(headers, **params) -> list[str]:
        rows, _ = await all_pages(http, headers, {"limit": 2, **params})
        return [o["order_id"] for o in rows]

    assert await ids(buyer, status="REJECTED") == [rejected]
    assert await ids(buyer, status="IN_FULFILLMENT") == newest_first[1:]
    assert await ids(buyer, customer_reference=f"REF-{customer}-1") == [placed[3], placed[1]]
    assert await ids(buyer, customer_reference=f"REF-{customer}-0", status="IN_FULFILLMENT") == [
        placed[4],
        placed[2],
        placed[0],
    ]
    assert await ids(buyer, buyer=buyer_email) == newest_first
    assert await ids(buyer, buyer="buyer@acme.example") == []
    # placed_from / placed_to with a zone: the orders placed in the window, also in another zone
    cet = timezone(timedelta(hours=2))
    first = datetime.fromisoformat((await get_order(http, buyer, placed[2]))["placed_at"])
    assert first.tzinfo is not None
    assert await ids(buyer, placed_from=first.astimezone(cet).isoformat()) == newest_first[:4]
    assert await ids(buyer, placed_to=first.astimezone(cet).isoformat()) == newest_first[4:]
    assert await ids(buyer, placed_from=(started - timedelta(minutes=1)).isoformat(), placed_to=first.isoformat()) == [
        placed[1],
        placed[0],
    ]
    assert await ids(buyer, placed_from=(datetime.now(UTC) + timedelta(hours=1)).astimezone(cet).isoformat()) == []

    # the seller's staff see every customer's, and filter by customer
    finance = await login("finance@seller.example")
    assert await ids(finance, customer_id=customer) == newest_first
    assert await ids(finance, customer_id=customer, status="REJECTED") == [rejected]
    # a customer's user sees only its customer's orders, whatever it filters by
    acme = await login("buyer@acme.example")
    assert await ids(acme, customer_id=customer) == []
    assert await ids(buyer, customer_id="acme") == []
    # delivery units list sub-orders, not orders
    ops = await login("ops@netpartner.example")
    for path in ("/api/v1/orders", "/api/v1/orders/export.csv"):
        r = await http.get(path, headers=ops)
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json"), r.text


def cursor_of(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD_CURSORS = [
    "not-a-cursor",
    "x" * 200,
    "é",
    cursor_of([]),
    cursor_of({"a": 1, "b": 2}),
    cursor_of(["2026-01-01T00:00:00", "O-1"]),  # no zone
    cursor_of(["2026-01-01T00:00:00+00:00", None]),
    cursor_of(["0001-01-01T00:00:00+05:00", "O-1"]),  # before year 1 in UTC
    cursor_of(["9999-12-31T23:59:59-14:00", "O-1"]),  # after 9999 in UTC
]


@pytest.mark.parametrize("cursor", BAD_CURSORS)
async def test_a_bad_cursor_is_a_problem_naming_it(http, login, cursor):
    r = await http.get("/api/v1/orders", params={"cursor": cursor}, headers=await login("buyer@acme.example"))
    assert r.status_code == 422 and r.json()["field"] == "cursor", r.text
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("placed_from", "2026-01-01T00:00:00"),  # no zone
        ("placed_from", "0001-01-01T00:00:00+05:00"),
        ("placed_to", "9999-12-31T23:59:59-14:00"),
        ("placed_to", "yesterday"),
    ],
)
async def test_a_bad_time_filter_is_a_problem_naming_it(http, login, field, value):
    buyer = await login("buyer@acme.example")
    for path in ("/api/v1/orders", "/api/v1/orders/export.csv"):
        r = await http.get(path, params={field: value}, headers=buyer)
        assert r.status_code == 422 and r.json()["field"] == field, r.text


async def test_the_csv_export_has_a_row_per_matching_order(http, login, app_db, demo_hash):
    customer, buyer_email = fresh_customer(app_db, demo_hash)
    buyer = await login(buyer_email)
    formula = '=HYPERLINK("http://evil.example","x")'
    placed = []
    for reference in ("PO-1", formula, "+SUM(A1)", "PO-2"):
        placed.append((await place(http, buyer, CABLES, customer_reference=reference)).json()["order_id"])
    for order_id in placed:
        await order_until(http, buyer, order_id, lambda d: d["status"] == "IN_FULFILLMENT")

    r = await http.get("/api/v1/orders/export.csv", headers=buyer)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0][:6] == ["order_id", "status", "customer_id", "buyer", "customer_reference", "placed_at"]
    header = rows[0]
    data = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [d["order_id"] for d in data] == list(reversed(placed))
    assert {(d["customer_id"], d["buyer"], d["status"], d["gross_total"]) for d in data} == {
        (customer, buyer_email, "IN_FULFILLMENT", "47.60")
    }
    refs = {d["order_id"]: d["customer_reference"] for d in data}
    assert refs[placed[1]] == "'" + formula and refs[placed[2]] == "'+SUM(A1)" and refs[placed[0]] == "PO-1"

    # the list's filters: the seller's finance exports one customer's orders, or one of them
    finance = await login("finance@seller.example")
    r = await http.get("/api/v1/orders/export.csv", params={"customer_id": customer}, headers=finance)
    assert [row[0] for row in csv.reader(io.StringIO(r.text))][1:] == list(reversed(placed))
    r = await http.get(
        "/api/v1/orders/export.csv", params={"customer_id": customer, "customer_reference": formula}, headers=finance
    )
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == header and [row[0] for row in rows[1:]] == [placed[1]]
    r = await http.get("/api/v1/orders/export.csv", params={"customer_id": customer, "status": "PAID"}, headers=finance)
    assert list(csv.reader(io.StringIO(r.text))) == [header]
    # another customer's user exports none of them
    r = await http.get(
        "/api/v1/orders/export.csv", params={"customer_id": customer}, headers=await login("buyer@acme.example")
    )
    assert list(csv.reader(io.StringIO(r.text))) == [header]


# --- following an order: ETag, 304 and the long poll (Prefer: wait) -----------------------------


async def test_an_unchanged_order_answers_304_and_a_long_poll_wakes_on_the_next_change(http, login):
    buyer, approver = await login("buyer@acme.example"), await login("approver@acme.example")
    order_id = (await place(http, buyer, OVER_LIMIT)).json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_CUSTOMER_APPROVAL")
    r = await http.get(f"/api/v1/orders/{order_id}", headers=buyer)
    etag = r.headers["ETag"]
    same = await http.get(f"/api/v1/orders/{order_id}", headers={**buyer, "If-None-Match": etag})
    assert same.status_code == 304 and same.headers["ETag"] == etag and not same.content
    # nothing happens within the wait: 304 after it
    idle = await http.get(f"/api/v1/orders/{order_id}", headers={**buyer, "If-None-Match": etag, "Prefer": "wait=0.3"})
    assert idle.status_code == 304 and idle.headers["Preference-Applied"] == "wait=0.3"
    # the approval lands while the buyer's request waits: it answers with the new document
    waiting = asyncio.create_task(
        http.get(f"/api/v1/orders/{order_id}", headers={**buyer, "If-None-Match": etag, "Prefer": "wait=20"})
    )
    await asyncio.sleep(0.3)
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "approve"}, headers=approver)
    assert r.status_code == 200, r.text
    moved = await waiting
    assert moved.status_code == 200, moved.text
    assert moved.headers["ETag"] != etag and moved.json()["status"] != "AWAITING_CUSTOMER_APPROVAL"
    # somebody else's order stays hidden, also from a long poll
    other = await login("buyer@globex.example")
    hidden = await http.get(f"/api/v1/orders/{order_id}", headers={**other, "If-None-Match": etag, "Prefer": "wait=1"})
    assert hidden.status_code == 404


async def test_a_suborders_progress_changes_the_orders_etag(http, login):
    buyer = await login("buyer@acme.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    etag = (await http.get(f"/api/v1/orders/{order_id}", headers=buyer)).headers["ETag"]
    sub = doc["suborders"][0]
    r = await webhook(http, sub["partner_id"], sub["suborder_id"], "accepted")
    assert r.status_code in (200, 202), r.text
    after = await http.get(f"/api/v1/orders/{order_id}", headers={**buyer, "If-None-Match": etag})
    assert after.status_code == 200 and after.headers["ETag"] != etag
    assert after.json()["suborders"][0]["status"] == "ACCEPTED"
