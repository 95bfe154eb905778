"""What of the catalog a customer sees (catalog managers): its quality rules, which withhold the
items that break them, the report of which items those are, and its own sub-assortment. A
customer's other catalog rules (price lists, role rules, part numbers): customers.py."""

from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep
from api.params import VersionId
from api.routes.catalog_shared import PREFIX, TAG
from api.security import CurrentActor
from catalog import service as catalog
from models.catalog_versions import CustomerPublication, QualityReport, QualityRuleIn, SubAssortmentIn

router = APIRouter(prefix=PREFIX, tags=[TAG])


@router.get(
    "/versions/{version_id}/quality",
    response_model=QualityReport,
    summary="Which item fails which customer's quality rule (any version, e.g. a draft before publishing)",
)
async def quality_report(
    version_id: VersionId,
    actor: CurrentActor,
    engine: EngineDep,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> QualityReport:
    return await run_in_threadpool(catalog.quality_report, engine, actor, version_id, customer_id, limit)


@router.get(
    "/customers/{customer_id}/quality-rules", response_model=list[QualityRuleIn], summary="A customer's quality rules"
)
async def get_quality_rules(customer_id: str, actor: CurrentActor, engine: EngineDep) -> list[QualityRuleIn]:
    return await run_in_threadpool(catalog.quality_rules, engine, actor, customer_id)


@router.put(
    "/customers/{customer_id}/quality-rules",
    response_model=CustomerPublication | None,
    summary="Replace a customer's quality rules; its view of the published version is re-checked",
)
async def put_quality_rules(
    customer_id: str, actor: CurrentActor, engine: EngineDep, rules: Annotated[list[QualityRuleIn], Body()]
) -> CustomerPublication | None:
    return await run_in_threadpool(catalog.set_quality_rules, engine, actor, customer_id, rules)


@router.get(
    "/customers/{customer_id}/sub-assortment",
    response_model=SubAssortmentIn | None,
    summary="A customer's own sub-assortment (null: none; its view is its contract assortment)",
)
async def get_sub_assortment(customer_id: str, actor: CurrentActor, engine: EngineDep) -> SubAssortmentIn | None:
    return await run_in_threadpool(catalog.sub_assortment, engine, actor, customer_id)


@router.put(
    "/customers/{customer_id}/sub-assortment",
    response_model=SubAssortmentIn,
    summary="Set a customer's view as a sub-assortment: categories, SKUs, filter rules",
)
async def put_sub_assortment(
    customer_id: str, body: SubAssortmentIn, actor: CurrentActor, engine: EngineDep
) -> SubAssortmentIn:
    # replacing re-checks the customer's quality rules, too
    await run_in_threadpool(catalog.replace_sub_assortment, engine, actor, customer_id, body)
    return body


@router.delete(
    "/customers/{customer_id}/sub-assortment",
    status_code=204,
    summary="Remove a customer's sub-assortment (its view is its contract assortment again)",
)
async def delete_sub_assortment(customer_id: str, actor: CurrentActor, engine: EngineDep) -> None:
    await run_in_threadpool(catalog.replace_sub_assortment, engine, actor, customer_id, None)
