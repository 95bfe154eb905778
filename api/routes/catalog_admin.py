"""Catalog management (catalog managers): versions, imports, diffs, publishing, quality rules,
sub-assortments and sync schedules; and the catalog export (customers export their own view)."""
import tempfile
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from temporalio.client import ScheduleAlreadyRunningError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import EngineDep, SettingsDep
from api.problems import Problem
from api.security import CurrentActor, require_role
from catalog import export, importing, publication, quality, subassortments, sync, versions
from catalog.version_tables import QualityRule, SubAssortment
from database import session_scope
from models.actors import Actor
from models.catalog_versions import (
    CatalogDiff, CustomerPublication, ImportFormat, ImportMode, ImportReport, PublishResult, QualityReport,
    QualityRuleIn, SubAssortmentIn, SyncRequest, VersionInfo, VersionItemPage,
)

router = APIRouter(prefix="/api/v1/catalog", tags=["catalog management"])
MANAGER = "catalog_manager"


def _manager(actor: Actor) -> None:
    if not actor.is_seller_staff:
        raise Problem(403, "Catalog management is for the seller's catalog managers")
    require_role(actor, MANAGER)


def _run(fn, *args, **kwargs):
    """Runs a catalog function, turning its errors into problem details."""
    try:
        return fn(*args, **kwargs)
    except versions.VersionError as exc:
        raise Problem(exc.status, str(exc)) from exc
    except importing.ImportRefused as exc:
        raise Problem(422, f"The file was not imported: {exc}", field="file") from exc
    except (quality.InvalidRule, subassortments.InvalidDefinition) as exc:
        raise Problem(422, str(exc)) from exc


# --- versions ------------------------------------------------------------------------------------

class DraftIn(BaseModel):
    note: str = Field(default="", max_length=500)
    empty: bool = Field(default=False, description="start empty instead of from the published version")


class PublishIn(BaseModel):
    activates_at: datetime | None = Field(default=None, description="ISO 8601 with time zone; omitted or past: now")


def _list(engine) -> list[VersionInfo]:
    with session_scope(engine) as session:
        return versions.list_versions(session)


@router.get("/versions", response_model=list[VersionInfo], summary="Catalog versions, newest first")
async def list_versions(actor: CurrentActor, engine: EngineDep) -> list[VersionInfo]:
    _manager(actor)
    return await run_in_threadpool(_list, engine)


def _create(engine, actor: Actor, body: DraftIn) -> VersionInfo:
    with session_scope(engine, write_lock=True) as session:
        version = versions.create_draft(session, created_by=actor.id, note=body.note, empty=body.empty)
        return versions.info(session, version)


@router.post("/versions", response_model=VersionInfo, status_code=201,
             summary="A new draft: a copy of the published version (or empty)")
async def create_version(actor: CurrentActor, engine: EngineDep, body: DraftIn | None = None) -> VersionInfo:
    _manager(actor)
    return await run_in_threadpool(_create, engine, actor, body or DraftIn())


def _get(engine, version_id: int) -> VersionInfo:
    with session_scope(engine) as session:
        return versions.info(session, versions.get_version(session, version_id))


@router.get("/versions/{version_id}", response_model=VersionInfo, summary="One version")
async def get_version(version_id: int, actor: CurrentActor, engine: EngineDep) -> VersionInfo:
    _manager(actor)
    return await run_in_threadpool(_run, _get, engine, version_id)


def _discard(engine, version_id: int) -> None:
    with session_scope(engine, write_lock=True) as session:
        versions.discard_draft(session, version_id)


@router.delete("/versions/{version_id}", status_code=204, summary="Discard a draft")
async def discard_version(version_id: int, actor: CurrentActor, engine: EngineDep) -> None:
    _manager(actor)
    await run_in_threadpool(_run, _discard, engine, version_id)


def _items(engine, version_id: int, q, category, limit, offset) -> VersionItemPage:
    with session_scope(engine) as session:
        return versions.version_items(session, version_id, q=q, category=category, limit=limit, offset=offset)


@router.get("/versions/{version_id}/items", response_model=VersionItemPage,
            summary="The items of a version (any version: older ones stay readable)")
async def version_items(
    version_id: int, actor: CurrentActor, engine: EngineDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50, offset: Annotated[int, Query(ge=0)] = 0,
) -> VersionItemPage:
    _manager(actor)
    return await run_in_threadpool(_run, _items, engine, version_id, q, category, limit, offset)


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
    importer = importing.DraftImporter(
        engine, version_id, format="csv", mode="delta", transaction="EDIT",
        default_delivery_unit=settings.catalog_default_delivery_unit,
        default_category=settings.catalog_default_category)
    data = body.model_dump(exclude_unset=True)
    attributes = data.pop("attributes", None) or {}
    record = importing.ItemRecord(sku=sku, attribute_updates=attributes)
    configuration = {k: data.pop(k) for k in ("options", "constraints") if k in data}
    record.fields = data
    importer.add(record)
    report = importer.finish()
    if configuration and not report.failed:
        with session_scope(engine, write_lock=True) as session:
            row = session.get(versions.CatalogVersionItem, (version_id, sku))
            for key, value in configuration.items():
                setattr(row, key, value)
            row.content_hash = versions.content_hash(versions.row_content(row))
    if report.failed:
        raise Problem(422, "; ".join(e.message for e in report.errors), field=report.errors[0].field or "sku",
                      errors=[{"field": e.field or "sku", "message": e.message} for e in report.errors])
    return report


@router.put("/versions/{version_id}/items/{sku}", response_model=ImportReport,
            summary="Create or change one item of a draft")
async def put_item(version_id: int, sku: str, body: ItemIn, actor: CurrentActor, engine: EngineDep,
                   settings: SettingsDep) -> ImportReport:
    _manager(actor)
    return await run_in_threadpool(_run, _put_item, engine, version_id, sku, body, settings)


def _delete_item(engine, version_id: int, sku: str) -> None:
    with session_scope(engine, write_lock=True) as session:
        if not versions.delete_draft_item(session, version_id, sku):
            raise Problem(404, f"{sku} is not in version {version_id}", field="sku")


@router.delete("/versions/{version_id}/items/{sku}", status_code=204, summary="Remove one item from a draft")
async def delete_item(version_id: int, sku: str, actor: CurrentActor, engine: EngineDep) -> None:
    _manager(actor)
    await run_in_threadpool(_run, _delete_item, engine, version_id, sku)


def _diff(engine, version_id: int, base: int | None, limit: int) -> CatalogDiff:
    with session_scope(engine) as session:
        return versions.diff(session, version_id, base, limit=limit)


@router.get("/versions/{version_id}/diff", response_model=CatalogDiff,
            summary="What publishing the version changes: added, removed, price changes, text changes")
async def diff(version_id: int, actor: CurrentActor, engine: EngineDep,
               base: Annotated[int | None, Query(description="default: the published version")] = None,
               limit: Annotated[int, Query(ge=1, le=10000)] = 1000) -> CatalogDiff:
    _manager(actor)
    return await run_in_threadpool(_run, _diff, engine, version_id, base, limit)


@router.post("/versions/{version_id}/publish", response_model=PublishResult,
             summary="Publish a draft now, or at `activates_at` (202: scheduled)")
async def publish(version_id: int, request: Request, actor: CurrentActor, engine: EngineDep, settings: SettingsDep,
                  body: PublishIn | None = None):
    _manager(actor)
    activates_at = body.activates_at if body else None
    if activates_at is not None and activates_at.tzinfo is None:
        raise Problem(422, "activates_at needs a time zone (e.g. 2027-01-01T00:00:00+01:00)", field="activates_at")
    try:
        result = await publication.publish(request.app.state.gateway.client, engine, settings.temporal_task_queue,
                                           version_id, actor.id, activates_at)
    except versions.VersionError as exc:
        raise Problem(exc.status, str(exc)) from exc
    except publication.PublicationUnavailable as exc:
        raise Problem(503, str(exc)) from exc
    if result.status == "scheduled":
        return JSONResponse(result.model_dump(mode="json"), status_code=202)
    return result


@router.post("/versions/{version_id}/unpublish", response_model=VersionInfo,
             summary="Cancel a scheduled publication (the version is a draft again)")
async def unpublish(version_id: int, request: Request, actor: CurrentActor, engine: EngineDep) -> VersionInfo:
    _manager(actor)
    try:
        await publication.unpublish(request.app.state.gateway.client, engine, version_id)
    except versions.VersionError as exc:
        raise Problem(exc.status, str(exc)) from exc
    return await run_in_threadpool(_run, _get, engine, version_id)


# --- import --------------------------------------------------------------------------------------

def _import(engine, version_id: int, upload, fmt, mode, delivery_unit, category) -> ImportReport:
    with tempfile.TemporaryFile() as tmp:  # the upload is spooled; the importer wants a seekable file
        while chunk := upload.read(1024 * 1024):
            tmp.write(chunk)
        tmp.seek(0)
        return importing.import_file(engine, version_id, tmp, format=fmt, mode=mode,
                                     default_delivery_unit=delivery_unit, default_category=category)


@router.post("/versions/{version_id}/import", response_model=ImportReport,
             summary="Import a BMEcat 2005 or CSV file into a draft; the report lists every item with an error")
async def import_file(
    version_id: int, actor: CurrentActor, engine: EngineDep, settings: SettingsDep,
    file: Annotated[UploadFile, File(description="BMEcat XML or CSV")],
    format: Annotated[ImportFormat | None, Query(description="default: from the content")] = None,
    mode: Annotated[ImportMode | None, Query(
        description="full (default): the draft gets exactly the file's items; delta: the file only adds, "
                    "changes and deletes. BMEcat deltas (T_UPDATE_*) are always delta")] = None,
    default_delivery_unit: Annotated[str | None, Query(max_length=64)] = None,
    default_category: Annotated[str | None, Query(max_length=50)] = None,
) -> ImportReport:
    _manager(actor)
    return await run_in_threadpool(
        _run, _import, engine, version_id, file.file, format, mode,
        default_delivery_unit or settings.catalog_default_delivery_unit,
        default_category or settings.catalog_default_category)


# --- quality rules and sub-assortments -----------------------------------------------------------

def _quality(engine, version_id: int, customer_id: str | None, limit: int) -> QualityReport:
    with session_scope(engine) as session:
        return quality.report(session, version_id, customer_id, limit=limit)


@router.get("/versions/{version_id}/quality", response_model=QualityReport,
            summary="Which item fails which customer's quality rule (any version, e.g. a draft before publishing)")
async def quality_report(version_id: int, actor: CurrentActor, engine: EngineDep,
                         customer_id: Annotated[str | None, Query(max_length=64)] = None,
                         limit: Annotated[int, Query(ge=1, le=10000)] = 1000) -> QualityReport:
    _manager(actor)
    return await run_in_threadpool(_run, _quality, engine, version_id, customer_id, limit)


def _get_rules(engine, customer_id: str) -> list[QualityRuleIn]:
    with session_scope(engine) as session:
        return [QualityRuleIn(rule=r.rule, params=r.params) for r in quality.rules_of(session, customer_id)]


@router.get("/customers/{customer_id}/quality-rules", response_model=list[QualityRuleIn],
            summary="A customer's quality rules")
async def get_quality_rules(customer_id: str, actor: CurrentActor, engine: EngineDep) -> list[QualityRuleIn]:
    _manager(actor)
    return await run_in_threadpool(_get_rules, engine, customer_id)


def _set_rules(engine, customer_id: str, rules: list[QualityRuleIn]) -> CustomerPublication | None:
    with session_scope(engine, write_lock=True) as session:
        return quality.set_rules(session, customer_id, rules)


@router.put("/customers/{customer_id}/quality-rules", response_model=CustomerPublication | None,
            summary="Replace a customer's quality rules; its view of the published version is re-checked")
async def put_quality_rules(customer_id: str, actor: CurrentActor, engine: EngineDep,
                            rules: Annotated[list[QualityRuleIn], Body()]) -> CustomerPublication | None:
    _manager(actor)
    return await run_in_threadpool(_run, _set_rules, engine, customer_id, rules)


def _get_sub(engine, customer_id: str) -> SubAssortmentIn | None:
    with session_scope(engine) as session:
        row = session.get(SubAssortment, customer_id)
        return None if row is None else SubAssortmentIn(name=row.name, categories=row.categories, skus=row.skus,
                                                         rules=row.rules)


@router.get("/customers/{customer_id}/sub-assortment", response_model=SubAssortmentIn | None,
            summary="A customer's own sub-assortment (null: none; its view is its contract assortment)")
async def get_sub_assortment(customer_id: str, actor: CurrentActor, engine: EngineDep) -> SubAssortmentIn | None:
    _manager(actor)
    return await run_in_threadpool(_get_sub, engine, customer_id)


def _set_sub(engine, customer_id: str, body: SubAssortmentIn | None) -> SubAssortmentIn | None:
    with session_scope(engine, write_lock=True) as session:
        subassortments.set_definition(session, customer_id, body)
        if session.execute(QualityRule.__table__.select().where(QualityRule.customer_id == customer_id)).first():
            live = versions.live_version(session)
            if live is not None:  # the view changed: re-check the customer's quality rules
                quality.apply_customer(session, customer_id, live)
    return body


@router.put("/customers/{customer_id}/sub-assortment", response_model=SubAssortmentIn,
            summary="Set a customer's view as a sub-assortment: categories, SKUs, filter rules")
async def put_sub_assortment(customer_id: str, body: SubAssortmentIn, actor: CurrentActor,
                             engine: EngineDep) -> SubAssortmentIn:
    _manager(actor)
    return await run_in_threadpool(_run, _set_sub, engine, customer_id, body)


@router.delete("/customers/{customer_id}/sub-assortment", status_code=204,
               summary="Remove a customer's sub-assortment (its view is its contract assortment again)")
async def delete_sub_assortment(customer_id: str, actor: CurrentActor, engine: EngineDep) -> None:
    _manager(actor)
    await run_in_threadpool(_run, _set_sub, engine, customer_id, None)


# --- export --------------------------------------------------------------------------------------

def _export(engine, customer_id: str, fmt: str, supplier_name: str):
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed by the response
    try:
        with session_scope(engine) as session:
            if fmt == "bmecat":
                export.export_bmecat(session, customer_id, spool, supplier_name=supplier_name)
            else:
                import io
                text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
                export.export_csv(session, customer_id, text)
                text.flush()
                text.detach()
    except export.UnknownCustomer as exc:
        spool.close()
        raise Problem(404, str(exc), field="customer_id") from exc
    except export.NothingPublished as exc:
        spool.close()
        raise Problem(409, str(exc)) from exc
    spool.seek(0)
    return spool


def _stream(spool) -> Iterator[bytes]:
    try:
        while chunk := spool.read(256 * 1024):
            yield chunk
    finally:
        spool.close()


@router.get("/export", summary="A customer's view of the published catalog at its prices, as BMEcat 2005 or CSV",
            response_class=StreamingResponse,
            responses={200: {"content": {"application/xml": {}, "text/csv": {}}}})
async def export_catalog(
    actor: CurrentActor, engine: EngineDep, settings: SettingsDep,
    customer_id: Annotated[str | None, Query(max_length=64, description="customers: their own (the default)")] = None,
    format: Annotated[Literal["bmecat", "csv"], Query()] = "bmecat",
) -> StreamingResponse:
    if actor.customer_id is not None:
        if customer_id not in (None, actor.customer_id):
            raise Problem(404, f"unknown customer {customer_id}", field="customer_id")
        customer_id = actor.customer_id
    else:
        _manager(actor)
        if customer_id is None:
            raise Problem(422, "customer_id is required", field="customer_id")
    spool = await run_in_threadpool(_export, engine, customer_id, format, settings.seller_name)
    media, suffix = ("application/xml", "xml") if format == "bmecat" else ("text/csv; charset=utf-8", "csv")
    return StreamingResponse(_stream(spool), media_type=media, headers={
        "Content-Disposition": f'attachment; filename="catalog-{customer_id}.{suffix}"'})


# --- sync schedules ------------------------------------------------------------------------------

class SyncScheduleIn(SyncRequest):
    every: timedelta = Field(default=timedelta(days=1), description="seconds or ISO 8601, e.g. P1D")
    replace: bool = False


class SyncScheduleOut(BaseModel):
    schedule_id: str
    supplier: str
    every: timedelta


@router.post("/sync-schedules", response_model=SyncScheduleOut, status_code=201,
             summary="Pull a supplier's catalog from a URL into a new draft at an interval (a Temporal schedule)")
async def create_sync_schedule(body: SyncScheduleIn, request: Request, actor: CurrentActor,
                               settings: SettingsDep) -> SyncScheduleOut:
    _manager(actor)
    if body.every < timedelta(minutes=1):
        raise Problem(422, "every must be at least a minute", field="every")
    if not body.url.startswith(("http://", "https://")):
        raise Problem(422, "url must be http or https", field="url")
    sync_request = SyncRequest(**body.model_dump(exclude={"every", "replace"}))
    try:
        sid = await sync.create_schedule(request.app.state.gateway.client, sync_request, body.every,
                                         settings.temporal_task_queue, replace=body.replace)
    except ScheduleAlreadyRunningError as exc:
        raise Problem(409, f"a sync schedule for {body.supplier} exists (replace=true to change it)") from exc
    return SyncScheduleOut(schedule_id=sid, supplier=body.supplier, every=body.every)


async def _on_schedule(request: Request, supplier: str, action: str) -> None:
    """Triggers or deletes a supplier's sync schedule; 404 when there is none."""
    handle = request.app.state.gateway.client.get_schedule_handle(sync.schedule_id(supplier))
    try:
        await getattr(handle, action)()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            raise Problem(404, f"no sync schedule for {supplier}") from exc
        raise


@router.post("/sync-schedules/{supplier}/trigger", status_code=202, summary="Run a supplier's sync now")
async def trigger_sync_schedule(supplier: str, request: Request, actor: CurrentActor) -> dict:
    _manager(actor)
    await _on_schedule(request, supplier, "trigger")
    return {"schedule_id": sync.schedule_id(supplier), "triggered": True}


@router.delete("/sync-schedules/{supplier}", status_code=204, summary="Delete a supplier's sync schedule")
async def delete_sync_schedule(supplier: str, request: Request, actor: CurrentActor) -> None:
    _manager(actor)
    await _on_schedule(request, supplier, "delete")
