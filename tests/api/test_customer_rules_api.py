"""Catalog managers edit a customer's catalog rules over HTTP (/api/v1/customers); the customer's
catalog shows the change at once; customers read only their own tree; bad input is a problem
naming the field. Edits go to fresh customers only: the API database is shared by the session."""

from datetime import date

import pytest

from tests.catalog.data import add_customer
from tests.catalog.rules_data import add_part_numbers, add_user

PROBLEM = "application/problem+json"
MANAGER = "catalog@seller.example"
CONTRACT = (date(2025, 1, 1), date(2030, 12, 31))


@pytest.fixture
def customer(app_db) -> str:
    """A fresh customer with a contract: cable 4.00, installation 900.00."""
    return add_customer(app_db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00", "SVC-INSTALL-ONSITE": "900.00"})[0]


async def catalog(http, headers) -> dict[str, dict]:
    r = await http.get("/api/v1/catalog/items", headers=headers)
    assert r.status_code == 200, r.text
    return {item["sku"]: item for item in r.json()["items"]}


async def test_each_kind_of_rule_is_edited_and_the_catalog_follows(http, login, app_db, demo_hash, customer):
    manager = await login(MANAGER)
    tech = await login(add_user(app_db, customer, ["buyer", "technician"], password_hash=demo_hash).id)
    base = f"/api/v1/customers/{customer}"
    before = await catalog(http, tech)
    assert set(before) == {"CBL-CAT6-5M", "SVC-INSTALL-ONSITE"}

    # a price list: the switch joins the assortment with its quantity breaks
    body = {
        "name": "Switches",
        "currency": "EUR",
        "valid_from": "2025-01-01",
        "entries": [
            {"sku": "SW-24-PRO", "min_quantity": 1, "price": "1600.00"},
            {"sku": "SW-24-PRO", "min_quantity": 10, "price": 1550},
        ],
    }
    r = await http.put(f"{base}/price-lists/PL-{customer}", json=body, headers=manager)
    assert r.status_code == 200, r.text
    assert r.json() == {
        **body,
        "price_list_id": f"PL-{customer}",
        "customer_id": customer,
        "valid_to": None,
        "entries": [
            {"sku": "SW-24-PRO", "min_quantity": 1, "price": "1600.00"},
            {"sku": "SW-24-PRO", "min_quantity": 10, "price": "1550.00"},
        ],
    }
    switch = (await catalog(http, tech))["SW-24-PRO"]
    assert (switch["price"], switch["price_source"], switch["price_breaks"]) == (
        "1600.00",
        "price_list",
        [{"min_quantity": 1, "price": "1600.00"}, {"min_quantity": 10, "price": "1550.00"}],
    )

    # role rules: the technician may see but not order services
    rule_set = [{"role": "technician", "scope": "category", "target": "services", "may_see": True, "may_order": False}]
    r = await http.put(f"{base}/role-rules", json=rule_set, headers=manager)
    assert r.status_code == 200 and r.json() == rule_set, r.text
    service = (await catalog(http, tech))["SVC-INSTALL-ONSITE"]
    assert (service["orderable"], service["not_orderable_reason"]) == (
        False,
        "your role technician may see but not order the category services",
    )

    # role limit, part number, special price
    r = await http.put(
        f"{base}/role-limits/technician", json={"order_limit": "1000", "monthly_limit": None}, headers=manager
    )
    assert r.status_code == 200 and r.json() == {"role": "technician", "order_limit": "1000.00", "monthly_limit": None}
    r = await http.put(f"{base}/part-numbers/CBL-CAT6-5M", json={"part_number": "OUR-CABLE"}, headers=manager)
    assert r.status_code == 200 and r.json() == {"sku": "CBL-CAT6-5M", "part_number": "OUR-CABLE"}
    r = await http.put(f"{base}/special-items/CBL-CAT6-5M", json={"price": "3.50"}, headers=manager)
    assert r.status_code == 200
    assert r.json() == {"sku": "CBL-CAT6-5M", "name": "Patch cable Cat 6, 5 m", "price": "3.50"}
    cable = (await catalog(http, tech))["CBL-CAT6-5M"]
    assert (cable["price"], cable["price_source"], cable["customer_part_number"]) == ("3.50", "special", "OUR-CABLE")

    # everything reads back, for the seller's staff and for the customer's own users
    for headers in (manager, await login("expert@seller.example"), tech):
        reads = {
            kind: (await http.get(f"{base}/{kind}", headers=headers)).json()
            for kind in ("price-lists", "role-rules", "role-limits", "part-numbers", "special-items")
        }
        assert [pl["price_list_id"] for pl in reads["price-lists"]] == [f"PL-{customer}"]
        assert reads["role-rules"] == rule_set
        assert reads["role-limits"] == [{"role": "technician", "order_limit": "1000.00", "monthly_limit": None}]
        assert reads["part-numbers"] == [{"sku": "CBL-CAT6-5M", "part_number": "OUR-CABLE"}]
        assert [s["price"] for s in reads["special-items"]] == ["3.50"]
    detail = (await http.get(base, headers=tech)).json()
    assert detail["rules"] == {
        "price_lists": 1,
        "role_rules": 1,
        "role_limits": 1,
        "part_numbers": 1,
        "special_items": 1,
        "price_lists_from": customer,
        "role_rules_from": customer,
        "role_limits_from": customer,
    }
    assert detail["contract_id"] and detail["parents"] == [] and detail["subsidiaries"] == []

    # and everything goes again: the catalog is as before
    for path in (
        f"price-lists/PL-{customer}",
        "role-limits/technician",
        "part-numbers/CBL-CAT6-5M",
        "special-items/CBL-CAT6-5M",
    ):
        r = await http.delete(f"{base}/{path}", headers=manager)
        assert r.status_code == 204, (path, r.text)
        r = await http.delete(f"{base}/{path}", headers=manager)
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM, path
    r = await http.put(f"{base}/role-rules", json=[], headers=manager)
    assert r.status_code == 200 and r.json() == []
    assert await catalog(http, tech) == before


async def test_customers_see_their_own_tree_only(http, login):
    staff = await login("expert@seller.example")
    r = await http.get("/api/v1/customers", headers=staff)
    assert r.status_code == 200
    listed = {c["customer_id"]: c for c in r.json()}
    assert {"acme", "acme-at", "globex"} <= set(listed)
    assert listed["acme-at"] == {
        "customer_id": "acme-at",
        "name": "ACME Austria GmbH",
        "parent_id": "acme",
        "country": "AT",
    }

    acme_buyer, at_buyer = await login("buyer@acme.example"), await login("buyer@acme-at.example")
    for headers in (acme_buyer, at_buyer):  # parents and subsidiaries, never another customer
        r = await http.get("/api/v1/customers", headers=headers)
        assert {"acme", "acme-at"} <= {c["customer_id"] for c in r.json()}
        assert "globex" not in {c["customer_id"] for c in r.json()}
    detail = (await http.get("/api/v1/customers/acme", headers=acme_buyer)).json()
    assert detail["contract_id"] == "ACME-FC-2026" and "acme-at" in [s["customer_id"] for s in detail["subsidiaries"]]
    detail = (await http.get("/api/v1/customers/acme-at", headers=at_buyer)).json()
    assert [p["customer_id"] for p in detail["parents"]] == ["acme"]
    assert detail["rules"]["role_rules_from"] == "acme" and detail["rules"]["special_items"] == 1
    r = await http.get("/api/v1/customers/acme/part-numbers", headers=at_buyer)
    assert r.status_code == 200 and {"sku": "SW-24-PRO", "part_number": "ACME-NET-0024"} in r.json()
    # a parent's special prices are its own agreement: not the subsidiary's to read (they do not pass down)
    assert (await http.get("/api/v1/customers/acme/special-items", headers=at_buyer)).status_code == 404
    assert (await http.get("/api/v1/customers/acme-at/special-items", headers=at_buyer)).status_code == 200
    assert (await http.get("/api/v1/customers/acme-at/special-items", headers=acme_buyer)).status_code == 200

    # another customer's data is not found, exactly like a customer that does not exist
    globex_buyer = await login("buyer@globex.example")
    for headers, path in (
        (acme_buyer, "globex"),
        (acme_buyer, "globex/price-lists"),
        (globex_buyer, "acme/role-rules"),
        (globex_buyer, "acme-at/special-items"),
        (globex_buyer, "no-such-customer"),
        (staff, "no-such-customer/part-numbers"),
    ):
        r = await http.get(f"/api/v1/customers/{path}", headers=headers)
        assert r.status_code == 404 and r.headers["content-type"] == PROBLEM, path
    r = await http.get("/api/v1/customers", headers=await login("ops@netpartner.example"))
    assert r.status_code == 403


async def test_bad_input_is_a_problem_naming_the_field(http, login, customer):
    manager = await login(MANAGER)
    base = f"/api/v1/customers/{customer}"
    price_list = {"name": "x", "valid_from": "2025-01-01", "entries": [{"sku": "SW-24-PRO", "price": "1.00"}]}
    cases = [
        (
            "price-lists/PL-x",
            {**price_list, "entries": [{"sku": "SW-24-PRO", "min_quantity": 0}]},
            "entries[0].min_quantity",
        ),
        ("price-lists/PL-x", {**price_list, "entries": [{"sku": "SW-24-PRO", "price": "1.005"}]}, "entries[0].price"),
        ("price-lists/PL-x", {**price_list, "entries": [{"sku": "SW-24-PRO", "price": "-1"}]}, "entries[0].price"),
        ("price-lists/PL-x", {**price_list, "entries": [{"sku": "NO-SUCH-SKU"}]}, "entries[0].sku"),
        ("price-lists/PL-x", {**price_list, "currency": "eur"}, "currency"),
        ("price-lists/PL-x", {**price_list, "valid_to": "2024-12-31"}, "valid_to"),
        ("role-rules", [{"role": "intern", "scope": "brand"}], "[0].scope"),
        ("role-rules", [{"role": "intern", "scope": "category", "target": "no-such-category"}], "[0].target"),
        ("role-rules", [{"role": "intern", "scope": "all", "target": "services"}], "[0].target"),
        ("role-limits/buyer", {"order_limit": "-5"}, "order_limit"),
        ("part-numbers/SW-24-PRO", {"part_number": ""}, "part_number"),
        ("part-numbers/NO-SUCH-SKU", {"part_number": "X"}, "sku"),
        ("special-items/SW-24-PRO", {"price": "1.999"}, "price"),
        ("special-items/NO-SUCH-SKU", {"price": "1.00"}, "sku"),
    ]
    for path, body, field in cases:
        r = await http.put(f"{base}/{path}", json=body, headers=manager)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, (path, body, r.text)
        assert r.json()["field"] == field, (path, body, r.json())

    r = await http.put(f"{base}/price-lists/ACME-PL-2026", json=price_list, headers=manager)
    assert r.status_code == 409 and r.json()["field"] == "price_list_id"  # ACME's list stays ACME's
    r = await http.put(
        "/api/v1/customers/no-such-customer/part-numbers/SW-24-PRO", json={"part_number": "X"}, headers=manager
    )
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM


async def test_only_catalog_managers_write(http, login, customer):
    writes = [
        ("put", f"/api/v1/customers/{customer}/part-numbers/SW-24-PRO", {"part_number": "X"}),
        ("put", "/api/v1/customers/acme/role-rules", []),
        ("put", "/api/v1/customers/globex/special-items/SW-24-PRO", {"price": "1.00"}),
        ("delete", "/api/v1/customers/acme/price-lists/ACME-PL-2026", None),
    ]
    for user in ("buyer@acme.example", "approver@acme.example", "expert@seller.example"):
        headers = await login(user)
        for method, path, body in writes:
            kwargs = {} if body is None else {"json": body}
            r = await http.request(method.upper(), path, headers=headers, **kwargs)
            assert r.status_code == 403 and r.headers["content-type"] == PROBLEM, (user, path, r.text)
    r = await http.get("/api/v1/customers/acme/price-lists", headers=await login(MANAGER))
    assert [pl["price_list_id"] for pl in r.json()] == ["ACME-PL-2026"]  # untouched


async def test_a_subsidiarys_users_do_not_see_their_siblings_in_the_parents_tree(http, login, app_db, demo_hash):
    # the list shows a subsidiary's users their customer, its parents and its subsidiaries; the parent's
    # detail must not name the parent's other subsidiaries (the siblings, their subsidiaries) either
    parent = add_customer(app_db, contract=CONTRACT, prices={"CBL-CAT6-5M": "4.00"})[0]
    mine, sibling = add_customer(app_db, parent_id=parent)[0], add_customer(app_db, parent_id=parent)[0]
    below_mine, below_sibling = add_customer(app_db, parent_id=mine)[0], add_customer(app_db, parent_id=sibling)[0]
    buyer = await login(add_user(app_db, mine, ["buyer"], password_hash=demo_hash).id)

    r = await http.get("/api/v1/customers", headers=buyer)
    assert sorted(c["customer_id"] for c in r.json()) == sorted([parent, mine, below_mine])
    r = await http.get(f"/api/v1/customers/{parent}", headers=buyer)
    assert r.status_code == 200, r.text
    assert sorted(s["customer_id"] for s in r.json()["subsidiaries"]) == sorted([mine, below_mine])
    for hidden in (sibling, below_sibling):
        assert hidden not in r.text
        r2 = await http.get(f"/api/v1/customers/{hidden}", headers=buyer)
        assert r2.status_code == 404
    # the parent's own users and the seller's staff see the whole tree below it
    for headers in (await login(add_user(app_db, parent, ["buyer"], password_hash=demo_hash).id), await login(MANAGER)):
        r = await http.get(f"/api/v1/customers/{parent}", headers=headers)
        assert sorted(s["customer_id"] for s in r.json()["subsidiaries"]) == sorted(
            [mine, sibling, below_mine, below_sibling]
        )


async def test_control_characters_are_refused_naming_the_field(http, login, app_db, customer):
    # PostgreSQL's text cannot hold NUL (a 500 there); SQLite stored it; a tab in a key is a typo
    manager = await login(MANAGER)
    base = f"/api/v1/customers/{customer}"
    price_list = {"name": "x", "valid_from": "2025-01-01"}
    cases = [
        ("put", "part-numbers/SW-24-PRO", {"part_number": "A\u0000B"}, "part_number"),
        ("put", "price-lists/PL-x", {**price_list, "name": "x\u0000"}, "name"),
        ("put", "role-rules", [{"role": "in\u0000tern"}], "[0].role"),
        ("put", "role-rules", [{"role": "intern", "scope": "sku", "target": "SW-24-PRO\t"}], "[0].target"),
        ("put", "role-limits/bu%00yer", {"order_limit": "1"}, "role"),
        ("delete", "special-items/SW%00", None, "sku"),
        ("get", "%00/part-numbers", None, "customer_id"),
    ]
    for method, path, body, field in cases:
        url = "/api/v1/customers/%00/part-numbers" if path.startswith("%00") else f"{base}/{path}"
        r = await http.request(method.upper(), url, headers=manager, **({} if body is None else {"json": body}))
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, (path, body, r.text)
        assert r.json()["field"] == field, (path, body, r.json())
    r = await http.get(f"{base}/part-numbers", headers=manager)
    assert r.json() == []
    # a row stored before the check (PostgreSQL took a tab) still reads back: only input is refused
    add_part_numbers(app_db, customer, {"SW-24-PRO": "OLD\tNUMBER"})
    r = await http.get(f"{base}/part-numbers", headers=manager)
    assert r.status_code == 200 and r.json() == [{"sku": "SW-24-PRO", "part_number": "OLD\tNUMBER"}]
