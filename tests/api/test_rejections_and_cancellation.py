"""Orders that stop: undeliverable configuration, partner rejection, buyer cancellation."""

from tests.api.flows import CABLES, SWITCH, order_until, place, webhook


async def test_undeliverable_configuration_is_rejected_with_a_reason_a_buyer_understands(http, login):
    buyer = await login("buyer@acme.example")
    bad = {**SWITCH, "configuration": {"hw_version": "A1", "sw_version": "8.0"}}
    r = await place(http, buyer, bad)
    assert r.status_code == 202
    doc = await order_until(http, buyer, r.json()["order_id"], lambda d: d["status"] == "REJECTED")
    assert "hardware version A1 does not support software version 8.0" in doc["rejection_reason"]
    assert doc["timeline"][-1]["event"] == "order.rejected"


async def test_item_outside_the_assortment_is_rejected(http, login):
    buyer = await login("buyer@acme.example")
    r = await place(http, buyer, {"sku": "PWR-UPS-AT", "quantity": 1})  # ACME Austria's special item
    doc = await order_until(http, buyer, r.json()["order_id"], lambda d: d["status"] == "REJECTED")
    assert "PWR-UPS-AT is not in your contract assortment" in doc["rejection_reason"]


async def test_partner_rejection_waits_for_the_expert_who_reassigns(http, login):
    buyer, expert = await login("buyer@acme.example"), await login("expert@seller.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    sid = doc["suborders"][0]["suborder_id"]
    r = await webhook(http, "central-warehouse", sid, "rejected", reason="out of stock")
    assert r.status_code == 200, r.text
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_EXPERT_APPROVAL")
    pending = doc["pending_approval"]
    assert pending["kind"] == "suborder_rejected" and pending["suborder_id"] == sid
    assert "out of stock" in pending["reason"]
    r = await http.post(
        f"/api/v1/orders/{order_id}/suborders/{sid}/decision",
        json={"action": "reassign", "partner_id": "nowhere"},
        headers=expert,
    )
    assert r.status_code == 422 and r.json()["field"] == "partner_id"
    r = await http.post(
        f"/api/v1/orders/{order_id}/suborders/{sid}/decision",
        json={"action": "reassign", "partner_id": "netpartner", "comment": "NetPartner has stock"},
        headers=expert,
    )
    assert r.status_code == 200, r.text
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 2)
    assert doc["status"] == "IN_FULFILLMENT"
    assert [(s["partner_id"], s["status"]) for s in doc["suborders"]] == [
        ("central-warehouse", "REJECTED"),
        ("netpartner", "SENT"),
    ]


async def test_buyer_cancels_before_shipping_and_units_are_told(http, login):
    buyer = await login("buyer@acme.example")
    order_id = (await place(http, buyer, SWITCH, CABLES)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 2)
    accepted = doc["suborders"][0]
    assert (await webhook(http, accepted["partner_id"], accepted["suborder_id"], "accepted")).status_code == 200
    r = await http.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "project stopped"}, headers=buyer)
    assert r.status_code == 200, r.text
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "CANCELLED")
    assert {s["status"] for s in doc["suborders"]} == {"CANCELLED"}
    ops = await login("ops@netpartner.example")
    inbox = (await http.get("/api/v1/notifications", headers=ops)).json()
    assert any(n["order_id"] == order_id and "cancelled" in n["subject"] for n in inbox)
    # the units can no longer report progress on it
    r = await webhook(http, accepted["partner_id"], accepted["suborder_id"], "shipped")
    assert r.status_code == 409


async def test_cancel_after_shipping_is_refused(http, login):
    buyer = await login("buyer@acme.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    sid = doc["suborders"][0]["suborder_id"]
    for event in ("accepted", "shipped"):
        assert (await webhook(http, "central-warehouse", sid, event, tracking="DHL-1")).status_code == 200
    await order_until(http, buyer, order_id, lambda d: d["suborders"][0]["status"] == "SHIPPED")
    r = await http.post(f"/api/v1/orders/{order_id}/cancel", headers=buyer)
    assert r.status_code == 409 and "shipped" in r.json()["detail"]
