"""Prices, part numbers, ordering rights and the configurator through HTTP, with the real worker:
what the catalog API shows is what order validation applies; a placed order keeps its prices."""

from datetime import date

from sqlalchemy import update

from contracts.tables import ContractItem
from core.database import session_scope
from tests.api.flows import order_until, place
from tests.catalog.data import add_customer
from tests.catalog.rules_data import add_part_numbers, add_rules, add_user, rule

CHECK = "/api/v1/catalog/items/{}/configurations/check"
PROBLEM = "application/problem+json"
TECH_REASON = "your role technician may see but not order the category services"


async def test_catalog_shows_part_numbers_price_breaks_and_rights(http, login):
    r = await http.get("/api/v1/catalog/items", headers=await login("buyer@acme.example"))
    assert r.status_code == 200, r.text
    items = {i["sku"]: i for i in r.json()["items"]}
    assert {sku: i["customer_part_number"] for sku, i in items.items()} == {
        "CBL-CAT6-5M": "ACME-CBL-0005",
        "SVC-INSTALL-ONSITE": "ACME-SVC-0001",
        "SW-24-PRO": "ACME-NET-0024",
    }
    assert items["CBL-CAT6-5M"]["price"] == "4.20" and items["CBL-CAT6-5M"]["price_breaks"] == [
        {"min_quantity": 1, "price": "4.20"},
        {"min_quantity": 100, "price": "3.90"},
    ]
    assert all(i["orderable"] and i["not_orderable_reason"] is None for i in items.values())
    assert items["SW-24-PRO"]["price"] == "1450.00" and items["SW-24-PRO"]["surcharges"] == [
        {"when": {"hw_version": "A1"}, "amount": "35.00", "message": "extended support for legacy hardware A1"}
    ]

    r = await http.get("/api/v1/catalog/items", params={"q": "acme-net"}, headers=await login("buyer@acme.example"))
    assert [i["sku"] for i in r.json()["items"]] == ["SW-24-PRO"]

    r = await http.get("/api/v1/catalog/items", headers=await login("tech@acme.example"))
    items = {i["sku"]: i for i in r.json()["items"]}
    assert r.json()["total"] == 3
    assert (items["SVC-INSTALL-ONSITE"]["orderable"], items["SVC-INSTALL-ONSITE"]["not_orderable_reason"]) == (
        False,
        TECH_REASON,
    )
    assert items["CBL-CAT6-5M"]["orderable"] is True


async def test_validation_rejects_what_the_catalog_marks_not_orderable(http, login):
    tech = await login("tech@acme.example")
    r = await place(http, tech, {"sku": "CBL-CAT6-5M", "quantity": 2}, {"sku": "SVC-INSTALL-ONSITE", "quantity": 1})
    assert r.status_code == 202, r.text
    doc = await order_until(http, tech, r.json()["order_id"], lambda d: d["status"] == "REJECTED")
    assert doc["rejection_reason"] == f"SVC-INSTALL-ONSITE: {TECH_REASON}"
    r = await place(http, tech, {"sku": "CBL-CAT6-5M", "quantity": 2})
    doc = await order_until(http, tech, r.json()["order_id"], lambda d: d["status"] == "IN_FULFILLMENT")
    assert doc["lines"][0]["customer_part_number"] == "ACME-CBL-0005" and doc["lines"][0]["unit_price"] == "4.20"


async def test_item_detail_has_options_constraints_and_surcharges(http, login):
    buyer = await login("buyer@acme.example")
    r = await http.get("/api/v1/catalog/items/SW-24-PRO", headers=buyer)
    assert r.status_code == 200
    item = r.json()
    assert item["options"] == [
        {"name": "hw_version", "values": ["A1", "B2"]},
        {"name": "sw_version", "values": ["7.2", "8.0"]},
    ]
    assert item["constraints"] == [
        {
            "type": "incompatible",
            "when": {"hw_version": "A1", "sw_version": "8.0"},
            "then": {},
            "message": "hardware version A1 does not support software version 8.0",
        }
    ]
    assert [s["amount"] for s in item["surcharges"]] == ["35.00"]
    for sku, headers in (("NOPE-1", buyer), ("PWR-UPS-AT", buyer), ("PWR-UPS-AT", await login("buyer@globex.example"))):
        r = await http.get(f"/api/v1/catalog/items/{sku}", headers=headers)
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM and r.json()["field"] == "sku"


async def test_configuration_check_prices_and_explains(http, login):
    buyer = await login("buyer@acme.example")
    r = await http.post(
        CHECK.format("SW-24-PRO"),
        headers=buyer,
        json={"configuration": {"hw_version": "B2", "sw_version": "8.0"}, "quantity": 4},
    )
    assert r.status_code == 200, r.text
    assert r.json() == {
        "sku": "SW-24-PRO",
        "valid": True,
        "problems": [],
        "quantity": 4,
        "base_price": "1450.00",
        "surcharges": [],
        "unit_price": "1450.00",
        "line_total": "5800.00",
        "currency": "EUR",
        "price_source": "contract",
        "orderable": True,
        "not_orderable_reason": None,
    }
    r = await http.post(
        CHECK.format("SW-24-PRO"),
        headers=buyer,
        json={"configuration": {"hw_version": "A1", "sw_version": "7.2"}, "quantity": 2},
    )
    body = r.json()
    assert (body["valid"], body["unit_price"], body["line_total"]) == (True, "1485.00", "2970.00")
    assert body["surcharges"] == [
        {"when": {"hw_version": "A1"}, "amount": "35.00", "message": "extended support for legacy hardware A1"}
    ]
    r = await http.post(
        CHECK.format("SW-24-PRO"), headers=buyer, json={"configuration": {"hw_version": "A1", "sw_version": "8.0"}}
    )
    body = r.json()
    assert r.status_code == 200 and body["valid"] is False and body["unit_price"] is None
    assert body["problems"] == [
        {
            "field": "configuration",
            "message": "SW-24-PRO cannot be delivered as configured: "
            "hardware version A1 does not support software version 8.0",
        }
    ]
    r = await http.post(
        CHECK.format("SW-24-PRO"),
        headers=buyer,
        json={"configuration": {"hw_version": "B2", "sw_version": "8.0", "colour": "red"}},
    )
    assert r.json()["problems"] == [{"field": "configuration.colour", "message": "SW-24-PRO has no option 'colour'"}]
    r = await http.post(CHECK.format("CBL-CAT6-5M"), headers=buyer, json={"quantity": 100})
    body = r.json()
    assert (body["valid"], body["unit_price"], body["line_total"], body["price_source"]) == (
        True,
        "3.90",
        "390.00",
        "price_list",
    )


async def test_configuration_check_bad_input_is_a_problem_naming_the_field(http, login):
    buyer = await login("buyer@acme.example")
    for body, field in (
        ({"quantity": 0}, "quantity"),
        ({"quantity": "many"}, "quantity"),
        ({"quantity": 2_000_000}, "quantity"),
        ({"configuration": ["A1"]}, "configuration"),
        ({"configuration": {"hw_version": 1}}, "configuration.hw_version"),
    ):
        r = await http.post(CHECK.format("SW-24-PRO"), headers=buyer, json=body)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, (body, r.text)
        assert r.json()["field"] == field, (body, r.json())
    r = await http.post(CHECK.format("PWR-UPS-AT"), headers=buyer, json={})
    assert r.status_code == 404 and r.json()["field"] == "sku"
    r = await http.post(CHECK.format("SW-24-PRO"), json={})
    assert r.status_code == 401
    r = await http.post(CHECK.format("SW-24-PRO"), headers=await login("ops@netpartner.example"), json={})
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM


async def test_configuration_check_tells_who_may_not_order(http, login):
    r = await http.post(CHECK.format("SVC-INSTALL-ONSITE"), headers=await login("tech@acme.example"), json={})
    body = r.json()
    assert (body["valid"], body["orderable"], body["not_orderable_reason"], body["unit_price"]) == (
        True,
        False,
        TECH_REASON,
        "890.00",
    )
    r = await http.post(
        CHECK.format("SW-24-PRO"),
        headers=await login("expert@seller.example"),
        json={"configuration": {"hw_version": "A1", "sw_version": "7.2"}},
    )
    body = r.json()
    assert (body["unit_price"], body["price_source"], body["orderable"]) == ("1725.00", "list", False)


async def test_hidden_items_are_not_there_for_the_user(http, login, app_db, demo_hash):
    customer, _ = add_customer(
        app_db,
        contract=(date(2025, 1, 1), date(2030, 12, 31)),
        prices={"CBL-CAT6-5M": "4.00", "SVC-INSTALL-ONSITE": "900.00"},
    )
    add_rules(app_db, rule(customer, "intern", category="services", see=False))
    intern = add_user(app_db, customer, ["buyer", "intern"], password_hash=demo_hash)
    headers = await login(intern.id)
    r = await http.get("/api/v1/catalog/items", headers=headers)
    assert [i["sku"] for i in r.json()["items"]] == ["CBL-CAT6-5M"] and r.json()["total"] == 1
    assert (await http.get("/api/v1/catalog/items/SVC-INSTALL-ONSITE", headers=headers)).status_code == 404
    assert (await http.post(CHECK.format("SVC-INSTALL-ONSITE"), headers=headers, json={})).status_code == 404
    r = await place(http, headers, {"sku": "SVC-INSTALL-ONSITE", "quantity": 1})
    doc = await order_until(http, headers, r.json()["order_id"], lambda d: d["status"] == "REJECTED")
    assert doc["rejection_reason"] == "SVC-INSTALL-ONSITE: your role intern may not see the category services"


async def test_a_placed_order_keeps_its_prices_when_the_contract_price_changes(http, login, app_db, demo_hash):
    customer, contract_id = add_customer(
        app_db, contract=(date(2025, 1, 1), date(2030, 12, 31)), prices={"CBL-CAT6-5M": "4.00"}
    )
    add_part_numbers(app_db, customer, {"CBL-CAT6-5M": "OUR-CABLE"})
    buyer = add_user(app_db, customer, ["buyer"], order_limit="10.00", password_hash=demo_hash)
    approver = add_user(app_db, customer, ["approver"], password_hash=demo_hash)
    buyer_headers = await login(buyer.id)
    r = await place(http, buyer_headers, {"sku": "CBL-CAT6-5M", "quantity": 10})
    order_id = r.json()["order_id"]
    doc = await order_until(http, buyer_headers, order_id, lambda d: d["status"] == "AWAITING_CUSTOMER_APPROVAL")
    assert (doc["lines"][0]["unit_price"], doc["net_total"]) == ("4.00", "40.00")
    assert doc["lines"][0]["customer_part_number"] == "OUR-CABLE"

    with session_scope(app_db) as session:  # the catalog manager raises the price while it waits
        session.execute(update(ContractItem).where(ContractItem.contract_id == contract_id).values(price="4.80"))
    r = await http.get("/api/v1/catalog/items/CBL-CAT6-5M", headers=buyer_headers)
    assert r.json()["price"] == "4.80"

    r = await http.post(
        f"/api/v1/orders/{order_id}/approval",
        headers=await login(approver.id),
        json={"decision": "approve", "comment": "ok"},
    )
    assert r.status_code == 200, r.text
    doc = await order_until(http, buyer_headers, order_id, lambda d: len(d["suborders"]) == 1)
    assert (doc["lines"][0]["unit_price"], doc["net_total"], doc["gross_total"]) == ("4.00", "40.00", "47.60")
    assert "unit_price" not in doc["suborders"][0]["lines"][0]  # a unit sees what to deliver, not the prices
