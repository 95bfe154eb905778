"""The catalog workflows on Temporal's time-skipping test server: a publication at a future date
(and its cancellation), and a supplier sync pulling a BMEcat file from a local HTTP server."""

import functools
import http.server
import shutil
import threading
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError

from activities.catalog import FetchRefused, fetch
from catalog.tables import Item
from catalog.versions import content, store
from catalog.versions.tables import CatalogVersion, CatalogVersionItem
from core import temporal_names as names
from core.database import session_scope
from core.settings import Settings
from models.catalog_versions import SyncRequest, SyncResult
from notifications.tables import NotificationRow
from tests.dbs import database_fixture
from worker import catalog_worker
from workflows import catalog_starter
from workflows.catalog_publication import CatalogPublicationWorkflow
from workflows.catalog_sync import CatalogSyncWorkflow

db = database_fixture(scope="module")  # this module publishes: its own databases

DATA = Path(__file__).parent / "data"


@pytest.fixture
async def client(time_env, db, task_queue):
    """A worker on this module's database; afterwards nothing of the test is left running (so its
    history is saved and replayed with the others)."""
    started: list[str] = []
    async with catalog_worker(
        time_env.client, db, Settings(temporal_catalog_task_queue=task_queue, webhook_allow_internal_targets=True)
    ):
        yield time_env.client, started
        for workflow_id in started:
            handle = time_env.client.get_workflow_handle(workflow_id)
            if (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
                await handle.terminate(reason="test finished")


def draft_with_price(engine, sku: str, price: str) -> int:
    with session_scope(engine, write_lock=True) as session:
        version = store.create_draft(session, created_by="test")
        row = session.get(CatalogVersionItem, (version.id, sku))
        row.list_price = Decimal(price)
        row.content_hash = content.content_hash(content.row_content(row))
        return version.id


def status(engine, version_id: int) -> str:
    with session_scope(engine) as session:
        return store.get_version(session, version_id).status


def list_price(engine, sku: str) -> Decimal:
    with session_scope(engine) as session:
        return session.get(Item, sku).list_price


async def test_a_publication_at_a_future_date_activates_then(client, time_env, db, task_queue):
    temporal, started = client
    version = draft_with_price(db, "CBL-CAT6-5M", "7.77")
    activates_at = await time_env.get_current_time() + timedelta(days=2)
    result = await catalog_starter.publish(temporal, db, task_queue, version, "catalog@seller.example", activates_at)
    started.append(names.publication_workflow_id(version))
    assert result.status == "scheduled"
    handle = temporal.get_workflow_handle_for(CatalogPublicationWorkflow.run, names.publication_workflow_id(version))

    await time_env.sleep(timedelta(days=1))
    assert await handle.query(CatalogPublicationWorkflow.state) == "scheduled"
    assert status(db, version) == "scheduled" and list_price(db, "CBL-CAT6-5M") != Decimal("7.77")

    await time_env.sleep(timedelta(days=1, minutes=1))
    published = await handle.result()
    assert published.status == "published" and published.version_id == version
    assert status(db, version) == "published" and list_price(db, "CBL-CAT6-5M") == Decimal("7.77")
    with session_scope(db) as session:
        assert store.live_version(session) == version


async def test_cancelling_the_publication_before_its_date_makes_the_version_a_draft_again(
    client, time_env, db, task_queue
):
    temporal, started = client
    version = draft_with_price(db, "CBL-CAT6-5M", "8.88")
    when = await time_env.get_current_time() + timedelta(days=5)
    await catalog_starter.publish(temporal, db, task_queue, version, "catalog@seller.example", when)
    started.append(names.publication_workflow_id(version))
    handle = temporal.get_workflow_handle(names.publication_workflow_id(version))
    await handle.cancel()  # e.g. from the Temporal UI: the workflow itself unpublishes
    with pytest.raises(WorkflowFailureError):
        await handle.result()
    assert status(db, version) == "draft"

    await catalog_starter.publish(temporal, db, task_queue, version, "catalog@seller.example", when)  # again
    assert status(db, version) == "scheduled"
    assert await catalog_starter.unpublish(temporal, db, version)  # the API's and CLI's way
    with pytest.raises(WorkflowFailureError):
        await temporal.get_workflow_handle(names.publication_workflow_id(version)).result()
    assert status(db, version) == "draft" and list_price(db, "CBL-CAT6-5M") != Decimal("8.88")


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("supplier")
    for path in DATA.iterdir():
        shutil.copy(path, directory / path.name)
    return directory


@pytest.fixture(scope="module")
def catalog_server(served):
    """Serves a copy of tests/catalog/data over HTTP, like a supplier's download URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


async def run_sync(temporal, started, task_queue, request: SyncRequest) -> SyncResult:
    workflow_id = f"catalog-sync-test-{uuid.uuid4().hex[:8]}"
    await temporal.start_workflow(CatalogSyncWorkflow.run, request, id=workflow_id, task_queue=task_queue)
    started.append(workflow_id)
    return await temporal.get_workflow_handle_for(CatalogSyncWorkflow.run, workflow_id).result()


async def test_a_sync_pulls_the_suppliers_catalog_into_a_draft_and_reports_what_changed(
    client, db, task_queue, catalog_server
):
    temporal, started = client
    request = SyncRequest(
        supplier="netsupplies", url=f"{catalog_server}/supplier_full.xml", mode="delta", default_category="network"
    )
    result = await run_sync(temporal, started, task_queue, request)
    assert result.version_id is not None and result.bytes == (DATA / "supplier_full.xml").stat().st_size
    assert (result.report.added, result.report.failed, result.report.removed) == (3, 3, 0)
    assert (result.diff.counts.added, result.diff.counts.removed) == (3, 0)
    assert "3 added" in result.summary
    with session_scope(db) as session:
        draft = session.get(CatalogVersion, result.version_id)
        assert draft.status == "draft" and draft.source.startswith("sync:netsupplies:")
        note = session.execute(
            select(NotificationRow).where(
                NotificationRow.role == "catalog_manager", NotificationRow.subject.contains("netsupplies")
            )
        ).scalar_one()
        assert f"draft {result.version_id}" in note.subject and "T-BAD-PRICE" in note.body

    again = await run_sync(temporal, started, task_queue, request)  # the same file: no second draft
    assert again.version_id == result.version_id and "unchanged since the last sync" in again.summary
    with session_scope(db) as session:
        drafts = (
            session.execute(select(CatalogVersion.id).where(CatalogVersion.source.like("sync:netsupplies:%")))
            .scalars()
            .all()
        )
    assert drafts == [result.version_id]


async def test_a_sync_without_changes_keeps_no_draft_and_a_missing_file_fails(
    client, db, task_queue, catalog_server, served
):
    temporal, started = client
    with session_scope(db, write_lock=True) as session:  # a file equal to the published catalog
        live = store.live_version(session)
        rows = store.version_items(session, live, limit=500).items
    lines = ["sku,name,description,category,unit,list_price,currency,vat_rate,delivery_unit_id"] + [
        f'{i.sku},"{i.name}","{i.description}",{i.category},{i.unit},{i.list_price},{i.currency},{i.vat_rate},'
        f"{i.delivery_unit_id}"
        for i in rows
    ]
    (served / "current.csv").write_text("\n".join(lines) + "\n")
    result = await run_sync(
        temporal, started, task_queue, SyncRequest(supplier="self", url=f"{catalog_server}/current.csv")
    )
    assert result.version_id is None and "no changes" in result.summary

    with pytest.raises(WorkflowFailureError) as failure:
        await run_sync(temporal, started, task_queue, SyncRequest(supplier="gone", url=f"{catalog_server}/nothing.xml"))
    assert "404" in str(failure.value.cause.cause)


def test_a_download_into_the_internal_network_is_refused_unless_allowed(catalog_server, tmp_path):
    """A supplier's URL is typed into a form: production's worker does not fetch from loopback or
    a private network (core/outbound.py), nor from a metadata address, redirects included."""
    url = f"{catalog_server}/supplier_full.xml"
    with pytest.raises(FetchRefused, match=r"not allowed: .*WEBHOOK_ALLOW_INTERNAL_TARGETS"):
        fetch(url, tmp_path / "a", timeout=10, max_bytes=10**7, allow_internal=False)
    with pytest.raises(FetchRefused, match="link-local"):
        fetch("http://169.254.169.254/latest/", tmp_path / "b", timeout=10, max_bytes=10**7, allow_internal=True)
    assert fetch(url, tmp_path / "c", timeout=10, max_bytes=10**7, allow_internal=True) > 0
