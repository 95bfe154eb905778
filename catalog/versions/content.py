"""What an item is in a catalog version, and its content hash.

The fields a version item holds (and which of them the live `item` table has), their stored form
(`normalise`) and the hash of that form: imports skip an item whose hash does not change, and the
diff compares hashes. Apart from catalog/versions/store.py because importers, readers and exporters need
the fields and hashes without the version life cycle.
"""

from __future__ import annotations

import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# What an item is, in a version and in the live table; `attributes` only in versions.
ITEM_FIELDS = (
    "name",
    "description",
    "category",
    "unit",
    "list_price",
    "currency",
    "vat_rate",
    "delivery_unit_id",
    "expert_review",
    "options",
    "constraints",
)
CONTENT_FIELDS = (*ITEM_FIELDS, "attributes")
PRICE_FIELDS = ("list_price", "currency")
TEXT_FIELDS = ("name", "description")
ATTRIBUTE_KEYS = ("eclass", "unspsc", "image_url", "manufacturer", "manufacturer_part_number", "delivery_days", "ean")
CENT = Decimal("0.01")
RATE = Decimal("0.0001")


def normalise(content: dict[str, Any]) -> dict[str, Any]:
    """The content as stored: money to the cent, rates to 4 places (half-up), no empty attributes."""
    out = {f: content.get(f) for f in CONTENT_FIELDS}
    out["list_price"] = Decimal(str(out["list_price"])).quantize(CENT, rounding=ROUND_HALF_UP)
    out["vat_rate"] = Decimal(str(out["vat_rate"])).quantize(RATE, rounding=ROUND_HALF_UP)
    out["description"] = out["description"] or ""
    out["expert_review"] = bool(out["expert_review"])
    out["options"] = out["options"] or {}
    out["constraints"] = out["constraints"] or []
    out["attributes"] = {k: v for k, v in sorted((out["attributes"] or {}).items()) if v not in (None, "")}
    return out


# json.dumps(value, sort_keys=True, separators=(",", ":"), default=str), without building an
# encoder per call (json.dumps does when given options); the output is the same.
_ENCODE = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode
_PLAIN = (
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


def _hash(clean: dict[str, Any]) -> str:
    parts = [str(clean[f]) for f in _PLAIN]
    for f in ("options", "constraints", "attributes"):  # usually empty: JSON only when not
        value = clean[f]
        parts.append(_ENCODE(value) if value else "")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def content_hash(content: dict[str, Any]) -> str:
    """A hash of the normalised content: equal hashes, equal items (imports skip those)."""
    return _hash(normalise(content))


def row_content(row: Any) -> dict[str, Any]:
    """Content fields of a CatalogVersionItem (or an Item, or a mapping)."""
    get = row.get if isinstance(row, dict) else (lambda f, d=None: getattr(row, f, d))
    return {f: get(f) for f in CONTENT_FIELDS} | {"attributes": get("attributes") or {}}


def version_row(version_id: int, sku: str, content: dict[str, Any]) -> dict[str, Any]:
    """A catalogversionitem row (for Core inserts)."""
    clean = normalise(content)
    return {"version_id": version_id, "sku": sku, **clean, "content_hash": _hash(clean)}
