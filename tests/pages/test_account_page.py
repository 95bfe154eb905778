"""A person changes the own password on the account page: the same rule as the API's
POST /api/v1/auth/password; every session ends, this one too."""

from tests.api.record_flows import fresh_customer
from tests.pages.conftest import hidden


def flash_of(html: str) -> str:
    start = html.find('class="flash')
    assert start >= 0, "no flash message on the page"
    return html[html.index(">", start) + 1 : html.index("</p>", start)]


async def test_a_person_changes_the_own_password_on_the_account_page(signed_in, app_db, demo_hash):
    _, email = fresh_customer(app_db, demo_hash)
    person = await signed_in(email)
    page = (await person.get("/account")).text
    assert 'id="password-form"' in page and 'id="account-link"' in page
    csrf = hidden(page, "csrf")

    async def change(current: str, new: str, again: str):
        body = {"csrf": csrf, "current_password": current, "new_password": new, "new_password_again": again}
        return await person.post("/account/password", data=body)

    r = await change("demo", "a-long-new-one", "another-new-one")
    assert r.status_code == 303 and r.headers["location"] == "/account"
    assert "differ" in flash_of((await person.get("/account")).text)
    r = await change("wrong", "a-long-new-one", "a-long-new-one")
    assert "current password is wrong" in flash_of((await person.get("/account")).text)
    r = await change("demo", "short", "short")
    assert "at least 10 characters" in flash_of((await person.get("/account")).text)

    r = await change("demo", "a-long-new-one", "a-long-new-one")
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert (await person.get("/account")).status_code == 303  # this session ended too
    again = await signed_in(email, "a-long-new-one")
    assert (await again.get("/account")).status_code == 200
