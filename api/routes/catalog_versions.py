"""Catalog versions (catalog managers; catalog.versions.service): list, start a draft, read any
version and its items, discard a draft, diff against the published version, publish now or at a
future time (a CatalogPublication workflow, through the gateway), and cancel a scheduled
publication. Editing a draft's items: catalog_drafts.py."""

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from api.deps import EngineDep, GatewayDep
from api.params import KEY_MAX, Offset, VersionId
from api.problems import Problem
from api.routes.catalog_shared import PREFIX, TAG
from api.security import CurrentActor
from catalog.versions import service as versions
from models.actors import require_catalog_manager
from models.catalog_versions import CatalogDiff, DraftIn, PublishIn, PublishResult, VersionInfo, VersionItemPage

router = APIRouter(prefix=PREFIX, tags=[TAG])


@router.get("/versions", response_model=list[VersionInfo], summary="Catalog versions, newest first")
async def list_versions(actor: CurrentActor, engine: EngineDep) -> list[VersionInfo]:
    return await run_in_threadpool(versions.list_versions, engine, actor)


@router.post(
    "/versions",
    response_model=VersionInfo,
    status_code=201,
    summary="A new draft: a copy of the published version (or empty)",
)
async def create_version(actor: CurrentActor, engine: EngineDep, body: DraftIn | None = None) -> VersionInfo:
    body = body or DraftIn()
    return await run_in_threadpool(versions.create_draft, engine, actor, body.note, body.empty)


@router.get("/versions/{version_id}", response_model=VersionInfo, summary="One version")
async def get_version(version_id: VersionId, actor: CurrentActor, engine: EngineDep) -> VersionInfo:
    return await run_in_threadpool(versions.version, engine, actor, version_id)


@router.delete("/versions/{version_id}", status_code=204, summary="Discard a draft")
async def discard_version(version_id: VersionId, actor: CurrentActor, engine: EngineDep) -> None:
    await run_in_threadpool(versions.discard_draft, engine, actor, version_id)


@router.get(
    "/versions/{version_id}/items",
    response_model=VersionItemPage,
    summary="The items of a version (any version: older ones stay readable)",
)
async def version_items(
    version_id: VersionId,
    actor: CurrentActor,
    engine: EngineDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> VersionItemPage:
    return await run_in_threadpool(
        lambda: versions.version_items(engine, actor, version_id, q=q, category=category, limit=limit, offset=offset)
    )


@router.get(
    "/versions/{version_id}/diff",
    response_model=CatalogDiff,
    summary="What publishing the version changes: added, removed, price changes, text changes",
)
async def diff(
    version_id: VersionId,
    actor: CurrentActor,
    engine: EngineDep,
    base: Annotated[int | None, Query(ge=1, le=KEY_MAX, description="default: the published version")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> CatalogDiff:
    return await run_in_threadpool(lambda: versions.diff(engine, actor, version_id, base, limit=limit))


@router.post(
    "/versions/{version_id}/publish",
    response_model=PublishResult,
    summary="Publish a draft now, or at `activates_at` (202: scheduled)",
)
async def publish(
    version_id: VersionId, actor: CurrentActor, engine: EngineDep, gateway: GatewayDep, body: PublishIn | None = None
):
    require_catalog_manager(actor)
    activates_at = body.activates_at if body else None
    if activates_at is not None and activates_at.tzinfo is None:
        raise Problem(422, "activates_at needs a time zone (e.g. 2027-01-01T00:00:00+01:00)", field="activates_at")
    result = await gateway.publish_catalog_version(
        engine, version_id, actor.id, activates_at, force=bool(body and body.force)
    )
    if result.status == "scheduled":  # the CatalogPublication workflow publishes it later
        return JSONResponse(result.model_dump(mode="json"), status_code=202)
    return result


@router.post(
    "/versions/{version_id}/unpublish",
    response_model=VersionInfo,
    summary="Cancel a scheduled publication (the version is a draft again)",
)
async def unpublish(version_id: VersionId, actor: CurrentActor, engine: EngineDep, gateway: GatewayDep) -> VersionInfo:
    require_catalog_manager(actor)
    await gateway.unpublish_catalog_version(engine, version_id)
    return await run_in_threadpool(versions.version, engine, actor, version_id)
