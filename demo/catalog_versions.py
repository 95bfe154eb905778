"""Demo catalog versions: version 1 (published) is the demo items with quality attributes; draft
version 2 raises the Cat 6 cable's list price and adds a Cat 6A cable. Globex sees network and
cable items (a sub-assortment) and requires a classification code and a 20-character description:
the quality report of version 2 shows the new cable failing for Globex (it has no ECLASS code).
Idempotent: all of it is created once, when there are no catalog versions yet."""

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import col

from catalog import view_edits
from catalog.versions import content, publishing, store
from catalog.versions.tables import CatalogVersion, CatalogVersionItem
from core.database import session_scope
from models.catalog_versions import QualityRuleIn, SubAssortmentIn

ATTRIBUTES = {
    "SW-24-PRO": {
        "eclass": "19170401",
        "manufacturer": "NetGear",
        "manufacturer_part_number": "GS724T-PRO",
        "delivery_days": 3,
        "image_url": "https://example.com/img/sw-24-pro.jpg",
    },
    "CBL-CAT6-5M": {
        "eclass": "27060310",
        "manufacturer": "CableWorks",
        "manufacturer_part_number": "C6-S-5",
        "delivery_days": 1,
        "image_url": "https://example.com/img/cbl-cat6-5m.jpg",
    },
    "SVC-INSTALL-ONSITE": {"unspsc": "81111812", "delivery_days": 10},
    "PWR-UPS-AT": {
        "eclass": "27040601",
        "manufacturer": "PowerSafe",
        "manufacturer_part_number": "PS1500-AT",
        "delivery_days": 5,
    },
}
NEW_ITEM: dict[str, Any] = {
    "sku": "CBL-CAT6A-10M",
    "name": "Patch cable Cat 6A, 10 m",
    "category": "cables",
    "description": "Shielded Cat 6A patch cable for 10 Gbit/s, 10 metres.",
    "unit": "C62",
    "list_price": Decimal("12.90"),
    "currency": "EUR",
    "vat_rate": Decimal("0.19"),
    "delivery_unit_id": "central-warehouse",
    "expert_review": False,
    "options": {},
    "constraints": [],
    "attributes": {"manufacturer": "CableWorks", "delivery_days": 2},
}
CABLE_PRICE_V2 = Decimal("6.20")
GLOBEX_RULES = [
    QualityRuleIn(rule="classification"),
    QualityRuleIn(rule="min_description_length", params={"length": 20}),
]
GLOBEX_VIEW = SubAssortmentIn(name="Globex network and cables", categories=["network", "cables"])


def load_catalog_versions(engine: Engine) -> None:
    with session_scope(engine, write_lock=True) as session:
        if session.execute(select(col(CatalogVersion.id)).limit(1)).scalar() is not None:
            return
        v1 = store.create_draft(session, created_by="demo", note="demo catalog", source="demo")
        assert v1.id is not None  # flushed: it has its number
        for row in session.execute(
            select(CatalogVersionItem).where(col(CatalogVersionItem.version_id) == v1.id)
        ).scalars():
            row.attributes = ATTRIBUTES.get(row.sku, {})
            row.content_hash = content.content_hash(content.row_content(row))
        session.flush()
        view_edits.replace_subassortment(
            session, "globex", GLOBEX_VIEW, actor="demo"
        )  # nothing published yet: no re-check
        view_edits.set_quality_rules(session, "globex", GLOBEX_RULES, actor="demo")
        publishing.publish(session, v1.id, "demo")
        v2 = store.create_draft(session, created_by="demo", note="price update and a new cable", source="demo")
        assert v2.id is not None
        cable = session.get(CatalogVersionItem, (v2.id, "CBL-CAT6-5M"))
        if cable is not None:
            cable.list_price = CABLE_PRICE_V2
            cable.content_hash = content.content_hash(content.row_content(cable))
        session.add(CatalogVersionItem(**content.version_row(v2.id, NEW_ITEM["sku"], NEW_ITEM)))
