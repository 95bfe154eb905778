"""How an import cleans and checks a field: the rules every format shares.

`clean_field` and `clean_attribute` turn a raw value from a file (BMEcat, CSV, a hand edit) into
what a version stores, or raise `ItemInvalid` naming the field and what is wrong with it; the
`DraftImporter` (catalog/exchange/importing.py) reports that against the item's line and SKU. Apart from
the importer so that the cleaning rules can be read (and changed) on their own.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

# UN/ECE Recommendation 20 unit codes an item may be ordered in (all valid in BMEcat 2005).
KNOWN_UNITS = frozenset(
    [
        "C62",
        "EA",
        "MTR",
        "CMT",
        "MMT",
        "KGM",
        "GRM",
        "TNE",
        "LTR",
        "MLT",
        "MTK",
        "MTQ",
        "PR",
        "SET",
        "BX",
        "PK",
        "PA",
        "CT",
        "RO",
        "DZN",
        "HUR",
        "MIN",
        "DAY",
        "WEE",
        "MON",
        "ANN",
        "KWH",
        "LS",
        "NAR",
        "NPR",
        "ZP",
    ]
)
ECLASS = re.compile(r"^\d{2}-?\d{2}-?\d{2}-?\d{2}$")
UNSPSC = re.compile(r"^\d{8}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_PRICE = Decimal("1e12")


class ItemInvalid(Exception):
    def __init__(self, field_name: str | None, message: str):
        super().__init__(message)
        self.field, self.message = field_name, message


def parse_decimal(raw: Any, field_name: str, label: str | None = None) -> Decimal:
    label = label or field_name
    if isinstance(raw, Decimal):
        value = raw
    else:
        text = str(raw).strip().replace(" ", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # decimal comma
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ItemInvalid(field_name, f"{label} {str(raw)!r} is not a number") from None
    if not value.is_finite():
        raise ItemInvalid(field_name, f"{label} {str(raw)!r} is not a number")
    return value


def parse_bool(raw: Any, field_name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("1", "true", "yes", "y", "x"):
        return True
    if text in ("0", "false", "no", "n", ""):
        return False
    raise ItemInvalid(field_name, f"{field_name} {raw!r} is not true or false")


def clean_field(name: str, raw: Any, delivery_units: set[str]) -> Any:
    """A field value as stored, or ItemInvalid saying what is wrong with it."""
    if name in ("name", "description", "category"):
        text = " ".join(str(raw).split())
        if name != "description" and not text:
            raise ItemInvalid(name, f"{name} is empty")
        if name == "category" and len(text) > 50:
            raise ItemInvalid(name, f"category {text[:60]!r} is longer than 50 characters")
        return text
    if name == "list_price":
        price = parse_decimal(raw, "list_price", "price")
        if price < 0 or price >= MAX_PRICE:
            raise ItemInvalid("list_price", f"price {raw} is out of range")
        return price
    if name == "vat_rate":
        rate = parse_decimal(raw, "vat_rate", "VAT rate")
        if 1 <= rate <= 100:
            rate = rate / 100  # "19" means 19 %
        if not 0 <= rate < 1:
            raise ItemInvalid("vat_rate", f"VAT rate {raw} is out of range (0.19 or 19 for 19 %)")
        return rate
    if name == "currency":
        text = str(raw).strip().upper()
        if not CURRENCY.match(text):
            raise ItemInvalid("currency", f"currency {raw!r} is not an ISO 4217 code")
        return text
    if name == "unit":
        text = str(raw).strip().upper()
        if text not in KNOWN_UNITS:
            raise ItemInvalid("unit", f"unknown unit {raw!r} (a UN/ECE rec. 20 code such as C62, MTR, KGM, HUR)")
        return text
    if name == "delivery_unit_id":
        text = str(raw).strip()
        if text not in delivery_units:
            raise ItemInvalid("delivery_unit_id", f"unknown delivery unit {raw!r}")
        return text
    if name == "expert_review":
        return parse_bool(raw, name)
    raise ItemInvalid(name, f"unknown field {name}")


def clean_attribute(name: str, raw: Any) -> Any:
    if raw is None:
        return None
    if name == "delivery_days":
        days = parse_decimal(raw, "delivery_days", "delivery time")
        if days < 0 or days > 3650:
            raise ItemInvalid("delivery_days", f"delivery time {raw} is out of range")
        return int(days.to_integral_value(rounding=ROUND_CEILING))
    text = " ".join(str(raw).split())
    if not text:
        return None
    if name == "eclass":
        if not ECLASS.match(text):
            raise ItemInvalid("eclass", f"ECLASS class {text!r} is not 8 digits (e.g. 19-03-01-01)")
        return text.replace("-", "")
    if name == "unspsc":
        if not UNSPSC.match(text):
            raise ItemInvalid("unspsc", f"UNSPSC code {text!r} is not 8 digits")
        return text
    if len(text) > 255:
        raise ItemInvalid(name, f"{name} is longer than 255 characters")
    return text
