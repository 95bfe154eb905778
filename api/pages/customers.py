"""Customers and their catalog rules, read-only: the customers the signed-in user may see (the
API's visibility rule: the seller's staff all, a customer's users their own tree without their
siblings) as a tree, and one customer with its parents and subsidiaries, the contract in force, its
own price lists, role rules and limits, part numbers and special items (or whose it inherits), and
for the seller's catalog managers, experts and finance the latest entries of the audit trail.
Editing stays with the API and the CLI (`order2cash customers ...`)."""

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import deps
from api.pages.common import page, render
from api.problems import Problem
from core.errors import NotFound
from customers import service as customers
from models.actors import Actor
from models.customer_rules import CustomerSummary, possible_key

router = APIRouter()

CHANGES_SHOWN = 20
# the customer's own rules the page shows, by kind
RULE_READS = {
    "price_lists": customers.price_lists_of,
    "role_rules": customers.role_rules,
    "role_limits": customers.role_limits,
    "part_numbers": customers.part_numbers,
    "special_items": customers.special_items,
}


def tree(rows: list[CustomerSummary]) -> list[tuple[int, CustomerSummary]]:
    """The customers in tree order with their depth: subsidiaries under their parent (a customer
    whose parent is not shown is a root; a cycle is cut where it closes)."""
    ids = {row.customer_id for row in rows}
    children: dict[str | None, list[CustomerSummary]] = {}
    for row in rows:
        children.setdefault(row.parent_id if row.parent_id in ids else None, []).append(row)
    ordered: list[tuple[int, CustomerSummary]] = []
    seen: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for row in children.get(parent, []):
            if row.customer_id not in seen:
                seen.add(row.customer_id)
                ordered.append((depth, row))
                walk(row.customer_id, depth + 1)

    walk(None, 0)
    ordered += [(0, row) for row in rows if row.customer_id not in seen]  # only in a cycle
    return ordered


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + "; ".join(_short(v) for v in value) + "]"
    return "-" if value is None else str(value)


def compact(before: Any, after: Any, limit: int = 160) -> str:
    """A change in one line: of two records only the fields that differ, else both whole."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
        before, after = ({k: before.get(k) for k in keys}, {k: after.get(k) for k in keys})
    text = (
        f"{_short(before) if before is not None else '(none)'} → {_short(after) if after is not None else '(deleted)'}"
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _checked(customer_id: str) -> str:
    """An id that cannot exist (too long, control characters) is simply not found."""
    if not possible_key(customer_id):
        raise Problem(404, "customer not found")
    return customer_id


@router.get("/customers")
@page()
async def customers_page(request: Request) -> Response:
    actor: Actor = request.state.actor
    rows = await run_in_threadpool(customers.list_customers, deps.engine(request), actor)
    return render(request, "customers.html", {"rows": tree(rows)})


@router.get("/customers/{customer_id}")
@page()
async def customer_page(request: Request, customer_id: str) -> Response:
    actor: Actor = request.state.actor
    engine = deps.engine(request)
    customer = await run_in_threadpool(customers.customer_detail, engine, actor, _checked(customer_id))  # 404 first
    rules: dict[str, Any] = {}
    for kind, read in RULE_READS.items():
        try:
            rules[kind] = await run_in_threadpool(read, engine, actor, customer_id)
        except NotFound:  # a subsidiary's users do not read a parent's special items
            rules[kind] = None
    changes = None
    if customers.may_read_changes(actor):
        page_of = await run_in_threadpool(
            partial(customers.changes, engine, actor, customer_id=customer_id, limit=CHANGES_SHOWN)
        )
        changes = page_of.changes
    return render(request, "customer.html", {"c": customer, "rules": rules, "changes": changes, "compact": compact})
