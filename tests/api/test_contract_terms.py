"""Catalog managers edit contract terms through the API; everyone else cannot."""

import uuid

from tests.catalog.data import add_customer
from tests.catalog.rules_data import add_user

CONTRACT = "GLOBEX-FC-2026"


async def test_catalog_manager_edits_terms_and_items(http, login):
    manager = await login("catalog@seller.example")
    before = (await http.get(f"/api/v1/contracts/{CONTRACT}", headers=manager)).json()
    try:
        r = await http.patch(
            f"/api/v1/contracts/{CONTRACT}", json={"tolerance_percent": "10", "on_exceed": "expert"}, headers=manager
        )
        assert r.status_code == 200, r.text
        assert r.json()["tolerance_percent"] in ("10", "10.00", "10.0") and r.json()["on_exceed"] == "expert"
        r = await http.put(
            f"/api/v1/contracts/{CONTRACT}/items/CBL-CAT6-5M",
            json={"price": "4.55", "agreed_quantity": 5000},
            headers=manager,
        )
        assert r.status_code == 200, r.text
        cable = next(i for i in r.json()["items"] if i["sku"] == "CBL-CAT6-5M")
        assert (cable["price"], cable["agreed_quantity"]) == ("4.55", 5000)
        # Globex's buyer sees the new price in its catalog at once
        globex = await login("buyer@globex.example")
        item = (await http.get("/api/v1/catalog/items/CBL-CAT6-5M", headers=globex)).json()
        assert item["price"] == "4.55"
    finally:
        cable = next(i for i in before["items"] if i["sku"] == "CBL-CAT6-5M")
        await http.put(
            f"/api/v1/contracts/{CONTRACT}/items/CBL-CAT6-5M",
            json={"price": cable["price"], "agreed_quantity": cable["agreed_quantity"]},
            headers=manager,
        )
        await http.patch(
            f"/api/v1/contracts/{CONTRACT}",
            json={"tolerance_percent": before["tolerance_percent"], "on_exceed": before["on_exceed"]},
            headers=manager,
        )


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


async def test_a_customers_user_never_edits_contracts_even_with_the_managers_role(http, login, app_db, demo_hash):
    # the role alone is not enough (as for customer rules and catalog management): a customer's user
    # given "catalog_manager" by mistake must not set its own contract's prices
    manager = await login("catalog@seller.example")
    before = (await http.get(f"/api/v1/contracts/{CONTRACT}", headers=manager)).json()
    insider = await login(add_user(app_db, "globex", ["buyer", "catalog_manager"], password_hash=demo_hash).id)
    r = await http.patch(f"/api/v1/contracts/{CONTRACT}", json={"tolerance_percent": "50"}, headers=insider)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json", r.text
    r = await http.put(f"/api/v1/contracts/{CONTRACT}/items/CBL-CAT6-5M", json={"price": "0.01"}, headers=insider)
    assert r.status_code == 403, r.text
    assert (await http.get(f"/api/v1/contracts/{CONTRACT}", headers=manager)).json() == before


async def test_amounts_and_quantities_beyond_the_columns_are_refused_naming_the_field(http, login):
    # NUMERIC(14, 2) and INTEGER columns: more cents or digits were rounded away silently (0.001 stored
    # as a price of 0.00) or overflowed PostgreSQL (a 500)
    manager = await login("catalog@seller.example")
    item = f"/api/v1/contracts/{CONTRACT}/items/PWR-UPS-AT"
    for body, field in (
        ({"price": "0.001"}, "price"),
        ({"price": "4.555"}, "price"),
        ({"price": "1000000000000"}, "price"),
        ({"price": "1.00", "value_cap": "1000000000000"}, "value_cap"),
        ({"price": "1.00", "value_cap": "0.001"}, "value_cap"),
        ({"price": "1.00", "agreed_quantity": 2**31}, "agreed_quantity"),
    ):
        r = await http.put(item, json=body, headers=manager)
        assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)
    for body, field in (
        ({"value_cap": "1000000000000"}, "value_cap"),
        ({"value_cap": "0.001"}, "value_cap"),
        ({"tolerance_percent": "10.005"}, "tolerance_percent"),
    ):
        r = await http.patch(f"/api/v1/contracts/{CONTRACT}", json=body, headers=manager)
        assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)
    r = await http.get(f"/api/v1/contracts/{CONTRACT}", headers=manager)
    assert "PWR-UPS-AT" not in [i["sku"] for i in r.json()["items"]]


async def test_ids_with_control_characters_are_refused_not_a_server_error(http, login):
    # PostgreSQL's text cannot hold NUL: looking such an id up failed with a 500 there
    manager = await login("catalog@seller.example")
    for method, path, body in (
        ("GET", "/api/v1/contracts/GLOBEX%00", None),
        ("PATCH", "/api/v1/contracts/GLOBEX%00", {"on_exceed": "expert"}),
        ("PUT", f"/api/v1/contracts/{CONTRACT}/items/SW%00", {"price": "1.00"}),
        ("GET", "/api/v1/contracts?customer_id=glo%00bex", None),
    ):
        r = await http.request(method, path, headers=manager, **({} if body is None else {"json": body}))
        assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json", (path, r.text)


async def test_a_cash_discount_is_set_changed_and_cleared_with_its_trail(http, login, app_db):
    manager = await login("catalog@seller.example")
    customer, _ = add_customer(app_db)
    body = {
        "contract_id": f"FC-DISC-{uuid.uuid4().hex[:8]}",
        "customer_id": customer,
        "name": "Discounted",
        "currency": "EUR",
        "valid_from": "2025-01-01",
        "valid_to": "2030-12-31",
        "payment_terms_days": 30,
    }
    assert (await http.post("/api/v1/contracts", json=body, headers=manager)).status_code == 201
    path = f"/api/v1/contracts/{body['contract_id']}"

    r = await http.patch(path, json={"discount_days": 14, "discount_percent": "3"}, headers=manager)
    assert r.status_code == 200, r.text
    assert (r.json()["discount_days"], r.json()["discount_percent"]) == (14, "3.00")
    r = await http.patch(path, json={"discount_percent": "2.5"}, headers=manager)  # the days stay
    assert (r.json()["discount_days"], r.json()["discount_percent"]) == (14, "2.50")
    for change, field in (
        ({"discount_percent": None}, "discount_percent"),  # half a discount: both or neither
        ({"discount_days": None}, "discount_days"),
        ({"discount_percent": "100"}, "discount_percent"),
        ({"discount_days": 30}, "discount_days"),  # no earlier than the payment terms
        ({"payment_terms_days": 14}, "payment_terms_days"),  # shorter than the discount's days
        ({"payment_terms_days": 10, "discount_days": 12}, "discount_days"),
    ):
        r = await http.patch(path, json=change, headers=manager)
        assert r.status_code == 422 and r.json()["field"] == field, (change, r.text)
    r = await http.get(path, headers=manager)
    assert (r.json()["payment_terms_days"], r.json()["discount_days"], r.json()["discount_percent"]) == (30, 14, "2.50")

    r = await http.patch(path, json={"discount_days": None, "discount_percent": None}, headers=manager)
    assert r.status_code == 200 and (r.json()["discount_days"], r.json()["discount_percent"]) == (None, None)
    r = await http.get(f"/api/v1/catalog/changes?contract_id={body['contract_id']}", headers=manager)
    trail = [(c["before"], c["after"]) for c in r.json()["changes"]]  # the newest first
    assert [
        (b and (b["discount_days"], b["discount_percent"]), (a["discount_days"], a["discount_percent"]))
        for b, a in trail
    ] == [
        ((14, "2.50"), (None, None)),
        ((14, "3.00"), (14, "2.50")),
        ((None, None), (14, "3.00")),
        (None, (None, None)),
    ]
