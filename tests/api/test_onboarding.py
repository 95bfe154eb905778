"""Onboarding without SQL through the API: the seller's administrator creates customers and users;
a new user sets a password through a one-time link and signs in; access ends (or changes) on the
next request; only administrators onboard; bad fields are 422 naming the field, duplicates 409.
Runs on SQLite, and on PostgreSQL with TEST_DATABASE=postgresql (tests/system.py)."""

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from accounts.tables import Invitation
from core.database import session_scope
from tests.api.test_accounts import token

ADMIN = "admin@seller.example"
PASSWORD = "a-good-long-password"


def fresh_id(prefix: str = "cust") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def customer_body(customer_id: str, **fields) -> dict:
    return {
        "customer_id": customer_id,
        "name": "Initech GmbH",
        "parent_id": "acme",
        "country": "de",
        "vat_id": "DE 123 456 789",
        "address": {"street": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
        "invoice_email": "ap@initech.example",
        "buyer_reference": "04011000-12345-67",
        **fields,
    }


async def new_customer(http, admin, **fields) -> str:
    customer_id = fresh_id()
    r = await http.post("/api/v1/customers", json=customer_body(customer_id, **fields), headers=admin)
    assert r.status_code == 201, r.text
    return customer_id


async def new_user(http, admin, **fields) -> dict:
    body = {"email": f"{fresh_id('user')}@initech.example", "name": "Ines Initech", **fields}
    r = await http.post("/api/v1/users", json=body, headers=admin)
    assert r.status_code == 201, r.text
    return r.json()


def field_of(r) -> str:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()["field"]


async def test_the_admin_onboards_a_customer_and_a_buyer_who_sets_a_password_by_link(http, login):
    admin = await login(ADMIN)
    customer_id = fresh_id()
    r = await http.post("/api/v1/customers", json=customer_body(customer_id), headers=admin)
    assert r.status_code == 201, r.text
    assert r.headers["location"] == f"/api/v1/customers/{customer_id}"
    created = r.json()
    assert (created["country"], created["vat_id"], created["parent_id"]) == ("DE", "DE123456789", "acme")
    assert created["contract_id"] == "ACME-FC-2026"  # inherited from its parent
    r = await http.get(f"/api/v1/customers/{customer_id}", headers=admin)
    assert r.json()["address"] == {"street": "Hauptstraße 1", "postal_code": "10115", "city": "Berlin", "country": "DE"}
    assert (r.json()["invoice_email"], r.json()["buyer_reference"]) == ("ap@initech.example", "04011000-12345-67")

    email = f"{fresh_id('Buyer')}@Initech.example"
    r = await http.post(
        "/api/v1/users",
        json={
            "email": email,
            "name": "Bea Buyer",
            "customer_id": customer_id,
            "roles": ["buyer"],
            "order_limit": "900",
        },
        headers=admin,
    )
    assert r.status_code == 201, r.text
    user = r.json()
    assert user["email"] == email.lower() and user["kind"] == "customer" and user["order_limit"] == "900.00"
    assert not user["has_password"] and "password_hash" not in r.text
    link = user["invitation"]
    assert link["url"].endswith(f"/invitation/{link['token']}")
    assert datetime.fromisoformat(link["expires_at"]) > datetime.now(UTC) + timedelta(hours=71)
    r = await http.post("/api/v1/auth/token", data={"username": email, "password": ""})
    assert r.status_code in (401, 422)  # no password yet: nothing signs in

    r = await http.post("/api/v1/auth/invitation", json={"token": link["token"], "new_password": "short"})
    assert field_of(r) == "new_password"
    r = await http.post("/api/v1/auth/invitation", json={"token": link["token"], "new_password": PASSWORD})
    assert r.status_code == 200 and r.json() == {"email": email.lower()}
    r = await http.post("/api/v1/auth/invitation", json={"token": link["token"], "new_password": PASSWORD + "!"})
    assert r.status_code == 410 and r.json()["field"] == "token"

    buyer = await token(http, email, PASSWORD)
    me = (await http.get("/api/v1/auth/me", headers=buyer)).json()
    assert (me["customer_id"], me["roles"]) == (customer_id, ["buyer"])
    r = await http.get("/api/v1/catalog/items?q=switch", headers=buyer)
    assert r.status_code == 200 and r.json()["items"][0]["price"] == "1450.00"  # ACME's contract, inherited

    r = await http.get(f"/api/v1/catalog/changes?customer_id={customer_id}&kind=customer", headers=admin)
    [change] = r.json()["changes"]
    assert (change["actor"], change["action"], change["after"]["vat_id"]) == (ADMIN, "created", "DE123456789")


async def test_only_the_sellers_administrators_onboard(http, login):
    admin = await login(ADMIN)
    customer_id = await new_customer(http, admin)
    for email in ("buyer@acme.example", "catalog@seller.example", "expert@seller.example", "ops@netpartner.example"):
        who = await login(email)
        for method, path, body in (
            ("POST", "/api/v1/customers", customer_body(fresh_id())),
            ("PATCH", f"/api/v1/customers/{customer_id}", {"name": "taken over"}),
            ("POST", "/api/v1/users", {"email": "x@initech.example", "name": "X", "roles": []}),
            ("GET", "/api/v1/users", None),
            ("GET", f"/api/v1/users/{ADMIN}", None),
            ("PATCH", "/api/v1/users/buyer@acme.example", {"roles": ["buyer", "approver"]}),
            ("POST", "/api/v1/users/buyer@acme.example/invitation", None),
        ):
            r = await http.request(method, path, json=body, headers=who)
            assert r.status_code == 403, (email, method, path, r.text)
    r = await http.post("/api/v1/customers", json=customer_body(fresh_id()))
    assert r.status_code == 401


async def test_bad_customer_fields_are_422_naming_the_field_and_a_taken_id_409(http, login):
    admin = await login(ADMIN)
    for fields, field in (
        ({"country": "ZZ"}, "country"),
        ({"vat_id": "123456789"}, "vat_id"),
        ({"vat_id": "QQ123456789"}, "vat_id"),
        ({"invoice_email": "not an address"}, "invoice_email"),
        ({"address": {"country": "Germany"}}, "address.country"),
        ({"address": {"town": "Berlin"}}, "address.town"),
        ({"parent_id": "no-such-customer"}, "parent_id"),
        ({"customer_id": "with/slash"}, "customer_id"),
        ({"name": ""}, "name"),
        ({"colour": "blue"}, "colour"),
    ):
        body = {**customer_body(fresh_id()), **fields}
        r = await http.post("/api/v1/customers", json=body, headers=admin)
        assert field_of(r) == field, (fields, r.text)
    r = await http.post("/api/v1/customers", json={**customer_body("acme"), "parent_id": None}, headers=admin)
    assert r.status_code == 409 and r.json()["field"] == "customer_id"

    # the tree stays a tree: a customer under its own subsidiary, or under itself, is refused
    parent = await new_customer(http, admin, parent_id=None)
    child = await new_customer(http, admin, parent_id=parent)
    for new_parent in (child, parent):
        r = await http.patch(f"/api/v1/customers/{parent}", json={"parent_id": new_parent}, headers=admin)
        assert field_of(r) == "parent_id" and "cannot be the parent" in r.json()["detail"]
    r = await http.patch(f"/api/v1/customers/{parent}", json={"country": None}, headers=admin)
    assert field_of(r) == "country"
    r = await http.patch("/api/v1/customers/no-such-customer", json={"name": "X"}, headers=admin)
    assert r.status_code == 404


async def test_patch_changes_only_the_fields_sent(http, login):
    admin = await login(ADMIN)
    customer_id = await new_customer(http, admin)
    path = f"/api/v1/customers/{customer_id}"
    r = await http.patch(
        path, json={"invoice_email": "billing@initech.example", "address": {"city": "Potsdam"}}, headers=admin
    )
    assert r.status_code == 200, r.text
    c = r.json()
    assert (c["invoice_email"], c["vat_id"], c["name"]) == ("billing@initech.example", "DE123456789", "Initech GmbH")
    assert c["address"] == {"street": "Hauptstraße 1", "postal_code": "10115", "city": "Potsdam", "country": "DE"}
    r = await http.patch(path, json={"vat_id": None, "address": None, "parent_id": None}, headers=admin)
    c = r.json()
    assert (c["vat_id"], c["parent_id"], c["contract_id"]) == (None, None, None)
    assert c["address"] == {"street": None, "postal_code": None, "city": None, "country": None}
    assert c["invoice_email"] == "billing@initech.example"
    r = await http.get(f"/api/v1/catalog/changes?customer_id={customer_id}&kind=customer", headers=admin)
    assert [ch["action"] for ch in r.json()["changes"]] == ["changed", "changed", "created"]


async def test_bad_user_fields_are_422_naming_the_field_and_a_taken_email_409(http, login):
    admin = await login(ADMIN)
    ok = {"email": f"{fresh_id('u')}@acme.example", "name": "New One"}
    for fields, field in (
        ({"customer_id": "acme", "roles": ["finance"]}, "roles"),
        ({"customer_id": "acme", "roles": ["fulfilment"]}, "roles"),
        ({"roles": ["buyer"]}, "roles"),
        ({"roles": ["superuser"]}, "roles"),
        ({"delivery_unit_id": "netpartner", "roles": ["buyer"]}, "roles"),
        ({"customer_id": "no-such-customer", "roles": ["buyer"]}, "customer_id"),
        ({"delivery_unit_id": "no-such-unit", "roles": ["fulfilment"]}, "delivery_unit_id"),
        ({"customer_id": "acme", "delivery_unit_id": "netpartner"}, "delivery_unit_id"),
        ({"roles": ["finance"], "order_limit": "100"}, "order_limit"),
        ({"roles": ["finance"], "password": "short"}, "password"),
        ({"email": "no-at-sign.example"}, "email"),
        ({"customer_id": "acme", "order_limit": "-1"}, "order_limit"),
        ({"is_admin": True}, "is_admin"),
    ):
        r = await http.post("/api/v1/users", json={**ok, **fields}, headers=admin)
        assert field_of(r) == field, (fields, r.text)
    r = await http.post("/api/v1/users", json={**ok, "email": "Buyer@ACME.example"}, headers=admin)
    assert r.status_code == 409 and r.json()["field"] == "email"
    # a role the customer's own role rules name (ACME: technician) fits its users, and its subsidiaries'
    user = await new_user(http, admin, customer_id="acme-at", roles=["buyer", "technician"], password=PASSWORD)
    assert user["roles"] == ["buyer", "technician"] and user["invitation"] is None and user["has_password"]


async def test_deactivation_and_role_changes_count_on_the_next_request(http, login):
    admin = await login(ADMIN)
    user = await new_user(http, admin, customer_id="acme", roles=["buyer", "approver"], password=PASSWORD)
    email, path = user["email"], f"/api/v1/users/{user['email']}"
    headers = await token(http, email, PASSWORD)
    assert set((await http.get("/api/v1/auth/me", headers=headers)).json()["roles"]) == {"buyer", "approver"}

    r = await http.patch(path, json={"roles": ["buyer"], "monthly_limit": "2500.5"}, headers=admin)
    assert r.status_code == 200 and (r.json()["roles"], r.json()["monthly_limit"]) == (["buyer"], "2500.50")
    assert (await http.get("/api/v1/auth/me", headers=headers)).json()["roles"] == ["buyer"]
    r = await http.patch(path, json={"roles": []}, headers=admin)
    assert (await http.get("/api/v1/auth/me", headers=headers)).json()["roles"] == []
    await http.patch(path, json={"roles": ["buyer"]}, headers=admin)

    r = await http.patch(path, json={"active": False}, headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False
    r = await http.get("/api/v1/orders", headers=headers)
    assert r.status_code == 401 and "deactivated" in r.json()["detail"]
    r = await http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert r.status_code == 401
    await http.patch(path, json={"active": True}, headers=admin)
    assert (await http.get("/api/v1/auth/me", headers=headers)).status_code == 401  # reactivated: old tokens stay dead
    assert (await http.get("/api/v1/auth/me", headers=await token(http, email, PASSWORD))).status_code == 200

    r = await http.get(f"/api/v1/users/{email}", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is True and "password" not in r.json()
    listed = (await http.get("/api/v1/users?customer_id=acme", headers=admin)).json()
    assert email in [u["email"] for u in listed] and {u["customer_id"] for u in listed} == {"acme"}
    staff = (await http.get("/api/v1/users?kind=seller", headers=admin)).json()
    assert ADMIN in [u["email"] for u in staff] and email not in [u["email"] for u in staff]
    assert (await http.get("/api/v1/users/nobody@initech.example", headers=admin)).status_code == 404
    assert field_of(await http.patch(path, json={"active": None}, headers=admin)) == "active"
    assert field_of(await http.patch(path, json={"customer_id": "globex"}, headers=admin)) == "customer_id"


async def test_a_new_link_is_a_reset_and_links_expire(http, login, app_db):
    admin = await login(ADMIN)
    user = await new_user(http, admin, delivery_unit_id="netpartner", roles=["fulfilment"], password=PASSWORD)
    email = user["email"]
    headers = await token(http, email, PASSWORD)
    r = await http.post(f"/api/v1/users/{email}/invitation", headers=admin)
    assert r.status_code == 201, r.text
    link = r.json()
    assert (await http.get("/api/v1/auth/me", headers=headers)).status_code == 401  # its tokens stop
    r = await http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert r.status_code == 401  # and its password
    again = (await http.post(f"/api/v1/users/{email}/invitation", headers=admin)).json()
    r = await http.post("/api/v1/auth/invitation", json={"token": link["token"], "new_password": PASSWORD})
    assert r.status_code == 404  # the newer link replaced it

    with session_scope(app_db, write_lock=True) as session:
        session.execute(
            update(Invitation)
            .where(col(Invitation.email) == email)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    r = await http.post("/api/v1/auth/invitation", json={"token": again["token"], "new_password": PASSWORD})
    assert r.status_code == 410 and "expired" in r.json()["detail"]
    fresh = (await http.post(f"/api/v1/users/{email}/invitation", headers=admin)).json()
    r = await http.post("/api/v1/auth/invitation", json={"token": fresh["token"], "new_password": "another-password"})
    assert r.status_code == 200
    assert (await http.get("/api/v1/auth/me", headers=await token(http, email, "another-password"))).status_code == 200
    r = await http.post("/api/v1/auth/invitation", json={"token": "made-up", "new_password": PASSWORD})
    assert r.status_code == 404 and r.json()["field"] == "token"


SCHEDULE = [
    {"days_after_due": 10, "kind": "reminder"},
    {"days_after_due": 30, "kind": "notice", "fee": "7.5"},
    {"days_after_due": 60, "kind": "collections"},
]


async def test_the_invoicing_policy_and_dunning_schedule_are_set_and_read_back(http, login):
    admin = await login(ADMIN)
    customer_id = await new_customer(http, admin)
    path = f"/api/v1/customers/{customer_id}"
    c = (await http.get(path, headers=admin)).json()
    assert (c["invoicing_policy"], c["dunning_schedule"]) == ("per_order", None)  # the defaults
    assert [level["days_after_due"] for level in c["dunning_levels"]] == [7, 21, 35, 49]  # the seller's

    r = await http.patch(path, json={"invoicing_policy": "per_delivery", "dunning_schedule": SCHEDULE}, headers=admin)
    assert r.status_code == 200, r.text
    c = (await http.get(path, headers=admin)).json()
    own = [
        {"days_after_due": 10, "kind": "reminder", "fee": "0.00"},
        {"days_after_due": 30, "kind": "notice", "fee": "7.50"},
        {"days_after_due": 60, "kind": "collections", "fee": "0.00"},
    ]
    assert (c["invoicing_policy"], c["dunning_schedule"], c["dunning_levels"]) == ("per_delivery", own, own)
    r = await http.patch(path, json={"name": "Initech AG"}, headers=admin)
    assert (r.json()["invoicing_policy"], r.json()["dunning_schedule"]) == ("per_delivery", own)  # kept

    r = await http.patch(path, json={"dunning_schedule": None}, headers=admin)
    assert r.json()["dunning_schedule"] is None and len(r.json()["dunning_levels"]) == 4  # the default again
    r = await http.get(f"/api/v1/catalog/changes?customer_id={customer_id}&kind=customer", headers=admin)
    changes = r.json()["changes"]
    assert changes[1]["after"]["dunning_schedule"] == own and changes[0]["after"]["dunning_schedule"] is None
    assert (changes[2]["before"]["invoicing_policy"], changes[2]["after"]["invoicing_policy"]) == (
        "per_order",
        "per_delivery",
    )

    created = await new_customer(http, admin, invoicing_policy="per_delivery", dunning_schedule=SCHEDULE[1:])
    c = (await http.get(f"/api/v1/customers/{created}", headers=admin)).json()
    assert c["invoicing_policy"] == "per_delivery" and [lv["kind"] for lv in c["dunning_schedule"]] == [
        "notice",
        "collections",
    ]


async def test_bad_invoicing_policies_and_dunning_schedules_are_422_naming_the_field(http, login):
    admin = await login(ADMIN)
    customer_id = await new_customer(http, admin)
    path = f"/api/v1/customers/{customer_id}"
    falling = [{"days_after_due": 30, "kind": "reminder"}, {"days_after_due": 10, "kind": "notice"}]
    twice = [{"days_after_due": 10, "kind": "reminder"}, {"days_after_due": 10, "kind": "notice"}]
    early = [{"days_after_due": 10, "kind": "collections"}, {"days_after_due": 30, "kind": "notice"}]
    for fields, field, words in (
        ({"invoicing_policy": "weekly"}, "invoicing_policy", "per_order"),
        ({"invoicing_policy": "monthly"}, "invoicing_policy", "monthly invoicing is not available yet"),
        ({"invoicing_policy": None}, "invoicing_policy", "cannot be removed"),
        ({"dunning_schedule": falling}, "dunning_schedule", "must rise"),
        ({"dunning_schedule": twice}, "dunning_schedule", "must rise"),
        ({"dunning_schedule": early}, "dunning_schedule", "only the last level"),
        ({"dunning_schedule": []}, "dunning_schedule", "at least 1"),
        ({"dunning_schedule": [{"days_after_due": 5, "kind": "lawsuit"}]}, "dunning_schedule[0].kind", "reminder"),
        ({"dunning_schedule": [{"days_after_due": 5, "kind": "notice", "fee": "-1"}]}, "dunning_schedule[0].fee", ""),
        ({"dunning_schedule": [{"days_after_due": 5, "kind": "notice", "fees": "1"}]}, "dunning_schedule[0].fees", ""),
    ):
        r = await http.patch(path, json=fields, headers=admin)
        assert field_of(r) == field and words in r.json()["detail"], (fields, r.text)
        if field == "dunning_schedule" or fields == {"invoicing_policy": "monthly"}:
            r = await http.post("/api/v1/customers", json=customer_body(fresh_id(), **fields), headers=admin)
            assert field_of(r) == field and words in r.json()["detail"], (fields, r.text)
    c = (await http.get(path, headers=admin)).json()
    assert (c["invoicing_policy"], c["dunning_schedule"]) == ("per_order", None)  # nothing changed
