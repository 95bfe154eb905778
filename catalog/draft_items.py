"""Creating or changing one item of a draft by hand (a catalog manager's edit through the API).

The edit goes through the importer as a one-item delta, so a hand edit is cleaned and checked
exactly like an item of a file and the report names the field at fault. Options and constraints
(the configurator's) are no import fields: they are set on the row once the item is in.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from catalog import importing, version_content
from catalog.version_tables import CatalogVersionItem
from database import session_scope
from models.catalog_versions import ImportReport

CONFIGURATION_FIELDS = ("options", "constraints")


def put_item(engine: Engine, version_id: int, sku: str, fields: dict[str, Any], *, default_delivery_unit: str,
             default_category: str) -> ImportReport:
    """Sets the given `fields` of the draft's item `sku` (absent: unchanged; a new item needs name
    and list_price). `fields["attributes"]` changes single quality attributes (None removes one).
    Nothing is changed when the report has errors. Raises versions.VersionError (not a draft) and
    importing.ImportRefused."""
    fields = dict(fields)
    attributes = fields.pop("attributes", None) or {}
    configuration = {k: fields.pop(k) for k in CONFIGURATION_FIELDS if k in fields}
    importer = importing.DraftImporter(
        engine, version_id, format="csv", mode="delta", transaction="EDIT",
        default_delivery_unit=default_delivery_unit, default_category=default_category)
    try:
        importer.add(importing.ItemRecord(sku=sku, fields=fields, attribute_updates=attributes))
        report = importer.finish()
    except BaseException:
        importer.release()  # the importer holds the draft's import lock until it finishes
        raise
    if configuration and not report.failed:
        with session_scope(engine, write_lock=True) as session:
            row = session.get(CatalogVersionItem, (version_id, sku))
            for key, value in configuration.items():
                setattr(row, key, value)
            row.content_hash = version_content.content_hash(version_content.row_content(row))  # the diff compares hashes
    return report
