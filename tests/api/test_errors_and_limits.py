"""Every answer a clear problem: 500s without internals (logged under the error id the answer
carries), unknown paths and methods, out-of-range ids; and bounded request bodies (413), the
partners' webhooks checked before their signature, catalog imports with a larger limit. All over
real HTTP: the running system, or an app of the test's own served by uvicorn."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import Depends, FastAPI

from api.app import create_app
from core.settings import Settings
from tests.api.flows import CABLES, order_until, place, signed
from tests.system import served

PROBLEM = "application/problem+json"
SECRET_TEXT = "connection string postgresql://app:hunter2@db"  # what a failure must never show


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app on a free port in a uvicorn thread, and a client for it."""
    async with served(app) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        yield client


def failing() -> None:
    raise RuntimeError(SECRET_TEXT)


@pytest.fixture(scope="module")
async def failing_app(dev_env, api_settings):
    """The real app with three routes that fail: in the handler, in a dependency, on a page."""
    app = create_app(api_settings, client=dev_env.client)

    @app.get("/api/v1/test-failure")
    async def api_failure() -> None:
        failing()

    @app.get("/api/v1/test-failing-dependency")
    async def dependency_failure(_: None = Depends(failing)) -> None:
        return None

    @app.get("/test-failing-page")
    async def page_failure() -> None:
        failing()

    async with serving(app) as client:
        yield client


async def test_an_unhandled_error_is_a_500_problem_without_internals_logged_under_its_id(failing_app, caplog):
    caplog.set_level(logging.ERROR, logger="api.problems")
    for path in ("/api/v1/test-failure", "/api/v1/test-failing-dependency"):
        r = await failing_app.get(path)
        assert r.status_code == 500 and r.headers["content-type"] == PROBLEM
        problem = r.json()
        assert problem["title"] == "Internal server error" and problem["instance"] == path
        assert problem["error_id"] in problem["detail"]
        assert "hunter2" not in r.text and "RuntimeError" not in r.text and "Traceback" not in r.text
        logged = [rec for rec in caplog.records if problem["error_id"] in rec.getMessage()]
        assert logged and logged[0].exc_info and SECRET_TEXT in str(logged[0].exc_info[1])


async def test_a_page_that_fails_shows_the_html_error_page_with_the_id(failing_app):
    r = await failing_app.get("/test-failing-page", headers={"Accept": "text/html"})
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in r.text and "logged as" in r.text and "hunter2" not in r.text
    r = await failing_app.get("/test-failing-page")  # a script, not a browser: the problem
    assert r.status_code == 500 and r.headers["content-type"] == PROBLEM


async def test_unknown_paths_and_methods_are_problems(http, login):
    r = await http.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.headers["content-type"] == PROBLEM
    assert r.json()["detail"] == "There is nothing at /api/v1/no-such-thing"
    r = await http.get("/no-such-page", headers={"Accept": "text/html"})
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html") and "Not found" in r.text
    r = await http.put("/api/v1/contracts/ACME-FC-2026", json={}, headers=await login("catalog@seller.example"))
    assert r.status_code == 405 and r.headers["content-type"] == PROBLEM
    assert r.headers["allow"] == "GET, PATCH" and "allowed: GET, PATCH" in r.json()["detail"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/catalog/versions/99999999999999999999",
        "/api/v1/catalog/versions/99999999999999999999/items",
        "/api/v1/catalog/versions/99999999999999999999/diff",
        "/api/v1/catalog/versions/99999999999999999999/quality",
        "/api/v1/catalog/versions/1/diff?base=99999999999999999999",
        "/api/v1/catalog/versions/1/items?offset=99999999999999999999",
        "/api/v1/catalog/items?offset=99999999999999999999",
        "/api/v1/catalog/items?offset=9223372036854775806",  # offset + limit overflowed (schemathesis)
        "/api/v1/catalog/changes?before_id=99999999999999999999",
        "/api/v1/catalog/versions/2147483648",  # the key is INTEGER: PostgreSQL refused it (a 500)
        "/api/v1/catalog/versions/1/diff?base=2147483648",
        "/api/v1/catalog/versions/0",
    ],
)
async def test_ids_and_offsets_out_of_range_are_422_naming_the_parameter(http, login, path):
    """They used to reach the database and overflow it (500)."""
    r = await http.get(path, headers=await login("catalog@seller.example"))
    assert r.status_code == 422, r.text
    assert r.json()["field"] in ("version_id", "base", "offset", "before_id")


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("GET", "/api/v1/invoices/%00", "invoice_id"),
        ("GET", "/api/v1/suborders/A%00B", "suborder_id"),
        ("POST", "/api/v1/webhooks/partners/%00", "partner_id"),
        ("GET", "/api/v1/orders?customer_reference=PO%001", "customer_reference"),
        ("GET", "/api/v1/catalog/items?q=%0D%0A", "q"),
    ],
)
async def test_a_control_character_in_a_path_or_query_is_a_422_naming_where(http, login, method, path, field):
    """PostgreSQL refuses NUL in text: these reached it and answered 500 (found by review)."""
    r = await http.request(method, path, headers=await login("finance@seller.example"))
    assert r.status_code == 422 and r.json()["field"] == field, r.text


async def test_out_of_range_version_ids_in_writes_are_422(http, login):
    headers = await login("catalog@seller.example")
    big = 2**31  # past the INTEGER key (and past 64 bits: 2**64 was a 500 on SQLite too)
    for method, path in (
        ("DELETE", f"/api/v1/catalog/versions/{big}"),
        ("POST", f"/api/v1/catalog/versions/{big}/publish"),
        ("POST", f"/api/v1/catalog/versions/{big}/unpublish"),
        ("DELETE", f"/api/v1/catalog/versions/{big}/items/CBL-CAT6-5M"),
    ):
        r = await http.request(method, path, headers=headers)
        assert r.status_code == 422 and r.json()["field"] == "version_id", (method, path, r.text)


# --- request body limits ------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def small_limits(dev_env, api_settings):
    """The real app with small limits, so that a test's bodies stay small."""
    settings = api_settings.model_copy(
        update={"max_request_body": 4096, "max_webhook_body": 1024, "max_import_body": 64 * 1024}
    )
    async with serving(create_app(settings, client=dev_env.client)) as client:
        yield client


def chunks(total: int, size: int = 512):
    """A body without Content-Length (chunked transfer encoding), as a streaming client sends it."""

    async def stream():
        for start in range(0, total, size):
            yield b"x" * min(size, total - start)

    return stream()


def assert_too_large(r: httpx.Response, limit: int) -> None:
    assert r.status_code == 413, r.text
    assert r.headers["content-type"] == PROBLEM and r.json()["max_bytes"] == limit


async def test_a_body_over_the_default_limit_is_413_declared_or_chunked(small_limits):
    r = await small_limits.post("/api/v1/auth/token", content=b"x" * 5000)
    assert_too_large(r, 4096)
    form = {"content-type": "application/x-www-form-urlencoded"}
    assert_too_large(await small_limits.post("/api/v1/auth/token", content=chunks(10_000), headers=form), 4096)
    json_body = {"content-type": "application/json"}
    assert_too_large(await small_limits.post("/api/v1/orders", content=chunks(10_000), headers=json_body), 4096)
    r = await small_limits.post("/api/v1/auth/token", data={"username": "nobody@example.com", "password": "x"})
    assert r.status_code == 401  # under the limit: the route answers


async def test_a_webhook_over_its_limit_is_413_before_the_signature_is_checked(small_limits):
    path = "/api/v1/webhooks/partners/central-warehouse"
    r = await small_limits.post(path, content=b"{" + b" " * 2000 + b"}")
    assert_too_large(r, 1024)  # unsigned: refused for its size, not its signature
    r = await small_limits.post(path, content=chunks(3000))
    assert_too_large(r, 1024)
    r = await small_limits.post(path, content=b"{}")
    assert r.status_code == 401  # small and unsigned: the signature check refuses it


async def test_catalog_imports_take_more_than_the_default(small_limits):
    files = {"file": ("catalog.csv", b"sku;name\n" + b"x" * 20_000, "text/csv")}
    r = await small_limits.post("/api/v1/catalog/versions/1/import", files=files)
    assert r.status_code == 401  # past the default limit, within the import's: the route answers
    files = {"file": ("catalog.csv", b"x" * 70_000, "text/csv")}
    assert_too_large(await small_limits.post("/api/v1/catalog/versions/1/import", files=files), 64 * 1024)


async def test_an_oversized_signed_webhook_has_no_effect(http, login, api_settings):
    """A signed event past MAX_WEBHOOK_BODY (256 KiB by default) changes nothing; its webhook id is
    not used up either: the same event, small, is then processed."""
    buyer = await login("buyer@acme.example")
    order_id = (await place(http, buyer, CABLES)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    sid = doc["suborders"][0]["suborder_id"]
    padding = "x" * (api_settings.max_webhook_body + 1)
    event = {"type": "suborder.accepted", "suborder_id": sid, "data": {"note": padding}}
    body, headers = signed("central-warehouse", event, webhook_id=f"msg_big_{sid}")
    r = await http.post("/api/v1/webhooks/partners/central-warehouse", content=body, headers=headers)
    assert_too_large(r, api_settings.max_webhook_body)
    doc = await order_until(http, buyer, order_id, lambda d: True)
    assert doc["suborders"][0]["status"] == "SENT"
    body, headers = signed("central-warehouse", {**event, "data": {"note": "small"}}, webhook_id=f"msg_big_{sid}")
    r = await http.post("/api/v1/webhooks/partners/central-warehouse", content=body, headers=headers)
    assert r.status_code == 200 and r.json()["status"] == "processed", r.text


def _unbounded(schema: dict, where: str, components: dict, seen: frozenset = frozenset()) -> list[str]:
    """The integers and numbers in a JSON schema without an upper bound."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return [] if name in seen else _unbounded(components[name], f"{where}<{name}>", components, seen | {name})
    found = []
    if schema.get("type") in ("integer", "number") and not {"maximum", "exclusiveMaximum"} & schema.keys():
        found.append(where)
    for key in ("anyOf", "oneOf", "allOf"):
        for part in schema.get(key, []):
            found += _unbounded(part, where, components, seen)
    for name, part in schema.get("properties", {}).items():
        found += _unbounded(part, f"{where}.{name}", components, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found += _unbounded(schema[key], f"{where}[]", components, seen)
    return found


def test_every_number_the_api_takes_has_an_upper_bound():
    """Ids, offsets, quantities and amounts: an unbounded one overflows a database column (a 500,
    or an activity that retries for ever) instead of answering 422."""
    spec = create_app(Settings(jwt_secret="openapi")).openapi()  # the schema alone: nothing runs
    components = spec["components"]["schemas"]
    unbounded = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            here = f"{method.upper()} {path}"
            for parameter in operation.get("parameters", []):
                found = _unbounded(parameter["schema"], f"{here} {parameter['name']}", components)
                unbounded += found
            for content in operation.get("requestBody", {}).get("content", {}).values():
                unbounded += _unbounded(content["schema"], f"{here} body", components)
    assert unbounded == []
