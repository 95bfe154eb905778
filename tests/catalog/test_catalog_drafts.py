"""Guards on drafts: one import at a time per draft, no publishing while an import writes into it,
and no silent undoing of a newer published version by a draft copied from an older one.
On SQLite and PostgreSQL."""
import threading
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from catalog import draft_lock, file_import, importing, version_content, version_publishing, versions
from catalog.version_tables import CatalogVersion, CatalogVersionItem
from database import session_scope
from tests.dbs import database_fixture

db = database_fixture(scope="module")  # this module publishes: its own databases

DATA = Path(__file__).parent / "data"
OPTIONS = dict(default_delivery_unit="central-warehouse", default_category="misc")


def new_draft(engine, *, empty: bool = False) -> int:
    with session_scope(engine, write_lock=True) as session:
        return versions.create_draft(session, created_by="test", empty=empty).id


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
        return versions.info(session, versions.get_version(session, version_id))


def test_a_draft_copied_from_an_older_version_is_not_published_over_a_newer_one_unless_forced(db):
    with session_scope(db) as session:
        live = versions.live_version(session)
    first, second = new_draft(db), new_draft(db)
    assert info(db, first).based_on == live and info(db, second).based_on == live
    set_price(db, first, "CBL-CAT6-5M", "4.44")
    set_price(db, second, "PWR-UPS-AT", "777.00")
    publish(db, first)

    with pytest.raises(versions.StaleDraft, match=f"copied from version {live}, but version {first}"):
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
    with pytest.raises(draft_lock.ImportBusy, match="another import is writing"):
        file_import.import_file(db, version, DATA / "items.csv", **OPTIONS)
    with pytest.raises(draft_lock.ImportBusy, match="publish it when the import has finished"):
        publish(db, version)
    with session_scope(db) as session:
        assert versions.item_count(session, version) == 0  # the refused import wrote nothing

    draft_lock.release(db, version, "someone-else")
    report = file_import.import_file(db, version, DATA / "items.csv", **OPTIONS)
    assert report.added > 0 and not info(db, version).import_running


def test_an_import_that_stopped_showing_signs_of_life_is_taken_over(db):
    version = new_draft(db, empty=True)
    draft_lock.claim(db, version, "crashed", now=versions.utcnow() - draft_lock.STALE_AFTER - timedelta(seconds=1))
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
    with pytest.raises(draft_lock.ImportBusy, match="took the draft over"):
        importer.finish()


def test_two_imports_racing_for_one_draft_one_wins(db):
    version = new_draft(db, empty=True)
    barrier, outcomes = threading.Barrier(2), []

    def run():
        barrier.wait()
        try:
            outcomes.append(file_import.import_file(db, version, DATA / "supplier_full.xml", **OPTIONS).added)
        except draft_lock.ImportBusy:
            outcomes.append("busy")

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # either one was refused, or the second began after the first had finished (and changed nothing)
    assert sorted(map(str, outcomes)) in (["3", "busy"], ["0", "3"])
