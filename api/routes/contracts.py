"""Framework contracts and their call-off consumption, for the seller's staff and the customer."""

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep
from api.problems import Problem
from api.security import CurrentActor, require_role
from contracts import call_offs
from contracts import consumption as contracts
from contracts import terms as contract_terms
from contracts.tables import Contract
from core.database import session_scope
from customers.tree import customer_chain
from models.actors import Actor
from models.contracts import CallOff, ContractItemTerms, ContractSummary, ContractTermsUpdate, ContractUsage
from models.customer_rules import Printable, possible_key

router = APIRouter(prefix="/api/v1/contracts", tags=["contracts"])
Id = Annotated[str, Path(min_length=1, max_length=64), Printable]  # contract ids and SKUs (64 in the tables)


def visible_customers(session, actor: Actor) -> list[str] | None:
    """Whose contracts the actor sees: the seller's staff all (None), a customer's users their
    customer's and its parents' (a subsidiary calls off against the parent's contract)."""
    if actor.customer_id is not None:
        return [customer.id for customer in customer_chain(session, actor.customer_id)]
    if actor.is_seller_staff:
        return None
    raise Problem(403, "Delivery units have no contracts")


def _list(engine, actor: Actor, customer_id: str | None) -> list[ContractSummary]:
    with session_scope(engine) as session:
        customers = visible_customers(session, actor)
        if customer_id is not None:
            customers = [customer_id] if customers is None or customer_id in customers else []
        return contracts.summaries(session, customers)


def _visible_contract(session, actor: Actor, contract_id: str) -> Contract:
    """The contract if the actor may see it; else 404, as if it did not exist."""
    if not possible_key(contract_id):
        # no such id can exist; the pages call this without the path parameter's checks
        raise Problem(404, "contract not found")
    customers = visible_customers(session, actor)
    contract = session.get(Contract, contract_id)
    if contract is None or (customers is not None and contract.customer_id not in customers):
        raise Problem(404, f"contract {contract_id} not found")
    return contract


def _get(engine, actor: Actor, contract_id: str) -> ContractUsage:
    with session_scope(engine) as session:
        _visible_contract(session, actor, contract_id)
        return contracts.usage(session, contract_id)


@router.get(
    "",
    response_model=list[ContractSummary],
    summary="The contracts the caller may see, with what call-offs have consumed of them",
)
async def list_contracts(
    actor: CurrentActor,
    engine: EngineDep,
    customer_id: Annotated[str | None, Query(max_length=64, description="only this customer's"), Printable] = None,
) -> list[ContractSummary]:
    return await run_in_threadpool(_list, engine, actor, customer_id)


@router.get(
    "/{contract_id}",
    response_model=ContractUsage,
    summary="One contract: validity, currency, items with price, agreed quantity, value cap, "
    "consumed and remaining, and the totals",
)
async def get_contract(contract_id: Id, actor: CurrentActor, engine: EngineDep) -> ContractUsage:
    return await run_in_threadpool(_get, engine, actor, contract_id)


def _edit(engine, actor: Actor, contract_id: str, change) -> ContractUsage:
    # the role alone is not enough: a customer's user must never change contract terms
    if not actor.is_seller_staff:
        raise Problem(403, "Contract terms are edited by the seller's catalog managers")
    require_role(actor, "catalog_manager")
    try:
        change()
    except contract_terms.ContractNotFound as exc:
        raise Problem(404, f"contract {contract_id} not found") from exc
    except contract_terms.InvalidTerms as exc:
        raise Problem(422, str(exc), field=exc.field) from exc
    return _get(engine, actor, contract_id)


@router.patch(
    "/{contract_id}",
    response_model=ContractUsage,
    summary="Change a contract's terms (catalog managers): validity, tolerance, on_exceed, "
    "value cap, payment terms; only the fields sent change",
)
async def update_contract(
    contract_id: Id, body: ContractTermsUpdate, actor: CurrentActor, engine: EngineDep
) -> ContractUsage:
    return await run_in_threadpool(
        _edit,
        engine,
        actor,
        contract_id,
        lambda: contract_terms.update_terms(engine, contract_id, body, actor=actor.id),
    )


@router.put(
    "/{contract_id}/items/{sku}",
    response_model=ContractUsage,
    summary="Add an item to a contract or change its price, agreed quantity and value cap (catalog managers)",
)
async def put_contract_item(
    contract_id: Id, sku: Id, body: ContractItemTerms, actor: CurrentActor, engine: EngineDep
) -> ContractUsage:
    return await run_in_threadpool(
        _edit,
        engine,
        actor,
        contract_id,
        lambda: contract_terms.set_item(engine, contract_id, sku, body, actor=actor.id),
    )


def _call_offs(engine, actor: Actor, contract_id: str, status: str | None, limit: int) -> list[CallOff]:
    with session_scope(engine) as session:
        contract = _visible_contract(session, actor, contract_id)
        if actor.customer_id is not None and actor.customer_id != contract.customer_id:
            # a subsidiary calls off its parent's contract, but the parent's orders are not its business
            raise Problem(403, f"the call-offs of {contract_id} are shown to {contract.customer_id}'s users")
        return call_offs.call_offs(session, contract_id, status=status, limit=limit)


@router.get(
    "/{contract_id}/call-offs",
    response_model=list[CallOff],
    summary="The orders that called off the contract, newest first: what each consumed, and "
    "whether it still counts (a cancelled or rejected order released it)",
)
async def list_call_offs(
    contract_id: Id,
    actor: CurrentActor,
    engine: EngineDep,
    status: Annotated[Literal["active", "released"] | None, Query(description="only these")] = None,
    limit: Annotated[int, Query(ge=1, le=call_offs.MAX_LIMIT)] = 100,
) -> list[CallOff]:
    return await run_in_threadpool(_call_offs, engine, actor, contract_id, status, limit)
