"""Catalog versions (catalog managers): list, start a draft, read any version and its items,
discard a draft, diff against the published version, publish now or at a future time, and
cancel a scheduled publication. Editing a draft's items: catalog_drafts.py."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from api.deps import EngineDep, GatewayDep
from api.problems import Problem
from api.routes.catalog_shared import PREFIX, TAG, call, require_manager
from api.security import CurrentActor
from catalog.versions import diff as version_diff
from catalog.versions import store
from models.actors import Actor
from models.catalog_versions import CatalogDiff, PublishResult, VersionInfo, VersionItemPage

router = APIRouter(prefix=PREFIX, tags=[TAG])


class DraftIn(BaseModel):
    note: str = Field(default="", max_length=500)
    empty: bool = Field(default=False, description="start empty instead of from the published version")


class PublishIn(BaseModel):
    activates_at: datetime | None = Field(default=None, description="ISO 8601 with time zone; omitted or past: now")
    force: bool = Field(
        default=False,
        description="publish a draft copied from an older version than the "
        "published one, undoing what the newer one changed (see its diff)",
    )


@router.get("/versions", response_model=list[VersionInfo], summary="Catalog versions, newest first")
async def list_versions(actor: CurrentActor, engine: EngineDep) -> list[VersionInfo]:
    require_manager(actor)
    return await call(engine, store.list_versions)


def _create(session, actor: Actor, body: DraftIn) -> VersionInfo:
    version = store.create_draft(session, created_by=actor.id, note=body.note, empty=body.empty)
    return store.info(session, version)


@router.post(
    "/versions",
    response_model=VersionInfo,
    status_code=201,
    summary="A new draft: a copy of the published version (or empty)",
)
async def create_version(actor: CurrentActor, engine: EngineDep, body: DraftIn | None = None) -> VersionInfo:
    require_manager(actor)
    return await call(engine, _create, actor, body or DraftIn(), write_lock=True)


def _info(session, version_id: int) -> VersionInfo:
    return store.info(session, store.get_version(session, version_id))


@router.get("/versions/{version_id}", response_model=VersionInfo, summary="One version")
async def get_version(version_id: int, actor: CurrentActor, engine: EngineDep) -> VersionInfo:
    require_manager(actor)
    return await call(engine, _info, version_id)


@router.delete("/versions/{version_id}", status_code=204, summary="Discard a draft")
async def discard_version(version_id: int, actor: CurrentActor, engine: EngineDep) -> None:
    require_manager(actor)
    await call(engine, store.discard_draft, version_id, write_lock=True)


@router.get(
    "/versions/{version_id}/items",
    response_model=VersionItemPage,
    summary="The items of a version (any version: older ones stay readable)",
)
async def version_items(
    version_id: int,
    actor: CurrentActor,
    engine: EngineDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> VersionItemPage:
    require_manager(actor)
    return await call(engine, store.version_items, version_id, q=q, category=category, limit=limit, offset=offset)


@router.get(
    "/versions/{version_id}/diff",
    response_model=CatalogDiff,
    summary="What publishing the version changes: added, removed, price changes, text changes",
)
async def diff(
    version_id: int,
    actor: CurrentActor,
    engine: EngineDep,
    base: Annotated[int | None, Query(description="default: the published version")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> CatalogDiff:
    require_manager(actor)
    return await call(engine, version_diff.diff, version_id, base, limit=limit)


@router.post(
    "/versions/{version_id}/publish",
    response_model=PublishResult,
    summary="Publish a draft now, or at `activates_at` (202: scheduled)",
)
async def publish(
    version_id: int, actor: CurrentActor, engine: EngineDep, gateway: GatewayDep, body: PublishIn | None = None
):
    require_manager(actor)
    activates_at = body.activates_at if body else None
    if activates_at is not None and activates_at.tzinfo is None:
        raise Problem(422, "activates_at needs a time zone (e.g. 2027-01-01T00:00:00+01:00)", field="activates_at")
    try:
        result = await gateway.publish_catalog_version(
            engine, version_id, actor.id, activates_at, force=bool(body and body.force)
        )
    except store.VersionError as exc:
        raise Problem(exc.status, str(exc)) from exc
    if result.status == "scheduled":  # the CatalogPublication workflow publishes it later
        return JSONResponse(result.model_dump(mode="json"), status_code=202)
    return result


@router.post(
    "/versions/{version_id}/unpublish",
    response_model=VersionInfo,
    summary="Cancel a scheduled publication (the version is a draft again)",
)
async def unpublish(version_id: int, actor: CurrentActor, engine: EngineDep, gateway: GatewayDep) -> VersionInfo:
    require_manager(actor)
    try:
        await gateway.unpublish_catalog_version(engine, version_id)
    except store.VersionError as exc:
        raise Problem(exc.status, str(exc)) from exc
    return await call(engine, _info, version_id)
