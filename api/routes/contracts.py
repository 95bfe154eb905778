"""Framework contracts and their call-off consumption, for the seller's staff and the customer
(contracts.service)."""

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep
from api.security import CurrentActor
from contracts import service as contracts
from models.contracts import (
    CallOff,
    ContractCreate,
    ContractItemTerms,
    ContractSummary,
    ContractTermsUpdate,
    ContractUsage,
)
from models.customer_rules import Printable

router = APIRouter(prefix="/api/v1/contracts", tags=["contracts"])
Id = Annotated[str, Path(min_length=1, max_length=64), Printable]  # contract ids and SKUs (64 in the tables)


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
    return await run_in_threadpool(contracts.list_contracts, engine, actor, customer_id)


@router.post(
    "",
    response_model=ContractUsage,
    status_code=201,
    summary="Create a framework contract with its items (seller administrators and catalog managers)",
    description="Answers with the contract as `GET /api/v1/contracts/{contract_id}` shows it and its "
    "`Location`. 422 names the field at fault (`customer_id` for an unknown customer, `items[i].sku` "
    "for an SKU not in the catalog or listed twice, `valid_to` before `valid_from`, `currency` not "
    "ISO 4217); an existing `contract_id` is 409.",
)
async def create_contract(
    body: ContractCreate, response: Response, actor: CurrentActor, engine: EngineDep
) -> ContractUsage:
    contract = await run_in_threadpool(contracts.create_contract, engine, actor, body)
    response.headers["Location"] = f"{router.prefix}/{quote(contract.contract_id, safe='')}"
    return contract


@router.get(
    "/{contract_id}",
    response_model=ContractUsage,
    summary="One contract: validity, currency, items with price, agreed quantity, value cap, "
    "consumed and remaining, and the totals",
)
async def get_contract(contract_id: Id, actor: CurrentActor, engine: EngineDep) -> ContractUsage:
    return await run_in_threadpool(contracts.get_contract, engine, actor, contract_id)


@router.patch(
    "/{contract_id}",
    response_model=ContractUsage,
    summary="Change a contract's terms (catalog managers): validity, tolerance, on_exceed, "
    "value cap, payment terms; only the fields sent change",
)
async def update_contract(
    contract_id: Id, body: ContractTermsUpdate, actor: CurrentActor, engine: EngineDep
) -> ContractUsage:
    return await run_in_threadpool(contracts.update_terms, engine, actor, contract_id, body)


@router.put(
    "/{contract_id}/items/{sku}",
    response_model=ContractUsage,
    summary="Add an item to a contract or change its price, agreed quantity and value cap (catalog managers)",
)
async def put_contract_item(
    contract_id: Id, sku: Id, body: ContractItemTerms, actor: CurrentActor, engine: EngineDep
) -> ContractUsage:
    return await run_in_threadpool(contracts.set_item, engine, actor, contract_id, sku, body)


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
    limit: Annotated[int, Query(ge=1, le=contracts.MAX_CALL_OFFS)] = 100,
) -> list[CallOff]:
    return await run_in_threadpool(contracts.call_offs, engine, actor, contract_id, status, limit)
