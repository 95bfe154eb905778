"""BMEcat 2005: a safe streaming reader (into a draft version) and a writer (customer export).

Reading is streamed with `lxml.etree.iterparse`: each PRODUCT is handed to the importer and
cleared, so memory stays flat however large the file. It is safe against hostile XML:
- the prolog is checked before parsing: a DOCTYPE with entity declarations (XXE, billion laughs,
  parameter entities) is refused; a plain DOCTYPE naming an external DTD is accepted and the DTD
  is never fetched;
- the parser never resolves entities, never loads a DTD, never touches the network, and keeps
  libxml2's limits on huge nodes (`resolve_entities=False, load_dtd=False, no_network=True,
  huge_tree=False`); the document's internal DTD is checked again once the root element starts.

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

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from lxml import etree

from catalog.importing import CategoryAssignment, DraftImporter, ImportRefused, ItemRecord
from models.catalog_versions import ImportReport

NS = "http://www.bmecat.org/bmecat/2005"
PROLOG_LIMIT = 64 * 1024
# The parser options that make iterparse safe on untrusted input (see the module doc).
SAFE_OPTIONS: dict[str, Any] = dict(resolve_entities=False, load_dtd=False, dtd_validation=False,
                                    no_network=True, huge_tree=False, remove_comments=True, remove_pis=True)
TRANSACTIONS = {"T_NEW_CATALOG": "full", "T_UPDATE_PRODUCTS": "delta", "T_UPDATE_PRICES": "delta"}
PRODUCTS = ("PRODUCT", "ARTICLE")
MAPS = ("PRODUCT_TO_CATALOGGROUP_MAP", "ARTICLE_TO_CATALOGGROUP_MAP")
TAGS = tuple(f"{{*}}{n}" for n in ("BMECAT", "HEADER", *TRANSACTIONS, *PRODUCTS, *MAPS))
_NAME = re.compile(r"<([A-Za-z_][\w.:-]*)")


_LOCAL: dict[Any, str] = {}


def local(tag: Any) -> str:
    """The element name without its namespace (memoised: a catalog has few distinct tags)."""
    name = _LOCAL.get(tag)
    if name is None:
        name = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
        if len(_LOCAL) < 10000:
            _LOCAL[tag] = name
    return name


# --- safety --------------------------------------------------------------------------------------

def _decode_head(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="replace")
    if head[:4] in (b"<\x00?\x00", b"\x00<\x00?"):
        return head.decode("utf-16-le" if head[0] == 0x3C else "utf-16-be", errors="replace")
    return head.removeprefix(b"\xef\xbb\xbf").decode("latin-1")


def check_prolog(head: bytes) -> str:
    """The root element's name, after checking everything before it; ImportRefused for a DOCTYPE
    that declares entities (external or internal: XXE, entity expansion bombs)."""
    text, i = _decode_head(head), 0
    n = len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            raise ImportRefused(f"no root element within the first {PROLOG_LIMIT // 1024} KiB")
        if text.startswith("<?", i):
            end = text.find("?>", i)
            if end < 0:
                raise ImportRefused("unterminated processing instruction before the root element")
            i = end + 2
        elif text.startswith("<!--", i):
            end = text.find("-->", i + 4)
            if end < 0:
                raise ImportRefused("unterminated comment before the root element")
            i = end + 3
        elif text.startswith("<!DOCTYPE", i):
            j, depth, quote = i + 9, 0, None
            while j < n:
                c = text[j]
                if quote:
                    quote = None if c == quote else quote
                elif c in "\"'":
                    quote = c
                elif c == "[":
                    depth += 1
                elif c == "]":
                    depth -= 1
                elif c == ">" and depth <= 0:
                    break
                j += 1
            if j >= n:
                raise ImportRefused("the DOCTYPE declaration is too long")
            if "<!ENTITY" in text[i:j]:
                raise ImportRefused("the document declares entities (DOCTYPE with <!ENTITY>): refused, "
                                    "entities are a way to read server files or exhaust memory")
            i = j + 1
        elif text.startswith("<!", i):
            raise ImportRefused("unexpected declaration before the root element")
        elif text.startswith("<", i):
            match = _NAME.match(text, i)
            if not match:
                raise ImportRefused("not an XML document")
            return match.group(1).rsplit(":", 1)[-1]
        else:
            raise ImportRefused("not an XML document")


def _check_internal_dtd(el: etree._Element) -> None:
    dtd = el.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise ImportRefused("the document declares entities: refused")


def _release(el: etree._Element) -> None:
    """Frees a processed element and the siblings before it (what keeps iterparse's memory flat)."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


# --- reading -------------------------------------------------------------------------------------

def _text(el: etree._Element | None) -> str | None:
    if el is None or el.text is None:
        return None
    text = " ".join(el.text.split())
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
        values: dict[str, str | None] = {}
        for c in price:
            values[local(c.tag)] = _text(c)
        lower = _decimal(values.get("LOWER_BOUND")) or Decimal(1)
        candidates.append((kind != "net_list", lower, values))
    if not candidates:
        return None
    _, _, values = min(candidates, key=lambda c: (c[0], c[1]))
    return values.get("PRICE_AMOUNT"), values.get("PRICE_CURRENCY") or header.get("currency"), values.get("TAX")


def product_record(el: etree._Element, transaction: str, header: dict[str, str]) -> ItemRecord:
    record = ItemRecord(sku=None, line=el.sourceline)
    details = order = mime = None
    features: list[etree._Element] = []
    prices: list[etree._Element] = []
    for child in el:
        n = local(child.tag)
        if n in ("SUPPLIER_PID", "SUPPLIER_AID"):
            record.sku = _text(child)
        elif n in ("PRODUCT_DETAILS", "ARTICLE_DETAILS"):
            details = child
        elif n in ("PRODUCT_FEATURES", "ARTICLE_FEATURES"):
            features.append(child)
        elif n in ("PRODUCT_ORDER_DETAILS", "ARTICLE_ORDER_DETAILS"):
            order = child
        elif n in ("PRODUCT_PRICE_DETAILS", "ARTICLE_PRICE_DETAILS"):
            prices.extend(p for p in child if local(p.tag) in ("PRODUCT_PRICE", "ARTICLE_PRICE"))
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
        n = local(c.tag)
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
        system = (_text(feature.find("{*}REFERENCE_FEATURE_SYSTEM_NAME")) or "").upper()
        group = _text(feature.find("{*}REFERENCE_FEATURE_GROUP_ID"))
        if group and system.startswith("ECL"):
            attributes["eclass"] = group
        elif group and system.startswith("UNSPSC"):
            attributes["unspsc"] = group
    if order is not None:
        unit = _text(order.find("{*}ORDER_UNIT"))
        if unit:
            record.fields["unit"] = unit
    if mime is not None:
        for m in mime:
            kind = (_text(m.find("{*}MIME_TYPE")) or "").lower()
            purpose = (_text(m.find("{*}MIME_PURPOSE")) or "").lower()
            source = _text(m.find("{*}MIME_SOURCE"))
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


def read_into(importer: DraftImporter, source: IO[bytes], head: bytes, mode: str | None = None) -> ImportReport:
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
                    _check_internal_dtd(el)
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


# --- writing -------------------------------------------------------------------------------------

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
    _sub(order, "QUANTITY_MIN", 1)
    prices = _sub(product, "PRODUCT_PRICE_DETAILS")
    price = _sub(prices, "PRODUCT_PRICE", price_type="net_customer")
    _sub(price, "PRICE_AMOUNT", f"{p.price:.2f}")
    _sub(price, "PRICE_CURRENCY", p.currency)
    _sub(price, "TAX", f"{p.vat_rate.normalize():f}")
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


def write_catalog(out: IO[bytes], header: ExportHeader, categories: list[str],
                  products: Callable[[], Iterator[ExportProduct]]) -> int:
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
