"""The administrators' pages for delivery units and new contracts, over HTTP with the session cookie:
a unit's secret is shown on the answer to the form that made it and never again; a refused contract
form comes back as it was sent, with the reason; nobody else gets the forms."""

import re
import uuid

from tests.pages.conftest import hidden

ADMIN = "admin@seller.example"


def secret_on(html: str) -> str:
    match = re.search(r'<code id="webhook-secret">(whsec_[^<]+)</code>', html)
    assert match, "no secret on the page"
    return match.group(1)


async def test_a_unit_is_created_edited_and_its_secret_rotated(signed_in):
    admin = await signed_in(ADMIN)
    r = await admin.get("/delivery-units")
    assert r.status_code == 200 and 'data-unit="netpartner"' in r.text and 'href="/delivery-units/new"' in r.text
    assert 'href="/delivery-units"' in r.text  # the nav
    csrf = hidden((await admin.get("/delivery-units/new")).text, "csrf")
    unit = f"pages-{uuid.uuid4().hex[:8]}"
    r = await admin.post(
        "/delivery-units/new",
        data={"csrf": csrf, "unit_id": unit, "name": "Pages GmbH", "kind": "partner", "webhook_url": "",
              "contact_email": "ops@pages.example"},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    first = secret_on(r.text)
    r = await admin.get(f"/delivery-units/{unit}")
    assert r.status_code == 200 and first not in r.text and "webhook-secret" not in r.text
    assert "ops@pages.example" in r.text and "partner portal" in r.text

    r = await admin.post(
        f"/delivery-units/{unit}",
        data={"csrf": csrf, "name": "Pages AG", "webhook_url": "https://pages.example/hook", "contact_email": ""},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/delivery-units/{unit}"
    r = await admin.get(f"/delivery-units/{unit}")
    assert "Pages AG" in r.text and "https://pages.example/hook" in r.text and "ops@pages.example" not in r.text
    assert "saved" in r.text

    page = (await admin.get(f"/delivery-units/{unit}")).text
    rotated_at = re.search(r'name="rotated_at" value="([^"]+)"', page).group(1)
    r = await admin.post(f"/delivery-units/{unit}/secret", data={"csrf": csrf, "rotated_at": rotated_at})
    assert r.status_code == 200, r.text
    second = secret_on(r.text)
    assert second != first and "still verifies" in r.text
    # the browser reloads the answer (it sends the form again): no second rotation
    r = await admin.post(f"/delivery-units/{unit}/secret", data={"csrf": csrf, "rotated_at": rotated_at})
    assert r.status_code == 303 and "rotated since" in (await admin.get(r.headers["location"])).text
    r = await admin.get("/delivery-units")
    assert second not in r.text and "old secret until" in r.text

    r = await admin.post(f"/delivery-units/{unit}", data={"csrf": csrf, "name": "x", "webhook_url": "ftp://x"})
    assert r.status_code == 303
    assert "webhook_url" in (await admin.get(r.headers["location"])).text  # the reason, naming the field


async def test_nobody_else_gets_the_unit_forms(signed_in):
    manager, buyer = await signed_in("catalog@seller.example"), await signed_in("buyer@acme.example")
    assert (await manager.get("/delivery-units")).status_code == 200  # the seller's staff read
    assert 'href="/delivery-units/new"' not in (await manager.get("/delivery-units")).text
    assert (await manager.get("/delivery-units/new")).status_code == 403
    page = (await manager.get("/delivery-units/netpartner")).text
    assert "rotate-form" not in page and "whsec_" not in page
    csrf = hidden((await manager.get("/contracts")).text, "csrf")
    r = await manager.post("/delivery-units/netpartner/secret", data={"csrf": csrf})
    assert r.status_code == 303  # back to the unit's page with the refusal
    page = (await manager.get(r.headers["location"])).text
    assert "This needs one of the roles: admin" in page
    assert (await buyer.get("/delivery-units")).status_code == 403
    assert (await buyer.get("/contracts/new")).status_code == 403
    assert 'href="/contracts/new"' not in (await buyer.get("/contracts")).text


async def test_a_refused_contract_form_comes_back_as_sent(signed_in):
    admin = await signed_in(ADMIN)
    r = await admin.get("/contracts")
    assert 'href="/contracts/new"' in r.text
    r = await admin.get("/contracts/new")
    assert r.status_code == 200 and '<option value="globex">' in r.text
    csrf = hidden(r.text, "csrf")
    contract_id = f"PAGES-FC-{uuid.uuid4().hex[:6]}"
    form = {
        "csrf": csrf,
        "contract_id": contract_id,
        "customer_id": "globex",
        "name": "Pages contract",
        "currency": "EUR",
        "valid_from": "2031-01-01",
        "valid_to": "2031-12-31",
        "payment_terms_days": "30",
        "tolerance_percent": "0",
        "on_exceed": "reject",
        "value_cap": "",
        "items": "CBL-CAT6-5M;4.10;5000\nNO-SUCH-SKU;1.00\n",
    }
    r = await admin.post("/contracts/new", data=form)
    assert r.status_code == 422, r.text
    assert "item line 2 (NO-SUCH-SKU), sku: NO-SUCH-SKU is not in the seller&#39;s catalog" in r.text
    assert "NO-SUCH-SKU;1.00" in r.text and f'value="{contract_id}"' in r.text  # as sent
    r = await admin.post("/contracts/new", data={**form, "items": "CBL-CAT6-5M;4.101"})
    assert r.status_code == 422 and "item line 1 (CBL-CAT6-5M), price" in r.text
    r = await admin.post("/contracts/new", data={**form, "items": "CBL-CAT6-5M;4.10;1;2;3"})
    assert r.status_code == 422 and "text line 1" in r.text
    r = await admin.post("/contracts/new", data={**form, "items": "CBL-CAT6-5M;4.10;5000\n\nSW-24-PRO;1399"})
    assert r.status_code == 303 and r.headers["location"] == f"/contracts/{contract_id}"
    r = await admin.get(r.headers["location"])
    assert "created with 2 items" in r.text and "1399.00" in r.text
    r = await admin.post("/contracts/new", data={**form, "items": ""})
    assert r.status_code == 409 and "exists already" in r.text


def fact(html: str, dd_id: str) -> str:
    match = re.search(rf'<dd id="{dd_id}">(.*?)</dd>', html, re.S)
    assert match, f"no {dd_id} on the page"
    return re.sub(r"<[^>]+>", "", match.group(1))


async def test_the_customer_form_sets_the_invoicing_policy_and_shows_the_dunning_schedule(signed_in):
    admin = await signed_in(ADMIN)
    r = await admin.get("/customers/new")
    assert r.status_code == 200 and '<option value="per_order" selected>' in r.text
    customer_id = f"pages-{uuid.uuid4().hex[:8]}"
    form = {"csrf": hidden(r.text, "csrf"), "customer_id": customer_id, "name": "Pages GmbH", "country": "DE"}
    r = await admin.post("/customers/new", data={**form, "invoicing_policy": "per_delivery"})
    assert r.status_code == 303 and r.headers["location"] == f"/customers/{customer_id}", r.text
    page = (await admin.get(r.headers["location"])).text
    assert fact(page, "invoicing-policy") == "per delivery"
    assert fact(page, "dunning").startswith("7 days after due: reminder; 21 days after due: notice (5.00")
    assert "(the seller’s default)" in fact(page, "dunning")

    edit = f"/customers/{customer_id}/edit"
    page = (await admin.get(edit)).text
    assert '<option value="per_delivery" selected>' in page and 'id="dunning-schedule"' in page
    assert 'name="dunning_schedule"' not in page  # shown, not edited here
    r = await admin.post(edit, data={**form, "invoicing_policy": "per_order"})
    assert r.status_code == 303
    assert fact((await admin.get(f"/customers/{customer_id}")).text, "invoicing-policy").startswith("per order")
    r = await admin.post(edit, data={**form, "invoicing_policy": "monthly"})  # a hand-made form
    assert r.status_code == 303 and r.headers["location"] == edit
    page = (await admin.get(edit)).text
    assert "monthly invoicing is not available yet" in page and '<option value="per_order" selected>' in page


async def test_the_contract_form_and_terms_form_set_and_clear_the_cash_discount(signed_in):
    admin, manager = await signed_in(ADMIN), await signed_in("catalog@seller.example")
    r = await admin.get("/contracts/new")
    assert 'name="discount_percent"' in r.text and 'name="discount_days"' in r.text
    contract_id = f"PAGES-FC-{uuid.uuid4().hex[:6]}"
    form = {
        "csrf": hidden(r.text, "csrf"),
        "contract_id": contract_id,
        "customer_id": "globex",
        "name": "Discount contract",
        "currency": "EUR",
        "valid_from": "2031-01-01",
        "valid_to": "2031-12-31",
        "payment_terms_days": "30",
        "discount_days": "",
        "discount_percent": "2",
        "items": "",
    }
    r = await admin.post("/contracts/new", data=form)
    assert r.status_code == 422 and "discount_days: a cash discount needs its discount_days too" in r.text
    assert 'name="discount_percent" inputmode="decimal" value="2"' in r.text  # as sent
    r = await admin.post("/contracts/new", data={**form, "discount_days": "10"})
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    page = (await manager.get(url)).text
    assert fact(page, "discount") == "2 % within 10 days"

    csrf = hidden(page, "csrf")
    r = await manager.post(f"{url}/terms", data={"csrf": csrf, "discount_percent": "3.5", "discount_days": "14"})
    assert r.status_code == 303
    page = (await manager.get(url)).text
    assert "changed: discount_days, discount_percent." in page and fact(page, "discount") == "3.5 % within 14 days"
    await manager.post(f"{url}/terms", data={"csrf": csrf, "discount_days": "30"})
    page = (await manager.get(url)).text
    assert "discount_days: the cash discount&#39;s 30 days must end before" in page
    assert fact(page, "discount") == "3.5 % within 14 days"
    r = await manager.post(f"{url}/terms", data={"csrf": csrf, "no_discount": "on"})
    assert r.status_code == 303
    page = (await manager.get(url)).text
    assert fact(page, "discount") == "none" and 'id="no-discount"' not in page
