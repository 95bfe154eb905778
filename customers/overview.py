"""The customer tree as catalog managers and customers see it (API and CLI): which customers a
customer's users may see, and for one customer its parents, subsidiaries, the contract in force
and whose price lists, role rules and role limits apply to it (its own or the nearest parent's,
the rule of customers/tree.py); its invoicing policy and the dunning levels that apply.
"""

from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, col

from contracts.in_force import NoValidContract, effective_contract
from core.database import table_of
from customers.errors import CustomerNotFound
from customers.rule_tables import AssortmentRule, CustomerPartNumber, PriceList, RoleLimit, SpecialItem
from customers.tables import Customer
from customers.tree import customer_chain, nearest_owner, subsidiaries
from invoicing import dunning
from models.customer_rules import CustomerDetail, CustomerSummary, PostalAddress, RulesOverview


def _summary(row: Customer) -> CustomerSummary:
    return CustomerSummary(customer_id=row.id, name=row.name, parent_id=row.parent_id, country=row.country)


def list_customers(session: Session, customer_ids: list[str] | None = None) -> list[CustomerSummary]:
    """The given customers (None: all), by id."""
    query = select(Customer).order_by(col(Customer.id))
    if customer_ids is not None:
        query = query.where(col(Customer.id).in_(customer_ids))
    return [_summary(row) for row in session.execute(query).scalars()]


def _owner(session: Session, table: type[SQLModel], chain_ids: list[str]) -> str | None:
    """The nearest customer of the chain with rows in `table`: whose rows apply (inherited)."""
    owners = set(
        session.execute(
            select(table_of(table).c.customer_id).where(table_of(table).c.customer_id.in_(chain_ids)).distinct()
        ).scalars()
    )
    return nearest_owner(chain_ids, owners)


def _count(session: Session, table: type[SQLModel], customer_id: str) -> int:
    return session.execute(
        select(func.count()).select_from(table).where(table_of(table).c.customer_id == customer_id)
    ).scalar_one()


def customer_detail(
    session: Session, customer_id: str, as_of: date | None = None, *, visible: list[str] | None = None
) -> CustomerDetail:
    """The customer in its tree, with the contract in force on `as_of` (default: today, UTC, the
    calendar order validation uses); of its subsidiaries only those in `visible` (None: all), so
    that a subsidiary's user reading its parent is not shown its siblings (see `customer_tree`)."""
    chain = customer_chain(session, customer_id)
    if not chain:
        raise CustomerNotFound(customer_id)
    chain_ids = [c.id for c in chain]
    try:
        contract_id = effective_contract(session, customer_id, as_of or datetime.now(UTC).date()).id
    except NoValidContract:
        contract_id = None
    rules = RulesOverview(
        **{
            name: _count(session, table, customer_id)
            for name, table in (
                ("price_lists", PriceList),
                ("role_rules", AssortmentRule),
                ("role_limits", RoleLimit),
                ("part_numbers", CustomerPartNumber),
                ("special_items", SpecialItem),
            )
        },
        price_lists_from=_owner(session, PriceList, chain_ids),
        role_rules_from=_owner(session, AssortmentRule, chain_ids),
        role_limits_from=_owner(session, RoleLimit, chain_ids),
    )
    row = chain[0]
    return CustomerDetail(
        **_summary(row).model_dump(),
        vat_id=row.vat_id,
        address=PostalAddress(
            street=row.street, postal_code=row.postal_code, city=row.city, country=row.address_country
        ),
        invoice_email=row.invoice_email,
        buyer_reference=row.buyer_reference,
        invoice_webhook_url=row.invoice_webhook_url,
        invoicing_policy=row.invoicing_policy,
        dunning_schedule=row.dunning_schedule,
        dunning_levels=dunning.schedule_of(row.dunning_schedule),
        parents=[_summary(c) for c in chain[1:]],
        subsidiaries=[_summary(c) for c in subsidiaries(session, customer_id) if visible is None or c.id in visible],
        contract_id=contract_id,
        rules=rules,
    )
