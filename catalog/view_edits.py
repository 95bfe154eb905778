"""Changing what a customer sees of the catalog: its quality rules and its sub-assortment. Each
edit is recorded with its actor in the audit trail (customers/audit.py) and re-checks, in the same
transaction, the views it changes against the live version (catalog/quality.py), so that no item
breaking a customer's rules shows up. The callers (the catalog service) hold the transaction."""

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col

from catalog import quality, subassortments
from catalog.versions import store
from catalog.view_tables import CustomerCatalog, HiddenItem, QualityRule
from customers import audit
from customers.tables import Customer
from customers.tree import customer_chain
from models.catalog_versions import CustomerPublication, QualityRuleIn, SubAssortmentIn


def _recorded(rules: list[QualityRuleIn]) -> list[dict[str, Any]]:
    """A rule set as the audit trail keeps it: in rule order."""
    return sorted((r.model_dump(mode="json") for r in rules), key=lambda r: r["rule"])


def set_quality_rules(
    session: Session, customer_id: str, rules: list[QualityRuleIn], *, actor: str
) -> CustomerPublication | None:
    """Replaces the customer's rules (recorded with the actor in the audit trail) and re-checks its
    view of the live version."""
    if session.get(Customer, customer_id) is None:
        raise quality.InvalidRule(f"unknown customer {customer_id}")
    cleaned = {r.rule: quality.check_params(r.rule, r.params) for r in rules}
    audit.record(
        session,
        actor=actor,
        kind="quality_rules",
        customer_id=customer_id,
        before=_recorded(quality.rule_inputs(session, customer_id)),
        after=_recorded([QualityRuleIn(rule=rule, params=params) for rule, params in cleaned.items()]),
    )
    session.execute(delete(QualityRule).where(col(QualityRule.customer_id) == customer_id))
    for rule, params in cleaned.items():
        session.add(QualityRule(customer_id=customer_id, rule=rule, params=params))
    session.flush()
    live = store.live_version(session)
    if not cleaned:
        session.execute(delete(HiddenItem).where(col(HiddenItem.customer_id) == customer_id))
        existing = session.get(CustomerCatalog, customer_id)
        if existing is not None:
            session.delete(existing)
        return None
    return quality.apply_customer(session, customer_id, live) if live is not None else None


def replace_subassortment(
    session: Session, customer_id: str, body: SubAssortmentIn | None, *, actor: str
) -> CustomerPublication | None:
    """Sets (or, with None, removes) the customer's own sub-assortment, recorded with the actor in
    the audit trail; the view of the customer and of its subsidiaries changed, so those with
    quality rules are re-checked against the live version. Returns the customer's re-check (None:
    no rules or nothing published)."""
    before = subassortments.own_definition(session, customer_id)
    subassortments.set_definition(session, customer_id, body)
    audit.record(
        session,
        actor=actor,
        kind="sub_assortment",
        customer_id=customer_id,
        before=before,
        after=subassortments.own_definition(session, customer_id),
    )
    live = store.live_version(session)
    if live is None:
        return None
    own = None
    for other in quality.customers_with_rules(session):  # the customer and the subsidiaries below it
        if customer_id in (c.id for c in customer_chain(session, other)):
            publication = quality.apply_customer(session, other, live)
            own = publication if other == customer_id else own
    return own
