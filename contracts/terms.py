"""Editing framework contracts: their terms and their contracted items (catalog managers). Every
change is recorded with its actor in the audit trail (customers/audit.py), in the same transaction.

A cash discount (invoicing/terms.py applies it) has both its days and its percent or neither, and
its days end before the payment terms do: `check_discount`, for new contracts too."""

from decimal import Decimal

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


def check_discount(
    payment_terms_days: int, discount_days: int | None, discount_percent: Decimal | None, *, sent: set[str]
) -> None:
    """Both or neither, the days below the payment terms; `sent`: the fields given, so that the
    refusal names the one at fault (a shortened payment term, not the discount set long ago)."""
    if discount_percent is not None and discount_days is None:
        raise InvalidTerms("a cash discount needs its discount_days too", "discount_days")
    if discount_days is not None and discount_percent is None:
        raise InvalidTerms("a cash discount needs its discount_percent too", "discount_percent")
    if discount_days is not None and discount_days >= payment_terms_days:
        field = (
            "payment_terms_days" if "payment_terms_days" in sent and "discount_days" not in sent else "discount_days"
        )
        raise InvalidTerms(
            f"the cash discount's {discount_days} days must end before the payment terms' {payment_terms_days}",
            field,
        )


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
        check_discount(
            contract.payment_terms_days,
            contract.discount_days,
            contract.discount_percent,
            sent=changes.model_fields_set,
        )
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
