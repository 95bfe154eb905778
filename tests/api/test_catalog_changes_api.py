"""The audit trail over HTTP: a catalog manager's edits (contracts, customer rules, quality rules)
show in GET /api/v1/catalog/changes with the manager's e-mail, newest first and a page at a time;
the seller's experts and finance read it too, customers and delivery units are refused. Edits go to
a fresh customer and contract only: the API database is shared by the session."""

from datetime import date

from tests.catalog.data import add_customer

MANAGER = "catalog@seller.example"
CHANGES = "/api/v1/catalog/changes"


async def test_a_managers_edits_show_in_the_trail(http, login, app_db):
    customer, contract = add_customer(
        app_db, contract=(date(2025, 1, 1), date(2030, 12, 31)), prices={"CBL-CAT6-5M": "4.00"}
    )
    manager = await login(MANAGER)
    r = await http.patch(
        f"/api/v1/contracts/{contract}", json={"tolerance_percent": "10", "on_exceed": "expert"}, headers=manager
    )
    assert r.status_code == 200, r.text

    r = await http.get(CHANGES, params={"contract_id": contract}, headers=manager)
    assert r.status_code == 200, r.text
    [change] = r.json()["changes"]
    assert {k: change[k] for k in ("actor", "customer_id", "contract_id", "kind", "subject", "action")} == {
        "actor": MANAGER,
        "customer_id": customer,
        "contract_id": contract,
        "kind": "contract.terms",
        "subject": None,
        "action": "changed",
    }
    assert (change["before"]["tolerance_percent"], change["after"]["tolerance_percent"]) == ("0.00", "10.00")
    assert (change["before"]["on_exceed"], change["after"]["on_exceed"]) == ("reject", "expert")
    assert r.json()["next_before_id"] is None

    # the same PATCH again changes nothing and records nothing; a refused one neither
    r = await http.patch(f"/api/v1/contracts/{contract}", json={"tolerance_percent": "10.00"}, headers=manager)
    assert r.status_code == 200, r.text
    r = await http.patch(f"/api/v1/contracts/{contract}", json={"valid_from": "2031-01-01"}, headers=manager)
    assert r.status_code == 422
    r = await http.put(
        f"/api/v1/customers/{customer}/special-items/PWR-UPS-AT", json={"price": "589.00"}, headers=manager
    )
    assert r.status_code == 200, r.text
    r = await http.put(f"/api/v1/catalog/customers/{customer}/quality-rules", json=[{"rule": "image"}], headers=manager)
    assert r.status_code == 200, r.text

    # newest first, a page at a time; readable by the seller's experts and finance
    expert = await login("expert@seller.example")
    r = await http.get(CHANGES, params={"customer_id": customer, "limit": 2}, headers=expert)
    assert r.status_code == 200, r.text
    first = r.json()
    assert [(c["kind"], c["actor"]) for c in first["changes"]] == [
        ("quality_rules", MANAGER),
        ("special_item", MANAGER),
    ]
    r = await http.get(
        CHANGES,
        params={"customer_id": customer, "before_id": first["next_before_id"]},
        headers=await login("finance@seller.example"),
    )
    assert r.status_code == 200, r.text
    assert [c["kind"] for c in r.json()["changes"]] == ["contract.terms"] and r.json()["next_before_id"] is None
    r = await http.get(CHANGES, params={"customer_id": customer, "kind": "special_item"}, headers=manager)
    assert [(c["subject"], c["action"], c["after"]["price"]) for c in r.json()["changes"]] == [
        ("PWR-UPS-AT", "created", "589.00")
    ]


async def test_only_the_sellers_staff_read_the_trail(http, login):
    for outsider in ("buyer@acme.example", "approver@acme.example", "ops@warehouse.example"):
        r = await http.get(CHANGES, headers=await login(outsider))
        assert r.status_code == 403, (outsider, r.text)
    r = await http.get(CHANGES)
    assert r.status_code == 401
    manager = await login(MANAGER)
    r = await http.get(CHANGES, params={"kind": "price"}, headers=manager)
    assert r.status_code == 422 and r.json()["field"] == "kind"
    r = await http.get(CHANGES, params={"limit": 0}, headers=manager)
    assert r.status_code == 422 and r.json()["field"] == "limit"


async def test_a_before_id_beyond_any_id_is_the_first_page_and_beyond_64_bits_a_422(http, login):
    # the id column is an INTEGER: a larger bound overflowed PostgreSQL (and SQLite beyond 2^63)
    manager = await login(MANAGER)
    first = (await http.get(CHANGES, params={"limit": 5}, headers=manager)).json()
    for before_id in (2**31, 2**63 - 1):
        r = await http.get(CHANGES, params={"limit": 5, "before_id": before_id}, headers=manager)
        assert r.status_code == 200, (before_id, r.text)
        assert r.json() == first
    for before_id in (2**63, 10**30):
        r = await http.get(CHANGES, params={"limit": 5, "before_id": before_id}, headers=manager)
        assert r.status_code == 422 and r.json()["errors"][0]["field"].endswith("before_id"), r.text
