"""Access that ends when it should: a token counts only while its account is active and has not
signed out or changed its password since, and carries the roles the account has now; an
account without roles has no rights."""

import uuid

import httpx
from sqlalchemy import update
from sqlmodel import col

from accounts.passwords import hash_password
from accounts.tables import User
from core.database import session_scope
from tests.api.flows import CABLES, place
from tests.api.record_flows import another_api, fresh_customer


async def token(http, email: str, password: str = "demo") -> dict[str, str]:
    r = await http.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def set_user(app_db, email: str, **values) -> None:
    with session_scope(app_db, write_lock=True) as session:
        session.execute(update(User).where(col(User.email) == email).values(**values))


async def test_a_deactivated_users_token_answers_401_on_its_next_request(http, app_db, demo_hash):
    _, email = fresh_customer(app_db, demo_hash)
    headers = await token(http, email)
    assert (await http.get("/api/v1/auth/me", headers=headers)).status_code == 200
    set_user(app_db, email, active=False)
    r = await http.get("/api/v1/orders", headers=headers)
    assert r.status_code == 401 and "deactivated" in r.json()["detail"]
    assert (await http.post("/api/v1/auth/token", data={"username": email, "password": "demo"})).status_code == 401


async def test_a_changed_role_counts_on_the_next_request(http, app_db, demo_hash):
    _, email = fresh_customer(app_db, demo_hash, roles=("buyer", "approver"))
    headers = await token(http, email)
    assert set((await http.get("/api/v1/auth/me", headers=headers)).json()["roles"]) == {"buyer", "approver"}
    set_user(app_db, email, roles=["buyer"])
    assert (await http.get("/api/v1/auth/me", headers=headers)).json()["roles"] == ["buyer"]


async def test_logout_revokes_the_token_and_only_that_one(http, app_db, demo_hash):
    _, email = fresh_customer(app_db, demo_hash)
    headers, elsewhere = await token(http, email), await token(http, email)
    assert (await http.post("/api/v1/auth/logout", headers=headers)).status_code == 204
    r = await http.get("/api/v1/auth/me", headers=headers)
    assert r.status_code == 401 and "signed out" in r.json()["detail"]
    assert (await http.get("/api/v1/auth/me", headers=elsewhere)).status_code == 200  # another session
    assert (await http.get("/api/v1/auth/me", headers=await token(http, email))).status_code == 200


async def test_a_user_changes_the_own_password(http, app_db, demo_hash):
    _, email = fresh_customer(app_db, demo_hash)
    headers = await token(http, email)
    r = await http.post(
        "/api/v1/auth/password", json={"current_password": "wrong", "new_password": "a-long-new-one"}, headers=headers
    )
    assert r.status_code == 422 and r.json()["field"] == "current_password"
    r = await http.post(
        "/api/v1/auth/password", json={"current_password": "demo", "new_password": "short"}, headers=headers
    )
    assert r.status_code == 422 and r.json()["field"] == "new_password"
    new = f"pw-{uuid.uuid4().hex[:12]}"
    r = await http.post(
        "/api/v1/auth/password", json={"current_password": "demo", "new_password": new}, headers=headers
    )
    assert r.status_code == 204, r.text
    assert (await http.get("/api/v1/auth/me", headers=headers)).status_code == 401  # signed in again
    assert (await http.post("/api/v1/auth/token", data={"username": email, "password": "demo"})).status_code == 401
    assert (await http.get("/api/v1/auth/me", headers=await token(http, email, new))).status_code == 200


async def test_an_account_without_roles_has_no_rights(http, app_db, login):
    """Neither a customer's nor a unit's, and no role: not seller staff (it used to see every order)."""
    email = f"norole-{uuid.uuid4().hex[:8]}@seller.example"
    with session_scope(app_db, write_lock=True) as session:
        session.add(User(email=email, name="No role", password_hash=hash_password("demo"), roles=[]))
    headers = await token(http, email)
    r = await http.get("/api/v1/orders", headers=headers)
    assert r.status_code == 403, r.text
    buyer = await login("buyer@acme.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    assert (await http.get(f"/api/v1/orders/{order_id}", headers=headers)).status_code == 403  # whatever exists


async def test_failed_sign_ins_are_throttled_per_account_with_a_clear_429(http, app_db, demo_hash):
    """Five failures a minute per account (LOGIN_LIMIT_PER_ACCOUNT): then even the right password
    waits, and the answer says how long; other accounts are not held up."""
    _, email = fresh_customer(app_db, demo_hash)
    for _ in range(5):
        r = await http.post("/api/v1/auth/token", data={"username": email, "password": "guess"})
        assert r.status_code == 401
    r = await http.post("/api/v1/auth/token", data={"username": email, "password": "demo"})
    assert r.status_code == 429, r.text
    assert int(r.headers["Retry-After"]) >= 1 and "Too many failed sign-ins" in r.json()["detail"]
    _, other = fresh_customer(app_db, demo_hash)
    assert (await http.post("/api/v1/auth/token", data={"username": other, "password": "demo"})).status_code == 200


async def test_a_customers_user_without_roles_has_no_rights_either(http, app_db, demo_hash, login):
    """A customer's user whose roles were all taken away sees neither orders nor the catalog; it
    may still ask who it is and sign out."""
    _, email = fresh_customer(app_db, demo_hash, roles=())
    headers = await token(http, email)
    for path in ("/api/v1/orders", "/api/v1/catalog/items", "/api/v1/contracts"):
        r = await http.get(path, headers=headers)
        assert r.status_code == 403 and "no roles" in r.json()["detail"], (path, r.text)
    assert (await http.get("/api/v1/auth/me", headers=headers)).json()["roles"] == []
    assert (await http.post("/api/v1/auth/logout", headers=headers)).status_code == 204


async def test_guessing_the_current_password_is_throttled_like_sign_ins(http, app_db, demo_hash):
    """A stolen session must not find the password by trying: five wrong current passwords a
    minute, then 429 (even for the right one), like failed sign-ins of the account."""
    _, email = fresh_customer(app_db, demo_hash)
    headers = await token(http, email)
    for attempt in range(5):
        body = {"current_password": f"guess-{attempt}", "new_password": "a-long-new-one"}
        r = await http.post("/api/v1/auth/password", json=body, headers=headers)
        assert r.status_code == 422, r.text
    body = {"current_password": "demo", "new_password": "a-long-new-one"}
    r = await http.post("/api/v1/auth/password", json=body, headers=headers)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1, r.text


async def test_failed_sign_ins_are_throttled_per_client_across_accounts(api_settings):
    """One address trying many accounts (LOGIN_LIMIT_PER_CLIENT) is held up too, whichever account
    it tries next; an API of its own with a small budget (the shared one allows the tests plenty)."""
    settings = api_settings.model_copy(update={"login_limit_per_client": "3/minute"})
    async with another_api(settings) as base, httpx.AsyncClient(base_url=base, timeout=30) as http:
        for n in range(3):
            r = await http.post("/api/v1/auth/token", data={"username": f"nobody-{n}@x.example", "password": "x"})
            assert r.status_code == 401, r.text
        r = await http.post("/api/v1/auth/token", data={"username": "buyer@acme.example", "password": "demo"})
        assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1, r.text
        assert "Too many failed sign-ins" in r.json()["detail"]
