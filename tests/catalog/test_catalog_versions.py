"""Catalog versions: the demo versions, diffs, publishing into the live catalog (now and
scheduled), and older versions staying readable. On SQLite and PostgreSQL."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from catalog.tables import Item
from catalog.versions import content, diff, store
from catalog.versions import publishing as version_publishing
from catalog.versions.tables import CatalogVersionItem
from core.database import session_scope
from demo.catalog_versions import CABLE_PRICE_V2, NEW_ITEM
from demo.seed import load_demo_data
from tests.dbs import database_fixture

db = database_fixture(scope="module")  # this module publishes: its own databases


def draft(
    engine, *, changes: dict[str, dict] | None = None, add: list[dict] | None = None, remove: list[str] = ()
) -> int:
    """A draft copied from the published version, with items changed, added and removed."""
    with session_scope(engine, write_lock=True) as session:
        version = store.create_draft(session, created_by="test")
        for sku, fields in (changes or {}).items():
            row = session.get(CatalogVersionItem, (version.id, sku))
            for name, value in fields.items():
                setattr(row, name, value)
            row.content_hash = content.content_hash(content.row_content(row))
        for item in add or []:
            session.add(CatalogVersionItem(**content.version_row(version.id, item["sku"], item)))
        for sku in remove:
            store.delete_draft_item(session, version.id, sku)
        return version.id


def publish(engine, version_id: int, **kwargs):
    with session_scope(engine, write_lock=True) as session:
        return version_publishing.publish(session, version_id, "catalog@seller.example", **kwargs)


def item(engine, sku: str) -> Item | None:
    with session_scope(engine) as session:
        return session.get(Item, sku)


def new_item(sku: str, **fields) -> dict:
    return {**NEW_ITEM, "sku": sku, "name": f"Test item {sku}", "attributes": {}, **fields}


def test_the_demo_has_a_published_version_and_a_draft_with_a_price_change_and_a_new_item(db):
    with session_scope(db) as session:
        listed = {v.id: v for v in store.list_versions(session)}
        live = store.live_version(session)
        assert listed[live].status == "published" and listed[live].live
        drafts = [v for v in listed.values() if v.status == "draft"]
        assert len(drafts) == 1 and drafts[0].id > live
        d = diff.diff(session, drafts[0].id)
    assert d.base_version_id == live
    assert [a.sku for a in d.added] == [NEW_ITEM["sku"]]
    assert [(p.sku, p.old_price, p.new_price) for p in d.price_changes] == [
        ("CBL-CAT6-5M", Decimal("5.90"), CABLE_PRICE_V2)
    ]
    assert (d.counts.removed, d.counts.text_changes, d.counts.other_changes) == (0, 0, 0)
    assert item(db, "CBL-CAT6-5M").list_price == Decimal("5.90")  # a draft changes nothing live
    assert item(db, NEW_ITEM["sku"]) is None
    load_demo_data(db)  # loading the demo again adds no versions
    with session_scope(db) as session:
        assert [v.id for v in store.list_versions(session)] == sorted(listed, reverse=True)


def test_the_diff_lists_price_text_and_other_changes_apart(db):
    version = draft(
        db,
        changes={
            "SW-24-PRO": {"name": "Switch 24 Pro (2027)", "list_price": Decimal("1700.00")},
            "SVC-INSTALL-ONSITE": {"description": "New text", "vat_rate": Decimal("0.07")},
            "PWR-UPS-AT": {"attributes": {"eclass": "27040602"}},
        },
        remove=["CBL-CAT6-5M"],
        add=[new_item("T-DIFF-NEW")],
    )
    with session_scope(db) as session:
        d = diff.diff(session, version)
    assert [i.sku for i in d.added] == ["T-DIFF-NEW"] and [i.sku for i in d.removed] == ["CBL-CAT6-5M"]
    assert [(p.sku, p.old_price, p.new_price) for p in d.price_changes] == [
        ("SW-24-PRO", Decimal("1690.00"), Decimal("1700.00"))
    ]
    texts = {c.sku: c.fields for c in d.text_changes}
    assert texts["SW-24-PRO"]["name"].new == "Switch 24 Pro (2027)"
    assert set(texts["SVC-INSTALL-ONSITE"]) == {"description"}
    other = {c.sku: c.fields for c in d.other_changes}
    assert set(other["SVC-INSTALL-ONSITE"]) == {"vat_rate"}
    assert other["PWR-UPS-AT"]["attributes.eclass"].old == "27040601"
    assert d.counts.model_dump() == {
        "added": 1,
        "removed": 1,
        "changed": 3,
        "price_changes": 1,
        "text_changes": 2,
        "other_changes": 2,
    }
    with session_scope(db) as session:
        assert diff.diff(session, version, limit=0).truncated


def test_publishing_materialises_the_version_into_the_live_catalog(db):
    first = draft(db, add=[new_item("T-PUB-GONE"), new_item("T-PUB-KEEP", list_price=Decimal("10.00"))])
    result = publish(db, first)
    assert result.status == "published" and result.materialised.inserted == 2
    assert item(db, "T-PUB-GONE").active

    second = draft(
        db,
        changes={"T-PUB-KEEP": {"list_price": Decimal("12.50"), "name": "Kept item"}},
        remove=["T-PUB-GONE", "PWR-UPS-AT"],
        add=[new_item("T-PUB-NEW")],
    )
    result = publish(db, second)
    m = result.materialised
    assert (result.previous_version_id, m.inserted, m.updated, m.deleted, m.deactivated) == (first, 1, 1, 1, 1)
    assert item(db, "T-PUB-GONE") is None  # nothing refers to it: deleted
    ups = item(db, "PWR-UPS-AT")  # ACME Austria's special assortment refers to it: kept, inactive
    assert ups is not None and not ups.active
    kept = item(db, "T-PUB-KEEP")
    assert (kept.list_price, kept.name, kept.active) == (Decimal("12.50"), "Kept item", True)
    assert item(db, "T-PUB-NEW").active

    with session_scope(db) as session:
        assert store.live_version(session) == second
        assert store.get_version(session, first).status == "superseded"
        old = {i.sku: i for i in store.version_items(session, first, limit=500).items}
        assert old["T-PUB-KEEP"].list_price == Decimal("10.00")  # older versions stay readable
        assert "T-PUB-GONE" in old

    third = draft(db, add=[new_item("PWR-UPS-AT", name="UPS 1500 VA (AT plug)")])  # back again
    publish(db, third)
    assert item(db, "PWR-UPS-AT").active


def test_edits_made_on_the_live_catalog_survive_a_publish_that_does_not_touch_them(db):
    with session_scope(db, write_lock=True) as session:
        switch = session.get(Item, "SW-24-PRO")
        switch.constraints = [
            *switch.constraints,
            {"type": "incompatible", "when": {"hw_version": "B2", "sw_version": "7.2"}, "message": "edited live"},
        ]
    version = draft(db, changes={"SW-24-PRO": {"list_price": Decimal("1650.00")}})
    publish(db, version)
    switch = item(db, "SW-24-PRO")
    assert switch.list_price == Decimal("1650.00")
    assert switch.constraints[-1]["message"] == "edited live"


def test_only_drafts_are_published_and_changed(db):
    with session_scope(db) as session:
        live = store.live_version(session)
    with pytest.raises(store.VersionConflict, match="is published"):
        publish(db, live)
    with session_scope(db, write_lock=True) as session, pytest.raises(store.VersionConflict, match="only drafts"):
        store.delete_draft_item(session, live, "SW-24-PRO")
    with pytest.raises(store.VersionNotFound):
        publish(db, 999999)
    with session_scope(db, write_lock=True) as session:
        empty = store.create_draft(session, created_by="test", empty=True).id
    with pytest.raises(store.VersionConflict, match="no items"):
        publish(db, empty)
    version = draft(db)
    with session_scope(db, write_lock=True) as session:
        store.discard_draft(session, version)
    with pytest.raises(store.VersionNotFound):
        publish(db, version)


def test_a_publication_can_be_scheduled_and_cancelled(db):
    later = datetime.now(UTC) + timedelta(days=3)
    version = draft(db, changes={"CBL-CAT6-5M": {"list_price": Decimal("6.66")}})
    result = publish(db, version, activates_at=later)
    assert (result.status, result.activates_at) == ("scheduled", later)
    assert item(db, "CBL-CAT6-5M").list_price != Decimal("6.66")  # not before its time

    other = draft(db)
    with pytest.raises(store.VersionConflict, match="already scheduled"):
        publish(db, other, activates_at=later + timedelta(days=1))
    with pytest.raises(store.VersionConflict, match="is scheduled"):
        publish(db, other)  # publishing now would be overtaken by the scheduled one

    with session_scope(db, write_lock=True) as session:
        assert (
            version_publishing.activate_scheduled(session, version, later + timedelta(seconds=1)) is None
        )  # another date
        assert not version_publishing.unschedule(session, version, later + timedelta(seconds=1))
        assert version_publishing.unschedule(session, version)
        assert store.get_version(session, version).status == "draft"
        assert version_publishing.activate_scheduled(session, version) is None  # cancelled: nothing to do

    publish(db, version, activates_at=later)
    with session_scope(db, write_lock=True) as session:
        result = version_publishing.activate_scheduled(session, version, later)
        assert result.status == "published"
        assert version_publishing.activate_scheduled(session, version, later) is None  # a retry does nothing twice
    assert item(db, "CBL-CAT6-5M").list_price == Decimal("6.66")
    with (
        pytest.raises(store.VersionConflict, match="no longer be unpublished"),
        session_scope(db, write_lock=True) as session,
    ):
        version_publishing.unschedule(session, version)
    with pytest.raises(ValueError, match="time zone"):
        publish(db, other, activates_at=datetime(2030, 1, 1))  # noqa: DTZ001 - without a zone on purpose


def test_content_hashes_ignore_representation():
    base = {**NEW_ITEM, "list_price": "12.9", "vat_rate": "0.19", "attributes": {"b": 1, "a": None, "c": ""}}
    same = {**NEW_ITEM, "list_price": Decimal("12.900"), "vat_rate": Decimal("0.1900"), "attributes": {"b": 1}}
    assert content.content_hash(base) == content.content_hash(same)
    assert content.content_hash(base) != content.content_hash({**same, "list_price": Decimal("12.91")})
