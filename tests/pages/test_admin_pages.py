"""The administrators' pages without a browser: who sees them (admins; anyone else 403), the nav,
a user's edit form (roles, limits, deactivation, a new link), and the page behind a one-time link
for unknown, short and used links."""

import re
import uuid

from tests.pages.conftest import hidden

ADMIN = "admin@seller.example"
PASSWORD = "pages-password-1"


def link_token(html: str) -> str:
    match = re.search(r'<code id="invitation-url">[^<]*/invitation/([A-Za-z0-9_-]+)</code>', html)
    assert match, "no link on the page"
    return match.group(1)


async def test_only_administrators_see_the_admin_pages(signed_in):
    admin = await signed_in(ADMIN)
    r = await admin.get("/users")
    assert r.status_code == 200 and 'data-user="admin@seller.example"' in r.text and 'href="/users"' in r.text
    assert 'id="new-customer"' in (await admin.get("/customers")).text
    assert 'id="edit-customer"' in (await admin.get("/customers/acme")).text
    r = await admin.get("/users?customer_id=acme")
    assert 'data-user="buyer@acme.example"' in r.text and 'data-user="admin@seller.example"' not in r.text

    for email in ("catalog@seller.example", "buyer@acme.example"):
        other = await signed_in(email)
        assert 'href="/users"' not in (await other.get("/")).text
        for path in ("/users", "/customers/new", "/customers/acme/edit", f"/users/{ADMIN}"):
            r = await other.get(path)
            assert r.status_code == 403, (email, path)
        assert 'id="new-customer"' not in (await other.get("/customers")).text


async def test_the_admin_edits_a_users_roles_and_limits_deactivates_and_resets(signed_in, system):
    admin = await signed_in(ADMIN)
    email = f"pages-{uuid.uuid4().hex[:8]}@acme.example"
    page = await admin.get("/users")
    r = await admin.post(
        "/users",
        data={
            "csrf": hidden(page.text, "csrf"),
            "email": email,
            "name": "Paula Pages",
            "account": "customer:acme",
            "roles": ["buyer"],
            "other_roles": "technician",
            "order_limit": "1000,50",  # a decimal comma, as people type it
            "password": PASSWORD,
        },
    )
    assert r.status_code == 201, r.text
    assert 'id="invitation-url"' not in r.text  # it has a password
    csrf = hidden(r.text, "csrf")
    assert 'value="1000.50"' in r.text and 'value="technician" checked' in r.text

    r = await admin.post(
        f"/users/{email}",
        data={"csrf": csrf, "name": "Paula P.", "roles": ["buyer", "approver"], "limits": "1", "order_limit": ""},
    )
    assert r.status_code == 303 and r.headers["location"] == f"/users/{email}"
    r = await admin.get(f"/users/{email}")
    assert "buyer, approver" in r.text and 'name="order_limit" inputmode="decimal" value=""' in r.text
    r = await admin.post(f"/users/{email}", data={"csrf": csrf, "name": "Paula", "roles": ["finance"]})
    assert r.status_code == 303  # refused: back to the form with the reason
    assert "not a role for customer acme" in (await admin.get(r.headers["location"])).text

    user = await signed_in(email, PASSWORD)
    assert (await user.get("/")).status_code == 200
    r = await admin.post(f"/users/{email}/active", data={"csrf": csrf, "active": "0"})
    assert r.status_code == 303
    assert (await user.get("/")).status_code == 303  # signed out: back to the sign-in page
    await admin.post(f"/users/{email}/active", data={"csrf": csrf, "active": "1"})
    r = await admin.post(f"/users/{email}/invitation", data={"csrf": csrf})
    token = link_token(r.text)
    assert f"{system}/invitation/{token}" in r.text

    anonymous = await signed_in(ADMIN)  # any client; the link page needs no sign-in
    anonymous.cookies.clear()
    r = await anonymous.get(f"/invitation/{token}")
    assert r.status_code == 200 and email in r.text
    r = await anonymous.post(f"/invitation/{token}", data={"new_password": "short", "repeat_password": "short"})
    assert r.status_code == 422 and "at least 10 characters" in r.text
    r = await anonymous.post(f"/invitation/{token}", data={"new_password": PASSWORD, "repeat_password": PASSWORD})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = await anonymous.get(f"/invitation/{token}")
    assert r.status_code == 410 and "used already" in r.text
    assert (await anonymous.get("/invitation/not-a-real-link")).status_code == 404
    await signed_in(email, PASSWORD)
