"""Cash application (cash.service): import a bank statement (camt.053), and the payments no
invoice took, which finance assigns to an invoice or dismisses."""

from typing import Annotated

from fastapi import APIRouter, File, Header, Query, UploadFile
from fastapi.concurrency import run_in_threadpool

from api.deps import EngineDep, GatewayDep
from api.params import Offset
from api.problems import Problem
from api.security import CurrentActor
from cash import service as cash
from models.bank_statements import AssignBody, DismissBody, StatementReport, UnmatchedItem, UnmatchedPage

router = APIRouter(prefix="/api/v1/finance", tags=["finance"])


@router.post(
    "/bank-statements",
    response_model=StatementReport,
    summary="Import an ISO 20022 camt.053 bank statement: booked credits are matched to open invoices by the "
    "invoice number in their remittance; the answer says per entry what matched and what did not. The same "
    "statement again books nothing twice",
)
async def import_bank_statement(
    actor: CurrentActor,
    engine: EngineDep,
    gateway: GatewayDep,
    file: Annotated[UploadFile, File(description="camt.053.001.02 to .13 XML, at most 10 MiB")],
) -> StatementReport:
    data = await file.read(cash.MAX_STATEMENT_BYTES + 1)
    if len(data) > cash.MAX_STATEMENT_BYTES:
        raise Problem(413, f"a bank statement is at most {cash.MAX_STATEMENT_BYTES} bytes", field="file")
    return await cash.import_statement(gateway, engine, actor, data)


@router.get(
    "/unmatched-payments",
    response_model=UnmatchedPage,
    summary="Bank entries with money no invoice took, oldest first",
)
async def list_unmatched(
    actor: CurrentActor,
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=cash.MAX_PAGE)] = 50,
    offset: Offset = 0,
) -> UnmatchedPage:
    return await run_in_threadpool(cash.unmatched_items, engine, actor, offset, limit)


@router.get("/unmatched-payments/{entry_key}", response_model=UnmatchedItem, summary="One bank entry")
async def read_unmatched(entry_key: str, actor: CurrentActor, engine: EngineDep) -> UnmatchedItem:
    return await run_in_threadpool(cash.unmatched_item, engine, actor, entry_key)


@router.post(
    "/unmatched-payments/{entry_key}/assign",
    response_model=UnmatchedItem,
    summary="Book (some of) an entry's unmatched money on an invoice; what is left stays unmatched",
)
async def assign_unmatched(
    entry_key: str,
    body: AssignBody,
    actor: CurrentActor,
    engine: EngineDep,
    gateway: GatewayDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", min_length=1, max_length=200)] = None,
) -> UnmatchedItem:
    return await cash.assign(gateway, engine, actor, entry_key, body.invoice_id, body.amount, idempotency_key)


@router.post(
    "/unmatched-payments/{entry_key}/dismiss",
    response_model=UnmatchedItem,
    summary="Close an entry's unmatched money without booking it (e.g. refunded), with a note",
)
async def dismiss_unmatched(entry_key: str, body: DismissBody, actor: CurrentActor, engine: EngineDep) -> UnmatchedItem:
    return await run_in_threadpool(cash.dismiss, engine, actor, entry_key, body.note)
