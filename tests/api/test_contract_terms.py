"""Catalog managers edit contract terms through the API; everyone else cannot."""

CONTRACT = "GLOBEX-FC-2026"


async def test_catalog_manager_edits_terms_and_items(http, login):
    manager = await login("catalog@seller.example")
    before = (await http.get(f"/api/v1/contracts/{CONTRACT}", headers=manager)).json()
    try:
        r = await http.patch(f"/api/v1/contracts/{CONTRACT}", json={"tolerance_percent": "10", "on_exceed": "expert"},
                             headers=manager)
        assert r.status_code == 200, r.text
        assert r.json()["tolerance_percent"] in ("10", "10.00", "10.0") and r.json()["on_exceed"] == "expert"
        r = await http.put(f"/api/v1/contracts/{CONTRACT}/items/CBL-CAT6-5M",
                           json={"price": "4.55", "agreed_quantity": 5000}, headers=manager)
        assert r.status_code == 200, r.text
        cable = next(i for i in r.json()["items"] if i["sku"] == "CBL-CAT6-5M")
        assert (cable["price"], cable["agreed_quantity"]) == ("4.55", 5000)
        # Globex's buyer sees the new price in its catalog at once
        globex = await login("buyer@globex.example")
        item = (await http.get("/api/v1/catalog/items/CBL-CAT6-5M", headers=globex)).json()
        assert item["price"] == "4.55"
    finally:
        cable = next(i for i in before["items"] if i["sku"] == "CBL-CAT6-5M")
        await http.put(f"/api/v1/contracts/{CONTRACT}/items/CBL-CAT6-5M",
                       json={"price": cable["price"], "agreed_quantity": cable["agreed_quantity"]}, headers=manager)
        await http.patch(f"/api/v1/contracts/{CONTRACT}", json={
            "tolerance_percent": before["tolerance_percent"], "on_exceed": before["on_exceed"]}, headers=manager)


async def test_bad_terms_and_wrong_callers_get_problems(http, login):
    manager = await login("catalog@seller.example")
    r = await http.patch(f"/api/v1/contracts/{CONTRACT}", json={"valid_from": "2031-01-01"}, headers=manager)
    assert r.status_code == 422 and r.json()["field"] == "valid_to"
    r = await http.patch(f"/api/v1/contracts/{CONTRACT}", json={"tolerance_percent": "-1"}, headers=manager)
    assert r.status_code == 422 and r.json()["field"] == "tolerance_percent"
    r = await http.put(f"/api/v1/contracts/{CONTRACT}/items/NO-SUCH-SKU", json={"price": "1.00"}, headers=manager)
    assert r.status_code == 422 and r.json()["field"] == "sku"
    r = await http.patch("/api/v1/contracts/NO-SUCH-CONTRACT", json={"on_exceed": "reject"}, headers=manager)
    assert r.status_code == 404
    buyer = await login("buyer@globex.example")
    r = await http.patch(f"/api/v1/contracts/{CONTRACT}", json={"on_exceed": "expert"}, headers=buyer)
    assert r.status_code == 403
