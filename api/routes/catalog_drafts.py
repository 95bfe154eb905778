"""Changing a draft's items (catalog managers): one item at a time, or by importing a BMEcat 2005
or CSV file. The draft itself (create, diff, publish): catalog_versions.py."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.deps import EngineDep, SettingsDep
from api.params import VersionId
from api.problems import Problem
from api.routes.catalog_shared import PREFIX, TAG
from api.security import CurrentActor
from catalog.exchange import service as exchange
from catalog.versions import service as versions
from models.catalog_versions import ImportFormat, ImportMode, ImportReport

router = APIRouter(prefix=PREFIX, tags=[TAG])


class ItemIn(BaseModel):
    """Fields to set on a draft's item (omitted: unchanged; a new item needs name and list_price)."""

    name: str | None = None
    description: str | None = None
    category: str | None = None
    unit: str | None = None
    list_price: str | None = Field(default=None, description="decimal string")
    currency: str | None = None
    vat_rate: str | None = None
    delivery_unit_id: str | None = None
    expert_review: bool | None = None
    options: dict[str, list[str]] | None = None
    constraints: list[dict[str, Any]] | None = None
    attributes: dict[str, Any] | None = Field(default=None, description="quality attributes to set (null removes one)")


def _put_item(engine, actor, version_id: int, sku: str, body: ItemIn, settings) -> ImportReport:
    report = exchange.put_draft_item(
        engine,
        actor,
        version_id,
        sku,
        body.model_dump(exclude_unset=True),
        default_delivery_unit=settings.catalog_default_delivery_unit,
        default_category=settings.catalog_default_category,
    )
    if report.failed:  # every field at fault, not only the first
        raise Problem(
            422,
            "; ".join(e.message for e in report.errors),
            field=report.errors[0].field or "sku",
            errors=[{"field": e.field or "sku", "message": e.message} for e in report.errors],
        )
    return report


@router.put(
    "/versions/{version_id}/items/{sku}", response_model=ImportReport, summary="Create or change one item of a draft"
)
async def put_item(
    version_id: VersionId, sku: str, body: ItemIn, actor: CurrentActor, engine: EngineDep, settings: SettingsDep
) -> ImportReport:
    return await run_in_threadpool(_put_item, engine, actor, version_id, sku, body, settings)


@router.delete("/versions/{version_id}/items/{sku}", status_code=204, summary="Remove one item from a draft")
async def delete_item(version_id: VersionId, sku: str, actor: CurrentActor, engine: EngineDep) -> None:
    await run_in_threadpool(versions.delete_draft_item, engine, actor, version_id, sku)


@router.post(
    "/versions/{version_id}/import",
    response_model=ImportReport,
    summary="Import a BMEcat 2005 or CSV file into a draft; the report lists every item with an error",
)
async def import_file(
    version_id: VersionId,
    actor: CurrentActor,
    engine: EngineDep,
    settings: SettingsDep,
    file: Annotated[UploadFile, File(description="BMEcat XML or CSV")],
    format: Annotated[ImportFormat | None, Query(description="default: from the content")] = None,
    mode: Annotated[
        ImportMode | None,
        Query(
            description="full (default): the draft gets exactly the file's items; delta: the file only adds, "
            "changes and deletes. BMEcat deltas (T_UPDATE_*) are always delta"
        ),
    ] = None,
    default_delivery_unit: Annotated[str | None, Query(max_length=64)] = None,
    default_category: Annotated[str | None, Query(max_length=50)] = None,
) -> ImportReport:
    return await run_in_threadpool(
        lambda: exchange.import_upload(
            engine,
            actor,
            version_id,
            file.file,
            format=format,
            mode=mode,
            default_delivery_unit=default_delivery_unit or settings.catalog_default_delivery_unit,
            default_category=default_category or settings.catalog_default_category,
        )
    )
