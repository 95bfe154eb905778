"""Customer and expert approvals through HTTP: who may decide, and what each decision does."""

from tests.api.flows import CABLES, INSTALL, SWITCH, order_until, place

OVER_LIMIT = {**SWITCH, "quantity": 4}  # 4 x 1450.00 = 5800.00 net > 5000.00 order limit


async def test_order_over_the_limit_waits_for_the_customers_approver(http, login):
    buyer, approver = await login("buyer@acme.example"), await login("approver@acme.example")
    order_id = (await place(http, buyer, OVER_LIMIT)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_CUSTOMER_APPROVAL")
    assert doc["pending_approval"]["role"] == "approver" and doc["pending_approval"]["customer_id"] == "acme"
    assert "5800.00" in doc["pending_approval"]["reason"]

    # the buyer, the expert and another customer's people cannot decide it
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "approve"}, headers=buyer)
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    expert = await login("expert@seller.example")
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "approve"}, headers=expert)
    assert r.status_code == 409
    globex = await login("buyer@globex.example")
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "approve"}, headers=globex)
    assert r.status_code == 404

    r = await http.post(
        f"/api/v1/orders/{order_id}/approval", json={"decision": "approve", "comment": "budget ok"}, headers=approver
    )
    assert r.status_code == 200, r.text
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "IN_FULFILLMENT")
    approval = next(e for e in doc["timeline"] if e["event"] == "approval.approve")
    assert approval["actor"] == "approver@acme.example" and approval["detail"] == "budget ok"
    # once decided, a second decision is a conflict
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "reject"}, headers=approver)
    assert r.status_code == 409


async def test_approver_rejection_rejects_the_order_with_the_reason(http, login):
    buyer, approver = await login("buyer@acme.example"), await login("approver@acme.example")
    order_id = (await place(http, buyer, OVER_LIMIT)).json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_CUSTOMER_APPROVAL")
    r = await http.post(
        f"/api/v1/orders/{order_id}/approval",
        json={"decision": "reject", "comment": "not this quarter"},
        headers=approver,
    )
    assert r.status_code == 200
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "REJECTED")
    assert "not this quarter" in doc["rejection_reason"] and doc["suborders"] == []


async def test_expert_reviews_installation_then_partners_get_their_suborders(http, login):
    buyer, expert = await login("buyer@acme.example"), await login("expert@seller.example")
    order_id = (await place(http, buyer, INSTALL, CABLES)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_EXPERT_APPROVAL")
    assert doc["pending_approval"]["role"] == "expert"
    assert "SVC-INSTALL-ONSITE" in doc["pending_approval"]["reason"]
    approver = await login("approver@acme.example")
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "approve"}, headers=approver)
    assert r.status_code == 409
    r = await http.post(
        f"/api/v1/orders/{order_id}/approval", json={"decision": "approve", "comment": "site checked"}, headers=expert
    )
    assert r.status_code == 200
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 2)
    assert {s["partner_id"] for s in doc["suborders"]} == {"installco", "central-warehouse"}


async def test_approval_on_an_order_that_waits_for_nobody_is_a_conflict(http, login):
    buyer, approver = await login("buyer@acme.example"), await login("approver@acme.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: d["status"] == "IN_FULFILLMENT")
    r = await http.post(f"/api/v1/orders/{order_id}/approval", json={"decision": "approve"}, headers=approver)
    assert r.status_code == 409 and "not waiting" in r.json()["detail"]
