"""What of the catalog a customer sees (catalog managers): its quality rules, which withhold the
items that break them, the report of which items those are, and its own sub-assortment. A
customer's other catalog rules (price lists, role rules, part numbers): customers.py."""

from typing import Annotated

from fastapi import APIRouter, Body, Query

from api.deps import EngineDep
from api.routes.catalog_shared import PREFIX, TAG, call, require_manager
from api.security import CurrentActor
from catalog import quality, subassortments, view_edits
from models.catalog_versions import CustomerPublication, QualityReport, QualityRuleIn, SubAssortmentIn

router = APIRouter(prefix=PREFIX, tags=[TAG])


@router.get(
    "/versions/{version_id}/quality",
    response_model=QualityReport,
    summary="Which item fails which customer's quality rule (any version, e.g. a draft before publishing)",
)
async def quality_report(
    version_id: int,
    actor: CurrentActor,
    engine: EngineDep,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> QualityReport:
    require_manager(actor)
    return await call(engine, quality.report, version_id, customer_id, limit=limit)


@router.get(
    "/customers/{customer_id}/quality-rules", response_model=list[QualityRuleIn], summary="A customer's quality rules"
)
async def get_quality_rules(customer_id: str, actor: CurrentActor, engine: EngineDep) -> list[QualityRuleIn]:
    require_manager(actor)
    return await call(engine, quality.rule_inputs, customer_id)


@router.put(
    "/customers/{customer_id}/quality-rules",
    response_model=CustomerPublication | None,
    summary="Replace a customer's quality rules; its view of the published version is re-checked",
)
async def put_quality_rules(
    customer_id: str, actor: CurrentActor, engine: EngineDep, rules: Annotated[list[QualityRuleIn], Body()]
) -> CustomerPublication | None:
    require_manager(actor)
    return await call(engine, view_edits.set_quality_rules, customer_id, rules, write_lock=True, actor=actor.id)


@router.get(
    "/customers/{customer_id}/sub-assortment",
    response_model=SubAssortmentIn | None,
    summary="A customer's own sub-assortment (null: none; its view is its contract assortment)",
)
async def get_sub_assortment(customer_id: str, actor: CurrentActor, engine: EngineDep) -> SubAssortmentIn | None:
    require_manager(actor)
    return await call(engine, subassortments.own_definition, customer_id)


@router.put(
    "/customers/{customer_id}/sub-assortment",
    response_model=SubAssortmentIn,
    summary="Set a customer's view as a sub-assortment: categories, SKUs, filter rules",
)
async def put_sub_assortment(
    customer_id: str, body: SubAssortmentIn, actor: CurrentActor, engine: EngineDep
) -> SubAssortmentIn:
    require_manager(actor)
    # replacing re-checks the customer's quality rules, too
    await call(engine, view_edits.replace_subassortment, customer_id, body, write_lock=True, actor=actor.id)
    return body


@router.delete(
    "/customers/{customer_id}/sub-assortment",
    status_code=204,
    summary="Remove a customer's sub-assortment (its view is its contract assortment again)",
)
async def delete_sub_assortment(customer_id: str, actor: CurrentActor, engine: EngineDep) -> None:
    require_manager(actor)
    await call(engine, view_edits.replace_subassortment, customer_id, None, write_lock=True, actor=actor.id)
