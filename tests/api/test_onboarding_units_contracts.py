"""Onboarding without SQL, through HTTP: administrators create delivery units (answered once with a
generated signing secret) and rotate their secrets (the previous one verifies the unit's webhooks
for a grace period, then 401); administrators and catalog managers create contracts, which the
customer's buyers then order from at the contract's prices. Everyone else gets 403; bad fields 422
naming the field; an existing id 409."""

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from accounts.tables import User
from catalog.tables import Item
from core.database import session_scope
from partners.tables import DeliveryUnit
from tests.api.flows import order_until, place, signed
from tests.api.test_partner_view import Backend
from tests.catalog.data import add_customer
from tests.catalog.rules_data import add_user

UNITS, CONTRACTS = "/api/v1/delivery-units", "/api/v1/contracts"


def add_staff(app_db, demo_hash: str, *roles: str) -> str:
    """A seller staff account with `roles` (password "demo"); its e-mail."""
    email = f"{'-'.join(roles) or 'none'}-{uuid.uuid4().hex[:8]}@seller.example"
    with session_scope(app_db) as session:
        session.add(User(email=email, name="Staff", password_hash=demo_hash, roles=list(roles)))
    return email


@pytest.fixture(scope="module")
async def admin(app_db, demo_hash, login) -> dict[str, str]:
    return await login(add_staff(app_db, demo_hash, "admin"))


def add_item(app_db, unit_id: str) -> str:
    """An item of the live catalog that the unit fulfils."""
    sku = f"ONB-{uuid.uuid4().hex[:8].upper()}"
    with session_scope(app_db) as session:
        session.add(
            Item(
                sku=sku,
                name=f"Onboarding item {sku}",
                category="services",
                list_price=Decimal("30.00"),
                delivery_unit_id=unit_id,
            )
        )
    return sku


def new_unit_body(**extra) -> dict:
    unit = f"unit-{uuid.uuid4().hex[:8]}"
    return {"unit_id": unit, "name": f"Partner {unit}", "contact_email": f"ops@{unit}.example", **extra}


def contract_body(customer: str, **extra) -> dict:
    return {
        "contract_id": f"FC-ONB-{uuid.uuid4().hex[:8]}",
        "customer_id": customer,
        "name": "Onboarded framework contract",
        "currency": "EUR",
        "valid_from": "2025-01-01",
        "valid_to": "2030-12-31",
        "payment_terms_days": 14,
        "items": [{"sku": "CBL-CAT6-5M", "price": "3.99", "agreed_quantity": 1000}],
        **extra,
    }


async def inbound(http, unit: str, secret: str, suborder_id: str, event: str, webhook_id: str | None = None):
    body, headers = signed(
        unit,
        {"type": f"suborder.{event}", "suborder_id": suborder_id, "data": {}},
        webhook_id=webhook_id,
        secret=secret,
    )
    return await http.post(f"/api/v1/webhooks/partners/{unit}", content=body, headers=headers)


def set_unit(app_db, unit_id: str, **values) -> None:
    with session_scope(app_db) as session:
        unit = session.get(DeliveryUnit, unit_id)
        assert unit is not None
        for name, value in values.items():
            setattr(unit, name, value)


async def test_a_unit_onboarded_by_the_api_works_and_its_secret_rotates_with_a_grace_period(
    http, login, app_db, demo_hash, admin
):
    backend = Backend()
    try:
        body = new_unit_body(webhook_url=backend.url, kind="partner")
        unit = body["unit_id"]
        r = await http.post(UNITS, json=body, headers=admin)
        assert r.status_code == 201, r.text
        assert r.headers["location"] == f"{UNITS}/{unit}"
        created = r.json()
        old = created["webhook_secret"]
        assert old.startswith("whsec_") and len(Webhook(old)._whsecret) >= 24  # type: ignore[attr-defined]
        assert (created["contact_email"], created["webhook_url"], created["adapter"]) == (
            body["contact_email"],
            backend.url,
            "webhook",
        )
        r = await http.get(f"{UNITS}/{unit}", headers=admin)
        assert r.status_code == 200 and "webhook_secret" not in r.json() and old not in r.text
        assert old not in (await http.get(UNITS, headers=admin)).text

        # the unit fulfils an item of a contract the administrator creates; the customer's buyer orders it
        sku = add_item(app_db, unit)
        customer, _ = add_customer(app_db)
        r = await http.post(
            CONTRACTS, json=contract_body(customer, items=[{"sku": sku, "price": "25.00"}]), headers=admin
        )
        assert r.status_code == 201, r.text
        buyer = await login(add_user(app_db, customer, ["buyer"], password_hash=demo_hash).id)
        r = await place(http, buyer, {"sku": sku, "quantity": 2})
        assert r.status_code == 202, r.text
        order_id = r.json()["order_id"]
        doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
        sid = doc["suborders"][0]["suborder_id"]

        # what we send the unit is signed with its secret; what it sends with the secret is accepted
        headers, message = await backend.next_message()
        Webhook(old).verify(message, headers)
        r = await inbound(http, unit, old, sid, "accepted")
        assert r.status_code == 200 and r.json()["status"] == "processed", r.text

        r = await http.post(f"{UNITS}/{unit}/secret", headers=admin)
        assert r.status_code == 200, r.text
        rotated = r.json()
        new = rotated["webhook_secret"]
        assert new.startswith("whsec_") and new != old
        until = datetime.fromisoformat(rotated["previous_secret_until"])
        assert timedelta(hours=23) < until - datetime.now(UTC) <= timedelta(hours=24)  # WEBHOOK_SECRET_GRACE
        assert rotated["secret_rotated_at"] is not None

        # during the grace period both secrets verify
        r = await inbound(http, unit, old, sid, "shipped")
        assert r.status_code == 200 and r.json()["status"] == "processed", r.text
        delivered = f"msg_{uuid.uuid4().hex}"
        r = await inbound(http, unit, new, sid, "delivered", webhook_id=delivered)
        assert r.status_code == 200 and r.json()["status"] == "processed", r.text

        # after it the previous one is refused, the new one still verifies
        set_unit(app_db, unit, previous_secret_until=datetime.now(UTC) - timedelta(seconds=1))
        r = await inbound(http, unit, old, sid, "delivered", webhook_id=delivered)
        assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json", r.text
        r = await inbound(http, unit, new, sid, "delivered", webhook_id=delivered)
        assert r.status_code == 200 and r.json()["status"] == "duplicate", r.text
        assert (await http.get(f"{UNITS}/{unit}", headers=admin)).json()["previous_secret_until"] is None

        # messages to the unit are signed with the new secret
        r = await place(http, buyer, {"sku": sku, "quantity": 1})
        assert r.status_code == 202, r.text
        headers, message = await backend.next_message()
        Webhook(new).verify(message, headers)
        with pytest.raises(WebhookVerificationError):
            Webhook(old).verify(message, headers)
    finally:
        backend.close()


async def test_a_leaked_secret_is_revoked_at_once(http, admin):
    body = new_unit_body()
    unit = body["unit_id"]
    old = (await http.post(UNITS, json=body, headers=admin)).json()["webhook_secret"]
    r = await http.post(f"{UNITS}/{unit}/secret", json={"revoke_previous": True}, headers=admin)
    assert r.status_code == 200 and r.json()["previous_secret_until"] is None, r.text
    new = r.json()["webhook_secret"]
    # an unknown sub-order: a verified webhook gets past the signature check (404), a refused one not
    assert (await inbound(http, unit, old, "O-NONE-x", "accepted")).status_code == 401
    assert (await inbound(http, unit, new, "O-NONE-x", "accepted")).status_code != 401


async def test_administrators_change_a_unit_and_only_the_fields_sent(http, admin):
    body = new_unit_body(webhook_url="https://partner.example/hooks", kind="own")
    unit = body["unit_id"]
    assert (await http.post(UNITS, json=body, headers=admin)).status_code == 201
    r = await http.patch(
        f"{UNITS}/{unit}", json={"name": "Renamed", "contact_email": "new@partner.example"}, headers=admin
    )
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in ("name", "contact_email", "webhook_url", "kind")} == {
        "name": "Renamed",
        "contact_email": "new@partner.example",
        "webhook_url": "https://partner.example/hooks",
        "kind": "own",
    }
    r = await http.patch(f"{UNITS}/{unit}", json={"webhook_url": None}, headers=admin)  # portal only now
    assert r.status_code == 200 and r.json()["webhook_url"] is None, r.text
    listed = {u["unit_id"]: u for u in (await http.get(UNITS, headers=admin)).json()}
    assert listed[unit]["name"] == "Renamed" and "central-warehouse" in listed
    assert all("webhook_secret" not in u for u in listed.values())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"webhook_url": "ftp://partner.example/x"}, "webhook_url"),
        ({"webhook_url": "not a url"}, "webhook_url"),
        ({"webhook_url": "https://user:pw@partner.example/"}, "webhook_url"),
        ({"webhook_url": "http://169.254.169.254/latest/meta-data/"}, "webhook_url"),  # cloud metadata
        ({"webhook_url": "http://[::ffff:169.254.169.254]/"}, "webhook_url"),
        ({"webhook_url": "http://0.0.0.0:7233/"}, "webhook_url"),
        ({"misspelt_webhook_url": "https://partner.example/"}, "misspelt_webhook_url"),
        ({"contact_email": "nobody"}, "contact_email"),
        ({"unit_id": "Bad_Unit"}, "unit_id"),
        ({"unit_id": ""}, "unit_id"),
        ({"name": ""}, "name"),
        ({"kind": "supplier"}, "kind"),
        ({"adapter": "ftp"}, "adapter"),
    ],
)
async def test_bad_unit_fields_are_422_naming_the_field(http, admin, change, field):
    body = {**new_unit_body(), **change}
    r = await http.post(UNITS, json=body, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert r.headers["content-type"] == "application/problem+json"


async def test_unit_refusals(http, login, admin):
    body = new_unit_body()
    unit = body["unit_id"]
    assert (await http.post(UNITS, json=body, headers=admin)).status_code == 201
    r = await http.post(UNITS, json={**body, "name": "Again"}, headers=admin)
    assert r.status_code == 409 and r.json()["field"] == "unit_id", r.text
    r = await http.patch(f"{UNITS}/{unit}", json={"name": None}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "name", r.text
    r = await http.patch(f"{UNITS}/{unit}", json={"webhook_url": "gopher://x.example"}, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == "webhook_url", r.text
    for method, path in (
        ("GET", f"{UNITS}/no-such-unit"),
        ("PATCH", f"{UNITS}/no-such-unit"),
        ("POST", f"{UNITS}/no-such-unit/secret"),
    ):
        r = await http.request(method, path, headers=admin, **({"json": {"name": "x"}} if method == "PATCH" else {}))
        assert r.status_code == 404, (method, path, r.text)


async def test_only_administrators_onboard_units(http, login, app_db, demo_hash, admin):
    body = new_unit_body()
    unit = body["unit_id"]
    assert (await http.post(UNITS, json=body, headers=admin)).status_code == 201
    insider = add_user(app_db, "acme", ["buyer", "admin"], password_hash=demo_hash).id  # a customer's, role by mistake
    for email in ("catalog@seller.example", "buyer@acme.example", "ops@netpartner.example", insider):
        headers = await login(email)
        assert (await http.post(UNITS, json=new_unit_body(), headers=headers)).status_code == 403, email
        assert (await http.patch(f"{UNITS}/{unit}", json={"name": "x"}, headers=headers)).status_code == 403, email
        assert (await http.post(f"{UNITS}/{unit}/secret", headers=headers)).status_code == 403, email
    # the seller's staff read units; customers and units do not
    assert (await http.get(UNITS, headers=await login("catalog@seller.example"))).status_code == 200
    for email in ("buyer@acme.example", "ops@netpartner.example"):
        assert (await http.get(UNITS, headers=await login(email))).status_code == 403, email
        assert (await http.get(f"{UNITS}/{unit}", headers=await login(email))).status_code == 403, email
    assert (await http.post(UNITS, json=new_unit_body())).status_code == 401


async def test_an_administrator_creates_a_contract_and_the_buyer_sees_its_prices(http, login, app_db, demo_hash, admin):
    customer, _ = add_customer(app_db)
    body = contract_body(
        customer,
        tolerance_percent="5",
        on_exceed="expert",
        value_cap="100000.00",
        items=[
            {"sku": "CBL-CAT6-5M", "price": "3.99", "agreed_quantity": 1000},
            {"sku": "SW-24-PRO", "price": "1399.00", "value_cap": "50000.00"},
        ],
    )
    r = await http.post(CONTRACTS, json=body, headers=admin)
    assert r.status_code == 201, r.text
    contract_id = body["contract_id"]
    assert r.headers["location"] == f"{CONTRACTS}/{contract_id}"
    assert r.json() == (await http.get(f"{CONTRACTS}/{contract_id}", headers=admin)).json()
    created = r.json()
    assert (created["customer_id"], created["currency"], created["payment_terms_days"], created["on_exceed"]) == (
        customer,
        "EUR",
        14,
        "expert",
    )
    assert created["value_cap"] == "100000.00" and created["in_force"] is True
    assert {i["sku"]: (i["price"], i["agreed_quantity"], i["value_cap"]) for i in created["items"]} == {
        "CBL-CAT6-5M": ("3.99", 1000, None),
        "SW-24-PRO": ("1399.00", None, "50000.00"),
    }

    buyer = await login(add_user(app_db, customer, ["buyer"], password_hash=demo_hash).id)
    assert (await http.get("/api/v1/catalog/items/CBL-CAT6-5M", headers=buyer)).json()["price"] == "3.99"
    assert (await http.get("/api/v1/catalog/items/SW-24-PRO", headers=buyer)).json()["price"] == "1399.00"

    # recorded in the audit trail of commercial terms, with who created it
    r = await http.get(
        f"/api/v1/catalog/changes?contract_id={contract_id}", headers=await login("catalog@seller.example")
    )
    assert r.status_code == 200, r.text
    changes = r.json()["changes"]
    assert {(c["kind"], c["subject"], c["action"]) for c in changes} == {
        ("contract.terms", None, "created"),
        ("contract.item", "CBL-CAT6-5M", "created"),
        ("contract.item", "SW-24-PRO", "created"),
    }
    [actor] = {c["actor"] for c in changes}
    assert actor.startswith("admin-") and actor.endswith("@seller.example")


async def test_catalog_managers_create_contracts_too_and_nobody_else(http, login, app_db, demo_hash):
    customer, _ = add_customer(app_db)
    body = contract_body(customer)
    insider = add_user(app_db, customer, ["buyer", "admin", "catalog_manager"], password_hash=demo_hash).id
    for email in ("buyer@acme.example", "expert@seller.example", "ops@netpartner.example", insider):
        r = await http.post(CONTRACTS, json=body, headers=await login(email))
        assert r.status_code == 403, (email, r.text)
    r = await http.post(CONTRACTS, json=body, headers=await login("catalog@seller.example"))
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"customer_id": "no-such-customer"}, "customer_id"),
        ({"items": [{"sku": "CBL-CAT6-5M", "price": "4.00"}, {"sku": "NO-SUCH-SKU", "price": "1.00"}]}, "items[1].sku"),
        ({"items": [{"sku": "CBL-CAT6-5M", "price": "4.00"}, {"sku": "CBL-CAT6-5M", "price": "3.00"}]}, "items[1].sku"),
        ({"valid_from": "2031-01-01"}, "valid_to"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "eur"}, "currency"),
        ({"items": [{"sku": "CBL-CAT6-5M", "price": "0"}]}, "items[0].price"),
        ({"items": [{"sku": "CBL-CAT6-5M", "price": "1.001"}]}, "items[0].price"),
        ({"items": [{"sku": "CBL-CAT6-5M", "price": "1.00", "agreed_quantity": 0}]}, "items[0].agreed_quantity"),
        ({"items": [{"sku": "CBL-CAT6-5M", "price": "1.00", "value_cap": "-1"}]}, "items[0].value_cap"),
        ({"payment_terms_days": 366}, "payment_terms_days"),
        ({"payment_terms_days": -1}, "payment_terms_days"),
        ({"tolerance_percent": "101"}, "tolerance_percent"),
        ({"on_exceed": "ignore"}, "on_exceed"),
        ({"contract_id": "A/B"}, "contract_id"),
        ({"contract_id": "x" * 65}, "contract_id"),
        ({"name": ""}, "name"),
        ({"valid_to": "someday"}, "valid_to"),
        ({"discount_percent": "2"}, "discount_days"),
        ({"discount_days": 10}, "discount_percent"),
        ({"discount_days": 10, "discount_percent": "100"}, "discount_percent"),
        ({"discount_days": 10, "discount_percent": "0"}, "discount_percent"),
        ({"discount_days": 10, "discount_percent": "2.005"}, "discount_percent"),
        ({"discount_days": 0, "discount_percent": "2"}, "discount_days"),
        ({"discount_days": 14, "discount_percent": "2"}, "discount_days"),  # not before the 14 days' terms
        ({"payment_terms_days": 0, "discount_days": 1, "discount_percent": "2"}, "discount_days"),
    ],
)
async def test_bad_contract_fields_are_422_naming_the_field(http, app_db, admin, change, field):
    customer, _ = add_customer(app_db)
    body = contract_body(customer, **change)
    r = await http.post(CONTRACTS, json=body, headers=admin)
    assert r.status_code == 422 and r.json()["field"] == field, r.text
    assert r.headers["content-type"] == "application/problem+json"
    if "contract_id" not in change:
        assert (await http.get(f"{CONTRACTS}/{body['contract_id']}", headers=admin)).status_code == 404


async def test_a_contract_is_created_with_a_cash_discount(http, app_db, admin):
    customer, _ = add_customer(app_db)
    body = contract_body(customer, discount_days=10, discount_percent="2")
    r = await http.post(CONTRACTS, json=body, headers=admin)
    assert r.status_code == 201, r.text
    contract = (await http.get(f"{CONTRACTS}/{body['contract_id']}", headers=admin)).json()
    assert (contract["payment_terms_days"], contract["discount_days"], contract["discount_percent"]) == (14, 10, "2.00")
    plain = contract_body(customer)
    assert (await http.post(CONTRACTS, json=plain, headers=admin)).status_code == 201
    contract = (await http.get(f"{CONTRACTS}/{plain['contract_id']}", headers=admin)).json()
    assert (contract["discount_days"], contract["discount_percent"]) == (None, None)


async def test_an_existing_contract_id_is_409_and_changes_nothing(http, app_db, admin):
    customer, _ = add_customer(app_db)
    body = contract_body(customer)
    assert (await http.post(CONTRACTS, json=body, headers=admin)).status_code == 201
    before = (await http.get(f"{CONTRACTS}/{body['contract_id']}", headers=admin)).json()
    again = {**body, "name": "Another", "items": [{"sku": "SW-24-PRO", "price": "1.00"}]}
    r = await http.post(CONTRACTS, json=again, headers=admin)
    assert r.status_code == 409 and r.json()["field"] == "contract_id", r.text
    r = await http.post(CONTRACTS, json={**body, "contract_id": "ACME-FC-2026"}, headers=admin)
    assert r.status_code == 409, r.text
    assert (await http.get(f"{CONTRACTS}/{body['contract_id']}", headers=admin)).json() == before
