"""`order2cash catalog ...`: catalog versions, import, diff, publish, export and supplier syncs.

order2cash catalog versions
order2cash catalog import supplier.xml            # into a new draft (or --version N)
order2cash catalog diff 7
order2cash catalog publish 7 [--at 2027-01-01T00:00:00+01:00]
order2cash catalog unpublish 7
order2cash catalog quality 7 [--customer globex]
order2cash catalog quality-rules globex [--file rules.json]
order2cash catalog sub-assortment globex [--categories network,cables] [--clear]
order2cash catalog changes [--customer acme] [--contract ACME-FC-2026] [--kind price_list]
order2cash catalog export acme -o acme.xml [--format csv]
order2cash catalog sync-schedule supplier-x https://supplier.example/catalog.xml --every P1D
"""

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import cast

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from cli import catalog_rules
from cli.common import ACTOR, cli_actor, console, engine, fail
from core.settings import get_settings

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)


@app.command("versions")
def list_versions() -> None:
    """List catalog versions, newest first."""
    from catalog.versions import service as versions

    with engine() as db:
        rows = versions.list_versions(db, cli_actor())
    table = Table(title="Catalog versions")
    for column in ("id", "status", "items", "activates / published", "source", "note"):
        table.add_column(column)
    for v in rows:
        when = v.published_at or v.activates_at
        table.add_row(
            str(v.id) + (" (live)" if v.live else ""),
            v.status,
            str(v.item_count),
            when.isoformat(timespec="minutes") if when else "",
            v.source,
            v.note,
        )
    console.print(table)


@app.command("draft")
def create_draft(
    note: str = typer.Option("", help="what the draft is for"),
    empty: bool = typer.Option(False, help="start empty instead of from the published version"),
) -> None:
    """Create a draft version (a copy of the published one)."""
    from catalog.versions import service as versions

    with engine() as db:
        version = versions.create_draft(db, cli_actor(), note=note, empty=empty)
    console.print(f"draft version {version.id} created")


@app.command("import")
def import_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="BMEcat 2005 XML or CSV"),
    version: int = typer.Option(None, help="the draft to import into (default: a new draft)"),
    format: str = typer.Option(None, help="bmecat | csv (default: from the content)"),
    mode: str = typer.Option(None, help="CSV: full (default) | delta; BMEcat: its transaction decides"),
    default_delivery_unit: str = typer.Option(None, help="for new items"),
    default_category: str = typer.Option(None, help="for new items without a category"),
    show_errors: int = typer.Option(20, help="how many item errors to print"),
) -> None:
    """Import a file into a draft version, with a progress bar and a per-item error report."""
    from catalog.exchange import service as exchange
    from catalog.versions import service as versions
    from models.catalog_versions import ImportFormat, ImportMode

    s = get_settings()
    if format not in (None, "bmecat", "csv") or mode not in (None, "full", "delta"):
        fail("format is bmecat or csv, mode is full or delta")
    chosen_format, chosen_mode = cast(ImportFormat | None, format), cast(ImportMode | None, mode)
    with engine() as db:
        if version is None:
            version = versions.create_draft(
                db, cli_actor(), note=f"import of {file.name}", source=f"import:{file.name}"
            ).id
            console.print(f"new draft version {version}")
        total = file.stat().st_size
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TextColumn("{task.fields[items]} items"),
            TimeRemainingColumn(),
            console=console,
            transient=not sys.stdout.isatty(),
        ) as progress:
            task = progress.add_task(f"importing {file.name}", total=total, items=0)
            try:
                report = exchange.import_path(
                    db,
                    version,
                    file,
                    format=chosen_format,
                    mode=chosen_mode,
                    default_delivery_unit=default_delivery_unit or s.catalog_default_delivery_unit,
                    default_category=default_category or s.catalog_default_category,
                    progress=lambda pos, items: progress.update(task, completed=pos, items=items),
                )
            except exchange.ImportRefused as exc:
                fail(f"not imported: {exc}")
            except versions.VersionError as exc:
                fail(str(exc))
            progress.update(task, completed=total)
    table = Table(title=f"Import into draft {version} ({report.transaction}, {report.mode})")
    for column in ("read", "added", "changed", "unchanged", "deleted", "removed", "errors"):
        table.add_column(column, justify="right")
    table.add_row(
        *(
            str(n)
            for n in (
                report.items_read,
                report.added,
                report.changed,
                report.unchanged,
                report.deleted,
                report.removed,
                report.failed,
            )
        )
    )
    console.print(table)
    for error in report.errors[:show_errors]:
        console.print(f"  line {error.line or '?'} {error.sku or '(no SKU)'}: {error.message}")
    if report.failed > show_errors:
        console.print(f"  ... and {report.failed - show_errors} more")
    if report.file_error:
        fail(f"the file broke off: {report.file_error} (nothing was removed)")


@app.command("diff")
def diff(
    version: int = typer.Argument(...),
    base: int = typer.Option(None, help="default: the published version"),
    limit: int = typer.Option(50, help="lines per section"),
) -> None:
    """What publishing a version would change."""
    from catalog.versions import service as versions

    with engine() as db:
        try:
            d = versions.diff(db, cli_actor(), version, base, limit=limit)
        except versions.VersionError as exc:
            fail(str(exc))
    console.print(f"[bold]{d.summary()}[/bold]")
    for item in d.added:
        console.print(f"  [green]+ {item.sku}[/green] {item.name}")
    for item in d.removed:
        console.print(f"  [red]- {item.sku}[/red] {item.name}")
    for p in d.price_changes:
        console.print(f"  [yellow]€ {p.sku}[/yellow] {p.old_price} {p.old_currency} → {p.new_price} {p.new_currency}")
    for change in d.text_changes + d.other_changes:
        fields = ", ".join(f"{k}: {v.old!r} → {v.new!r}" for k, v in change.fields.items())
        console.print(f"  [cyan]~ {change.sku}[/cyan] {fields}")


@app.command("publish")
def publish(
    version: int = typer.Argument(...),
    at: datetime = typer.Option(
        None,
        formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M%z"],
        help="activation time with zone, e.g. 2027-01-01T00:00:00+01:00",
    ),
    force: bool = typer.Option(
        False,
        "--force",
        help="publish a draft copied from an older version than the published one (undoes the newer one's changes)",
    ),
) -> None:
    """Publish a draft now, or at a future time (a CatalogPublication workflow)."""
    from catalog.versions import service as versions
    from workflows import catalog_starter

    async def run(db):
        client = None
        s = get_settings()
        if at is not None:
            from core.temporal_client import connect

            client = await connect(s)
        return await catalog_starter.publish(client, db, s.temporal_catalog_task_queue, version, ACTOR, at, force=force)

    try:
        with engine() as db:
            result = asyncio.run(run(db))
    except (versions.VersionError, catalog_starter.PublicationUnavailable) as exc:
        fail(str(exc))
    if result.status == "scheduled":
        console.print(f"version {version} is scheduled for {result.activates_at.isoformat()}")
        return
    m = result.materialised
    console.print(
        f"version {version} is published (was {result.previous_version_id}): {m.inserted} new, "
        f"{m.updated} changed, {m.deleted} deleted, {m.deactivated} deactivated items"
    )
    for c in result.customers:
        if c.hidden_count:
            console.print(f"  {c.customer_id}: {c.hidden_count} items withheld by its quality rules")


@app.command("unpublish")
def unpublish(version: int = typer.Argument(...)) -> None:
    """Cancel a scheduled publication."""
    from catalog.versions import service as versions
    from core.temporal_client import connect
    from workflows import catalog_starter

    async def run(db):
        return await catalog_starter.unpublish(await connect(get_settings()), db, version)

    try:
        with engine() as db:
            changed = asyncio.run(run(db))
    except versions.VersionError as exc:
        fail(str(exc))
    console.print(f"version {version} is a draft again" if changed else f"version {version} was not scheduled")


@app.command("quality")
def quality_report(version: int = typer.Argument(...), customer: str = typer.Option(None)) -> None:
    """Which item fails which customer's quality rules in a version."""
    from catalog import service as catalog
    from catalog.versions import service as versions

    with engine() as db:
        try:
            report = catalog.quality_report(db, cli_actor(), version, customer, limit=1000)
        except versions.VersionError as exc:
            fail(str(exc))
    for c in report.customers:
        console.print(
            f"[bold]{c.customer_id}[/bold] ({', '.join(c.rules)}): {c.failing_count} of {c.checked_items} items fail"
        )
        for item in c.failing:
            console.print(f"  {item.sku}: " + "; ".join(f"{f.rule}: {f.message}" for f in item.failures))


@app.command("export")
def export_catalog(
    customer: str = typer.Argument(...),
    output: Path = typer.Option(None, "-o", "--output"),
    format: str = typer.Option("bmecat", help="bmecat | csv"),
) -> None:
    """Export a customer's view at its prices (BMEcat 2005 T_NEW_CATALOG or CSV)."""
    from catalog.exchange import service as exchange
    from core.errors import DomainError

    if format not in ("bmecat", "csv"):
        fail("format is bmecat or csv")
    output = output or Path(f"catalog-{customer}.{'xml' if format == 'bmecat' else 'csv'}")
    try:
        with engine() as db, open(output, "wb") as out:
            count = exchange.write_export(db, customer, format, out, supplier_name=get_settings().seller_name)
    except DomainError as exc:
        output.unlink(missing_ok=True)  # no half-written file left behind
        fail(str(exc))
    console.print(f"{count} items written to {output}")


@app.command("sync-schedule")
def sync_schedule(
    supplier: str = typer.Argument(..., help="a name for the supplier (the schedule is catalog-sync-SUPPLIER)"),
    url: str = typer.Argument(None, help="where the supplier's BMEcat or CSV file is"),
    every: str = typer.Option("P1D", help="interval: seconds or ISO 8601 (PT6H, P1D)"),
    format: str = typer.Option(None, help="bmecat | csv (default: from the content)"),
    default_delivery_unit: str = typer.Option(None),
    default_category: str = typer.Option(None),
    replace: bool = typer.Option(False, help="change an existing schedule"),
    delete: bool = typer.Option(False, help="delete the supplier's schedule"),
    trigger: bool = typer.Option(False, help="run the supplier's sync now"),
) -> None:
    """Create (or change, delete, trigger) a Temporal schedule that pulls a supplier's catalog into a draft."""
    from datetime import timedelta

    from pydantic import TypeAdapter

    from core.temporal_client import connect
    from models.catalog_versions import SyncRequest
    from workflows import catalog_starter

    s = get_settings()

    async def run() -> str:
        client = await connect(s)
        if delete:
            return f"schedule {await catalog_starter.delete_sync_schedule(client, supplier)} deleted"
        if trigger:
            return f"schedule {await catalog_starter.trigger_sync_schedule(client, supplier)} triggered"
        if not url:
            fail("a URL is needed to create a schedule")
        interval = TypeAdapter(timedelta).validate_python(every)
        request = SyncRequest(
            supplier=supplier,
            url=url,
            format=format,
            default_delivery_unit=default_delivery_unit,
            default_category=default_category,
        )
        sid = await catalog_starter.create_sync_schedule(
            client, request, interval, s.temporal_catalog_task_queue, replace=replace
        )
        return f"schedule {sid}: {url} every {interval}"

    try:
        console.print(asyncio.run(run()))
    except Exception as exc:
        if isinstance(exc, typer.Exit):
            raise
        fail(f"{type(exc).__name__}: {exc}")


app.add_typer(catalog_rules.app)  # quality rules, sub-assortments, the audit trail: kept apart for size
