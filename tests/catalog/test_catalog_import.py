"""Importing BMEcat 2005 and CSV into a draft version: field mapping, idempotency, deltas, the
per-item error report, hostile XML, and a broken-off file. On SQLite and PostgreSQL."""

import http.server
import io
import threading
from decimal import Decimal
from pathlib import Path
from typing import ClassVar

import pytest
from lxml import etree
from sqlalchemy import func, select

from catalog.exchange import bmecat_safety, file_import, importing
from catalog.versions import store
from catalog.versions.tables import CatalogImportRow, CatalogVersionItem
from core.database import session_scope
from tests.dbs import database_fixture

db = database_fixture(scope="module")  # this module's own databases: imports change versions

DATA = Path(__file__).parent / "data"
SHARED_SAMPLE = (
    Path(__file__).parents[2].parent / "shared" / "validators" / "bmecat" / "samples" / "bmecat-sample-udx.xml"
)
OPTIONS = {"default_delivery_unit": "central-warehouse", "default_category": "misc"}


def new_draft(engine, *, empty: bool = False) -> int:
    with session_scope(engine, write_lock=True) as session:
        return store.create_draft(session, created_by="test", empty=empty).id


def items(engine, version_id: int) -> dict[str, CatalogVersionItem]:
    with session_scope(engine) as session:
        rows = session.execute(select(CatalogVersionItem).where(CatalogVersionItem.version_id == version_id)).scalars()
        return {r.sku: r for r in rows}


def errors_by_sku(report) -> dict:
    return {e.sku: e for e in report.errors}


def test_a_full_bmecat_file_maps_its_fields_and_reports_bad_items_without_stopping(db):
    version = new_draft(db, empty=True)
    report = file_import.import_file(db, version, DATA / "supplier_full.xml", **OPTIONS)

    assert (report.transaction, report.mode, report.format) == ("T_NEW_CATALOG", "full", "bmecat")
    assert (report.items_read, report.added, report.failed) == (6, 3, 3)
    errors = errors_by_sku(report)
    assert errors["T-BAD-PRICE"].field == "list_price" and "twelve euros" in errors["T-BAD-PRICE"].message
    assert errors["T-BAD-UNIT"].field == "unit" and "BUCKET" in errors["T-BAD-UNIT"].message
    assert errors[None].field == "sku" and errors[None].line is not None  # the item without SUPPLIER_PID

    got = items(db, version)
    assert set(got) == {"T-RTR-100", "T-RTR-200", "T-CBL-1M"}
    router = got["T-RTR-100"]
    assert router.name == "Branch router 100"
    assert router.description == "Compact branch office router with four gigabit ports and VPN."
    assert router.list_price == Decimal("349.00")  # the net_list price with the lowest LOWER_BOUND
    assert (router.currency, router.vat_rate, router.unit, router.category) == (
        "EUR",
        Decimal("0.1900"),
        "C62",
        "routers",
    )
    assert router.delivery_unit_id == "central-warehouse"
    assert router.attributes == {
        "eclass": "19170403",
        "ean": "4006381333931",
        "manufacturer": "RouteWorks",
        "manufacturer_part_number": "BR-100-EU",
        "delivery_days": 4,
        "image_url": "https://img.example/rtr-100.jpg",
    }
    assert got["T-RTR-200"].attributes == {"unspsc": "43222609"}
    cable = got["T-CBL-1M"]
    assert cable.list_price == Decimal("2.40") and cable.vat_rate == Decimal("0.1900")  # net_list wins; TAX 19 = 19 %
    assert cable.category == "misc"  # no catalog group: the default


def test_the_same_file_twice_changes_nothing(db):
    version = new_draft(db, empty=True)
    file_import.import_file(db, version, DATA / "supplier_full.xml", **OPTIONS)
    before = {sku: r.content_hash for sku, r in items(db, version).items()}
    again = file_import.import_file(db, version, DATA / "supplier_full.xml", **OPTIONS)
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 3)
    assert {sku: r.content_hash for sku, r in items(db, version).items()} == before
    with session_scope(db) as session:  # the import's staging rows are gone
        assert session.execute(select(func.count()).select_from(CatalogImportRow)).scalar_one() == 0


def test_a_full_import_removes_what_the_file_no_longer_has_and_keeps_what_it_does_not_carry(db):
    version = new_draft(db)  # a copy of the published demo catalog
    with session_scope(db, write_lock=True) as session:
        switch = session.get(CatalogVersionItem, (version, "SW-24-PRO"))
        assert switch.options  # configuration data, which BMEcat does not carry
    report = file_import.import_file(db, version, DATA / "supplier_full.xml", **OPTIONS)
    assert report.removed == 4  # the demo items are not in the supplier's file
    assert set(items(db, version)) == {"T-RTR-100", "T-RTR-200", "T-CBL-1M"}


def test_delta_files_update_add_delete_and_change_prices(db):
    version = new_draft(db, empty=True)
    file_import.import_file(db, version, DATA / "supplier_full.xml", **OPTIONS)
    with session_scope(db, write_lock=True) as session:  # an existing item keeps its delivery unit
        session.get(CatalogVersionItem, (version, "T-RTR-200")).delivery_unit_id = "netpartner"

    products = file_import.import_file(db, version, DATA / "supplier_update_products.xml", **OPTIONS)
    assert (products.transaction, products.mode) == ("T_UPDATE_PRODUCTS", "delta")
    assert (products.changed, products.added, products.deleted, products.removed, products.failed) == (1, 1, 1, 0, 1)
    assert "T-NOT-THERE" in errors_by_sku(products)
    got = items(db, version)
    assert got["T-RTR-200"].name == "Branch router 200 LTE" and got["T-RTR-200"].delivery_unit_id == "netpartner"
    assert got["T-RTR-200"].category == "routers"  # the category from the full file stays
    assert "T-AP-WIFI6" in got and "T-CBL-1M" not in got and "T-RTR-100" in got

    prices = file_import.import_file(db, version, DATA / "supplier_update_prices.xml", **OPTIONS)
    assert (prices.transaction, prices.changed, prices.failed) == ("T_UPDATE_PRICES", 1, 2)
    errors = errors_by_sku(prices)
    assert "not in the catalog" in errors["T-UNKNOWN"].message
    assert errors["T-RTR-200"].field == "list_price"
    got = items(db, version)
    assert got["T-RTR-100"].list_price == Decimal("359.00")
    assert got["T-RTR-100"].name == "Branch router 100"  # a price update touches prices only
    assert got["T-RTR-200"].list_price == Decimal("599.50")  # the bad price did not replace it


def test_csv_import_with_its_error_report_and_idempotency(db):
    version = new_draft(db, empty=True)
    report = file_import.import_file(db, version, DATA / "items.csv", mode="delta", **OPTIONS)
    assert (report.format, report.transaction, report.added, report.failed) == ("csv", "CSV", 2, 5)
    errors = errors_by_sku(report)
    assert errors["T-CSV-BAD"].field == "list_price" and errors["T-CSV-BAD"].line == 4
    assert errors["T-CSV-UNIT"].field == "unit"
    assert errors["T-CSV-DU"].field == "delivery_unit_id"
    assert errors["T-CSV-ECL"].field == "eclass"
    assert errors[None].field == "sku"
    keyboard = items(db, version)["T-CSV-KBD"]
    assert keyboard.list_price == Decimal("24.90") and keyboard.vat_rate == Decimal("0.1900")  # "24,90", "19"
    assert keyboard.attributes == {
        "eclass": "19010203",
        "image_url": "https://img.example/kbd.jpg",
        "manufacturer_part_number": "KB-DE-1",
        "delivery_days": 2,
    }
    again = file_import.import_file(db, version, DATA / "items.csv", mode="delta", **OPTIONS)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 2)


def test_csv_delete_rows_full_mode_and_a_bad_header(db):
    version = new_draft(db, empty=True)
    file_import.import_file(db, version, DATA / "items.csv", mode="delta", **OPTIONS)
    delta = b"sku,action,list_price\nT-CSV-MOUSE,delete,\nT-CSV-KBD,,25.50\n"
    report = file_import.import_file(db, version, io.BytesIO(delta), mode="delta", **OPTIONS)
    assert (report.deleted, report.changed) == (1, 1)
    assert set(items(db, version)) == {"T-CSV-KBD"}
    full = b"sku,name,list_price\nT-CSV-NEW,New thing,1.00\n"
    report = file_import.import_file(db, version, io.BytesIO(full), **OPTIONS)
    assert (report.mode, report.added, report.removed) == ("full", 1, 1)
    assert set(items(db, version)) == {"T-CSV-NEW"}
    with pytest.raises(importing.ImportRefused, match="unknown CSV columns: colour"):
        file_import.import_file(db, version, io.BytesIO(b"sku,colour\nX,red\n"), **OPTIONS)
    with pytest.raises(importing.ImportRefused, match="no sku column"):
        file_import.import_file(db, version, io.BytesIO(b"name,list_price\nX,1\n"), **OPTIONS)


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[str]] = []

    def do_GET(self):
        _Recorder.requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'<!ENTITY stolen SYSTEM "file:///etc/passwd">')

    def log_message(self, *args):
        pass


@pytest.fixture
def recorder():
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.requests.clear()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_entity_declarations_are_refused_before_anything_is_imported(db, name):
    version = new_draft(db, empty=True)
    with pytest.raises(importing.ImportRefused, match="declares entities"):
        file_import.import_file(db, version, DATA / name, **OPTIONS)
    assert items(db, version) == {}


def test_parameter_entities_and_external_dtds_are_never_fetched(db, recorder):
    version = new_draft(db, empty=True)
    evil = (
        f'<?xml version="1.0"?>\n<!DOCTYPE BMECAT [<!ENTITY % remote SYSTEM "{recorder}/evil.dtd"> %remote;]>\n'
        '<BMECAT version="2005"><HEADER/><T_NEW_CATALOG/></BMECAT>'
    ).encode()
    with pytest.raises(importing.ImportRefused, match="declares entities"):
        file_import.import_file(db, version, io.BytesIO(evil), **OPTIONS)
    # a plain DOCTYPE naming an external DTD is fine: it is not loaded
    full = (
        (DATA / "supplier_full.xml")
        .read_bytes()
        .replace(b"http://127.0.0.1:9/bmecat_2005.dtd", f"{recorder}/bmecat.dtd".encode())
    )
    report = file_import.import_file(db, version, io.BytesIO(full), **OPTIONS)
    assert report.added == 3
    assert _Recorder.requests == []


@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_the_parser_itself_resolves_no_entities(name):
    """Defence in depth: even past the prolog check, the parser options expand nothing."""
    names = []
    try:
        for _, el in etree.iterparse(str(DATA / name), tag="{*}DESCRIPTION_SHORT", **bmecat_safety.SAFE_OPTIONS):
            names.append(el.text or "")
    except etree.XMLSyntaxError as exc:  # libxml2's own guard against entity amplification
        assert "amplification" in str(exc)
        return
    assert names and all("root:" not in n and "lollol" not in n for n in names)


def test_a_file_that_breaks_off_keeps_what_came_before_and_removes_nothing(db):
    version = new_draft(db)
    before = set(items(db, version))
    data = (DATA / "supplier_full.xml").read_bytes()
    cut = data[: data.index(b"<SUPPLIER_PID>T-BAD-PRICE")]
    report = file_import.import_file(db, version, io.BytesIO(cut), **OPTIONS)
    assert report.file_error and "well-formed" in report.file_error
    assert report.added == 2 and report.removed == 0
    assert set(items(db, version)) == before | {"T-RTR-100", "T-RTR-200"}


def test_not_a_catalog_is_refused(db):
    version = new_draft(db, empty=True)
    with pytest.raises(importing.ImportRefused, match="not a BMEcat document"):
        file_import.import_file(db, version, io.BytesIO(b"<html><body>hi</body></html>"), **OPTIONS)
    with pytest.raises(importing.ImportRefused, match="no T_NEW_CATALOG"):
        file_import.import_file(db, version, io.BytesIO(b'<BMECAT version="2005"><HEADER/></BMECAT>'), **OPTIONS)


def test_only_drafts_take_imports_and_progress_is_reported(db):
    with session_scope(db) as session:
        live = store.live_version(session)
    with pytest.raises(store.VersionConflict, match="only drafts"):
        file_import.import_file(db, live, DATA / "items.csv", **OPTIONS)
    version = new_draft(db, empty=True)
    seen = []
    file_import.import_file(
        db, version, DATA / "supplier_full.xml", progress=lambda pos, n: seen.append((pos, n)), **OPTIONS
    )
    assert seen[-1][0] == (DATA / "supplier_full.xml").stat().st_size


def test_many_items_over_several_batches(db):
    version = new_draft(db, empty=True)
    rows = "".join(f"T-MANY-{i:05d},Item {i},{i}.50\n" for i in range(2500))
    data = ("sku,name,list_price\n" + rows).encode()
    report = file_import.import_file(db, version, io.BytesIO(data), batch_size=400, **OPTIONS)
    assert (report.added, report.failed) == (2500, 0)
    dup = ("sku,name,list_price\nT-MANY-00001,Again,1\n" + rows[:200]).encode()  # a SKU twice, across batches
    report = file_import.import_file(db, version, io.BytesIO(dup), mode="delta", batch_size=2, **OPTIONS)
    assert report.failed == 1 and "more than once" in report.errors[0].message


@pytest.mark.skipif(not SHARED_SAMPLE.exists(), reason="../shared/validators is not there")
def test_the_official_bmecat_sample_imports(db):
    version = new_draft(db, empty=True)
    report = file_import.import_file(db, version, SHARED_SAMPLE, **OPTIONS)
    assert (report.added, report.failed) == (1, 0)
    envelope = items(db, version)["Q20-P09"]
    assert envelope.list_price == Decimal("16.49") and envelope.attributes["unspsc"] == "44121505"
    assert envelope.attributes["image_url"] == "P09.gif"


def test_an_import_that_fails_half_way_releases_the_draft_and_leaves_no_staging_rows(db):
    version = new_draft(db, empty=True)
    with session_scope(db) as session:
        staged = session.execute(select(func.count()).select_from(CatalogImportRow)).scalar_one()

    def cancelled(position: int, items_read: int) -> None:  # e.g. the sync activity's heartbeat when cancelled
        if items_read >= 3:
            raise RuntimeError("activity cancelled")

    with pytest.raises(RuntimeError, match="cancelled"):
        file_import.import_file(db, version, DATA / "supplier_full.xml", batch_size=1, progress=cancelled, **OPTIONS)
    with session_scope(db) as session:
        assert store.get_version(session, version).import_run is None  # the next import may begin
        assert session.execute(select(func.count()).select_from(CatalogImportRow)).scalar_one() == staged
    report = file_import.import_file(db, version, DATA / "supplier_full.xml", **OPTIONS)
    assert report.added + report.unchanged == 3 and report.removed == 0
