"""Export of a customer's view of the published catalog, at the customer's prices, as BMEcat 2005
T_NEW_CATALOG (valid against the BMEcat XSD) or as CSV (catalog/exchange/csv_format.py EXPORT_COLUMNS).

The view is the customer's assortment (catalog/subassortments.py `view`, read from
catalog/assortment.py): the items its catalog API lists and order validation accepts, no more."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import IO

from sqlmodel import Session

from catalog import subassortments
from catalog.exchange import bmecat_writer, csv_format
from catalog.versions import store
from catalog.versions.content import ATTRIBUTE_KEYS
from core.calendar import utc_today
from customers.tables import Customer


class NothingPublished(Exception):
    pass


class UnknownCustomer(Exception):
    pass


def _version(session: Session, customer_id: str) -> tuple[Customer, int]:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise UnknownCustomer(f"unknown customer {customer_id}")
    live = store.live_version(session)
    if live is None:
        raise NothingPublished("no catalog version is published yet")
    return customer, live


def catalog_version_label(version_id: int) -> str:
    """BMEcat's CATALOG_VERSION is "n.m" with at most 3 digits each."""
    return f"{version_id // 1000 % 1000}.{version_id % 1000}" if version_id >= 1000 else f"{version_id}.0"


def export_bmecat(
    session: Session, customer_id: str, out: IO[bytes], *, as_of: date | None = None, supplier_name: str = "order2cash"
) -> int:
    """Writes the customer's view as BMEcat; returns the number of products."""
    as_of = as_of or utc_today()
    customer, live = _version(session, customer_id)
    view = list(subassortments.view(session, customer_id, as_of))
    categories = sorted({e.item.category for e in view})

    def products() -> Iterator[bmecat_writer.ExportProduct]:
        for e in view:
            i = e.item
            yield bmecat_writer.ExportProduct(
                sku=i.sku,
                name=i.name,
                description=i.description,
                category=i.category,
                unit=i.unit,
                price=e.price,
                currency=e.currency,
                vat_rate=i.vat_rate,
                attributes=i.attributes or {},
                buyer_pid=e.part_number,
                min_quantity=e.min_quantity,
                price_breaks=e.price_breaks,
            )

    currencies = {e.currency for e in view} or {"EUR"}
    header = bmecat_writer.ExportHeader(
        catalog_id=f"{customer_id}"[:20],
        catalog_version=catalog_version_label(live),
        catalog_name=f"{supplier_name} catalog for {customer.name}",
        generated=as_of,
        currency=sorted(currencies)[0],
        buyer_id=customer_id,
        buyer_name=customer.name,
        supplier_name=supplier_name,
    )
    return bmecat_writer.write_catalog(out, header, categories, products)


def export_csv(session: Session, customer_id: str, out: IO[str], *, as_of: date | None = None) -> int:
    """Writes the customer's view as CSV; returns the number of rows."""
    as_of = as_of or utc_today()
    _version(session, customer_id)
    view = list(subassortments.view(session, customer_id, as_of))

    def rows():
        for e in view:
            i, a = e.item, e.item.attributes or {}
            yield {
                "sku": i.sku,
                "customer_part_number": e.part_number or "",
                "name": i.name,
                "description": i.description,
                "category": i.category,
                "unit": i.unit,
                "price": f"{e.price:.2f}",
                "currency": e.currency,
                "vat_rate": f"{i.vat_rate.normalize():f}",
                "price_source": e.price_source,
                **{k: a.get(k, "") for k in ATTRIBUTE_KEYS},
                "min_quantity": e.min_quantity,
                "price_breaks": " ".join(f"{q}:{p:.2f}" for q, p in e.price_breaks),
            }

    return csv_format.write_rows(out, rows())
