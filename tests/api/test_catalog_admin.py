"""Catalog management over HTTP with the real worker on a Temporal dev server: import with the
per-item report, edit, diff, quality report, scheduled and immediate publishing, export, and a
supplier sync schedule that pulls from a local HTTP server."""

import asyncio
import functools
import http.server
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core import temporal_names as names

DATA = Path(__file__).parents[1] / "catalog" / "data"
MANAGER = "catalog@seller.example"


@pytest.fixture(scope="module")
def supplier_url():
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(DATA))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


async def test_only_catalog_managers_manage_versions(http, login):
    buyer = await login("buyer@acme.example")
    r = await http.get("/api/v1/catalog/versions", headers=buyer)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    expert = await login("expert@seller.example")
    assert (await http.get("/api/v1/catalog/versions", headers=expert)).status_code == 403
    manager = await login(MANAGER)
    r = await http.get("/api/v1/catalog/versions", headers=manager)
    assert r.status_code == 200
    statuses = {v["status"] for v in r.json()}
    assert {"published", "draft"} <= statuses
    assert sum(v["live"] for v in r.json()) == 1


async def test_import_edit_diff_publish_and_export(http, login, dev_env, api_settings):
    manager = await login(MANAGER)
    r = await http.post("/api/v1/catalog/versions", json={"note": "api test"}, headers=manager)
    assert r.status_code == 201, r.text
    version = r.json()["id"]

    csv = b"sku,name,category,list_price\nT-API-1,API test item,test-api,19.99\nT-API-BAD,Broken,test-api,free\n"
    r = await http.post(
        f"/api/v1/catalog/versions/{version}/import",
        params={"mode": "delta"},
        files={"file": ("items.csv", csv, "text/csv")},
        headers=manager,
    )
    assert r.status_code == 200, r.text
    report = r.json()
    assert (report["added"], report["failed"]) == (1, 1)
    assert report["errors"][0]["sku"] == "T-API-BAD" and report["errors"][0]["field"] == "list_price"

    r = await http.post(
        f"/api/v1/catalog/versions/{version}/import",
        files={"file": ("evil.xml", (DATA / "xxe.xml").read_bytes(), "application/xml")},
        headers=manager,
    )
    assert r.status_code == 422 and r.json()["field"] == "file" and "entities" in r.json()["detail"]

    r = await http.put(
        f"/api/v1/catalog/versions/{version}/items/T-API-2",
        headers=manager,
        json={
            "name": "Second API item",
            "category": "test-api",
            "list_price": "5.00",
            "attributes": {"eclass": "19170401", "image_url": "https://img.example/2.jpg"},
        },
    )
    assert r.status_code == 200, r.text
    r = await http.put(
        f"/api/v1/catalog/versions/{version}/items/T-API-2", headers=manager, json={"list_price": "lots"}
    )
    assert r.status_code == 422 and r.json()["field"] == "list_price"

    r = await http.get(f"/api/v1/catalog/versions/{version}/diff", headers=manager)
    assert r.status_code == 200
    diff = r.json()
    assert [a["sku"] for a in diff["added"]] == ["T-API-1", "T-API-2"] and diff["counts"]["removed"] == 0

    r = await http.get(f"/api/v1/catalog/versions/{version}/items", params={"q": "t-api"}, headers=manager)
    assert r.json()["total"] == 2 and r.json()["items"][1]["attributes"]["eclass"] == "19170401"
    r = await http.get(f"/api/v1/catalog/versions/{version}/quality", params={"customer_id": "globex"}, headers=manager)
    assert r.status_code == 200 and r.json()["customers"][0]["customer_id"] == "globex"

    # scheduled for tomorrow (a CatalogPublication workflow), then unpublished again
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    r = await http.post(f"/api/v1/catalog/versions/{version}/publish", json={"activates_at": tomorrow}, headers=manager)
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "scheduled"
    # the publication waits on the catalog task queue, not on the orders'
    scheduled = await dev_env.client.get_workflow_handle(names.publication_workflow_id(version)).describe()
    assert scheduled.task_queue == api_settings.temporal_catalog_task_queue != api_settings.temporal_task_queue
    r = await http.post(
        f"/api/v1/catalog/versions/{version}/publish", json={"activates_at": "2030-01-01T00:00:00"}, headers=manager
    )
    assert r.status_code == 422 and r.json()["field"] == "activates_at"
    r = await http.post(f"/api/v1/catalog/versions/{version}/unpublish", headers=manager)
    assert r.status_code == 200 and r.json()["status"] == "draft"

    r = await http.post(f"/api/v1/catalog/versions/{version}/publish", headers=manager)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "published" and r.json()["materialised"]["inserted"] == 2
    r = await http.post(f"/api/v1/catalog/versions/{version}/publish", headers=manager)
    assert r.status_code == 409
    # the demo's draft was copied from the version before: publishing it now would undo this one
    drafts = [
        v
        for v in (await http.get("/api/v1/catalog/versions", headers=manager)).json()
        if v["status"] == "draft" and v["based_on"] is not None and v["based_on"] != version
    ]
    assert drafts
    r = await http.post(f"/api/v1/catalog/versions/{drafts[0]['id']}/publish", headers=manager)
    assert r.status_code == 409 and f"but version {version} has been published since" in r.json()["detail"]
    r = await http.get("/api/v1/catalog/items", params={"q": "T-API"}, headers=manager)
    assert {i["sku"] for i in r.json()["items"]} == {"T-API-1", "T-API-2"}

    # customers export their own view, at their prices; the seller's staff any customer's
    buyer = await login("buyer@acme.example")
    r = await http.get("/api/v1/catalog/export", headers=buyer)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    assert b"<PRICE_AMOUNT>1450.00</PRICE_AMOUNT>" in r.content and b"T-API-1" not in r.content
    r = await http.get("/api/v1/catalog/export", params={"customer_id": "globex"}, headers=buyer)
    assert r.status_code == 404
    r = await http.get("/api/v1/catalog/export", params={"customer_id": "globex", "format": "csv"}, headers=manager)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0].startswith("sku,name,description")
    r = await http.get("/api/v1/catalog/export", headers=manager)
    assert r.status_code == 422


async def test_quality_rules_and_sub_assortments_over_http(http, login):
    manager = await login(MANAGER)
    r = await http.put(
        "/api/v1/catalog/customers/globex/quality-rules",
        headers=manager,
        json=[{"rule": "classification"}, {"rule": "image"}],
    )
    assert r.status_code == 200, r.text
    r = await http.get("/api/v1/catalog/customers/globex/quality-rules", headers=manager)
    assert [rule["rule"] for rule in r.json()] == ["classification", "image"]
    r = await http.put("/api/v1/catalog/customers/globex/quality-rules", headers=manager, json=[{"rule": "colour"}])
    assert r.status_code == 422
    r = await http.put(
        "/api/v1/catalog/customers/globex/sub-assortment",
        headers=manager,
        json={"name": "network", "categories": ["network"], "rules": [{"field": "colour", "op": "eq"}]},
    )
    assert r.status_code == 422
    r = await http.put(
        "/api/v1/catalog/customers/globex/sub-assortment",
        headers=manager,
        json={"name": "network and cables", "categories": ["network", "cables"]},
    )
    assert r.status_code == 200
    r = await http.get("/api/v1/catalog/customers/globex/sub-assortment", headers=manager)
    assert r.json()["categories"] == ["network", "cables"]
    r = await http.put(
        "/api/v1/catalog/customers/globex/quality-rules",
        headers=manager,
        json=[{"rule": "classification"}, {"rule": "min_description_length", "params": {"length": 20}}],
    )
    assert r.status_code == 200


async def test_a_sync_schedule_pulls_the_suppliers_catalog_into_a_draft(
    http, login, supplier_url, dev_env, api_settings
):
    manager = await login(MANAGER)
    supplier = f"apitest-{uuid.uuid4().hex[:6]}"
    body = {"supplier": supplier, "url": f"{supplier_url}/supplier_full.xml", "every": "PT6H", "mode": "delta"}
    r = await http.post("/api/v1/catalog/sync-schedules", json=body, headers=manager)
    assert r.status_code == 201, r.text
    assert r.json()["schedule_id"] == f"catalog-sync-{supplier}"
    try:
        assert (await http.post("/api/v1/catalog/sync-schedules", json=body, headers=manager)).status_code == 409
        r = await http.post(f"/api/v1/catalog/sync-schedules/{supplier}/trigger", headers=manager)
        assert r.status_code == 202
        # the managers' inbox hears of the sync once the import into the draft and its diff are done
        inbox = None
        for _ in range(300):  # the schedule starts the workflow; the worker imports
            notes = (await http.get("/api/v1/notifications", headers=manager)).json()
            inbox = next((n for n in notes if supplier in n["subject"]), None)
            if inbox is not None:
                break
            await asyncio.sleep(0.1)
        assert inbox is not None
        # the schedule starts its runs on the catalog task queue, and that queue's worker ran this one
        schedule = await dev_env.client.get_schedule_handle(names.sync_schedule_id(supplier)).describe()
        assert schedule.schedule.action.task_queue == api_settings.temporal_catalog_task_queue
        run = await dev_env.client.get_workflow_handle(schedule.info.recent_actions[-1].action.workflow_id).describe()
        assert run.task_queue == api_settings.temporal_catalog_task_queue != api_settings.temporal_task_queue
        versions = (await http.get("/api/v1/catalog/versions", headers=manager)).json()
        draft = next((v for v in versions if v["source"].startswith(f"sync:{supplier}:")), None)
        assert draft is not None and draft["status"] == "draft"
        assert f"draft {draft['id']}" in inbox["subject"]
        r = await http.get(f"/api/v1/catalog/versions/{draft['id']}/diff", headers=manager)
        assert r.json()["counts"]["added"] == 3
    finally:
        r = await http.delete(f"/api/v1/catalog/sync-schedules/{supplier}", headers=manager)
        assert r.status_code == 204
    assert (await http.delete(f"/api/v1/catalog/sync-schedules/{supplier}", headers=manager)).status_code == 404
