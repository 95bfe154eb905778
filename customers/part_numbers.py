"""Customer part numbers: the customer's own number for an item, shown in its catalog and carried
onto its order lines. A subsidiary inherits its parent's number for an item unless it has its
own for that item (per item, nearest customer up the tree first)."""

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from catalog.tables import Item
from customers.rule_tables import CustomerPartNumber


def part_numbers(session: Session, chain_ids: list[str], skus: list[str]) -> dict[str, str]:
    """SKU -> the customer's part number, for those of `skus` that have one."""
    if not chain_ids or not skus:
        return {}
    rows = (
        session.execute(
            select(CustomerPartNumber).where(
                col(CustomerPartNumber.customer_id).in_(chain_ids), col(CustomerPartNumber.sku).in_(skus)
            )
        )
        .scalars()
        .all()
    )
    rank = {customer_id: i for i, customer_id in enumerate(chain_ids)}
    found: dict[str, tuple[int, str]] = {}
    for row in rows:
        if row.sku not in found or rank[row.customer_id] < found[row.sku][0]:
            found[row.sku] = (rank[row.customer_id], row.part_number)
    return {sku: number for sku, (_, number) in found.items()}


def part_number_join(query, chain_ids: list[str]):
    """Adds the customer's part number of each Item row to the query (one outer join on the
    primary key per level of the customer tree); returns (query, the part number column)."""
    columns = []
    for level, customer_id in enumerate(chain_ids):
        alias = aliased(CustomerPartNumber, name=f"part_number_{level}")
        query = query.outerjoin(alias, and_(col(alias.customer_id) == customer_id, col(alias.sku) == col(Item.sku)))
        columns.append(col(alias.part_number))
    if not columns:
        return query, None
    column = columns[0] if len(columns) == 1 else func.coalesce(*columns)
    return query, column


def skus_matching(chain_ids: list[str], pattern: str):
    """A subquery of the SKUs whose part number for the customer (the nearest in the tree)
    matches the LIKE `pattern` (lower case, `\\` escapes): for `Item.sku.in_(...)`."""
    rank = case(
        {customer_id: level for level, customer_id in enumerate(chain_ids)}, value=col(CustomerPartNumber.customer_id)
    )
    query = select(col(CustomerPartNumber.sku)).where(
        col(CustomerPartNumber.customer_id).in_(chain_ids),
        func.lower(col(CustomerPartNumber.part_number)).like(pattern, escape="\\"),
    )
    if len(chain_ids) > 1:
        nearer = aliased(CustomerPartNumber, name="nearer_part_number")
        nearer_rank = case(
            {customer_id: level for level, customer_id in enumerate(chain_ids)}, value=col(nearer.customer_id)
        )
        query = query.where(
            ~exists().where(
                col(nearer.sku) == col(CustomerPartNumber.sku),
                col(nearer.customer_id).in_(chain_ids),
                nearer_rank < rank,
            )
        )
    return query
