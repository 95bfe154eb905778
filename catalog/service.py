"""The catalog service: what the API, the pages and the CLI do with the catalog. A customer's
users read their assortment at their prices, with their rights; the seller's staff the whole live
catalog at list prices; an item's configuration is checked and priced. The catalog managers
manage what each customer sees (quality rules, sub-assortments)."""

from sqlalchemy import Engine
from sqlmodel import Session

from accounts.tables import User
from catalog import pricing, quality, subassortments, view_edits
from catalog.assortment import Entry, entries
from catalog.configuration import check, configuration_problems
from catalog.rights import rights_for
from catalog.tables import Item
from catalog.view_tables import CustomerCatalog
from catalog.views import STAFF, customer_catalog, entry_item, seller_catalog, to_catalog_item
from contracts.in_force import NoValidContract
from core.calendar import utc_today
from core.database import session_scope
from core.errors import Conflict, Forbidden, NotFound
from models.actors import Actor, require_seller
from models.catalog import (
    CatalogItem,
    CatalogPage,
    CheckProblem,
    ConfigSurcharge,
    ConfigurationCheck,
    ConfigurationCheckRequest,
)
from models.catalog_versions import CustomerPublication, QualityReport, QualityRuleIn, SubAssortmentIn
from models.money import round_money
from models.orders import OrderLineRequest

MANAGER = "catalog_manager"
InvalidRule = quality.InvalidRule
InvalidDefinition = subassortments.InvalidDefinition


def require_manager(actor: Actor) -> None:
    """Catalog management is the seller's catalog managers' (a customer's user given the role by
    mistake manages nothing)."""
    require_seller(actor, MANAGER, "Catalog management is for the seller's catalog managers")


def _roles(session: Session, actor: Actor) -> list[str]:
    """The caller's roles as they are now (rights decide what is shown), else as in the token."""
    user = session.get(User, actor.id)
    return list(user.roles) if user is not None else list(actor.roles)


def catalog_page(
    engine: Engine, actor: Actor, q: str | None, category: str | None, limit: int, offset: int
) -> CatalogPage:
    """One page of the actor's catalog: what a customer's user may see of the customer's assortment,
    at the customer's prices, each item marked orderable or not (role rules); the seller's staff
    the whole catalog at list prices; delivery units have none."""
    with session_scope(engine) as session:
        if actor.customer_id is not None:
            try:
                return customer_catalog(
                    session,
                    actor.customer_id,
                    utc_today(),
                    q=q,
                    category=category,
                    limit=limit,
                    offset=offset,
                    roles=_roles(session, actor),
                )
            except NoValidContract as exc:
                raise Conflict(f"No catalog: {exc}") from exc
        if actor.is_seller_staff:
            return seller_catalog(session, q=q, category=category, limit=limit, offset=offset)
        raise Forbidden("Delivery units have no catalog")


def _customer_entry(session: Session, actor: Actor, sku: str) -> tuple[Entry, pricing.PriceContext]:
    """The item of the caller's assortment, if the caller may see it; else 404."""
    assert actor.customer_id is not None  # a customer's user
    try:
        ctx = pricing.context(session, actor.customer_id, utc_today())
    except NoValidContract as exc:
        raise Conflict(f"No catalog: {exc}") from exc
    rights = rights_for(session, ctx.chain_ids, _roles(session, actor))
    entry = entries(session, actor.customer_id, ctx.contract, [sku], rights=rights, ctx=ctx).get(sku)
    if entry is None or not entry.decision.may_see:
        raise NotFound(f"{sku} is not in your assortment", field="sku")
    return entry, ctx


def item(engine: Engine, actor: Actor, sku: str) -> CatalogItem:
    """One item of the caller's assortment (the seller's staff: of the live catalog)."""
    with session_scope(engine) as session:
        if actor.customer_id is not None:
            entry, ctx = _customer_entry(session, actor, sku)
            return entry_item(entry, ctx.currency)
        if actor.is_seller_staff and (found := session.get(Item, sku)) is not None and found.active:
            return to_catalog_item(found, found.list_price, pricing.LIST, decision=STAFF)
    raise NotFound(f"{sku} is not in your assortment", field="sku")


def check_configuration(engine: Engine, actor: Actor, sku: str, body: ConfigurationCheckRequest) -> ConfigurationCheck:
    """Checks one configuration of an item and prices it for the caller (nothing is ordered)."""
    if actor.customer_id is None and not actor.is_seller_staff:
        raise Forbidden("Delivery units have no catalog")
    with session_scope(engine) as session:
        if actor.customer_id is not None:
            entry, ctx = _customer_entry(session, actor, sku)
            item, currency, decision = entry.item, ctx.currency, entry.decision
            assert entry.sources is not None  # a customer's entries carry their prices
            quote = pricing.decide(entry.sources, body.quantity)
            minimum = entry.min_quantity
        elif actor.is_seller_staff and (found := session.get(Item, sku)) is not None and found.active:
            item, currency, decision, minimum = found, found.currency, STAFF, 1
            quote = pricing.Quote(found.list_price, pricing.LIST)
        else:
            raise NotFound(f"{sku} is not in your assortment", field="sku")
    problems, surcharges = check(item, body.configuration)
    refused = [CheckProblem(field=p.field, message=p.message) for p in problems]
    if quote is None:
        refused.append(CheckProblem(field="quantity", message=f"{sku} is sold from {minimum} pieces"))
    # a configuration that cannot be delivered has no price (its base price is still shown)
    unit_price = None if quote is None or problems else pricing.with_surcharges(quote.unit_price, surcharges)
    return ConfigurationCheck(
        sku=sku,
        valid=not refused,
        problems=refused,
        quantity=body.quantity,
        base_price=None if quote is None else quote.unit_price,
        surcharges=[ConfigSurcharge(when=s.when, amount=s.amount, message=s.message) for s in surcharges],
        unit_price=unit_price,
        line_total=None if unit_price is None else round_money(unit_price * body.quantity),
        currency=currency,
        price_source=None if quote is None else quote.source,
        orderable=decision.may_order,
        not_orderable_reason=None if decision.may_order else decision.reason,
    )


def order_configuration_problems(engine: Engine, lines: list[OrderLineRequest]) -> list[str]:
    """The validation's configuration rules, checked before placing so the buyer can correct them."""
    problems: list[str] = []
    with session_scope(engine) as session:
        for line in lines:
            found = session.get(Item, line.sku)
            if found is not None:
                problems += configuration_problems(found, line.configuration)
    return problems


# --- what each customer sees: quality rules and sub-assortments (catalog managers) -----------------


def quality_report(engine: Engine, actor: Actor, version_id: int, customer_id: str | None, limit: int) -> QualityReport:
    require_manager(actor)
    with session_scope(engine) as session:
        return quality.report(session, version_id, customer_id, limit=limit)


def quality_rules(engine: Engine, actor: Actor, customer_id: str) -> list[QualityRuleIn]:
    require_manager(actor)
    with session_scope(engine) as session:
        return quality.rule_inputs(session, customer_id)


def set_quality_rules(
    engine: Engine, actor: Actor, customer_id: str, rules: list[QualityRuleIn]
) -> CustomerPublication | None:
    """Replaces the customer's quality rules; its view of the published version is re-checked."""
    require_manager(actor)
    with session_scope(engine, write_lock=True) as session:
        return view_edits.set_quality_rules(session, customer_id, rules, actor=actor.id)


def sub_assortment(engine: Engine, actor: Actor, customer_id: str) -> SubAssortmentIn | None:
    require_manager(actor)
    with session_scope(engine) as session:
        return subassortments.own_definition(session, customer_id)


def sub_assortment_owner(engine: Engine, actor: Actor, customer_id: str) -> str | None:
    """Whose sub-assortment the customer sees: its own, its nearest ancestor's, or None (its
    contract assortment)."""
    require_manager(actor)
    with session_scope(engine) as session:
        found = subassortments.definition(session, customer_id)
        return None if found is None else found.customer_id


def replace_sub_assortment(
    engine: Engine, actor: Actor, customer_id: str, body: SubAssortmentIn | None
) -> CustomerPublication | None:
    """Sets (None: removes) the customer's own sub-assortment; the views it changes are re-checked."""
    require_manager(actor)
    with session_scope(engine, write_lock=True) as session:
        return view_edits.replace_subassortment(session, customer_id, body, actor=actor.id)


def quality_status(engine: Engine, actor: Actor, customer_id: str) -> tuple[int, int] | None:
    """(version, items withheld) of the customer's last quality check; None: never checked."""
    require_manager(actor)
    with session_scope(engine) as session:
        status = session.get(CustomerCatalog, customer_id)
        return None if status is None else (status.version_id, status.hidden_count)


KNOWN_QUALITY_RULES = quality.RULES
