"""Duplicates have one effect; bad signatures and other tenants get nothing."""

import uuid
from datetime import UTC, datetime, timedelta

from tests.api.flows import CABLES, SWITCH, order_until, place, signed, webhook


async def test_same_idempotency_key_makes_one_order(http, login):
    buyer = await login("buyer@acme.example")
    key = f"po-{uuid.uuid4()}"
    first = await place(http, buyer, CABLES, key=key)
    second = await place(http, buyer, CABLES, key=key)
    assert first.status_code == second.status_code == 202
    assert first.json()["order_id"] == second.json()["order_id"]
    # the same key with a different body is refused, naming the header
    third = await place(http, buyer, SWITCH, key=key)
    assert third.status_code == 422 and third.json()["field"] == "Idempotency-Key"
    # another customer's identical key is another order
    other = await place(http, await login("buyer@globex.example"), CABLES, key=key)
    assert other.json()["order_id"] != first.json()["order_id"]
    orders = (await http.get("/api/v1/orders", headers=buyer)).json()
    assert sum(1 for o in orders if o["order_id"] == first.json()["order_id"]) <= 1


async def test_bad_signature_and_stale_timestamp_are_401(http, login):
    buyer = await login("buyer@acme.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    sid = doc["suborders"][0]["suborder_id"]
    event = {"type": "suborder.accepted", "suborder_id": sid, "data": {}}
    body, headers = signed("central-warehouse", event, secret="whsec_" + "A" * 32)
    r = await http.post("/api/v1/webhooks/partners/central-warehouse", content=body, headers=headers)
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    body, headers = signed("central-warehouse", event, at=datetime.now(UTC) - timedelta(minutes=30))
    r = await http.post("/api/v1/webhooks/partners/central-warehouse", content=body, headers=headers)
    assert r.status_code == 401
    body, headers = signed("central-warehouse", event)
    r = await http.post("/api/v1/webhooks/partners/central-warehouse", content=body + b" ", headers=headers)
    assert r.status_code == 401
    doc = await order_until(http, buyer, order_id, lambda d: True)
    assert doc["suborders"][0]["status"] == "SENT"


async def test_replayed_webhook_has_no_second_effect(http, login):
    buyer = await login("buyer@acme.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    sid = doc["suborders"][0]["suborder_id"]
    first = await webhook(http, "central-warehouse", sid, "accepted", webhook_id="msg_replay_" + sid)
    replay = await webhook(http, "central-warehouse", sid, "accepted", webhook_id="msg_replay_" + sid)
    assert first.status_code == 200 and first.json()["status"] == "processed"
    assert replay.status_code == 200 and replay.json()["status"] == "duplicate"
    doc = await order_until(http, buyer, order_id, lambda d: d["suborders"][0]["status"] == "ACCEPTED")
    assert sum(1 for e in doc["timeline"] if e["event"] == "suborder.accepted") == 1


async def test_partner_cannot_report_on_another_units_suborder(http, login):
    buyer = await login("buyer@acme.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    sid = doc["suborders"][0]["suborder_id"]  # the central warehouse's
    r = await webhook(http, "netpartner", sid, "accepted")
    assert r.status_code == 404
    ops = await login("ops@netpartner.example")
    assert (await http.get(f"/api/v1/suborders/{sid}", headers=ops)).status_code == 404
    assert (await http.get(f"/api/v1/orders/{order_id}", headers=ops)).status_code in (403, 404)


async def test_another_customers_order_is_404(http, login):
    buyer = await login("buyer@acme.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: d["status"] == "IN_FULFILLMENT")
    globex = await login("buyer@globex.example")
    r = await http.get(f"/api/v1/orders/{order_id}", headers=globex)
    assert r.status_code == 404 and "application/problem+json" in r.headers["content-type"]
    assert order_id not in [o["order_id"] for o in (await http.get("/api/v1/orders", headers=globex)).json()]
    r = await http.post(f"/api/v1/orders/{order_id}/cancel", headers=globex)
    assert r.status_code == 404


async def test_problem_details_name_the_field_at_fault(http, login):
    buyer = await login("buyer@acme.example")
    r = await http.post("/api/v1/orders", json={"lines": [{"sku": "CBL-CAT6-5M", "quantity": -1}]}, headers=buyer)
    assert r.status_code == 422 and r.json()["field"] == "lines[0].quantity"
    r = await http.post("/api/v1/orders", json={"lines": []}, headers=buyer)
    assert r.status_code == 422 and r.json()["field"] == "lines"
    r = await http.get("/api/v1/orders")
    assert r.status_code == 401 and r.json()["status"] == 401
    r = await http.post("/api/v1/auth/token", data={"username": "buyer@acme.example", "password": "wrong"})
    assert r.status_code == 401
