"""Per-customer quality rules: what a customer requires of the items it sees.

Rules (table `qualityrule`, one row per customer and rule):
- `classification` {"systems": ["ECLASS", "UNSPSC"]}: a classification code of one of the systems
- `image`: an image URL
- `min_description_length` {"length": 50}: a description at least that long
- `delivery_time`: a delivery time in days
- `manufacturer_part_number`: the manufacturer's part number

Design: a version is published for everyone, but for a customer with rules the items of its view
(its assortment, catalog/assortment.py: its sub-assortment when it has one; see
`subassortments.scope`) that break a rule are withheld from that customer (`catalogitemhidden`, with the failing rules;
with a sub-assortment all its items, also those the customer has no price for yet);
`customercatalog` records which version the customer's view was checked against and how many
items it withholds. Publishing re-checks every customer with rules; changing a customer's rules
re-checks that customer, changing a sub-assortment the customers whose view it is (catalog/view_edits.py).
The quality report of any version (a draft before publishing, too) says which item fails which rule
for which customer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session, col

from catalog import subassortments
from catalog.versions import store
from catalog.versions.tables import CatalogVersionItem
from catalog.view_tables import CustomerCatalog, HiddenItem, QualityRule
from core.calendar import utc_today
from core.errors import Invalid
from customers.tree import subsidiaries
from models.catalog_versions import (
    CustomerPublication,
    CustomerQuality,
    ItemQuality,
    QualityReport,
    QualityRuleIn,
    RuleFailure,
)

RULES = ("classification", "image", "min_description_length", "delivery_time", "manufacturer_part_number")


class InvalidRule(Invalid):
    pass


def check_params(rule: str, params: dict[str, Any]) -> dict[str, Any]:
    if rule == "classification":
        systems = [s.upper() for s in params.get("systems", ["ECLASS", "UNSPSC"])]
        if not systems or set(systems) - {"ECLASS", "UNSPSC"}:
            raise InvalidRule("classification systems are ECLASS and UNSPSC")
        return {"systems": systems}
    if rule == "min_description_length":
        length = params.get("length")
        if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= 64000:
            raise InvalidRule("min_description_length needs a length between 1 and 64000")
        return {"length": length}
    if rule in RULES:
        return {}
    raise InvalidRule(f"unknown quality rule {rule!r} (known: {', '.join(RULES)})")


def failures(item: CatalogVersionItem, rules: list[QualityRule]) -> list[RuleFailure]:
    a = item.attributes or {}
    found = []
    for r in rules:
        if r.rule == "classification":
            systems = r.params.get("systems", ["ECLASS", "UNSPSC"])
            if not any(a.get(s.lower()) for s in systems):
                found.append(RuleFailure(rule=r.rule, message=f"no {' or '.join(systems)} classification"))
        elif r.rule == "image" and not a.get("image_url"):
            found.append(RuleFailure(rule=r.rule, message="no image"))
        elif r.rule == "min_description_length" and len(item.description or "") < r.params["length"]:
            found.append(
                RuleFailure(
                    rule=r.rule,
                    message=(
                        f"description has {len(item.description or '')} characters, "
                        f"at least {r.params['length']} required"
                    ),
                )
            )
        elif r.rule == "delivery_time" and a.get("delivery_days") is None:
            found.append(RuleFailure(rule=r.rule, message="no delivery time"))
        elif r.rule == "manufacturer_part_number" and not a.get("manufacturer_part_number"):
            found.append(RuleFailure(rule=r.rule, message="no manufacturer part number"))
    return found


def rules_of(session: Session, customer_id: str) -> list[QualityRule]:
    return list(
        session.execute(
            select(QualityRule).where(col(QualityRule.customer_id) == customer_id).order_by(col(QualityRule.rule))
        ).scalars()
    )


def rule_inputs(session: Session, customer_id: str) -> list[QualityRuleIn]:
    """The customer's rules as the API and the CLI show them (and take them back)."""
    return [QualityRuleIn(rule=r.rule, params=r.params) for r in rules_of(session, customer_id)]


def customers_with_rules(session: Session) -> list[str]:
    return list(
        session.execute(
            select(col(QualityRule.customer_id)).distinct().order_by(col(QualityRule.customer_id))
        ).scalars()
    )


def customer_quality(
    session: Session,
    customer_id: str,
    version_id: int,
    *,
    as_of: date | None = None,
    limit: int | None = 1000,
    collect_all: bool = False,
    priced: bool = True,
) -> tuple[CustomerQuality, dict[str, list[RuleFailure]]]:
    """The customer's report for a version; with `collect_all`, also every failing SKU's failures.
    `priced` false: also the sub-assortment's items without a price (`subassortments.scope`)."""
    rules = rules_of(session, customer_id)
    report = CustomerQuality(
        customer_id=customer_id, version_id=version_id, rules=[r.rule for r in rules], checked_items=0, failing_count=0
    )
    failing_all: dict[str, list[RuleFailure]] = {}
    if not rules:
        return report, failing_all
    for item in subassortments.scope(session, customer_id, version_id, as_of or utc_today(), priced=priced):
        report.checked_items += 1
        found = failures(item, rules)
        if not found:
            continue
        report.failing_count += 1
        if limit is None or len(report.failing) < limit:
            report.failing.append(ItemQuality(sku=item.sku, name=item.name, failures=found))
        if collect_all:
            failing_all[item.sku] = found
    return report, failing_all


def report(session: Session, version_id: int, customer_id: str | None = None, *, limit: int = 1000) -> QualityReport:
    """Which item of the version fails which rule, for each customer with rules (or one)."""
    store.get_version(session, version_id)
    customers = [customer_id] if customer_id else customers_with_rules(session)
    return QualityReport(
        version_id=version_id, customers=[customer_quality(session, c, version_id, limit=limit)[0] for c in customers]
    )


def apply_customer(session: Session, customer_id: str, version_id: int) -> CustomerPublication:
    """Withholds the items of the version that break the customer's rules from its view. With a
    sub-assortment, its items without a price for the customer are checked too: a price given to
    one later (special, contract, price list) brings it into the view without a re-check."""
    _, failing = customer_quality(session, customer_id, version_id, limit=0, collect_all=True, priced=False)
    session.execute(delete(HiddenItem).where(col(HiddenItem.customer_id) == customer_id))
    for sku, found in failing.items():
        session.add(
            HiddenItem(
                customer_id=customer_id, sku=sku, version_id=version_id, failures=[f.model_dump() for f in found]
            )
        )
    status = session.get(CustomerCatalog, customer_id) or CustomerCatalog(
        customer_id=customer_id, version_id=version_id, checked_at=datetime.now(UTC)
    )
    status.version_id, status.hidden_count, status.checked_at = version_id, len(failing), datetime.now(UTC)
    session.add(status)
    session.flush()
    return CustomerPublication(customer_id=customer_id, version_id=version_id, hidden_count=len(failing))


def recheck_views(session: Session, customer_id: str) -> list[CustomerPublication]:
    """After a change that can bring items into views (a contract item, a special item, a price
    list): re-checks the views of the customer and of its subsidiaries (which may inherit the
    change) that have rules, in the change's transaction, so that no item breaking them shows up."""
    live = store.live_version(session)
    with_rules = set(customers_with_rules(session))
    if live is None or not with_rules:
        return []
    session.flush()
    tree = [customer_id, *(c.id for c in subsidiaries(session, customer_id))]
    return [apply_customer(session, c, live) for c in tree if c in with_rules]


def apply(session: Session, version_id: int) -> list[CustomerPublication]:
    """At publication: re-checks every customer with rules against the new live version."""
    with_rules = customers_with_rules(session)
    session.execute(delete(HiddenItem).where(col(HiddenItem.customer_id).not_in(with_rules)))
    return [apply_customer(session, c, version_id) for c in with_rules]


def hidden_skus(session: Session, customer_id: str) -> set[str]:
    """SKUs withheld from the customer's view (for the catalog API and order validation)."""
    return set(session.execute(select(col(HiddenItem.sku)).where(col(HiddenItem.customer_id) == customer_id)).scalars())


def hidden_skus_query(customer_id: str):
    """The same as a subquery: `Item.sku.not_in(hidden_skus_query(customer_id))`."""
    return select(col(HiddenItem.sku)).where(col(HiddenItem.customer_id) == customer_id)
