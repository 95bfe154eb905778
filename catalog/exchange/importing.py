"""Imports into a draft catalog version: the part every format shares.

A reader (catalog/exchange/bmecat_reader.py, catalog/exchange/csv_format.py) turns a file into `ItemRecord`s; the
`DraftImporter` checks each record, merges it into the draft's item and writes it in batches:
- idempotent: an item whose content hash does not change is not written, so the same file twice
  changes nothing;
- an item with an error is skipped and reported (line, SKU, field, message); the file goes on;
- a full import (BMEcat T_NEW_CATALOG, CSV mode=full) removes the draft's items that are not in
  the file, but only when the whole file was read;
- memory stays flat: which SKUs the file had is kept in the `catalogimportrow` staging table,
  not in memory; a batch is committed at a time (an import cut off half-way leaves the draft
  half-updated; importing the same file again completes it). One import at a time per draft:
  a second one is refused while the first writes (catalog/versions/draft_lock.py).
Fields an import does not carry (delivery unit of existing items, expert review, configuration
options and constraints) are kept; new items get the default delivery unit and category.

How a field is cleaned and checked: catalog/exchange/import_fields.py. Opening a file, telling BMEcat from
CSV and handing it to its reader: catalog/exchange/file_import.py.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, String, bindparam, delete, func, insert, select, type_coerce, update
from sqlmodel import col

from catalog.exchange.import_fields import ItemInvalid, clean_attribute, clean_field
from catalog.versions import content as version_content
from catalog.versions import draft_lock, store
from catalog.versions.tables import CatalogImportRow, CatalogVersionItem
from core.database import rows_changed, session_scope, table_of
from models.catalog_versions import ImportFormat, ImportItemError, ImportMode, ImportReport
from partners.tables import DeliveryUnit

MAX_ERRORS_LISTED = 1000


def _executemany(session, statement, rows: list[dict[str, Any]]) -> None:
    """`session.execute(statement, rows)`, but on SQLite straight to the driver: SQLAlchemy's
    per-row parameter processing costs more than SQLite's insert itself. The rows' values must
    then be what the driver takes (see `_sqlite_row`); other databases go through SQLAlchemy
    (whose batched multi-row INSERTs pay there)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        session.execute(statement, rows)
        return
    compiled = statement.compile(dialect=connection.dialect, column_keys=list(rows[0]))
    fixed = compiled.params  # values bound in the statement itself (the version id of a WHERE)
    order = compiled.positiontup
    connection.exec_driver_sql(
        compiled.string, [tuple(row[k] if k in row else fixed[k] for k in order) for row in rows]
    )


_EMPTY_JSON: dict[type, str] = {dict: "{}", list: "[]"}
_JSON_COLUMNS = ("options", "constraints", "attributes")


def _content_select(session, names: list[str]) -> tuple[list, Callable[[Any], dict[str, Any]]]:
    """Columns of catalogversionitem to select, and how to turn a result row into a dict. On
    SQLite the JSON columns come as their text, decoded here: most are "{}" or "[]", which need
    no json.loads (what SQLAlchemy's JSON type would do for each)."""
    t = table_of(CatalogVersionItem)
    if session.connection().dialect.name != "sqlite":
        return [t.c[n] for n in names], lambda values: dict(zip(names, values, strict=False))
    json_at = [i for i, n in enumerate(names) if n in _JSON_COLUMNS]

    def as_dict(values) -> dict[str, Any]:
        row = dict(zip(names, values, strict=False))
        for i in json_at:
            raw = values[i]
            row[names[i]] = {} if raw == "{}" else [] if raw == "[]" else None if raw is None else json.loads(raw)
        return row

    return [type_coerce(t.c[n], String) if n in _JSON_COLUMNS else t.c[n] for n in names], as_dict


def _sqlite_row(row: dict[str, Any]) -> dict[str, Any]:
    """A `version_content.version_row` as SQLAlchemy would bind it on SQLite: decimals (already
    rounded to the column's scale by `normalise`) as text, JSON as `json.dumps` text."""
    out = dict(row)
    out["list_price"], out["vat_rate"] = str(row["list_price"]), str(row["vat_rate"])
    for name in ("options", "constraints", "attributes"):
        value = row[name]
        out[name] = json.dumps(value) if value or type(value) not in _EMPTY_JSON else _EMPTY_JSON[type(value)]
    return out


class ImportRefused(Exception):
    """The file is not imported at all (unsafe XML, not a catalog, unreadable header)."""


@dataclass
class ItemRecord:
    """One item as a file states it. `fields` hold raw values of the fields the file provides
    (absent = keep the draft's value); `attributes` replace the item's quality attributes when not
    None, `attribute_updates` change single ones. action: upsert (create or update), update (must
    exist), delete."""

    sku: str | None
    line: int | None = None
    action: str = "upsert"
    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] | None = None
    attribute_updates: dict[str, Any] = field(default_factory=dict)
    # options and constraints (the configurator's: no import fields, a catalog manager's edit sets them)
    configuration: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str | None, str]] = field(default_factory=list)  # found by the reader


@dataclass
class CategoryAssignment:
    sku: str
    category: str
    line: int | None = None


class DraftImporter:
    """Feeds records into a draft version, a batch per transaction. Use: `add()` / `assign()`
    for each record, then `finish(complete)`."""

    def __init__(
        self,
        engine: Engine,
        version_id: int,
        *,
        format: ImportFormat,
        mode: ImportMode,
        transaction: str,
        default_delivery_unit: str,
        default_category: str,
        default_currency: str = "EUR",
        default_vat_rate: Decimal = Decimal("0.19"),
        batch_size: int = 1000,
    ):
        self.engine, self.version_id, self.batch_size = engine, version_id, batch_size
        self.report = ImportReport(version_id=version_id, format=format, transaction=transaction, mode=mode)
        self.run_id = uuid.uuid4().hex
        self.pending: list[ItemRecord] = []
        self.categories: list[CategoryAssignment] = []
        self.defaults = {
            "category": default_category,
            "unit": "C62",
            "currency": default_currency,
            "vat_rate": default_vat_rate,
            "delivery_unit_id": default_delivery_unit,
            "description": "",
            "expert_review": False,
            "options": {},
            "constraints": [],
            "attributes": {},
        }
        with session_scope(engine) as session:
            store.require_draft(session, version_id)
            self.delivery_units = set(session.execute(select(col(DeliveryUnit.id))).scalars())
        if default_delivery_unit not in self.delivery_units:
            raise ImportRefused(f"unknown default delivery unit {default_delivery_unit!r}")
        draft_lock.claim(engine, version_id, self.run_id)  # last: a refused import holds nothing

    def set_transaction(self, transaction: str, mode: ImportMode) -> None:
        self.report.transaction, self.report.mode = transaction, mode

    # --- feeding ---

    def add(self, record: ItemRecord) -> None:
        self.report.items_read += 1
        self.pending.append(record)
        if len(self.pending) >= self.batch_size:
            self._flush()

    def assign(self, assignment: CategoryAssignment) -> None:
        self.categories.append(assignment)
        if len(self.categories) >= self.batch_size:
            self._flush()

    def error(self, line: int | None, sku: str | None, field_name: str | None, message: str) -> None:
        if len(self.report.errors) < MAX_ERRORS_LISTED:
            self.report.errors.append(ImportItemError(line=line, sku=sku, field=field_name, message=message))
        else:
            self.report.errors_truncated = True

    def _fail(self, record: ItemRecord, field_name: str | None, message: str) -> None:
        self.report.failed += 1
        self.error(record.line, record.sku, field_name, message)

    # --- writing ---

    def _merge(self, record: ItemRecord, existing: dict[str, Any] | None) -> dict[str, Any]:
        content = dict(existing) if existing is not None else dict(self.defaults)
        for name, raw in record.fields.items():
            if raw is None:
                continue
            content[name] = clean_field(name, raw, self.delivery_units)
        stored: Any = content.get("attributes") or {}
        attributes = dict(stored)
        if record.attributes is not None:
            attributes = {k: clean_attribute(k, v) for k, v in record.attributes.items()}
        for name, raw in record.attribute_updates.items():
            attributes[name] = clean_attribute(name, raw)
        content["attributes"] = {k: v for k, v in attributes.items() if v is not None}
        content.update(record.configuration)
        if existing is None:
            for required, label in (("name", "name"), ("list_price", "price")):
                if content.get(required) in (None, ""):
                    raise ItemInvalid(required, f"a new item needs a {label}")
        return content

    def _flush(self) -> None:
        records, self.pending = self.pending, []
        assignments, self.categories = self.categories, []
        if not records and not assignments:
            return
        t = table_of(CatalogVersionItem)
        with session_scope(self.engine, write_lock=True) as session:
            draft_lock.touch(session, self.version_id, self.run_id)
            skus = list({r.sku for r in records if r.sku})
            seen_before = (
                set(
                    session.execute(
                        select(col(CatalogImportRow.sku)).where(
                            col(CatalogImportRow.run_id) == self.run_id, col(CatalogImportRow.sku).in_(skus)
                        )
                    ).scalars()
                )
                if skus
                else set()
            )
            existing = {}
            if skus:
                columns, as_dict = _content_select(session, ["sku", *version_content.CONTENT_FIELDS, "content_hash"])
                for values in session.execute(
                    select(*columns).where(t.c.version_id == self.version_id, t.c.sku.in_(skus))
                ):
                    row = as_dict(values)
                    existing[row["sku"]] = row
            inserts: list[dict] = []
            replaced: list[str] = []
            deletes: list[str] = []
            staged: dict[str, str] = {}
            for record in records:
                sku = (record.sku or "").strip()
                if not sku:
                    self._fail(record, "sku", "the item has no SKU (SUPPLIER_PID)")
                    continue
                if len(sku) > 64:
                    self._fail(record, "sku", "the SKU is longer than 64 characters")
                    continue
                record.sku = sku
                if sku in seen_before or sku in staged:
                    self._fail(record, "sku", f"{sku} is in the file more than once (the first one counts)")
                    continue
                if record.errors:
                    for field_name, message in record.errors:
                        self.error(record.line, sku, field_name, message)
                    self.report.failed += 1
                    staged[sku] = "error"
                    continue
                current = existing.get(sku)
                if record.action == "delete":
                    if current is None:
                        self._fail(record, "sku", f"{sku} cannot be deleted: it is not in the draft")
                        staged[sku] = "error"
                    else:
                        deletes.append(sku)
                        staged[sku] = "deleted"
                    continue
                if record.action == "update" and current is None:
                    self._fail(record, "sku", f"{sku} is not in the catalog (an update needs an existing item)")
                    staged[sku] = "error"
                    continue
                try:
                    content = self._merge(record, version_content.row_content(current) if current else None)
                except ItemInvalid as exc:
                    self._fail(record, exc.field, exc.message)
                    staged[sku] = "error"
                    continue
                row = version_content.version_row(self.version_id, sku, content)
                if current is None:
                    inserts.append(row)
                    staged[sku] = "added"
                elif row["content_hash"] != current["content_hash"]:
                    replaced.append(sku)
                    inserts.append(row)
                    staged[sku] = "changed"
                else:
                    staged[sku] = "unchanged"
            if replaced or deletes:
                session.execute(delete(t).where(t.c.version_id == self.version_id, t.c.sku.in_(replaced + deletes)))
            if inserts:
                if session.connection().dialect.name == "sqlite":
                    inserts = [_sqlite_row(row) for row in inserts]
                _executemany(session, insert(t), inserts)
            if staged:
                _executemany(
                    session,
                    insert(table_of(CatalogImportRow)),
                    [{"run_id": self.run_id, "sku": s, "outcome": o} for s, o in staged.items()],
                )
            if assignments:
                self._assign(session, assignments)

    def _assign(self, session, assignments: list[CategoryAssignment]) -> None:
        """Category map entries (BMEcat PRODUCT_TO_CATALOGGROUP_MAP): they come after the products."""
        t = table_of(CatalogVersionItem)
        s = table_of(CatalogImportRow)
        wanted = {}
        for a in assignments:
            try:
                wanted[a.sku] = clean_field("category", a.category, set())
            except ItemInvalid as exc:
                self.error(a.line, a.sku, "category", exc.message)
        if not wanted:
            return
        # what this run did to each SKU, and the category its row has now: one query
        outcomes, moved = {}, []
        for sku, outcome, category in session.execute(
            select(s.c.sku, s.c.outcome, t.c.category)
            .select_from(s.outerjoin(t, (t.c.version_id == self.version_id) & (t.c.sku == s.c.sku)))
            .where(s.c.run_id == self.run_id, s.c.sku.in_(list(wanted)))
        ):
            outcomes[sku] = outcome
            if category is not None and outcome in ("added", "changed", "unchanged") and category != wanted[sku]:
                moved.append(sku)  # only these need their content (and a new hash)
        updates, now_changed = [], []
        if moved:
            columns, as_dict = _content_select(
                session, ["sku", *(f for f in version_content.CONTENT_FIELDS if f != "category")]
            )
            for values in session.execute(
                select(*columns).where(t.c.version_id == self.version_id, t.c.sku.in_(moved))
            ):
                row = as_dict(values)
                sku = row["sku"]
                content = version_content.row_content(row) | {"category": wanted[sku]}
                updates.append({"_sku": sku, "_category": wanted[sku], "_hash": version_content.content_hash(content)})
                if outcomes[sku] == "unchanged":
                    now_changed.append(sku)
        for sku in wanted:
            if sku not in outcomes:
                self.error(None, sku, "category", f"the category map names {sku}, which is not a product of the file")
        if updates:
            _executemany(
                session,
                update(t)
                .where(t.c.version_id == self.version_id, t.c.sku == bindparam("_sku"))
                .values(category=bindparam("_category"), content_hash=bindparam("_hash")),
                updates,
            )
        if now_changed:
            session.execute(
                update(CatalogImportRow)
                .where(col(CatalogImportRow.run_id) == self.run_id, col(CatalogImportRow.sku).in_(now_changed))
                .values(outcome="changed")
            )

    def finish(self, complete: bool = True, file_error: str | None = None) -> ImportReport:
        """Writes what is pending; a complete full import removes the draft's items that the file
        no longer has. Counts come from the staging rows, which are then dropped."""
        self._flush()
        report = self.report
        report.file_error = file_error
        with session_scope(self.engine, write_lock=True) as session:
            draft_lock.touch(session, self.version_id, self.run_id)
            if complete and file_error is None and report.mode == "full":
                # the file replaced the whole draft: it no longer builds on the version it was copied from
                store.require_draft(session, self.version_id).based_on = None
                t = table_of(CatalogVersionItem)
                result = session.execute(
                    delete(t).where(
                        t.c.version_id == self.version_id,
                        t.c.sku.not_in(
                            select(col(CatalogImportRow.sku)).where(col(CatalogImportRow.run_id) == self.run_id)
                        ),
                    )
                )
                report.removed = rows_changed(result)
            counts = dict(
                session.execute(
                    select(col(CatalogImportRow.outcome), func.count())
                    .where(col(CatalogImportRow.run_id) == self.run_id)
                    .group_by(col(CatalogImportRow.outcome))
                ).all()
            )
            session.execute(delete(CatalogImportRow).where(col(CatalogImportRow.run_id) == self.run_id))
        report.added, report.changed = counts.get("added", 0), counts.get("changed", 0)
        report.unchanged, report.deleted = counts.get("unchanged", 0), counts.get("deleted", 0)
        self.release()
        return report

    def release(self) -> None:
        """Lets the next import into the draft begin (also when this one failed), and drops what
        this run staged (a run that failed half-way would leave its rows behind for good)."""
        draft_lock.release(self.engine, self.version_id, self.run_id)
        with session_scope(self.engine, write_lock=True) as session:
            session.execute(delete(CatalogImportRow).where(col(CatalogImportRow.run_id) == self.run_id))
