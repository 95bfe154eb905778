"""The contract pages (who sees which contract, the catalog manager's terms form) and the catalog
version pages (the list, the demo draft's diff, publishing at a date and cancelling it, the
refusal of a stale draft). These tests share the database and Temporal with the other API and
page tests: they publish nothing (a scheduled publication is cancelled again) and put contract
terms back as they were."""

import html as html_lib
import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from accounts.passwords import hash_password
from accounts.tables import User
from catalog.versions.tables import CatalogVersion
from contracts.tables import Contract
from core.database import make_engine, session_scope
from tests.pages.conftest import hidden

MANAGER = "catalog@seller.example"
DEMO_DRAFT_NOTE = "price update and a new cable"


def flash(html: str) -> str:
    match = re.search(r'<p class="flash (?:ok|error)" role="status">([^<]*)</p>', html)
    assert match, "no flash message on the page"
    return match.group(1)


def tolerance(html: str) -> str:
    return re.search(r'<dd id="tolerance">([^<]*)</dd>', html).group(1)


def form_fields(page: str, form_id: str) -> dict[str, str]:
    """What a browser submits for the form: its inputs' values and its selects' selected options."""
    form = re.search(rf'<form [^>]*id="{form_id}"[^>]*>(.*?)</form>', page, re.S).group(1)
    fields = {m[1]: html_lib.unescape(m[2]) for m in re.finditer(r'<input [^>]*name="([^"]+)" value="([^"]*)"', form)}
    for select in re.finditer(r'<select name="([^"]+)">(.*?)</select>', form, re.S):
        fields[select[1]] = re.search(r'<option value="([^"]*)" selected>', select[2]).group(1)
    return fields


def in_db(api_settings, change) -> None:
    """change(session) in a transaction of the shared test database."""
    engine = make_engine(api_settings.database_url)
    try:
        with session_scope(engine, write_lock=True) as session:
            change(session)
    finally:
        engine.dispose()


async def test_a_buyer_sees_the_contracts_of_the_own_customer_and_its_parents(signed_in):
    buyer = await signed_in("buyer@acme.example")
    home = (await buyer.get("/")).text
    assert "<strong>Contracts</strong>" in home and "<strong>Catalog versions</strong>" not in home  # tiles by role
    assert "<strong>Catalog versions</strong>" in (await (await signed_in(MANAGER)).get("/")).text
    r = await buyer.get("/contracts")
    assert r.status_code == 200
    assert 'data-contract="ACME-FC-2026"' in r.text and "GLOBEX-FC-2026" not in r.text
    assert 'href="/contracts"' in r.text and 'href="/catalog/versions"' not in r.text  # the nav, by role

    r = await buyer.get("/contracts/ACME-FC-2026")
    assert r.status_code == 200
    switch = re.search(r'<tr data-sku="SW-24-PRO">(.*?)</tr>', r.text, re.S).group(1)
    assert '<td class="num agreed">100 <span class="muted">(105)</span></td>' in switch  # agreed, + 5 %
    consumed, remaining = map(
        int, re.search(r'<td class="num">(\d+)</td>\s*<td class="num remaining">(\d+)</td>', switch).groups()
    )
    assert remaining == max(105 - consumed, 0)  # other tests' orders may have called some off
    assert tolerance(r.text) == "5 %" and 'id="terms-form"' not in r.text
    r = await buyer.get("/contracts/GLOBEX-FC-2026")
    assert r.status_code == 404 and "contract GLOBEX-FC-2026 not found" in r.text
    for odd in ("ACME-FC-2026%00", "A" * 65):  # no such id can exist (PostgreSQL cannot even hold a NUL)
        assert (await buyer.get(f"/contracts/{odd}")).status_code == 404

    assert "<h2>Call-offs</h2>" in (await buyer.get("/contracts/ACME-FC-2026")).text  # the customer's orders

    # the subsidiary's buyer calls off against the parent's contract, without seeing the parent's orders
    subsidiary = await signed_in("buyer@acme-at.example")
    assert 'data-contract="ACME-FC-2026"' in (await subsidiary.get("/contracts")).text
    r = await subsidiary.get("/contracts/ACME-FC-2026")
    assert r.status_code == 200 and "<h2>Call-offs</h2>" not in r.text
    # delivery units have no contracts
    unit = await signed_in("ops@warehouse.example")
    r = await unit.get("/contracts")
    assert r.status_code == 403 and 'href="/contracts"' not in r.text


async def test_the_catalog_manager_changes_the_terms_through_the_form(signed_in):
    manager = await signed_in(MANAGER)
    listing = (await manager.get("/contracts")).text
    assert 'data-contract="ACME-FC-2026"' in listing and 'data-contract="GLOBEX-FC-2026"' in listing
    url = "/contracts/GLOBEX-FC-2026"
    page = (await manager.get(url)).text
    assert 'id="terms-form"' in page
    before = tolerance(page).removesuffix(" %")
    csrf = hidden(page, "csrf")
    form = {
        "csrf": csrf,
        "valid_from": hidden(page, "valid_from"),
        "valid_to": hidden(page, "valid_to"),
        "tolerance_percent": hidden(page, "tolerance_percent"),
        "on_exceed": re.search(r'<option value="(\w+)" selected>', page).group(1),
    }
    try:
        r = await manager.post(f"{url}/terms", data=form)
        assert r.status_code == 303 and r.headers["location"] == url
        assert flash((await manager.get(url)).text) == "Nothing changed."
        r = await manager.post(f"{url}/terms", data={**form, "tolerance_percent": "7.5"})
        assert r.status_code == 303 and r.headers["location"] == url
        page = (await manager.get(url)).text
        assert flash(page) == "Terms of GLOBEX-FC-2026 changed: tolerance_percent."  # only what differs
        assert tolerance(page) == "7.5 %"

        # refused changes come back as a message naming the field, and change nothing
        r = await manager.post(f"{url}/terms", data={"csrf": csrf, "valid_from": "2031-01-01"})
        assert r.status_code == 303
        page = (await manager.get(url)).text
        assert flash(page) == "valid_to: valid_from must not be after valid_to"
        assert re.search(r'<dd id="validity">2025-01-01 – 2030-12-31</dd>', page)
        await manager.post(f"{url}/terms", data={"csrf": csrf, "tolerance_percent": "-1"})
        assert flash((await manager.get(url)).text).startswith("tolerance_percent: ")
        await manager.post(f"{url}/terms", data={"csrf": "forged", "tolerance_percent": "50"})
        page = (await manager.get(url)).text
        assert "This form has expired" in flash(page) and tolerance(page) == "7.5 %"

        # a buyer cannot, even with a valid form token of the own session
        buyer = await signed_in("buyer@acme.example")
        buyer_csrf = hidden((await buyer.get("/contracts/ACME-FC-2026")).text, "csrf")
        await buyer.post("/contracts/ACME-FC-2026/terms", data={"csrf": buyer_csrf, "on_exceed": "reject"})
        page = (await buyer.get("/contracts/ACME-FC-2026")).text
        assert re.search(r"catalog[_ ]manager", flash(page)) and "let the seller&#39;s expert decide" in page
    finally:
        r = await manager.post(f"{url}/terms", data={"csrf": csrf, "tolerance_percent": before})
        assert r.status_code == 303
        assert tolerance((await manager.get(url)).text) == f"{before} %"


async def test_only_catalog_managers_see_the_versions_and_the_demo_drafts_diff(signed_in):
    buyer = await signed_in("buyer@acme.example")
    r = await buyer.get("/catalog/versions")
    assert r.status_code == 403 and "Not allowed" in r.text
    expert = await signed_in("expert@seller.example")
    assert (await expert.get("/catalog/versions/1")).status_code == 403

    manager = await signed_in(MANAGER)
    r = await manager.get("/catalog/versions")
    assert r.status_code == 200 and 'href="/catalog/versions" class="active"' in r.text
    assert '<span class="chip live">live</span>' in r.text and DEMO_DRAFT_NOTE in r.text
    draft = next(v for v in (await manager.get("/api/v1/catalog/versions")).json() if v["note"] == DEMO_DRAFT_NOTE)
    r = await manager.get(f"/catalog/versions/{draft['id']}")
    assert r.status_code == 200
    added = re.search(r'<ul class="plain" id="diff-added">(.*?)</ul>', r.text, re.S).group(1)
    assert "CBL-CAT6A-10M" in added
    price = re.search(r'<tr data-sku="CBL-CAT6-5M">(.*?)</tr>', r.text, re.S).group(1)
    assert "6.20 EUR" in price
    assert "Publish now" in r.text and 'name="force"' not in r.text
    assert (await manager.get("/catalog/versions/999999")).status_code == 404


@pytest.fixture
async def own_draft(signed_in, login):
    """A draft of this test's own (a copy of the published version, or empty), discarded after it.
    Changes through the API take the bearer token (the cookie only reads the API)."""
    manager = await signed_in(MANAGER)
    manager.headers.update(await login(MANAGER))
    drafts = []

    async def create(empty: bool = False, note: str = "page test") -> int:
        r = await manager.post("/api/v1/catalog/versions", json={"note": note, "empty": empty})
        assert r.status_code == 201, r.text
        drafts.append(r.json()["id"])
        return drafts[-1]

    yield manager, create
    for version_id in drafts:
        await manager.post(f"/api/v1/catalog/versions/{version_id}/unpublish")
        assert (await manager.delete(f"/api/v1/catalog/versions/{version_id}")).status_code == 204


async def test_publishing_at_a_date_in_the_users_zone_and_unpublishing(own_draft):
    manager, create = own_draft
    version_id = await create()
    url = f"/catalog/versions/{version_id}"
    page = (await manager.get(url)).text
    csrf = hidden(page, "csrf")
    assert 'type="datetime-local" name="activates_at"' in page

    async def publish_at(local: str, tz: str) -> str:
        r = await manager.post(f"{url}/publish", data={"csrf": csrf, "when": "at", "activates_at": local, "tz": tz})
        assert r.status_code == 303 and r.headers["location"] == url
        return (await manager.get(url)).text

    page = await publish_at("2020-01-01T10:00", "+01:00")
    assert "is not in the future" in flash(page) and "Publish now" in page
    page = await publish_at("2030-01-01T10:00", "CET")
    assert flash(page).startswith("tz: ")

    local = datetime.now(timezone(timedelta(hours=2))).replace(second=0, microsecond=0) + timedelta(days=2)
    page = await publish_at(local.strftime("%Y-%m-%dT%H:%M"), "+02:00")
    in_utc = local.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert flash(page) == f"Version {version_id} will be published at {in_utc}."
    assert 'id="version-status"><span class="badge status-scheduled">scheduled' in page
    assert 'id="activates-at">' + in_utc in page and "Unpublish" in page
    info = (await manager.get(f"/api/v1/catalog/versions/{version_id}")).json()
    assert info["status"] == "scheduled"
    assert datetime.fromisoformat(info["activates_at"].replace("Z", "+00:00")) == local

    r = await manager.post(f"{url}/unpublish", data={"csrf": csrf})
    assert r.status_code == 303
    page = (await manager.get(url)).text
    assert flash(page) == f"Version {version_id} is not scheduled for publication any more: it is a draft."
    assert (await manager.get(f"/api/v1/catalog/versions/{version_id}")).json()["status"] == "draft"


async def test_a_stale_draft_is_refused_with_the_reason_and_publish_anyway_is_offered(own_draft, api_settings):
    manager, create = own_draft
    # an empty draft: even if it were not stale, publishing it would be refused (it has no items)
    version_id = await create(empty=True)
    listed = (await manager.get("/api/v1/catalog/versions")).json()
    older = next(v["id"] for v in listed if not v["live"] and v["id"] != version_id)
    engine = make_engine(api_settings.database_url)
    try:  # as if copied from a version that is not the published one any more
        with session_scope(engine, write_lock=True) as session:
            session.get(CatalogVersion, version_id).based_on = older
    finally:
        engine.dispose()
    url = f"/catalog/versions/{version_id}"
    page = (await manager.get(url)).text
    assert f"copied from version {older}, but version" in page and 'name="force"' not in page

    r = await manager.post(f"{url}/publish", data={"csrf": hidden(page, "csrf"), "when": "now"})
    assert r.status_code == 303 and r.headers["location"] == f"{url}?stale=1"
    page = (await manager.get(r.headers["location"])).text
    assert f"was copied from version {older}" in flash(page) and "Publish anyway now" in page
    assert page.count('<input type="hidden" name="force" value="1">') == 2
    assert (await manager.get(f"/api/v1/catalog/versions/{version_id}")).json()["status"] == "draft"


# --- found in review --------------------------------------------------------------------------


async def test_a_date_that_is_no_point_in_time_is_a_message_not_a_server_error(own_draft):
    manager, create = own_draft
    version_id = await create()
    url = f"/catalog/versions/{version_id}"
    csrf = hidden((await manager.get(url)).text, "csrf")

    async def refused(local: str, tz: str) -> str:
        r = await manager.post(f"{url}/publish", data={"csrf": csrf, "when": "at", "activates_at": local, "tz": tz})
        assert r.status_code == 303 and r.headers["location"] == url, (local, tz, r.status_code)
        page = (await manager.get(url)).text
        assert 'id="version-status"><span class="badge status-draft">' in page  # nothing scheduled
        return flash(page)

    # in UTC before year 1 or after 9999: Python cannot even say when that is
    assert (await refused("0001-01-01T00:30", "+01:00")).startswith("activates_at: ")
    assert (await refused("9999-12-31T23:59", "-14:00")).startswith("activates_at: ")
    # no offset, garbage, a zone twice, markup: each a message naming the field, escaped
    assert (await refused("2030-01-01T10:00", "")).startswith("tz: ")
    assert (await refused("2030-01-01T10:00", "Europe/Berlin")).startswith("tz: ")
    assert (await refused("2030-01-01T10:00", "+15:00")).startswith("tz: ")
    assert (await refused("garbage", "+01:00")).startswith("activates_at: ")
    assert (await refused("2030-01-01T10:00+02:00", "+01:00")).startswith("activates_at: the time without a zone")
    assert (await refused("", "+01:00")).startswith("activates_at: choose")
    await manager.post(
        f"{url}/publish",
        data={"csrf": csrf, "when": "at", "tz": "+01:00", "activates_at": '<script>alert("x")</script>'},
    )
    page = (await manager.get(url)).text
    assert '<script>alert("x")' not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


async def test_an_offset_with_minutes_counts(own_draft):
    manager, create = own_draft
    version_id = await create()
    url = f"/catalog/versions/{version_id}"
    csrf = hidden((await manager.get(url)).text, "csrf")
    year = datetime.now(UTC).year + 2
    r = await manager.post(
        f"{url}/publish", data={"csrf": csrf, "when": "at", "activates_at": f"{year}-01-15T10:00", "tz": "-03:30"}
    )
    assert r.status_code == 303
    try:
        assert flash((await manager.get(url)).text) == (
            f"Version {version_id} will be published at {year}-01-15 13:30 UTC."
        )
    finally:
        await manager.post(f"{url}/unpublish", data={"csrf": csrf})
    assert (await manager.get(f"/api/v1/catalog/versions/{version_id}")).json()["status"] == "draft"


async def test_a_version_number_that_is_none_is_a_not_found_page(signed_in):
    manager = await signed_in(MANAGER)
    csrf = hidden((await manager.get("/catalog/versions")).text, "csrf")
    for version in ("99999999999999999999999", "2147483648", "abc", "-1"):  # 2**31: past PostgreSQL's key
        r = await manager.get(f"/catalog/versions/{version}")
        assert r.status_code == 404, (version, r.status_code, r.text[:200])
        assert r.headers["content-type"].startswith("text/html") and f"catalog version {version} not found" in r.text
        r = await manager.post(f"/catalog/versions/{version}/publish", data={"csrf": csrf, "when": "now"})
        assert r.status_code == 303 and r.headers["location"] == f"/catalog/versions/{version}", version
        r = await manager.post(f"/catalog/versions/{version}/unpublish", data={"csrf": csrf})
        assert r.status_code == 303, version
        assert (await manager.get(r.headers["location"])).status_code == 404


async def test_a_buyer_posting_the_publish_form_is_told_it_is_not_allowed_before_anything_else(own_draft, signed_in):
    _, create = own_draft
    version_id = await create()
    url = f"/catalog/versions/{version_id}"
    for email in ("buyer@acme.example", "buyer@acme-at.example", "expert@seller.example"):
        other = await signed_in(email)
        csrf = hidden((await other.get("/contracts")).text, "csrf")
        for data in ({"when": "at", "activates_at": "garbage", "tz": "+01:00"}, {"when": "now", "force": "1"}):
            r = await other.post(f"{url}/publish", data={"csrf": csrf, **data})
            assert r.status_code == 303
            page = await other.get(r.headers["location"])
            assert page.status_code == 403
            assert flash(page.text) in (
                "Catalog management is for the seller&#39;s catalog managers",
                "This needs one of the roles: catalog_manager",
            ), (email, flash(page.text))
        r = await other.post(f"{url}/unpublish", data={"csrf": csrf})
        assert (await other.get(r.headers["location"])).status_code == 403
    manager, _ = own_draft
    assert (await manager.get(f"/api/v1/catalog/versions/{version_id}")).json()["status"] == "draft"


async def test_publish_anyway_sends_force_and_only_then(own_draft, api_settings):
    manager, create = own_draft
    version_id = await create(empty=True)  # empty: publishing it is refused even when forced
    older = next(
        v["id"]
        for v in (await manager.get("/api/v1/catalog/versions")).json()
        if not v["live"] and v["id"] != version_id
    )
    in_db(api_settings, lambda session: setattr(session.get(CatalogVersion, version_id), "based_on", older))
    url = f"/catalog/versions/{version_id}"
    page = (await manager.get(f"{url}?stale=1")).text  # offered only for a stale draft...
    assert "Publish anyway now" in page
    r = await manager.post(f"{url}/publish", data={"csrf": hidden(page, "csrf"), **form_fields(page, "publish-now")})
    assert r.status_code == 303 and r.headers["location"] == url  # ... and the stale check was passed by
    assert flash((await manager.get(url)).text) == (
        f"catalog version {version_id} has no items: publishing it would empty the catalog"
    )
    assert 'name="force"' not in (await manager.get(url)).text  # a stale draft's own page does not force


async def test_draft_notes_and_item_names_are_text_not_markup(own_draft):
    manager, create = own_draft
    evil = '<script>alert("x")</script> & \'quoted\' "twice"'
    escaped = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#39;quoted&#39; &#34;twice&#34;"
    version_id = await create(note=evil)
    base = f"/api/v1/catalog/versions/{version_id}/items"
    r = await manager.put(f"{base}/XSS-1", json={"name": evil, "list_price": "1.00"})
    assert r.status_code == 200, r.text
    r = await manager.put(f"{base}/CBL-CAT6-5M", json={"name": evil, "description": evil})
    assert r.status_code == 200, r.text
    listing = (await manager.get("/catalog/versions")).text
    page = (await manager.get(f"/catalog/versions/{version_id}")).text
    for html in (listing, page):
        assert "<script>alert" not in html and escaped in html
    assert re.search(r'<ul class="plain" id="diff-added"><li>' + re.escape(escaped), page)
    assert page.count(escaped) >= 4  # the note, the added item, the renamed item and its new name


async def test_a_form_saved_after_someone_else_changed_the_terms_keeps_their_change(signed_in, login):
    manager, bearer = await signed_in(MANAGER), await login(MANAGER)
    url = "/contracts/GLOBEX-FC-2026"
    api = "/api/v1" + url
    before = (await manager.get(api)).json()
    page = (await manager.get(url)).text
    form = form_fields(page, "terms-form")
    other = "reject" if form["on_exceed"] == "expert" else "expert"
    try:
        # meanwhile another catalog manager (or the CLI) raises the tolerance
        assert (await manager.patch(api, json={"tolerance_percent": "9"}, headers=bearer)).status_code == 200
        r = await manager.post(f"{url}/terms", data={**form, "on_exceed": other})
        assert r.status_code == 303
        page = (await manager.get(url)).text
        assert flash(page) == "Terms of GLOBEX-FC-2026 changed: on_exceed."
        after = (await manager.get(api)).json()
        assert after["on_exceed"] == other and after["tolerance_percent"] in ("9", "9.00")
    finally:
        r = await manager.patch(
            api, json={name: before[name] for name in ("tolerance_percent", "on_exceed")}, headers=bearer
        )
        assert r.status_code == 200


async def test_a_subsidiarys_buyer_posting_the_terms_form_changes_nothing_and_learns_nothing(signed_in):
    subsidiary = await signed_in("buyer@acme-at.example")
    csrf = hidden((await subsidiary.get("/contracts")).text, "csrf")
    # the parent's contract: visible, but not theirs to change
    r = await subsidiary.post("/contracts/ACME-FC-2026/terms", data={"csrf": csrf, "on_exceed": "reject"})
    assert r.status_code == 303 and r.headers["location"] == "/contracts/ACME-FC-2026"
    page = (await subsidiary.get("/contracts/ACME-FC-2026")).text
    assert re.search(r"catalog[_ ]manager", flash(page)) and "let the seller&#39;s expert decide" in page
    # another customer's contract does not exist for them, whatever the form holds
    r = await subsidiary.post("/contracts/GLOBEX-FC-2026/terms", data={"csrf": csrf, "tolerance_percent": "-1"})
    page = await subsidiary.get(r.headers["location"])
    assert page.status_code == 404 and flash(page.text) == "contract GLOBEX-FC-2026 not found"


ODD_ID = "FC 7?x#y%"
ODD_URL = "/contracts/FC%207%3Fx%23y%25"


@pytest.fixture
def odd_contract(api_settings):
    """A contract whose id needs quoting in a URL and whose name is markup (long expired)."""
    in_db(
        api_settings,
        lambda session: session.add(
            Contract(
                id=ODD_ID,
                customer_id="globex",
                name='<b>odd</b> "contract"',
                valid_from=date(2000, 1, 1),
                valid_to=date(2000, 12, 31),
            )
        ),
    )
    yield
    in_db(api_settings, lambda session: session.delete(session.get(Contract, ODD_ID)))


async def test_a_contract_id_is_quoted_in_links_and_redirects(signed_in, odd_contract):
    manager = await signed_in(MANAGER)
    listing = (await manager.get("/contracts")).text
    assert f'<a href="{ODD_URL}">' in listing
    assert "&lt;b&gt;odd&lt;/b&gt; &#34;contract&#34;" in listing and "<b>odd</b>" not in listing
    r = await manager.get(ODD_URL)
    assert r.status_code == 200 and 'action="' + ODD_URL + '/terms"' in r.text
    form = form_fields(r.text, "terms-form")
    r = await manager.post(f"{ODD_URL}/terms", data=form)
    assert r.status_code == 303 and r.headers["location"] == ODD_URL
    assert flash((await manager.get(ODD_URL)).text) == "Nothing changed."
    r = await manager.post(f"{ODD_URL}/terms", data={**form, "csrf": "forged"})  # the error's way back, too
    assert r.status_code == 303 and r.headers["location"] == ODD_URL


@pytest.fixture
def customer_catalog_manager(api_settings):
    """A customer's user who was given the catalog_manager role (roles are free text)."""
    email = "manager@acme.example"
    in_db(
        api_settings,
        lambda session: session.add(
            User(
                email=email,
                name="Customer-side manager",
                password_hash=hash_password("demo"),
                customer_id="acme",
                roles=["catalog_manager", "buyer"],
            )
        ),
    )
    yield email
    in_db(api_settings, lambda session: session.delete(session.get(User, email)))


async def test_a_customers_user_with_the_manager_role_is_offered_no_terms_form(signed_in, customer_catalog_manager):
    user = await signed_in(customer_catalog_manager)
    r = await user.get("/contracts/ACME-FC-2026")
    assert r.status_code == 200 and 'id="terms-form"' not in r.text
    assert 'href="/catalog/versions"' not in r.text
    assert (await user.get("/catalog/versions")).status_code == 403


async def test_a_customers_user_with_the_manager_role_cannot_change_the_own_contract(
    signed_in, login, customer_catalog_manager
):
    user = await signed_in(customer_catalog_manager)
    page = (await user.get("/contracts/ACME-FC-2026")).text
    # the unchanged terms: nothing would change even if it were allowed
    r = await user.patch("/api/v1/contracts/ACME-FC-2026", json={}, headers=await login(customer_catalog_manager))
    assert r.status_code == 403
    r = await user.post("/contracts/ACME-FC-2026/terms", data={"csrf": hidden(page, "csrf"), "on_exceed": "expert"})
    assert flash((await user.get("/contracts/ACME-FC-2026")).text) != "Nothing changed."
