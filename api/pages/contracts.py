"""Framework contracts: the list of the contracts the signed-in user may see (the API's visibility
rule: a customer's users their customer's and its parents', the seller's staff all), one contract
with what call-offs consumed of it item by item, and the catalog managers' form for its terms
(the cash discount among them)."""

from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from api import deps, problems
from api.pages.common import page, redirect, render
from api.problems import Problem
from contracts import service as contracts
from core.errors import DomainError, Forbidden
from models.actors import Actor
from models.contracts import ContractTermsUpdate

router = APIRouter()

TERM_FIELDS = ("valid_from", "valid_to", "tolerance_percent", "on_exceed", "discount_days", "discount_percent")
NO_DISCOUNT = {"discount_days": None, "discount_percent": None}
ON_EXCEED = {"reject": "reject the order", "expert": "let the seller's expert decide"}
CALL_OFFS_SHOWN = 50


def share(consumed: Any, limit: Any) -> int | None:
    """Consumed as a whole percentage of `limit` (None: no limit to measure against)."""
    if limit is None or Decimal(str(limit)) <= 0:
        return None
    return int((Decimal(str(consumed or 0)) * 100 / Decimal(str(limit))).to_integral_value())


def may_edit_terms(actor: Actor) -> bool:
    """Whether to offer the terms form (PATCH /api/v1/contracts/{id} decides for real): the seller's
    catalog managers; a customer's user given the role by mistake manages nothing."""
    return actor.is_seller_staff and "catalog_manager" in actor.roles


def contract_url(contract_id: str) -> str:
    """The contract page's path: the id quoted (ids come from the ERP: spaces, ?, # and % occur)."""
    return "/contracts/" + quote(contract_id, safe="")


@router.get("/contracts")
@page()
async def contracts_page(request: Request) -> Response:
    actor: Actor = request.state.actor
    rows = await run_in_threadpool(contracts.list_contracts, deps.engine(request), actor)
    return render(request, "contracts.html", {"rows": rows, "share": share})


@router.get("/contracts/{contract_id}")
@page()
async def contract_page(request: Request, contract_id: str) -> Response:
    actor: Actor = request.state.actor
    engine = deps.engine(request)
    contract = await run_in_threadpool(contracts.get_contract, engine, actor, contract_id)
    try:
        orders = await run_in_threadpool(contracts.call_offs, engine, actor, contract_id, None, CALL_OFFS_SHOWN)
    except Forbidden:  # a subsidiary's user: the parent's orders are not shown
        orders = None
    return render(
        request,
        "contract.html",
        {
            "contract": contract,
            "share": share,
            "may_edit": may_edit_terms(actor),
            "on_exceed_labels": ON_EXCEED,
            "call_offs": orders,
            "tolerance": f"{contract.tolerance_percent.normalize():f}",
            "discount": "" if contract.discount_percent is None else f"{contract.discount_percent.normalize():f}",
        },
    )


@router.post("/contracts/{contract_id}/terms")
@page(back="/contracts/{contract_id}")
async def terms_submit(request: Request, contract_id: str) -> Response:
    actor: Actor = request.state.actor
    engine = deps.engine(request)
    current = await run_in_threadpool(contracts.get_contract, engine, actor, contract_id)  # 404 first
    form = await request.form()
    sent = {name: str(form.get(name, "")).strip() for name in TERM_FIELDS}
    # the form carries the terms as it showed them (shown_*): a field left as shown is not sent, so
    # saving a form never undoes what someone else changed since it was loaded
    shown = {name: str(form[f"shown_{name}"]).strip() for name in TERM_FIELDS if f"shown_{name}" in form}
    wanted = ContractTermsUpdate(**{name: value for name, value in sent.items() if value and value != shown.get(name)})
    # only what differs from the terms now is sent, as a PATCH would (an empty field is not "clear it":
    # the "no cash discount" box clears the discount)
    changes = {
        name: getattr(wanted, name)
        for name in wanted.model_fields_set
        if getattr(wanted, name) != getattr(current, name)
    }
    if form.get("no_discount") and current.discount_days is not None:
        changes.update(NO_DISCOUNT)
    body = ContractTermsUpdate(**changes)
    try:
        contract = await run_in_threadpool(contracts.update_terms, engine, actor, contract_id, body)
    except DomainError as exc:  # the message names the field, as the API's `field` does
        problem = problems.from_domain(exc)
        if exc.field and not problem.detail.startswith(exc.field):
            raise Problem(problem.status, f"{exc.field}: {problem.detail}", field=exc.field) from exc
        raise
    changed = ", ".join(name for name in TERM_FIELDS if name in body.model_fields_set)
    return redirect(
        contract_url(contract_id),
        ("ok", f"Terms of {contract.contract_id} changed: {changed}." if changed else "Nothing changed."),
    )
