"""BMEcat 2005 writer: a customer's view as a T_NEW_CATALOG document, for the export
(catalog/exchange/export.py), written incrementally (`lxml.etree.xmlfile`). The reader, for imports, is
catalog/exchange/bmecat_reader.py: the two share no code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Any

from lxml import etree

NS = "http://www.bmecat.org/bmecat/2005"


@dataclass
class ExportHeader:
    catalog_id: str
    catalog_version: str  # "n.m"
    catalog_name: str
    generated: date
    currency: str
    buyer_id: str
    buyer_name: str
    supplier_name: str
    language: str = "eng"


@dataclass
class ExportProduct:
    sku: str
    name: str
    description: str
    category: str
    unit: str
    price: Decimal
    currency: str
    vat_rate: Decimal
    attributes: dict[str, Any] = field(default_factory=dict)
    buyer_pid: str | None = None
    min_quantity: int = 1  # the customer cannot order fewer (QUANTITY_MIN)
    # (from quantity, unit price) where the customer's price changes: one PRODUCT_PRICE each,
    # with LOWER_BOUND; empty: one price for every quantity
    price_breaks: tuple[tuple[int, Decimal], ...] = ()


def _el(name: str, text: Any = None, **attrs: str) -> etree._Element:
    el = etree.Element(f"{{{NS}}}{name}", attrs, nsmap={None: NS})
    if text is not None:
        el.text = str(text)
    return el


def _sub(parent: etree._Element, name: str, text: Any = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{NS}}}{name}", attrs)
    if text is not None:
        el.text = str(text)
    return el


def _header(h: ExportHeader) -> etree._Element:
    header = _el("HEADER")
    _sub(header, "GENERATOR_INFO", "order2cash")
    catalog = _sub(header, "CATALOG")
    _sub(catalog, "LANGUAGE", h.language, default="true")
    _sub(catalog, "CATALOG_ID", h.catalog_id[:20])
    _sub(catalog, "CATALOG_VERSION", h.catalog_version)
    _sub(catalog, "CATALOG_NAME", h.catalog_name[:100])
    generated = _sub(catalog, "DATETIME", type="generation_date")
    _sub(generated, "DATE", h.generated.isoformat())
    _sub(catalog, "CURRENCY", h.currency)
    buyer = _sub(header, "BUYER")
    _sub(buyer, "BUYER_ID", h.buyer_id[:250], type="buyer_specific")
    _sub(buyer, "BUYER_NAME", h.buyer_name[:50])
    supplier = _sub(header, "SUPPLIER")
    _sub(supplier, "SUPPLIER_NAME", h.supplier_name[:50])
    return header


def _groups(categories: Iterable[str]) -> etree._Element:
    system = _el("CATALOG_GROUP_SYSTEM")
    _sub(system, "GROUP_SYSTEM_ID", "categories")
    root = _sub(system, "CATALOG_STRUCTURE", type="root")
    _sub(root, "GROUP_ID", "root")
    _sub(root, "GROUP_NAME", "Catalog")
    _sub(root, "PARENT_ID", "0")
    for category in categories:
        leaf = _sub(system, "CATALOG_STRUCTURE", type="leaf")
        _sub(leaf, "GROUP_ID", category[:50])
        _sub(leaf, "GROUP_NAME", category[:50])
        _sub(leaf, "PARENT_ID", "root")
    return system


MIME_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".pdf": "application/pdf"}


def _product(p: ExportProduct) -> etree._Element:
    a = p.attributes
    product = _el("PRODUCT", mode="new")
    _sub(product, "SUPPLIER_PID", p.sku, type="supplier_specific")
    details = _sub(product, "PRODUCT_DETAILS")
    _sub(details, "DESCRIPTION_SHORT", p.name[:150])
    if p.description:
        _sub(details, "DESCRIPTION_LONG", p.description[:64000])
    if a.get("ean"):
        _sub(details, "INTERNATIONAL_PID", str(a["ean"])[:100], type="gtin")
    if p.buyer_pid:
        _sub(details, "BUYER_PID", p.buyer_pid[:50], type="buyer_specific")
    if a.get("manufacturer_part_number"):
        _sub(details, "MANUFACTURER_PID", str(a["manufacturer_part_number"])[:50])
    if a.get("manufacturer"):
        _sub(details, "MANUFACTURER_NAME", str(a["manufacturer"])[:50])
    if a.get("delivery_days") is not None:
        _sub(details, "DELIVERY_TIME", a["delivery_days"])
    for system, key in (("ECLASS", "eclass"), ("UNSPSC", "unspsc")):
        if a.get(key):
            features = _sub(product, "PRODUCT_FEATURES")
            _sub(features, "REFERENCE_FEATURE_SYSTEM_NAME", system)
            _sub(features, "REFERENCE_FEATURE_GROUP_ID", a[key])
    order = _sub(product, "PRODUCT_ORDER_DETAILS")
    _sub(order, "ORDER_UNIT", p.unit)
    _sub(order, "CONTENT_UNIT", p.unit)
    _sub(order, "NO_CU_PER_OU", 1)
    _sub(order, "PRICE_QUANTITY", 1)
    _sub(order, "QUANTITY_MIN", p.min_quantity)
    prices = _sub(product, "PRODUCT_PRICE_DETAILS")
    for lower_bound, amount in p.price_breaks or ((None, p.price),):
        price = _sub(prices, "PRODUCT_PRICE", price_type="net_customer")
        _sub(price, "PRICE_AMOUNT", f"{amount:.2f}")
        _sub(price, "PRICE_CURRENCY", p.currency)
        _sub(price, "TAX", f"{p.vat_rate.normalize():f}")
        if lower_bound is not None:
            _sub(price, "LOWER_BOUND", lower_bound)
    if a.get("image_url"):
        mime = _sub(_sub(product, "MIME_INFO"), "MIME")
        suffix = "." + str(a["image_url"]).rsplit(".", 1)[-1].lower() if "." in str(a["image_url"]) else ""
        if suffix in MIME_TYPES:
            _sub(mime, "MIME_TYPE", MIME_TYPES[suffix])
        _sub(mime, "MIME_SOURCE", str(a["image_url"])[:255])
        _sub(mime, "MIME_PURPOSE", "normal")
    return product


def _map(p: ExportProduct) -> etree._Element:
    entry = _el("PRODUCT_TO_CATALOGGROUP_MAP", mode="new")
    _sub(entry, "PROD_ID", p.sku)
    _sub(entry, "CATALOG_GROUP_ID", p.category[:50])
    return entry


def write_catalog(
    out: IO[bytes], header: ExportHeader, categories: list[str], products: Callable[[], Iterator[ExportProduct]]
) -> int:
    """Writes a T_NEW_CATALOG document incrementally (lxml.etree.xmlfile): `products()` is called
    twice, for the products and for the category map. SKUs longer than BMEcat's 32 characters
    are left out. Returns the number of products written."""
    count = 0
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{NS}}}BMECAT", {"version": "2005"}, nsmap={None: NS}):
            xf.write(_header(header))
            with xf.element(f"{{{NS}}}T_NEW_CATALOG"):
                xf.write(_groups(categories))
                for p in products():
                    if len(p.sku) <= 32:
                        xf.write(_product(p))
                        count += 1
                for p in products():
                    if len(p.sku) <= 32:
                        xf.write(_map(p))
    return count
