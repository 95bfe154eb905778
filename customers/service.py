"""The customers service: customers and their catalog rules for the API, the pages and the CLI.

The seller's staff read every customer; a customer's users their customer, its parents and its
subsidiaries (never whether another exists: not found). A subsidiary's users do not read what does
not pass down the tree at its parents (their special items). Catalog managers of the seller edit
the rules; the seller's administrators create customers and edit their particulars; every edit is
recorded in the audit trail with its actor. The audit trail itself is for the seller's staff who
answer for prices and customers."""

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from core.database import session_scope
from core.errors import Conflict, Forbidden, NotFound
from customers import audit, onboarding, overview, price_lists, rule_edits, tree
from customers.errors import CustomerNotFound, InvalidRule, RuleConflict, RuleNotFound
from customers.tables import Customer
from models.actors import Actor, require_admin, require_role, require_seller
from models.catalog_changes import CatalogChangePage, Kind
from models.customer_rules import (
    CustomerDetail,
    CustomerSummary,
    PartNumberOut,
    PriceListOut,
    RoleLimitOut,
    RoleRule,
    SpecialItemOut,
)
from models.customers import CustomerIn, CustomerPatch

T = TypeVar("T")
MANAGER = "catalog_manager"
AUDIT_READERS = ("admin", "catalog_manager", "expert", "finance")
MAX_CHANGES = audit.MAX_LIMIT
__all__ = ["CustomerNotFound", "InvalidRule", "RuleConflict", "RuleNotFound"]


def _visible(session: Session, actor: Actor) -> list[str] | None:
    """The customers the actor may read: the seller's staff all (None), a customer's users their
    customer, its parents and its subsidiaries."""
    if actor.is_seller_staff:
        return None
    if actor.customer_id is None:
        raise Forbidden("Delivery units have no customers")
    return tree.customer_tree(session, actor.customer_id)


def _read(
    engine: Engine,
    actor: Actor,
    customer_id: str,
    fn: Callable[..., T],
    *,
    with_visible: bool = False,
    inherited: bool = True,
) -> T:
    """`fn(session, customer_id)` if the actor may read the customer (`with_visible`: and what the
    actor may see, as `visible`; not `inherited`: rows that do not pass down the tree, which a
    subsidiary's users do not read at its parents)."""
    with session_scope(engine) as session:
        visible = _visible(session, actor)
        if visible is not None and not inherited:
            assert actor.customer_id is not None  # only the seller's staff see everything
            parents = [c.id for c in tree.customer_chain(session, actor.customer_id)][1:]
            visible = [c for c in visible if c not in parents]
        if visible is not None and customer_id not in visible:  # never tell whether it exists
            raise NotFound(f"customer {customer_id} not found")
        return (partial(fn, visible=visible) if with_visible else fn)(session, customer_id)


def _edit(fn: Callable[..., T]) -> Callable[..., T]:
    """The service's form of a rule edit: `edit(engine, actor, customer_id, ...)`, by the seller's
    catalog managers only, recorded in the audit trail as the actor's."""

    def edit(engine: Engine, actor: Actor, *args: Any) -> T:
        require_seller(actor, MANAGER, "Catalog rules are edited by the seller's catalog managers")
        return fn(engine, *args, actor=actor.id)

    edit.__name__, edit.__doc__ = fn.__name__, fn.__doc__
    return edit


def _reader(fn: Callable[[Session, str], T], *, inherited: bool = True) -> Callable[[Engine, Actor, str], T]:
    """The service's form of a rule read: `read(engine, actor, customer_id)` within what the actor sees."""

    def read(engine: Engine, actor: Actor, customer_id: str) -> T:
        return _read(engine, actor, customer_id, fn, inherited=inherited)

    read.__name__, read.__doc__ = fn.__name__, fn.__doc__
    return read


# --- customers -------------------------------------------------------------------------------------


def list_customers(engine: Engine, actor: Actor) -> list[CustomerSummary]:
    with session_scope(engine) as session:
        return overview.list_customers(session, _visible(session, actor))


def customer_detail(engine: Engine, actor: Actor, customer_id: str) -> CustomerDetail:
    """Its parents, subsidiaries, the contract in force, its rules at a glance; a subsidiary's users
    see its parents, but not the parents' other subsidiaries (their siblings)."""
    return _read(engine, actor, customer_id, overview.customer_detail, with_visible=True)


def create_customer(engine: Engine, actor: Actor, body: CustomerIn) -> CustomerDetail:
    """A new customer (the seller's administrators), answered as `customer_detail` shows it."""
    require_admin(actor)
    try:
        with session_scope(engine, write_lock=True) as session:
            customer, secret = onboarding.create_customer(session, body, actor=actor.id)
            detail = overview.customer_detail(session, customer.id)
            return detail.model_copy(update={"invoice_webhook_secret": secret})  # answered this once
    except IntegrityError as exc:  # created at the same moment by another request
        raise Conflict(f"customer {body.customer_id} exists already", field="customer_id") from exc


def update_customer(engine: Engine, actor: Actor, customer_id: str, patch: CustomerPatch) -> CustomerDetail:
    """Changes the fields sent (the seller's administrators); answers as `customer_detail` shows it."""
    require_admin(actor)
    with session_scope(engine, write_lock=True) as session:
        _, secret = onboarding.update_customer(session, customer_id, patch, actor=actor.id)
        detail = overview.customer_detail(session, customer_id)
        return detail.model_copy(update={"invoice_webhook_secret": secret})  # a new one, answered this once


def exists(engine: Engine, customer_id: str) -> bool:
    with session_scope(engine) as session:
        return session.get(Customer, customer_id) is not None


class CustomerWithRules(NamedTuple):
    """A customer and all its own rules, read in one transaction (the counts and the rows agree)."""

    detail: CustomerDetail
    price_lists: list[PriceListOut]
    role_rules: list[RoleRule]
    role_limits: list[RoleLimitOut]
    part_numbers: list[PartNumberOut]
    special_items: list[SpecialItemOut]


def customer_with_rules(engine: Engine, actor: Actor, customer_id: str) -> CustomerWithRules:
    """The customer (as `customer_detail`) with its own rules, for the seller's staff."""
    if not actor.is_seller_staff:
        raise Forbidden("A customer's rules at once are for the seller's staff")

    def read(session: Session, customer_id: str) -> CustomerWithRules:
        return CustomerWithRules(
            overview.customer_detail(session, customer_id),
            price_lists.price_lists(session, customer_id),
            rule_edits.role_rules(session, customer_id),
            rule_edits.role_limits(session, customer_id),
            rule_edits.part_numbers(session, customer_id),
            rule_edits.special_items(session, customer_id),
        )

    return _read(engine, actor, customer_id, read)


# --- a customer's own catalog rules ----------------------------------------------------------------

price_lists_of = _reader(price_lists.price_lists)
role_rules = _reader(rule_edits.role_rules)
role_limits = _reader(rule_edits.role_limits)
part_numbers = _reader(rule_edits.part_numbers)
# a parent's special prices are its own agreement, not its subsidiaries'
special_items = _reader(rule_edits.special_items, inherited=False)

put_price_list = _edit(price_lists.put_price_list)
delete_price_list = _edit(price_lists.delete_price_list)
replace_role_rules = _edit(rule_edits.replace_role_rules)
put_role_rule = _edit(rule_edits.put_role_rule)
delete_role_rule = _edit(rule_edits.delete_role_rule)
put_role_limit = _edit(rule_edits.put_role_limit)
delete_role_limit = _edit(rule_edits.delete_role_limit)
put_part_number = _edit(rule_edits.put_part_number)
delete_part_number = _edit(rule_edits.delete_part_number)
put_special_item = _edit(rule_edits.put_special_item)
delete_special_item = _edit(rule_edits.delete_special_item)

parse = rule_edits.parse  # a rule from plain data (the CLI's options), a broken field as InvalidRule


# --- the audit trail of commercial terms -----------------------------------------------------------


CHANGE_KINDS = audit.KINDS
change_summary = audit.summary  # one line saying what an edit changed (before -> after)


def may_read_changes(actor: Actor) -> bool:
    return actor.is_seller_staff and any(role in actor.roles for role in AUDIT_READERS)


def changes(
    engine: Engine,
    actor: Actor,
    *,
    customer_id: str | None = None,
    contract_id: str | None = None,
    kind: Kind | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> CatalogChangePage:
    """Who changed which customer's commercial terms, when, and what; newest first."""
    if not actor.is_seller_staff:
        raise Forbidden("The audit trail is for the seller's staff")
    require_role(actor, *AUDIT_READERS)
    with session_scope(engine) as session:
        return audit.changes(
            session, customer_id=customer_id, contract_id=contract_id, kind=kind, limit=limit, before_id=before_id
        )
