"""An invoice's or credit note's documents (invoicing.service): the XRechnung CII XML and the
ZUGFeRD PDF, for the customer's people and the seller's staff, as the e-mail attached them."""

from typing import Annotated, Literal

from fastapi import APIRouter, Header
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import Engine

from api.deps import EngineDep
from api.security import CurrentActor
from invoicing import service as invoicing
from models.actors import Actor

router = APIRouter(prefix="/api/v1/invoices", tags=["invoices"])

ETAG_DOC = {"ETag": {"description": "the document's hash: an issued document never changes"}}


async def _download(
    engine: Engine, actor: Actor, invoice_id: str, kind: Literal["xml", "pdf"], if_none_match: str | None
) -> Response:
    document = await run_in_threadpool(invoicing.document_file, engine, actor, invoice_id, kind)
    headers = {
        "ETag": document.etag,
        "Content-Disposition": f'attachment; filename="{document.filename}"',
        "Cache-Control": "private, no-cache",  # the customer's business data: no shared caches
    }
    if if_none_match is not None and document.etag in (tag.strip() for tag in if_none_match.split(",")):
        return Response(status_code=304, headers=headers)
    return Response(document.content, media_type=document.media_type, headers=headers)


IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match", max_length=200)]


@router.get(
    "/{invoice_id}/xml",
    summary="The invoice's XRechnung (UN/CEFACT CII) XML: the invoice itself",
    response_class=Response,
    responses={
        200: {"content": {"application/xml": {}}, "headers": ETAG_DOC},
        304: {"description": "If-None-Match named the document's ETag"},
        404: {"description": "no such invoice for the caller, or it has no electronic document"},
    },
)
async def invoice_xml(
    invoice_id: str, actor: CurrentActor, engine: EngineDep, if_none_match: IfNoneMatch = None
) -> Response:
    return await _download(engine, actor, invoice_id, "xml", if_none_match)


@router.get(
    "/{invoice_id}/pdf",
    summary="The invoice's ZUGFeRD PDF (PDF/A-3 with the same XML embedded)",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "headers": ETAG_DOC},
        304: {"description": "If-None-Match named the document's ETag"},
        404: {"description": "no such invoice for the caller, or it has no electronic document"},
    },
)
async def invoice_pdf(
    invoice_id: str, actor: CurrentActor, engine: EngineDep, if_none_match: IfNoneMatch = None
) -> Response:
    return await _download(engine, actor, invoice_id, "pdf", if_none_match)
