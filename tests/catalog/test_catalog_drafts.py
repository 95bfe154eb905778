"""Guards on drafts: one import at a time per draft, no publishing while an import writes into it,
and no silent undoing of a newer published version by a draft copied from an older one.
On SQLite and PostgreSQL."""

import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from catalog.exchange import draft_items, file_import, importing
from catalog.versions import content as version_content
from catalog.versions import draft_lock, store
from catalog.versions import publishing as version_publishing
from catalog.versions.tables import CatalogVersion, CatalogVersionItem
from core.database import make_engine, session_scope
from migrations import alembic_config, upgrade
from tests.dbs import BACKENDS, PG_HOST, _admin_connection, database_fixture

db = database_fixture(scope="module")  # this module publishes: its own databases

DATA = Path(__file__).parent / "data"
OPTIONS = {"default_delivery_unit": "central-warehouse", "default_category": "misc"}


def new_draft(engine, *, empty: bool = False) -> int:
    with session_scope(engine, write_lock=True) as session:
        return store.create_draft(session, created_by="test", empty=empty).id


def set_price(engine, version_id: int, sku: str, price: str) -> None:
    with session_scope(engine, write_lock=True) as session:
        row = session.get(CatalogVersionItem, (version_id, sku))
        row.list_price = Decimal(price)
        row.content_hash = version_content.content_hash(version_content.row_content(row))


def publish(engine, version_id: int, **kwargs):
    with session_scope(engine, write_lock=True) as session:
        return version_publishing.publish(session, version_id, "catalog@seller.example", **kwargs)


def info(engine, version_id: int):
    with session_scope(engine) as session:
        return store.info(session, store.get_version(session, version_id))


def test_a_draft_copied_from_an_older_version_is_not_published_over_a_newer_one_unless_forced(db):
    with session_scope(db) as session:
        live = store.live_version(session)
    first, second = new_draft(db), new_draft(db)
    assert info(db, first).based_on == live and info(db, second).based_on == live
    set_price(db, first, "CBL-CAT6-5M", "4.44")
    set_price(db, second, "PWR-UPS-AT", "777.00")
    publish(db, first)

    with pytest.raises(store.StaleDraft, match=f"copied from version {live}, but version {first}"):
        publish(db, second)  # it still has the old cable price: publishing would undo version `first`
    assert info(db, second).status == "draft"
    result = publish(db, second, force=True)
    assert result.status == "published" and result.previous_version_id == first


def test_a_full_import_replaces_the_draft_so_it_no_longer_builds_on_an_older_version(db):
    version = new_draft(db)
    assert info(db, version).based_on is not None
    report = file_import.import_file(db, version, DATA / "supplier_full.xml", **OPTIONS)
    assert report.added and info(db, version).based_on is None and not info(db, version).import_running


def test_a_second_import_into_the_same_draft_waits_for_the_first(db):
    version = new_draft(db, empty=True)
    draft_lock.claim(db, version, "someone-else")
    assert info(db, version).import_running
    with pytest.raises(store.ImportBusy, match="another import is writing"):
        file_import.import_file(db, version, DATA / "items.csv", **OPTIONS)
    with pytest.raises(store.ImportBusy, match="publish it when the import has finished"):
        publish(db, version)
    with session_scope(db) as session:
        assert store.item_count(session, version) == 0  # the refused import wrote nothing

    draft_lock.release(db, version, "someone-else")
    report = file_import.import_file(db, version, DATA / "items.csv", **OPTIONS)
    assert report.added > 0 and not info(db, version).import_running


def test_an_import_that_stopped_showing_signs_of_life_is_taken_over(db):
    version = new_draft(db, empty=True)
    draft_lock.claim(db, version, "crashed", now=store.utcnow() - store.STALE_AFTER - timedelta(seconds=1))
    assert not info(db, version).import_running
    report = file_import.import_file(db, version, DATA / "items.csv", **OPTIONS)
    assert report.added > 0
    with session_scope(db) as session:
        assert session.get(CatalogVersion, version).import_run is None


def test_an_import_whose_draft_was_taken_over_stops_at_its_next_batch(db):
    version = new_draft(db, empty=True)
    importer = importing.DraftImporter(db, version, format="csv", mode="full", transaction="CSV", **OPTIONS)
    draft_lock.release(db, version, importer.run_id)
    draft_lock.claim(db, version, "newcomer")
    importer.add(importing.ItemRecord(line=2, sku="X-1", fields={"name": "x", "list_price": "1.00"}))
    with pytest.raises(store.ImportBusy, match="took the draft over"):
        importer.finish()


def test_two_imports_racing_for_one_draft_one_wins(db):
    version = new_draft(db, empty=True)
    barrier, outcomes = threading.Barrier(2), []

    def run():
        barrier.wait()
        try:
            outcomes.append(file_import.import_file(db, version, DATA / "supplier_full.xml", **OPTIONS).added)
        except store.ImportBusy:
            outcomes.append("busy")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # either one was refused, or the second began after the first had finished (and changed nothing)
    assert sorted(map(str, outcomes)) in (["3", "busy"], ["0", "3"])


def test_an_import_whose_claim_went_stale_does_not_write_into_the_version_published_meanwhile(db):
    version = new_draft(db)
    importer = importing.DraftImporter(db, version, format="csv", mode="delta", transaction="CSV", **OPTIONS)
    with session_scope(db, write_lock=True) as session:  # the import stalls: its claim goes stale
        session.get(CatalogVersion, version).import_seen_at = store.utcnow() - store.STALE_AFTER - timedelta(seconds=1)
    assert publish(db, version, force=True).status == "published"
    importer.add(importing.ItemRecord(line=2, sku="LATE-1", fields={"name": "late", "list_price": "1.00"}))
    with pytest.raises(store.ImportBusy):
        importer.finish()
    importer.release()
    with session_scope(db) as session:
        assert session.get(CatalogVersionItem, (version, "LATE-1")) is None  # the published version is as published
        assert session.get(CatalogVersion, version).import_run is None


def test_removing_an_item_or_discarding_the_draft_waits_for_the_import(db):
    version = new_draft(db)
    draft_lock.claim(db, version, "running-import")
    with pytest.raises(store.ImportBusy), session_scope(db, write_lock=True) as session:
        store.delete_draft_item(session, version, "CBL-CAT6-5M")
    with pytest.raises(store.ImportBusy), session_scope(db, write_lock=True) as session:
        store.discard_draft(session, version)
    draft_lock.release(db, version, "running-import")
    with session_scope(db, write_lock=True) as session:
        assert store.delete_draft_item(session, version, "CBL-CAT6-5M")
        store.discard_draft(session, version)


def test_an_edit_of_an_items_configuration_is_written_with_the_item_under_the_draft_lock(db):
    version = new_draft(db)
    options = {"hw_version": ["B2"], "sw_version": ["8.0"]}
    report = draft_items.put_item(db, version, "SW-24-PRO", {"options": options}, **OPTIONS)
    assert (report.changed, report.unchanged) == (1, 0)  # the configuration is the item's content
    with session_scope(db) as session:
        row = session.get(CatalogVersionItem, (version, "SW-24-PRO"))
        assert row.options == options
        assert row.content_hash == version_content.content_hash(version_content.row_content(row))
    assert draft_items.put_item(db, version, "SW-24-PRO", {"options": options}, **OPTIONS).unchanged == 1

    draft_lock.claim(db, version, "running-import")  # no edit while an import writes into the draft
    with pytest.raises(store.ImportBusy):
        draft_items.put_item(db, version, "SW-24-PRO", {"options": {"hw_version": ["A1"]}}, **OPTIONS)
    draft_lock.release(db, version, "running-import")
    publish(db, version, force=True)
    with pytest.raises(store.VersionConflict):  # nor once it is published
        draft_items.put_item(db, version, "SW-24-PRO", {"constraints": []}, **OPTIONS)


@contextmanager
def empty_database(backend: str, tmp_path):
    """The URL of a new, empty database (dropped afterwards on PostgreSQL)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    admin, user = _admin_connection()
    name = f"o2c_test_{uuid.uuid4().hex[:12]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield f"postgresql+psycopg://{user}@{PG_HOST}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migration_records_which_version_the_existing_drafts_were_copied_from(backend, tmp_path):
    with empty_database(backend, tmp_path) as url:
        command.upgrade(alembic_config(url), "0005_merge")
        engine = make_engine(url)
        with engine.begin() as connection:
            # 1: a draft from before the first publish; 2 published, then 4; 3 a draft of 2's time, 5 of 4's
            for id_, status, created, published in [
                (1, "draft", "2025-12-31 00:00:00", None),
                (2, "superseded", "2026-01-01 00:00:00", "2026-01-01 01:00:00"),
                (3, "draft", "2026-01-02 00:00:00", None),
                (4, "published", "2026-01-03 00:00:00", "2026-01-03 01:00:00"),
                (5, "draft", "2026-01-04 00:00:00", None),
            ]:
                connection.execute(
                    text(
                        "INSERT INTO catalogversion (id, status, note, source, created_by, created_at, published_at) "
                        "VALUES (:id, :status, '', 'test', 'test', :created, :published)"
                    ),
                    {
                        "id": id_,
                        "status": status,
                        "created": f"{created}.000000",
                        "published": published and f"{published}.000000",
                    },
                )
            connection.execute(text("INSERT INTO cataloglive (id, version_id) VALUES ('live', 4)"))
        engine.dispose()
        upgrade(url)
        engine = make_engine(url)
        try:
            with session_scope(engine) as session:
                based_on = {v.id: v.based_on for v in store.list_versions(session)}
            assert based_on == {1: None, 2: None, 3: 2, 4: None, 5: 4}
            with pytest.raises(store.StaleDraft):  # it would undo version 4
                publish(engine, 3)
        finally:
            engine.dispose()
