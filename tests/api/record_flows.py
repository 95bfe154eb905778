"""Helpers for the tests of the order record over HTTP: an order run to PAID, Temporal's side of an
order (its workflow's state, deleting its history as the retention would), and a second API
process on the same database."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from decimal import Decimal

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from api.app import create_app
from core import temporal_names as names
from core.settings import Settings
from tests.api.flows import CABLES, SWITCH, deliver_all, order_until, place
from tests.catalog.data import add_customer
from tests.catalog.rules_data import add_user
from tests.system import served

OVER_LIMIT = {**SWITCH, "quantity": 4}  # 5800.00 net: over buyer@acme's 5000.00, the approver decides


def fresh_customer(app_db, demo_hash: str, roles: tuple[str, ...] = ("buyer",)) -> tuple[str, str]:
    """A customer of its own (no other test orders for it), under contract for cables at 4.00, and
    its user's e-mail (password "demo"): lists of its orders hold only the test's."""
    customer, _ = add_customer(app_db, contract=(date(2025, 1, 1), date(2030, 12, 31)), prices={"CBL-CAT6-5M": "4.00"})
    return customer, add_user(app_db, customer, list(roles), password_hash=demo_hash).id


async def invoiced_order(http, login, key: str, **extra) -> tuple[dict, dict]:
    """An order through approval and two units' deliveries to its invoice; returns the request body
    it was placed with (Idempotency-Key: `key`) and its document, INVOICED."""
    buyer, approver = await login("buyer@acme.example"), await login("approver@acme.example")
    r = await place(http, buyer, OVER_LIMIT, CABLES, key=key, **extra)
    assert r.status_code == 202, r.text
    order_id = r.json()["order_id"]
    await order_until(http, buyer, order_id, lambda d: d["status"] == "AWAITING_CUSTOMER_APPROVAL")
    r = await http.post(
        f"/api/v1/orders/{order_id}/approval", json={"decision": "approve", "comment": "ok"}, headers=approver
    )
    assert r.status_code == 200, r.text
    doc = await order_until(http, buyer, order_id, lambda d: len(d["suborders"]) == 2)
    await deliver_all(http, doc)
    doc = await order_until(http, buyer, order_id, lambda d: d["status"] == "INVOICED")
    return {"lines": [OVER_LIMIT, CABLES], **extra}, doc


async def pay(http, login, invoice_id: str, amount: str, reference: str):
    return await http.post(
        f"/api/v1/invoices/{invoice_id}/payments",
        json={"amount": amount, "reference": reference},
        headers=await login("finance@seller.example"),
    )


async def paid_order(http, login, key: str, **extra) -> tuple[dict, dict, dict]:
    """An order through every step (approval, two units deliver, invoice, payment in full) to PAID;
    returns the request body it was placed with, its final document and the payment's answer."""
    body, doc = await invoiced_order(http, login, key, **extra)
    invoice = doc["invoices"][0]
    r = await pay(http, login, invoice["invoice_id"], invoice["gross_total"], f"BANK-{key}")
    assert r.status_code == 200, r.text
    doc = await order_until(http, await login("buyer@acme.example"), doc["order_id"], lambda d: d["status"] == "PAID")
    assert Decimal(doc["paid_total"]) == Decimal(invoice["gross_total"])
    return body, doc, r.json()


async def workflow_status(client: Client, workflow_id: str) -> WorkflowExecutionStatus | None:
    """The workflow's status; None when Temporal has no such workflow (any more)."""
    try:
        return (await client.get_workflow_handle(workflow_id).describe()).status
    except RPCError as err:
        if err.status == RPCStatusCode.NOT_FOUND:
            return None
        raise


async def until_closed(client: Client, workflow_id: str) -> WorkflowExecutionStatus:
    for _ in range(200):
        status = await workflow_status(client, workflow_id)
        if status not in (None, WorkflowExecutionStatus.RUNNING):
            return status
        await asyncio.sleep(0.05)
    raise AssertionError(f"{workflow_id} did not close")


async def delete_history(client: Client, workflow_id: str) -> None:
    """Deletes the workflow and its history, as Temporal does after the namespace's retention, and
    waits until Temporal no longer knows it."""
    await client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=client.namespace, workflow_execution=WorkflowExecution(workflow_id=workflow_id)
        )
    )
    for _ in range(200):
        if await workflow_status(client, workflow_id) is None:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{workflow_id} was not deleted")


def workflow_ids(doc: dict) -> list[str]:
    """The order's workflow and its sub-orders'."""
    ids = [names.order_workflow_id(doc["order_id"])]
    return ids + [names.suborder_workflow_id(s["suborder_id"]) for s in doc["suborders"]]


async def order_closed(client: Client, doc: dict) -> None:
    """Waits until the order's and its sub-orders' workflows have closed."""
    for workflow_id in workflow_ids(doc):
        await until_closed(client, workflow_id)


async def delete_order_history(client: Client, doc: dict) -> None:
    """The order's and its sub-orders' workflows, closed, then deleted."""
    await order_closed(client, doc)
    for workflow_id in workflow_ids(doc):
        await delete_history(client, workflow_id)


@asynccontextmanager
async def another_api(settings: Settings) -> AsyncIterator[str]:
    """The API once more, in its own uvicorn thread with other settings; yields its base URL."""
    async with served(create_app(settings)) as base:
        yield base
