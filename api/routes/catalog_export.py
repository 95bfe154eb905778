"""The catalog export: a customer's view of the published catalog at its prices, as BMEcat 2005
or CSV. Customers export their own view; the seller's catalog managers any customer's."""

import io
import tempfile
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from api.deps import EngineDep, SettingsDep
from api.problems import Problem
from api.routes.catalog_shared import PREFIX, TAG, require_manager
from api.security import CurrentActor
from catalog.exchange import export
from core.database import session_scope

router = APIRouter(prefix=PREFIX, tags=[TAG])


def _export(engine, customer_id: str, fmt: str, supplier_name: str):
    # spooled to a file first, so a failing export is a problem response, not a broken download
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115 - closed by the response
    try:
        with session_scope(engine) as session:
            if fmt == "bmecat":
                export.export_bmecat(session, customer_id, spool, supplier_name=supplier_name)
            else:
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
    if actor.customer_id is not None:
        if customer_id not in (None, actor.customer_id):  # 404, not 403: other customers are not disclosed
            raise Problem(404, f"unknown customer {customer_id}", field="customer_id")
        customer_id = actor.customer_id
    else:
        require_manager(actor)
        if customer_id is None:
            raise Problem(422, "customer_id is required", field="customer_id")
    spool = await run_in_threadpool(_export, engine, customer_id, format, settings.seller_name)
    media, suffix = ("application/xml", "xml") if format == "bmecat" else ("text/csv; charset=utf-8", "csv")
    return StreamingResponse(
        _stream(spool),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="catalog-{customer_id}.{suffix}"'},
    )
