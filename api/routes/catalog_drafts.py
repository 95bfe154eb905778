"""Changing a draft's items (catalog managers): one item at a time, or by importing a BMEcat 2005
or CSV file. The draft itself (create, diff, publish): catalog_versions.py."""

import tempfile
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.deps import EngineDep, SettingsDep
from api.problems import Problem
from api.routes.catalog_shared import PREFIX, TAG, require_manager, run
from api.security import CurrentActor
from catalog.exchange import draft_items, file_import
from catalog.versions import store
from core.database import session_scope
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


def _put_item(engine, version_id: int, sku: str, body: ItemIn, settings) -> ImportReport:
    report = draft_items.put_item(
        engine,
        version_id,
        sku,
        body.model_dump(exclude_unset=True),
        default_delivery_unit=settings.catalog_default_delivery_unit,
        default_category=settings.catalog_default_category,
    )
    if report.failed:
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
    version_id: int, sku: str, body: ItemIn, actor: CurrentActor, engine: EngineDep, settings: SettingsDep
) -> ImportReport:
    require_manager(actor)
    return await run_in_threadpool(run, _put_item, engine, version_id, sku, body, settings)


def _delete_item(engine, version_id: int, sku: str) -> None:
    with session_scope(engine, write_lock=True) as session:
        if not store.delete_draft_item(session, version_id, sku):
            raise Problem(404, f"{sku} is not in version {version_id}", field="sku")


@router.delete("/versions/{version_id}/items/{sku}", status_code=204, summary="Remove one item from a draft")
async def delete_item(version_id: int, sku: str, actor: CurrentActor, engine: EngineDep) -> None:
    require_manager(actor)
    await run_in_threadpool(run, _delete_item, engine, version_id, sku)


def _import(engine, version_id: int, upload, fmt, mode, delivery_unit, category) -> ImportReport:
    with tempfile.TemporaryFile() as tmp:  # the upload is spooled; the importer wants a seekable file
        while chunk := upload.read(1024 * 1024):
            tmp.write(chunk)
        tmp.seek(0)
        return file_import.import_file(
            engine,
            version_id,
            tmp,
            format=fmt,
            mode=mode,
            default_delivery_unit=delivery_unit,
            default_category=category,
        )


@router.post(
    "/versions/{version_id}/import",
    response_model=ImportReport,
    summary="Import a BMEcat 2005 or CSV file into a draft; the report lists every item with an error",
)
async def import_file(
    version_id: int,
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
    require_manager(actor)
    return await run_in_threadpool(
        run,
        _import,
        engine,
        version_id,
        file.file,
        format,
        mode,
        default_delivery_unit or settings.catalog_default_delivery_unit,
        default_category or settings.catalog_default_category,
    )
