"""Editing a customer's catalog rules (catalog managers, through the API and the CLI): role rules,
role limits, customer part numbers and the special assortment (price lists: customers/price_lists.py;
the customer tree and what applies to a customer: customers/overview.py).

What the rows mean is decided elsewhere (catalog/pricing.py, rights.py, limits.py, partnumbers.py);
an edit takes effect for new catalog reads and order validations at once. Input arrives as the
models of models/customer_rules.py, whose field constraints pydantic checks (`parse` turns a broken
one into an `InvalidRule` for callers with plain data); here is what needs the database (the
customer, SKUs and categories exist) and what spans fields. Every edit is one transaction with the
write lock that first locks the customer's row, so concurrent edits of one customer queue; it takes
the `actor` and records what it changed in the audit trail (customers/audit.py) in that transaction.
"""

from typing import TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, delete, select
from sqlmodel import Session, SQLModel, col

from catalog import quality
from catalog.tables import Item
from core.database import session_scope, table_of
from customers import audit
from customers.errors import CustomerNotFound, InvalidRule, RuleNotFound
from customers.rule_tables import ALL, CATEGORY, SKU, AssortmentRule, CustomerPartNumber, RoleLimit, SpecialItem
from customers.tables import Customer
from models.customer_rules import (
    PartNumberIn,
    PartNumberOut,
    RoleLimitIn,
    RoleLimitOut,
    RoleRule,
    SpecialItemIn,
    SpecialItemOut,
    printable,
)

M = TypeVar("M", bound=BaseModel)


def field_path(loc: tuple) -> str:
    """('entries', 0, 'price') -> 'entries[0].price', as the API's problems name fields."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc).lstrip(".")


def parse(model: type[M], data: dict) -> M:
    """The model from plain data (the CLI's options); a broken constraint names its field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = field_path(tuple(error["loc"]))
        raise InvalidRule(error["msg"], field) from exc


def customer(session: Session, customer_id: str, *, lock: bool = False) -> Customer:
    found = session.get(Customer, customer_id, with_for_update=lock)
    if found is None:
        raise CustomerNotFound(customer_id)
    return found


def catalog_item(session: Session, sku: str, field: str) -> Item:
    check_text(sku, field)
    found = session.get(Item, sku)
    if found is None:
        raise InvalidRule(f"{sku} is not in the seller's catalog", field)
    return found


def check_text(value: str, field: str) -> None:
    """No control characters (models/customer_rules.py `printable`: PostgreSQL cannot store a NUL,
    not even look one up); checked here, before the database, for the API's bodies and the CLI."""
    try:
        printable(value)
    except ValueError as exc:
        raise InvalidRule(f"{field} {exc}", field) from exc


def check_key(value: str, field: str) -> None:
    """Roles, SKUs and ids are 1 to 64 characters (the tables' keys), without control characters."""
    if not 0 < len(value) <= 64:
        raise InvalidRule(f"{field} must be 1 to 64 characters", field)
    check_text(value, field)


# --- shared by the kinds of rules -----------------------------------------------------------------


def _put(
    engine: Engine,
    customer_id: str,
    row: SQLModel,
    check=None,
    *,
    actor: str,
    kind: str,
    subject: str,
    widens_view: bool = False,
):
    """Creates or replaces the customer's row (by its primary key) if `check(session)` passes, and
    records the change as `kind` of `subject`; returns what the check returned. `widens_view`: the
    row can bring an item into customers' views, which are then re-checked against their quality
    rules."""
    with session_scope(engine, write_lock=True) as session:
        customer(session, customer_id, lock=True)
        checked = check(session) if check is not None else None
        table = type(row)
        key = tuple(getattr(row, column.name) for column in table_of(table).primary_key.columns)
        before = audit.row(session.get(table, key))
        after = audit.row(session.merge(row))
        audit.record(
            session, actor=actor, kind=kind, customer_id=customer_id, subject=subject, before=before, after=after
        )
        if widens_view:
            quality.recheck_views(session, customer_id)
        return checked


def _delete(
    engine: Engine,
    customer_id: str,
    table: type[SQLModel],
    key: tuple,
    what: str,
    *,
    actor: str,
    kind: str,
    subject: str,
) -> None:
    with session_scope(engine, write_lock=True) as session:
        customer(session, customer_id, lock=True)
        row = session.get(table, (customer_id, *key))
        if row is None:
            raise RuleNotFound(f"customer {customer_id} has no {what}")
        audit.record(
            session, actor=actor, kind=kind, customer_id=customer_id, subject=subject, before=audit.row(row), after=None
        )
        session.delete(row)


def _rows(session: Session, customer_id: str, table: type[SQLModel], *order_by) -> list:
    customer(session, customer_id)
    return list(
        session.execute(select(table).where(table_of(table).c.customer_id == customer_id).order_by(*order_by)).scalars()
    )


# --- role rules (catalog/rights.py) ---------------------------------------------------------------


def role_rules(session: Session, customer_id: str) -> list[RoleRule]:
    """The customer's own rules (none: it uses the nearest parent's, see customers/overview.py)."""
    rows = _rows(
        session,
        customer_id,
        AssortmentRule,
        col(AssortmentRule.role),
        col(AssortmentRule.scope),
        col(AssortmentRule.target),
    )
    return [RoleRule.model_validate(row, from_attributes=True) for row in rows]


def _check_rule(session: Session, rule: RoleRule, prefix: str = "") -> None:
    field = f"{prefix}target"
    check_text(rule.role, f"{prefix}role")
    check_text(rule.target, field)
    if rule.scope == ALL and rule.target:
        raise InvalidRule('a rule for all items has no target (send "")', field)
    if rule.scope != ALL and not rule.target:
        raise InvalidRule(f"a {rule.scope} rule needs the {rule.scope} as its target", field)
    if (
        rule.scope == CATEGORY
        and session.execute(select(col(Item.sku)).where(col(Item.category) == rule.target).limit(1)).first() is None
    ):
        raise InvalidRule(f"there is no category {rule.target!r} in the seller's catalog", field)
    if rule.scope == SKU:
        catalog_item(session, rule.target, field)


def replace_role_rules(engine: Engine, customer_id: str, rules: list[RoleRule], *, actor: str) -> list[RoleRule]:
    """The customer's rule set becomes `rules`. An empty list removes its own rules: it uses the
    nearest parent's again. Rules of its own, even one, replace the parent's whole set."""
    with session_scope(engine, write_lock=True) as session:
        customer(session, customer_id, lock=True)
        before = role_rules(session, customer_id)
        seen: set[tuple[str, str, str]] = set()
        for i, rule in enumerate(rules):
            _check_rule(session, rule, f"[{i}].")
            if (rule.role, rule.scope, rule.target) in seen:
                raise InvalidRule(
                    f"a second rule for the role {rule.role} and {rule.scope} {rule.target!r}", f"[{i}].target"
                )
            seen.add((rule.role, rule.scope, rule.target))
        session.execute(delete(AssortmentRule).where(col(AssortmentRule.customer_id) == customer_id))
        session.add_all([AssortmentRule(customer_id=customer_id, **rule.model_dump()) for rule in rules])
        session.flush()
        after = role_rules(session, customer_id)
        audit.record(session, actor=actor, kind="role_rules", customer_id=customer_id, before=before, after=after)
        return after


def _rule_subject(role: str, scope: str, target: str) -> str:
    return f"{role} {scope} {target}" if target else f"{role} {scope}"


def put_role_rule(engine: Engine, customer_id: str, rule: RoleRule, *, actor: str) -> RoleRule:
    """Adds one rule, or changes may_see / may_order of the rule for that role, scope and target."""
    _put(
        engine,
        customer_id,
        AssortmentRule(customer_id=customer_id, **rule.model_dump()),
        lambda session: _check_rule(session, rule),
        actor=actor,
        kind="role_rule",
        subject=_rule_subject(rule.role, rule.scope, rule.target),
    )
    return rule


def delete_role_rule(engine: Engine, customer_id: str, role: str, scope: str, target: str = "", *, actor: str) -> None:
    _delete(
        engine,
        customer_id,
        AssortmentRule,
        (role, scope, target),
        f"rule for the role {role} and {scope} {target!r}",
        actor=actor,
        kind="role_rule",
        subject=_rule_subject(role, scope, target),
    )


# --- role limits (contracts/limits.py) --------------------------------------------------------------


def role_limits(session: Session, customer_id: str) -> list[RoleLimitOut]:
    return [
        RoleLimitOut(role=row.role, order_limit=row.order_limit, monthly_limit=row.monthly_limit)
        for row in _rows(session, customer_id, RoleLimit, col(RoleLimit.role))
    ]


def put_role_limit(engine: Engine, customer_id: str, role: str, limits: RoleLimitIn, *, actor: str) -> RoleLimitOut:
    check_key(role, "role")
    _put(
        engine,
        customer_id,
        RoleLimit(customer_id=customer_id, role=role, **limits.model_dump()),
        actor=actor,
        kind="role_limit",
        subject=role,
    )
    return RoleLimitOut(role=role, **limits.model_dump())


def delete_role_limit(engine: Engine, customer_id: str, role: str, *, actor: str) -> None:
    _delete(
        engine,
        customer_id,
        RoleLimit,
        (role,),
        f"limits for the role {role}",
        actor=actor,
        kind="role_limit",
        subject=role,
    )


# --- customer part numbers (customers/part_numbers.py) -----------------------------------------------


def part_numbers(session: Session, customer_id: str) -> list[PartNumberOut]:
    return [
        PartNumberOut(sku=row.sku, part_number=row.part_number)
        for row in _rows(session, customer_id, CustomerPartNumber, col(CustomerPartNumber.sku))
    ]


def put_part_number(engine: Engine, customer_id: str, sku: str, body: PartNumberIn, *, actor: str) -> PartNumberOut:
    check_text(body.part_number, "part_number")
    _put(
        engine,
        customer_id,
        CustomerPartNumber(customer_id=customer_id, sku=sku, part_number=body.part_number),
        lambda session: catalog_item(session, sku, "sku"),
        actor=actor,
        kind="part_number",
        subject=sku,
    )
    return PartNumberOut(sku=sku, part_number=body.part_number)


def delete_part_number(engine: Engine, customer_id: str, sku: str, *, actor: str) -> None:
    _delete(
        engine,
        customer_id,
        CustomerPartNumber,
        (sku,),
        f"part number for {sku}",
        actor=actor,
        kind="part_number",
        subject=sku,
    )


# --- the special assortment (catalog/pricing.py: its prices win over the contract) ----------------


def special_items(session: Session, customer_id: str) -> list[SpecialItemOut]:
    customer(session, customer_id)
    rows = session.execute(
        select(SpecialItem, col(Item.name))
        .join(Item, col(Item.sku) == col(SpecialItem.sku))
        .where(col(SpecialItem.customer_id) == customer_id)
        .order_by(col(SpecialItem.sku))
    ).all()
    return [SpecialItemOut(sku=row.sku, name=name, price=row.price) for row, name in rows]


def put_special_item(engine: Engine, customer_id: str, sku: str, body: SpecialItemIn, *, actor: str) -> SpecialItemOut:
    item = _put(
        engine,
        customer_id,
        SpecialItem(customer_id=customer_id, sku=sku, price=body.price),
        lambda session: catalog_item(session, sku, "sku"),
        actor=actor,
        kind="special_item",
        subject=sku,
        widens_view=True,
    )
    return SpecialItemOut(sku=sku, name=item.name, price=body.price)


def delete_special_item(engine: Engine, customer_id: str, sku: str, *, actor: str) -> None:
    _delete(
        engine,
        customer_id,
        SpecialItem,
        (sku,),
        f"special price for {sku}",
        actor=actor,
        kind="special_item",
        subject=sku,
    )
