"""The catalog export: a customer's view of the published catalog at its prices, as BMEcat 2005
or CSV. Customers export their own view; the seller's catalog managers any customer's."""

import tempfile
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import EngineDep, SettingsDep
from api.routes.catalog_shared import PREFIX, TAG
from api.security import CurrentActor
from catalog.exchange import service as exchange

router = APIRouter(prefix=PREFIX, tags=[TAG])


def _export(engine, customer_id: str, fmt: str, supplier_name: str):
    # spooled to a file first, so a failing export is a problem response, not a broken download
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed by the response
    try:
        exchange.write_export(engine, customer_id, fmt, spool, supplier_name=supplier_name)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _stream(spool) -> Iterator[bytes]:
    try:
        while chunk := spool.read(256 * 1024):
            yield chunk
    finally:
        spool.close()


@router.get(
    "/export",
    summary="A customer's view of the published catalog at its prices, as BMEcat 2005 or CSV",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/xml": {}, "text/csv": {}}}},
)
async def export_catalog(
    actor: CurrentActor,
    engine: EngineDep,
    settings: SettingsDep,
    customer_id: Annotated[str | None, Query(max_length=64, description="customers: their own (the default)")] = None,
    format: Annotated[Literal["bmecat", "csv"], Query()] = "bmecat",
) -> StreamingResponse:
    customer_id = exchange.export_customer(actor, customer_id)
    spool = await run_in_threadpool(_export, engine, customer_id, format, settings.seller_name)
    media, suffix = ("application/xml", "xml") if format == "bmecat" else ("text/csv; charset=utf-8", "csv")
    return StreamingResponse(
        _stream(spool),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="catalog-{customer_id}.{suffix}"'},
    )
