"""A delivery unit's view of its sub-orders: where to deliver and whom to call, never what the
customer pays, in the API (one sub-order, the list) and in the signed webhook to the unit's backend."""

import asyncio
import base64
import json
import os
import queue
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks.webhooks import Webhook

from accounts.tables import User
from core.database import session_scope
from partners.tables import DeliveryUnit
from tests.api.flows import CABLES, SWITCH, order_until, place, webhook

ADDRESS = "ACME Logistik, Tor 3, Hafenstrasse 1, 20457 Hamburg"


def keys(value: object) -> set[str]:
    """Every key of a JSON document, however deep."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


PRICE_KEYS = {"unit_price", "line_total", "vat_amount", "vat_rate", "net_total", "gross_total", "vat_total"}


def assert_no_prices(document: object, *amounts: str) -> None:
    """No price field, and none of the customer's `amounts` as a value (money is a decimal string)."""
    assert not keys(document) & PRICE_KEYS, keys(document) & PRICE_KEYS
    text = json.dumps(document)
    assert "price" not in text
    assert not [amount for amount in amounts if json.dumps(amount) in text], text


class Backend:
    """A unit's backend: a real HTTP server in a thread that keeps what it receives."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[dict[str, str], bytes]] = queue.Queue()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                received.put(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/o2c/events"

    async def next_message(self, timeout: float = 10) -> tuple[dict[str, str], bytes]:
        """The next request it received (waiting without blocking the event loop the worker runs in)."""
        for _ in range(int(timeout / 0.05)):
            try:
                return self.received.get_nowait()
            except queue.Empty:
                await asyncio.sleep(0.05)
        raise AssertionError("the unit's backend received nothing")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def backend_unit(app_db, demo_hash) -> Iterator[tuple[str, str, str, Backend]]:
    """A delivery unit with a backend (its webhook URL is the test's server), its signing secret and
    its user's e-mail; afterwards the unit works in the portal only."""
    backend = Backend()
    unit = f"unit-{uuid.uuid4().hex[:8]}"
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    email = f"ops@{unit}.example"
    with session_scope(app_db) as session:
        session.add(DeliveryUnit(id=unit, name=f"Test unit {unit}", webhook_url=backend.url, webhook_secret=secret))
        session.flush()
        session.add(
            User(email=email, name="Unit ops", password_hash=demo_hash, delivery_unit_id=unit, roles=["fulfilment"])
        )
    try:
        yield unit, secret, email, backend
    finally:
        with session_scope(app_db) as session:
            row = session.get(DeliveryUnit, unit)
            assert row is not None
            row.webhook_url = None
        backend.close()


async def test_a_unit_sees_where_to_deliver_and_whom_to_call_but_no_prices(http, login):
    buyer, ops = await login("buyer@acme.example"), await login("ops@netpartner.example")
    contact = "Max Lager, +49 40 555 0101"
    r = await place(http, buyer, SWITCH, CABLES, delivery_address=ADDRESS, delivery_contact=contact)
    assert r.status_code == 202, r.text
    order_id = r.json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 2)
    assert (doc["delivery_address"], doc["delivery_contact"]) == (ADDRESS, contact)
    sid = next(s["suborder_id"] for s in doc["suborders"] if s["partner_id"] == "netpartner")

    r = await http.get(f"/api/v1/suborders/{sid}", headers=ops)
    assert r.status_code == 200, r.text
    sub = r.json()
    assert (sub["delivery_address"], sub["delivery_contact"]) == (ADDRESS, contact)
    assert [(li["sku"], li["quantity"]) for li in sub["lines"]] == [("SW-24-PRO", 1)]
    assert_no_prices(sub, "1450.00", "1725.50", "275.50")  # the switch's net, gross and VAT

    r = await http.get("/api/v1/suborders", headers=ops)
    assert r.status_code == 200, r.text
    [listed] = [s for s in r.json() if s["suborder_id"] == sid]
    assert (listed["delivery_address"], listed["delivery_contact"]) == (ADDRESS, contact)
    assert_no_prices(r.json(), "1450.00", "1725.50", "275.50")


async def test_without_a_contact_the_unit_calls_the_buyer(http, login):
    buyer, warehouse = await login("buyer@acme.example"), await login("ops@warehouse.example")
    order_id = (await place(http, buyer, CABLES, delivery_address=ADDRESS)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    sid = doc["suborders"][0]["suborder_id"]
    sub = (await http.get(f"/api/v1/suborders/{sid}", headers=warehouse)).json()
    assert (sub["delivery_address"], sub["delivery_contact"]) == (ADDRESS, "buyer@acme.example")
    [listed] = [s for s in (await http.get("/api/v1/suborders", headers=warehouse)).json() if s["suborder_id"] == sid]
    assert (listed["delivery_address"], listed["delivery_contact"]) == (ADDRESS, "buyer@acme.example")
    assert_no_prices(sub)
    assert_no_prices(listed)


async def test_the_webhook_to_a_units_backend_carries_the_address_and_no_prices(http, login, backend_unit):
    unit, secret, email, backend = backend_unit
    buyer, expert = await login("buyer@acme.example"), await login("expert@seller.example")
    order_id = (await place(http, buyer, CABLES, delivery_address=ADDRESS)).json()["order_id"]
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 1)
    first = doc["suborders"][0]["suborder_id"]
    assert (await webhook(http, "central-warehouse", first, "rejected", reason="out of stock")).status_code == 200
    await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_EXPERT_APPROVAL")
    r = await http.post(
        f"/api/v1/orders/{order_id}/suborders/{first}/decision",
        json={"action": "reassign", "partner_id": unit},
        headers=expert,
    )
    assert r.status_code == 200, r.text

    headers, body = await backend.next_message()  # the unit's backend is told at once
    Webhook(secret).verify(body, headers)  # signed with the unit's secret
    message = json.loads(body)
    assert message["type"] == "suborder.created"
    sid = message["suborder_id"]
    data = message["data"]
    assert (data["suborder_id"], data["order_id"], data["partner_id"]) == (sid, order_id, unit)
    assert (data["delivery_address"], data["delivery_contact"]) == (ADDRESS, "buyer@acme.example")
    assert [(li["sku"], li["quantity"]) for li in data["lines"]] == [("CBL-CAT6-5M", 10)]
    assert_no_prices(message, "4.20", "42.00", "49.98")  # the cables' unit price, net and gross

    # the unit's people see the same in the API
    ops = await login(email)
    sub = (await http.get(f"/api/v1/suborders/{sid}", headers=ops)).json()
    assert (sub["partner_id"], sub["delivery_address"], sub["delivery_contact"]) == (
        unit,
        ADDRESS,
        "buyer@acme.example",
    )
    listed = (await http.get("/api/v1/suborders", headers=ops)).json()
    assert [s["suborder_id"] for s in listed] == [sid]
    assert (listed[0]["delivery_address"], listed[0]["delivery_contact"]) == (ADDRESS, "buyer@acme.example")
    assert_no_prices(sub)
    assert_no_prices(listed)
