"""BMEcat 2005: a streaming reader into a draft version (catalog/exchange/importing.py `DraftImporter`).

Reading is streamed with `lxml.etree.iterparse`: each PRODUCT is handed to the importer and
cleared, so memory stays flat however large the file. It is safe against hostile XML: the prolog
is checked before parsing, and the parser resolves no entities, loads no DTD and touches no
network (catalog/exchange/bmecat_safety.py). The writer, for the customer export: catalog/exchange/bmecat_writer.py.

Field mapping: SUPPLIER_PID → sku, DESCRIPTION_SHORT → name, DESCRIPTION_LONG → description,
PRODUCT_PRICE price_type="net_list" (the lowest LOWER_BOUND; net_customer when there is no
net_list) PRICE_AMOUNT → list_price, PRICE_CURRENCY (or the header's CURRENCY) → currency,
TAX → vat_rate, ORDER_UNIT → unit, REFERENCE_FEATURE_SYSTEM_NAME ECLASS*/UNSPSC* with
REFERENCE_FEATURE_GROUP_ID → eclass/unspsc, MIME (an image, or purpose normal/detail) MIME_SOURCE →
image_url, MANUFACTURER_PID/MANUFACTURER_NAME, DELIVERY_TIME (days) → delivery_days,
INTERNATIONAL_PID (ean/gtin) → ean, PRODUCT_TO_CATALOGGROUP_MAP CATALOG_GROUP_ID → category.
BMEcat 1.2 names (ARTICLE, SUPPLIER_AID, ARTICLE_DETAILS, ARTICLE_TO_CATALOGGROUP_MAP, ...) are
read too.
"""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from catalog.exchange.bmecat_safety import SAFE_OPTIONS, check_internal_dtd, check_prolog
from catalog.exchange.importing import CategoryAssignment, DraftImporter, ImportRefused, ItemRecord
from models.catalog_versions import ImportMode, ImportReport

TRANSACTIONS: dict[str, ImportMode] = {
    "T_NEW_CATALOG": "full",
    "T_UPDATE_PRODUCTS": "delta",
    "T_UPDATE_PRICES": "delta",
}
PRODUCTS = ("PRODUCT", "ARTICLE")
MAPS = ("PRODUCT_TO_CATALOGGROUP_MAP", "ARTICLE_TO_CATALOGGROUP_MAP")
TAGS = tuple(f"{{*}}{n}" for n in ("BMECAT", "HEADER", *TRANSACTIONS, *PRODUCTS, *MAPS))

_LOCAL: dict[Any, str] = {}


def local(tag: Any) -> str:
    """The element name without its namespace (memoised: a catalog has few distinct tags)."""
    name = _LOCAL.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
        if len(_LOCAL) < 10000:
            _LOCAL[tag] = name
    return name


def _release(el: etree._Element) -> None:
    """Frees a processed element and the siblings before it (what keeps iterparse's memory flat)."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    text = el.text  # read once: lxml makes a new string each time
    if text is None:
        return None
    text = " ".join(text.split())
    return text or None


def _decimal(raw: str | None) -> Decimal | None:
    try:
        return Decimal(raw.strip()) if raw else None
    except InvalidOperation:
        return None


def _price(prices: list[etree._Element], header: dict[str, str]) -> tuple[str | None, str | None, str | None] | None:
    """(amount, currency, tax) of the net_list price with the lowest lower bound (net_customer if
    there is no net_list); None when there is none."""
    candidates = []
    for price in prices:
        kind = price.get("price_type")
        if kind not in ("net_list", "net_customer"):
            continue
        values: dict[str, etree._Element] = {}
        for c in price:  # the last of a name counts; its text is read only when needed
            values[_LOCAL.get(c.tag) or local(c.tag)] = c
        lower = _decimal(_text(values.get("LOWER_BOUND"))) or Decimal(1)
        candidates.append((kind != "net_list", lower, values))
    if not candidates:
        return None
    _, _, values = min(candidates, key=lambda c: (c[0], c[1]))
    return (
        _text(values.get("PRICE_AMOUNT")),
        _text(values.get("PRICE_CURRENCY")) or header.get("currency"),
        _text(values.get("TAX")),
    )


def _first(el: etree._Element) -> dict[str, etree._Element]:
    """The first child of each name (what `el.find("{*}NAME")` finds), in one pass over the children."""
    out: dict[str, etree._Element] = {}
    for c in el:
        n = _LOCAL.get(c.tag) or local(c.tag)
        if n not in out:
            out[n] = c
    return out


def product_record(el: etree._Element, transaction: str, header: dict[str, str]) -> ItemRecord:
    record = ItemRecord(sku=None, line=el.sourceline)
    details = order = mime = None
    features: list[etree._Element] = []
    prices: list[etree._Element] = []
    for child in el:
        n = _LOCAL.get(child.tag) or local(child.tag)
        if n in ("SUPPLIER_PID", "SUPPLIER_AID"):
            record.sku = _text(child)
        elif n in ("PRODUCT_DETAILS", "ARTICLE_DETAILS"):
            details = child
        elif n in ("PRODUCT_FEATURES", "ARTICLE_FEATURES"):
            features.append(child)
        elif n in ("PRODUCT_ORDER_DETAILS", "ARTICLE_ORDER_DETAILS"):
            order = child
        elif n in ("PRODUCT_PRICE_DETAILS", "ARTICLE_PRICE_DETAILS"):
            prices.extend(p for p in child if (_LOCAL.get(p.tag) or local(p.tag)) in ("PRODUCT_PRICE", "ARTICLE_PRICE"))
        elif n == "MIME_INFO":
            mime = child
    mode = el.get("mode", "new")
    if transaction == "T_UPDATE_PRICES":
        record.action = "update"
    elif transaction == "T_UPDATE_PRODUCTS":
        record.action = {"delete": "delete", "update": "update"}.get(mode, "upsert")
    if record.action == "delete":
        return record

    price = _price(prices, header)
    if price is None:
        record.errors.append(("list_price", 'no price (PRODUCT_PRICE price_type="net_list")'))
    else:
        amount, currency, tax = price
        if amount is None:
            record.errors.append(("list_price", "the price has no PRICE_AMOUNT"))
        record.fields["list_price"] = amount
        record.fields["currency"] = currency
        if tax is not None:
            record.fields["vat_rate"] = tax
    if transaction == "T_UPDATE_PRICES":
        return record

    attributes: dict[str, Any] = {}
    name = description = None
    for c in details if details is not None else ():
        n = _LOCAL.get(c.tag) or local(c.tag)
        if n == "DESCRIPTION_SHORT" and name is None:
            name = _text(c)
        elif n == "DESCRIPTION_LONG" and description is None:
            description = _text(c)
        elif n == "EAN" or (n == "INTERNATIONAL_PID" and c.get("type", "gtin").lower() in ("ean", "gtin")):
            attributes.setdefault("ean", _text(c))
        elif n == "MANUFACTURER_PID":
            attributes["manufacturer_part_number"] = _text(c)
        elif n == "MANUFACTURER_NAME":
            attributes["manufacturer"] = _text(c)
        elif n == "DELIVERY_TIME":
            attributes["delivery_days"] = _text(c)
    if name is None:
        record.errors.append(("name", "DESCRIPTION_SHORT is missing"))
    record.fields["name"] = name
    record.fields["description"] = description or ""
    for feature in features:
        first = _first(feature)
        system = (_text(first.get("REFERENCE_FEATURE_SYSTEM_NAME")) or "").upper()
        group = _text(first.get("REFERENCE_FEATURE_GROUP_ID"))
        if group and system.startswith("ECL"):
            attributes["eclass"] = group
        elif group and system.startswith("UNSPSC"):
            attributes["unspsc"] = group
    if order is not None:
        unit = _text(_first(order).get("ORDER_UNIT"))
        if unit:
            record.fields["unit"] = unit
    if mime is not None:
        for m in mime:
            first = _first(m)
            kind = (_text(first.get("MIME_TYPE")) or "").lower()
            purpose = (_text(first.get("MIME_PURPOSE")) or "").lower()
            source = _text(first.get("MIME_SOURCE"))
            if source and (kind.startswith("image/") or purpose in ("normal", "detail")):
                attributes["image_url"] = source
                break
    record.attributes = attributes
    return record


def _assignment(el: etree._Element) -> CategoryAssignment | None:
    if el.get("mode") == "delete":
        return None
    sku = group = None
    for c in el:
        n = local(c.tag)
        if n in ("PROD_ID", "ART_ID"):
            sku = _text(c)
        elif n == "CATALOG_GROUP_ID":
            group = _text(c)
    return CategoryAssignment(sku=sku, category=group, line=el.sourceline) if sku and group else None


def read_into(importer: DraftImporter, source: io.RawIOBase, head: bytes, mode: str | None = None) -> ImportReport:
    """Streams a BMEcat document into the importer. ImportRefused when it is unsafe or not BMEcat.
    The transaction decides the mode (T_NEW_CATALOG: full); `mode="delta"` makes a T_NEW_CATALOG
    add and update only (one supplier's catalog among several)."""
    root = check_prolog(head)
    if root not in ("BMECAT",):
        raise ImportRefused(f"not a BMEcat document (the root element is {root})")
    header = {"currency": "EUR"}
    transaction: str | None = None
    try:
        for event, el in etree.iterparse(source, events=("start", "end"), tag=TAGS, **SAFE_OPTIONS):
            name = local(el.tag)
            if event == "start":
                if name == "BMECAT":
                    check_internal_dtd(el)
                elif name in TRANSACTIONS:
                    transaction = name
                    importer.set_transaction(name, "delta" if mode == "delta" else TRANSACTIONS[name])
                continue
            if name == "HEADER":
                currency = _text(el.find("{*}CATALOG/{*}CURRENCY"))
                if currency:
                    header["currency"] = currency
                _release(el)
            elif name in PRODUCTS:
                if transaction is not None:
                    importer.add(product_record(el, transaction, header))
                _release(el)
            elif name in MAPS:
                assignment = _assignment(el)
                if assignment is not None:
                    importer.assign(assignment)
                _release(el)
    except etree.XMLSyntaxError as exc:
        if transaction is None:
            raise ImportRefused(f"the file is not well-formed XML: {exc}") from exc
        return importer.finish(complete=False, file_error=f"the file is not well-formed XML: {exc}")
    if transaction is None:
        raise ImportRefused("the document has no T_NEW_CATALOG, T_UPDATE_PRODUCTS or T_UPDATE_PRICES")
    return importer.finish(complete=True)
