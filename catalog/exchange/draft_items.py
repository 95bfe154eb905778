"""Creating or changing one item of a draft by hand (a catalog manager's edit through the API).

The edit goes through the importer as a one-item delta, so a hand edit is cleaned and checked
exactly like an item of a file and the report names the field at fault, and it is written under
the draft's import lock (refused while an import writes into the draft). Options and constraints
(the configurator's) are no import fields: the record carries them as they are, so they are
written with the item, in its content hash, and reported as a change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from catalog.exchange import importing
from models.catalog_versions import ImportReport

CONFIGURATION_FIELDS = ("options", "constraints")


def put_item(
    engine: Engine,
    version_id: int,
    sku: str,
    fields: dict[str, Any],
    *,
    default_delivery_unit: str,
    default_category: str,
) -> ImportReport:
    """Sets the given `fields` of the draft's item `sku` (absent: unchanged; a new item needs name
    and list_price). `fields["attributes"]` changes single quality attributes (None removes one).
    Nothing is changed when the report has errors. Raises versions.VersionError (not a draft) and
    importing.ImportRefused."""
    fields = dict(fields)
    attributes = fields.pop("attributes", None) or {}
    configuration = {k: fields.pop(k) for k in CONFIGURATION_FIELDS if k in fields}
    importer = importing.DraftImporter(
        engine,
        version_id,
        format="csv",
        mode="delta",
        transaction="EDIT",
        default_delivery_unit=default_delivery_unit,
        default_category=default_category,
    )
    try:
        importer.add(
            importing.ItemRecord(sku=sku, fields=fields, attribute_updates=attributes, configuration=configuration)
        )
        return importer.finish()
    except BaseException:
        importer.release()  # the importer holds the draft's import lock until it finishes
        raise
