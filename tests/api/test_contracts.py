"""Framework contracts through HTTP: who sees which contract, and call-offs consuming and releasing it."""

import asyncio

from tests.api.flows import CABLES, SWITCH, order_until, place


async def contract(http, headers, contract_id: str) -> dict:
    r = await http.get(f"/api/v1/contracts/{contract_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def item(doc: dict, sku: str) -> dict:
    return next(i for i in doc["items"] if i["sku"] == sku)


async def consumed_until(http, headers, contract_id: str, sku: str, predicate, attempts: int = 200) -> dict:
    """The contract's item once `predicate(consumed_quantity)` holds (the order consumes asynchronously)."""
    for _ in range(attempts):
        found = item(await contract(http, headers, contract_id), sku)
        if predicate(found["consumed_quantity"]):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{contract_id} {sku}: consumption never reached the condition, last {found}")


async def test_the_customer_sees_its_contract_with_agreed_quantities_and_consumption(http, login):
    buyer = await login("buyer@acme.example")
    r = await http.get("/api/v1/contracts", headers=buyer)
    assert r.status_code == 200, r.text
    assert [c["contract_id"] for c in r.json()] == ["ACME-FC-2026"]
    doc = await contract(http, buyer, "ACME-FC-2026")
    assert {k: doc[k] for k in ("customer_id", "valid_from", "valid_to", "in_force", "currency", "on_exceed")} == {
        "customer_id": "acme",
        "valid_from": "2025-01-01",
        "valid_to": "2030-12-31",
        "in_force": True,
        "currency": "EUR",
        "on_exceed": "expert",
    }
    assert doc["tolerance_percent"] == "5.00" and doc["value_cap"] is None
    switch = item(doc, "SW-24-PRO")
    assert (switch["price"], switch["agreed_quantity"], switch["limit_quantity"]) == ("1450.00", 100, 105)
    assert switch["remaining_quantity"] == 105 - switch["consumed_quantity"]
    cables = item(doc, "CBL-CAT6-5M")
    assert (cables["price"], cables["agreed_quantity"], cables["remaining_quantity"]) == ("4.20", None, None)
    # a subsidiary calls off against its parent's contract, and sees it
    at_buyer = await login("buyer@acme-at.example")
    assert [c["contract_id"] for c in (await http.get("/api/v1/contracts", headers=at_buyer)).json()] == [
        "ACME-FC-2026"
    ]
    assert (await contract(http, at_buyer, "ACME-FC-2026"))["customer_id"] == "acme"


async def test_another_customers_contract_is_not_found(http, login):
    globex = await login("buyer@globex.example")
    r = await http.get("/api/v1/contracts/ACME-FC-2026", headers=globex)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["detail"] == "contract ACME-FC-2026 not found"
    listed = (await http.get("/api/v1/contracts", headers=globex)).json()
    assert [c["contract_id"] for c in listed] == ["GLOBEX-FC-2026"]
    # asking for another customer's list gives nothing, not an error
    assert (await http.get("/api/v1/contracts?customer_id=acme", headers=globex)).json() == []
    assert (await http.get("/api/v1/contracts/NO-SUCH", headers=globex)).status_code == 404


async def test_the_sellers_staff_see_every_contract_and_delivery_units_none(http, login):
    for staff in ("catalog@seller.example", "expert@seller.example"):
        listed = (await http.get("/api/v1/contracts", headers=await login(staff))).json()
        assert {"ACME-FC-2026", "GLOBEX-FC-2026"} <= {c["contract_id"] for c in listed}
    manager = await login("catalog@seller.example")
    only_globex = (await http.get("/api/v1/contracts?customer_id=globex", headers=manager)).json()
    assert [c["contract_id"] for c in only_globex] == ["GLOBEX-FC-2026"]
    assert (await contract(http, manager, "ACME-FC-2026"))["items"]
    unit = await login("ops@netpartner.example")
    assert (await http.get("/api/v1/contracts", headers=unit)).status_code == 403
    assert (await http.get("/api/v1/contracts/ACME-FC-2026", headers=unit)).status_code == 403
    assert (await http.get("/api/v1/contracts")).status_code == 401


async def test_a_call_off_consumes_the_contract_and_a_cancel_releases_it(http, login):
    globex, manager = await login("buyer@globex.example"), await login("catalog@seller.example")
    before = item(await contract(http, manager, "GLOBEX-FC-2026"), "CBL-CAT6-5M")["consumed_quantity"]
    order_id = (await place(http, globex, {**CABLES, "quantity": 7})).json()["order_id"]
    doc = await order_until(http, globex, order_id, lambda d: d["status"] == "IN_FULFILLMENT")
    assert doc["contract_consumption"]["lines"] == [{"sku": "CBL-CAT6-5M", "quantity": 7, "value": "32.20"}]
    assert "contract.consumed" in [e["event"] for e in doc["timeline"]]
    after = await consumed_until(http, globex, "GLOBEX-FC-2026", "CBL-CAT6-5M", lambda q: q == before + 7)
    assert after["consumed_value"] is not None

    r = await http.post(f"/api/v1/orders/{order_id}/cancel", json={"reason": "wrong cable"}, headers=globex)
    assert r.status_code == 200, r.text
    doc = await order_until(
        http, globex, order_id, lambda d: d["status"] == "CANCELLED" and d["contract_consumption"]["released"]
    )
    await consumed_until(http, manager, "GLOBEX-FC-2026", "CBL-CAT6-5M", lambda q: q == before)

    # the contract's call-offs list the order, released, for the customer and the seller's staff
    for headers in (globex, manager):
        r = await http.get("/api/v1/contracts/GLOBEX-FC-2026/call-offs", params={"status": "released"}, headers=headers)
        assert r.status_code == 200, r.text
        call_off = next(c for c in r.json() if c["order_id"] == order_id)
        assert call_off["lines"] == [{"sku": "CBL-CAT6-5M", "quantity": 7, "value": "32.20"}]
        assert call_off["value"] == "32.20" and call_off["released_at"] is not None
    r = await http.get("/api/v1/contracts/GLOBEX-FC-2026/call-offs", params={"status": "active"}, headers=globex)
    assert order_id not in [c["order_id"] for c in r.json()]
    r = await http.get("/api/v1/contracts/GLOBEX-FC-2026/call-offs", params={"status": "open"}, headers=globex)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "status"
    acme, acme_at = await login("buyer@acme.example"), await login("buyer@acme-at.example")
    assert (await http.get("/api/v1/contracts/GLOBEX-FC-2026/call-offs", headers=acme)).status_code == 404
    # a subsidiary calls off its parent's contract but does not see the parent's orders
    assert (await http.get("/api/v1/contracts/ACME-FC-2026/call-offs", headers=acme_at)).status_code == 403


async def test_an_order_beyond_the_agreed_quantity_goes_to_the_expert(http, login):
    buyer, expert = await login("buyer@acme.example"), await login("expert@seller.example")
    before = item(await contract(http, buyer, "ACME-FC-2026"), "SW-24-PRO")
    too_many = before["remaining_quantity"] + 1
    order_id = (await place(http, buyer, {**SWITCH, "quantity": too_many})).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_EXPERT_APPROVAL")
    assert doc["pending_approval"]["kind"] == "contract"
    assert doc["pending_approval"]["reason"] == (
        f"beyond the framework contract ACME-FC-2026: SW-24-PRO: {before['remaining_quantity']} of the agreed 100 "
        f"remain (tolerance 5 %), {too_many} ordered"
    )
    r = await http.post(
        f"/api/v1/orders/{order_id}/approval", json={"decision": "reject", "comment": "too many"}, headers=expert
    )
    assert r.status_code == 200, r.text
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "REJECTED")
    assert doc["contract_consumption"] is None
    assert (
        item(await contract(http, buyer, "ACME-FC-2026"), "SW-24-PRO")["consumed_quantity"]
        <= (before["consumed_quantity"])
    )
