"""CSV catalogs: import into a draft version and export of a customer's view.

Import columns (header row required, names case-insensitive, `,` or `;` separated, UTF-8):

| column | meaning |
|---|---|
| `sku` | required: the item |
| `action` | `delete` removes the item from the draft; empty or `upsert`: create or update |
| `name`, `description`, `category`, `unit` (UN/ECE rec. 20, e.g. C62) | texts |
| `list_price` (or `price`), `currency`, `vat_rate` (0.19 or 19) | money; a decimal comma is accepted |
| `delivery_unit_id`, `expert_review` (true/false) | fulfilment |
| `eclass`, `unspsc`, `image_url`, `manufacturer`, `manufacturer_part_number`, `delivery_days`, `ean` | quality |

An empty cell keeps the draft's value (a new item needs `name` and `list_price`). mode=full: the
draft afterwards has exactly the file's items; mode=delta: only the rows of the file change.
Export columns: EXPORT_COLUMNS; `price` is the unit price at `min_quantity` (the least the customer
may order), `price_breaks` lists `quantity:price` where the price changes (e.g. `1:4.20 100:3.90`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO

from catalog.exchange.importing import DraftImporter, ImportRefused, ItemRecord
from catalog.versions.content import ATTRIBUTE_KEYS
from models.catalog_versions import ImportMode, ImportReport

FIELD_COLUMNS = (
    "name",
    "description",
    "category",
    "unit",
    "list_price",
    "currency",
    "vat_rate",
    "delivery_unit_id",
    "expert_review",
)
COLUMNS = ("sku", "action", *FIELD_COLUMNS, *ATTRIBUTE_KEYS)
ALIASES = {"price": "list_price", "supplier_pid": "sku", "vat": "vat_rate"}
EXPORT_COLUMNS = (
    "sku",
    "name",
    "description",
    "category",
    "unit",
    "price",
    "currency",
    "vat_rate",
    "price_source",
    *ATTRIBUTE_KEYS,
    "customer_part_number",
    "min_quantity",
    "price_breaks",
)


def read_into(importer: DraftImporter, source: io.RawIOBase, mode: ImportMode) -> ImportReport:
    text = io.TextIOWrapper(io.BufferedReader(source), encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
    except UnicodeDecodeError as exc:
        raise ImportRefused(f"the file is not UTF-8: {exc}") from exc
    delimiter = ";" if first.count(";") > first.count(",") else ","
    header = [
        ALIASES.get(h.strip().lower(), h.strip().lower()) for h in next(csv.reader([first], delimiter=delimiter), [])
    ]
    unknown = [h for h in header if h not in COLUMNS]
    if "sku" not in header:
        raise ImportRefused("the CSV file has no sku column (the first line names the columns)")
    if unknown:
        raise ImportRefused(f"unknown CSV columns: {', '.join(unknown)} (known: {', '.join(COLUMNS)})")
    importer.set_transaction("CSV", mode)
    reader = csv.reader(text, delimiter=delimiter)
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num + 1  # the header is line 1
            record = ItemRecord(sku=None, line=line)
            if len(row) != len(header):
                record.sku = row[header.index("sku")].strip() if len(row) > header.index("sku") else None
                record.errors.append((None, f"the row has {len(row)} cells, the header {len(header)}"))
                importer.add(record)
                continue
            for name, cell in zip(header, row, strict=False):
                value = cell.strip()
                if name == "sku":
                    record.sku = value or None
                elif name == "action":
                    action = value.lower() or "upsert"
                    if action not in ("upsert", "delete"):
                        record.errors.append(("action", f"unknown action {value!r} (upsert or delete)"))
                    record.action = action
                elif value == "":
                    continue
                elif name in ATTRIBUTE_KEYS:
                    record.attribute_updates[name] = value
                else:
                    record.fields[name] = value
            importer.add(record)
    except (UnicodeDecodeError, csv.Error) as exc:
        return importer.finish(complete=False, file_error=f"line {reader.line_num + 1}: {exc}")
    finally:
        text.detach()
    return importer.finish(complete=True)


def write_rows(out: IO[str], rows: Iterable[dict]) -> int:
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count
