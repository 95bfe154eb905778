"""The catalog exchange service: files in and out of the catalog, for the API, the CLI and the
sync activity. Catalog managers import BMEcat 2005 or CSV into a draft and edit a draft's items
one at a time; a customer exports its own view of the published catalog at its prices (catalog
managers any customer's); a supplier's sync pulls its file into a new draft."""

import io
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Engine

from catalog.exchange import draft_items, export, file_import, importing, sync
from catalog.exchange.importing import ImportRefused
from core.database import session_scope
from core.errors import Conflict, Invalid, NotFound
from models.actors import Actor, require_catalog_manager
from models.catalog_versions import ImportFormat, ImportMode, ImportReport, SyncJob, SyncRequest, SyncResult

InvalidSchedule = sync.InvalidSchedule
__all__ = ["ImportRefused", "InvalidSchedule", "importing"]


def put_draft_item(
    engine: Engine,
    actor: Actor,
    version_id: int,
    sku: str,
    fields: dict[str, Any],
    *,
    default_delivery_unit: str,
    default_category: str,
) -> ImportReport:
    """Creates or changes one item of a draft through the importer's checks; the report says what
    failed (a failed item changes nothing)."""
    require_catalog_manager(actor)
    try:
        return draft_items.put_item(
            engine,
            version_id,
            sku,
            fields,
            default_delivery_unit=default_delivery_unit,
            default_category=default_category,
        )
    except ImportRefused as exc:
        raise _refused(exc) from exc


def _refused(exc: ImportRefused) -> Invalid:
    return Invalid(f"The file was not imported: {exc}", field="file")


def import_upload(
    engine: Engine,
    actor: Actor,
    version_id: int,
    upload: IO[bytes],
    *,
    format: ImportFormat | None,
    mode: ImportMode | None,
    default_delivery_unit: str,
    default_category: str,
) -> ImportReport:
    """Imports an uploaded BMEcat or CSV file into a draft (spooled first: the importer reads it
    twice); the report lists every item with an error."""
    require_catalog_manager(actor)
    with tempfile.TemporaryFile() as tmp:
        while chunk := upload.read(1024 * 1024):
            tmp.write(chunk)
        tmp.seek(0)
        try:
            return file_import.import_file(
                engine,
                version_id,
                tmp,
                format=format,
                mode=mode,
                default_delivery_unit=default_delivery_unit,
                default_category=default_category,
            )
        except ImportRefused as exc:
            raise _refused(exc) from exc


def import_path(
    engine: Engine,
    version_id: int,
    path: Path,
    *,
    format: ImportFormat | None,
    mode: ImportMode | None,
    default_delivery_unit: str,
    default_category: str,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """The CLI's import of a file on disk (the command line acts as a catalog manager)."""
    return file_import.import_file(
        engine,
        version_id,
        path,
        format=format,
        mode=mode,
        default_delivery_unit=default_delivery_unit,
        default_category=default_category,
        progress=progress,
    )


def export_customer(actor: Actor, customer_id: str | None) -> str:
    """Whose view the actor exports: a customer's users their own (another's is not found: other
    customers are not disclosed), the seller's catalog managers the one they name."""
    if actor.customer_id is not None:
        if customer_id not in (None, actor.customer_id):
            raise NotFound(f"unknown customer {customer_id}", field="customer_id")
        return actor.customer_id
    require_catalog_manager(actor)
    if customer_id is None:
        raise Invalid("customer_id is required", field="customer_id")
    return customer_id


def write_export(engine: Engine, customer_id: str, fmt: str, out: IO[bytes], *, supplier_name: str) -> int:
    """Writes the customer's view of the published catalog at its prices, as BMEcat 2005 or CSV
    (UTF-8); returns the number of items."""
    try:
        with session_scope(engine) as session:
            if fmt == "bmecat":
                return export.export_bmecat(session, customer_id, out, supplier_name=supplier_name)
            text = io.TextIOWrapper(out, encoding="utf-8", newline="")
            count = export.export_csv(session, customer_id, text)
            text.flush()
            text.detach()
            return count
    except export.UnknownCustomer as exc:
        raise NotFound(str(exc), field="customer_id") from exc
    except export.NothingPublished as exc:
        raise Conflict(str(exc)) from exc


def check_schedule(request: SyncRequest, every: Any) -> None:
    """A sync schedule that cannot work is refused (InvalidSchedule names the field)."""
    sync.check_schedule(request, every)


def run_sync(
    engine: Engine,
    job: SyncJob,
    *,
    download: Callable[[Path], int],
    default_delivery_unit: str,
    default_category: str,
    heartbeat: Callable[..., None],
) -> SyncResult:
    """The sync activity's work once the file is there: import it into the run's draft, diff it."""
    return sync.run_sync(
        engine,
        job,
        download=download,
        default_delivery_unit=default_delivery_unit,
        default_category=default_category,
        heartbeat=heartbeat,
    )
