"""What the parties do over HTTP, for the integration tests; and fixtures for the tests that also
set up data directly in the API's database (import them into the test module)."""

import asyncio
import json
import uuid
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from demo.seed import DELIVERY_UNITS

SECRETS = {unit.id: unit.webhook_secret for unit in DELIVERY_UNITS}
SWITCH = {"sku": "SW-24-PRO", "quantity": 1, "configuration": {"hw_version": "B2", "sw_version": "8.0"}}
CABLES = {"sku": "CBL-CAT6-5M", "quantity": 10}
INSTALL = {"sku": "SVC-INSTALL-ONSITE", "quantity": 1}


def signed(
    unit: str, body: dict, webhook_id: str | None = None, secret: str | None = None, at: datetime | None = None
) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(body)
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret or SECRETS[unit]).sign(webhook_id, at, payload)
    return payload.encode(), {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


async def place(http, headers, *lines, key: str | None = None, **extra):
    h = dict(headers)
    if key:
        h["Idempotency-Key"] = key
    return await http.post("/api/v1/orders", json={"lines": list(lines), **extra}, headers=h)


async def order_until(http, headers, order_id: str, predicate, attempts: int = 300) -> dict:
    """Polls the status document until `predicate(doc)` holds: the order moves on asynchronously."""
    doc = {}
    for _ in range(attempts):
        r = await http.get(f"/api/v1/orders/{order_id}", headers=headers)
        if r.status_code == 200:
            doc = r.json()
            if predicate(doc):
                return doc
        await asyncio.sleep(0.05)
    raise AssertionError(
        f"order {order_id} never reached the condition; last: {doc.get('status')} {doc.get('timeline')}"
    )


async def webhook(http, unit: str, suborder_id: str, event: str, webhook_id: str | None = None, **data):
    body, headers = signed(
        unit, {"type": f"suborder.{event}", "suborder_id": suborder_id, "data": data}, webhook_id=webhook_id
    )
    return await http.post(f"/api/v1/webhooks/partners/{unit}", content=body, headers=headers)


async def deliver_all(http, doc: dict) -> None:
    for sub in doc["suborders"]:
        for event in ("accepted", "shipped", "delivered"):
            r = await webhook(http, sub["partner_id"], sub["suborder_id"], event)
            assert r.status_code == 200, r.text
