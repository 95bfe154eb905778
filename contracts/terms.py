"""Editing framework contracts: their terms and their contracted items (catalog managers). Every
change is recorded with its actor in the audit trail (customers/audit.py), in the same transaction."""

from sqlalchemy import Engine

from catalog import quality
from catalog.tables import Item
from contracts.tables import Contract, ContractItem
from core.database import session_scope
from core.errors import Invalid, NotFound
from customers import audit
from models.contracts import ContractItemTerms, ContractTermsUpdate

NOT_NULLABLE = {"valid_from", "valid_to", "tolerance_percent", "on_exceed", "payment_terms_days"}


class ContractNotFound(NotFound):
    def __init__(self, contract_id: str):
        super().__init__(f"contract {contract_id} not found")


class InvalidTerms(Invalid):
    def __init__(self, reason: str, field: str):
        super().__init__(reason, field=field)


def update_terms(engine: Engine, contract_id: str, changes: ContractTermsUpdate, *, actor: str) -> None:
    with session_scope(engine, write_lock=True) as session:
        contract = session.get(Contract, contract_id, with_for_update=True)
        if contract is None:
            raise ContractNotFound(contract_id)
        before = audit.row(contract)
        for name in changes.model_fields_set:
            value = getattr(changes, name)
            if value is None and name in NOT_NULLABLE:
                raise InvalidTerms(f"{name} cannot be cleared", name)
            setattr(contract, name, value)
        if contract.valid_from > contract.valid_to:
            raise InvalidTerms("valid_from must not be after valid_to", "valid_to")
        audit.record(
            session,
            actor=actor,
            kind="contract.terms",
            customer_id=contract.customer_id,
            contract_id=contract_id,
            before=before,
            after=audit.row(contract),
        )


def set_item(engine: Engine, contract_id: str, sku: str, terms: ContractItemTerms, *, actor: str) -> None:
    """Adds the item to the contract or changes its price, agreed quantity and value cap. The
    contract's row lock queues concurrent edits (PostgreSQL: two first puts of one item would both
    insert it)."""
    with session_scope(engine, write_lock=True) as session:
        contract = session.get(Contract, contract_id, with_for_update=True)
        if contract is None:
            raise ContractNotFound(contract_id)
        if session.get(Item, sku) is None:
            raise InvalidTerms(f"{sku} is not in the seller's catalog", "sku")
        existing = session.get(ContractItem, (contract_id, sku))
        before = audit.row(existing)
        item = existing or ContractItem(contract_id=contract_id, sku=sku, price=terms.price)
        item.price, item.agreed_quantity, item.value_cap = terms.price, terms.agreed_quantity, terms.value_cap
        session.add(item)
        audit.record(
            session,
            actor=actor,
            kind="contract.item",
            customer_id=contract.customer_id,
            contract_id=contract_id,
            subject=sku,
            before=before,
            after=audit.row(item),
        )
        quality.recheck_views(session, contract.customer_id)  # the item may be new in views
