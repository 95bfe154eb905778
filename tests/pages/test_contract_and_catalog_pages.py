"""The contract pages (who sees which contract, the catalog manager's terms form) and the catalog
version pages (the list, the demo draft's diff, publishing at a date and cancelling it, the
refusal of a stale draft). These tests share the database and Temporal with the other API and
page tests: they publish nothing (a scheduled publication is cancelled again) and put contract
terms back as they were."""
import re
from datetime import datetime, timedelta, timezone

import pytest

from catalog.version_tables import CatalogVersion
from database import make_engine, session_scope
from tests.pages.conftest import hidden

MANAGER = "catalog@seller.example"
DEMO_DRAFT_NOTE = "price update and a new cable"


def flash(html: str) -> str:
    match = re.search(r'<p class="flash (?:ok|error)" role="status">([^<]*)</p>', html)
    assert match, "no flash message on the page"
    return match.group(1)


def tolerance(html: str) -> str:
    return re.search(r'<dd id="tolerance">([^<]*)</dd>', html).group(1)


async def test_a_buyer_sees_the_contracts_of_the_own_customer_and_its_parents(signed_in):
    buyer = await signed_in("buyer@acme.example")
    r = await buyer.get("/contracts")
    assert r.status_code == 200
    assert 'data-contract="ACME-FC-2026"' in r.text and "GLOBEX-FC-2026" not in r.text
    assert 'href="/contracts"' in r.text and 'href="/catalog/versions"' not in r.text  # the nav, by role

    r = await buyer.get("/contracts/ACME-FC-2026")
    assert r.status_code == 200
    switch = re.search(r'<tr data-sku="SW-24-PRO">(.*?)</tr>', r.text, re.S).group(1)
    assert '<td class="num agreed">100 <span class="muted">(105)</span></td>' in switch  # agreed, + 5 %
    consumed, remaining = map(int, re.search(
        r'<td class="num">(\d+)</td>\s*<td class="num remaining">(\d+)</td>', switch).groups())
    assert remaining == max(105 - consumed, 0)  # other tests' orders may have called some off
    assert tolerance(r.text) == "5 %" and 'id="terms-form"' not in r.text
    r = await buyer.get("/contracts/GLOBEX-FC-2026")
    assert r.status_code == 404 and "contract GLOBEX-FC-2026 not found" in r.text

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
    form = {"csrf": csrf, "valid_from": hidden(page, "valid_from"), "valid_to": hidden(page, "valid_to"),
            "tolerance_percent": hidden(page, "tolerance_percent"),
            "on_exceed": re.search(r'<option value="(\w+)" selected>', page).group(1)}
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
        assert "catalog_manager" in flash(page) and "let the seller&#39;s expert decide" in page
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
async def own_draft(signed_in):
    """A draft of this test's own (a copy of the published version, or empty), discarded after it."""
    manager = await signed_in(MANAGER)
    drafts = []

    async def create(empty: bool = False) -> int:
        r = await manager.post("/api/v1/catalog/versions", json={"note": "page test", "empty": empty})
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
    in_utc = local.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
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
