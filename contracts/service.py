"""The contracts service: framework contracts for the API, the pages, the CLI and the order's
activities. A customer's users see their customer's and its parents' contracts (a subsidiary calls
off against the parent's), the seller's staff all; administrators and catalog managers create
contracts, catalog managers change the terms; an accepted order consumes its contract and counts
towards its buyer's monthly spend, a rejected or cancelled one gives both back."""

from decimal import Decimal

from sqlalchemy import Engine
from sqlmodel import Session

from contracts import call_offs as ledger
from contracts import consumption, creation, limits, terms
from contracts.tables import Contract
from core.database import session_scope
from core.errors import Forbidden, NotFound
from customers.tree import customer_chain
from models.actors import ADMIN, CATALOG_MANAGER, Actor, require_role, require_seller
from models.contracts import (
    CallOff,
    ConsumptionLine,
    ConsumptionResult,
    ContractCreate,
    ContractItemTerms,
    ContractSummary,
    ContractTermsUpdate,
    ContractUsage,
)
from models.customer_rules import possible_key
from models.spend import BookingTarget

MAX_CALL_OFFS = ledger.MAX_LIMIT
InvalidTerms = terms.InvalidTerms
ContractNotFound = terms.ContractNotFound
ContractExists = creation.ContractExists


def visible_customers(session: Session, actor: Actor) -> list[str] | None:
    """Whose contracts the actor sees: the seller's staff all (None), a customer's users their
    customer's and its parents' (a subsidiary calls off against the parent's contract)."""
    if actor.customer_id is not None:
        return [customer.id for customer in customer_chain(session, actor.customer_id)]
    if actor.is_seller_staff:
        return None
    raise Forbidden("Delivery units have no contracts")


def _visible_contract(session: Session, actor: Actor, contract_id: str) -> Contract:
    """The contract if the actor may see it; else not found, as if it did not exist."""
    if not possible_key(contract_id):
        raise NotFound("contract not found")  # no such id can exist (the pages pass ids unchecked)
    customers = visible_customers(session, actor)
    contract = session.get(Contract, contract_id)
    if contract is None or (customers is not None and contract.customer_id not in customers):
        raise NotFound(f"contract {contract_id} not found")
    return contract


def list_contracts(engine: Engine, actor: Actor, customer_id: str | None = None) -> list[ContractSummary]:
    with session_scope(engine) as session:
        customers = visible_customers(session, actor)
        if customer_id is not None:
            customers = [customer_id] if customers is None or customer_id in customers else []
        return consumption.summaries(session, customers)


def get_contract(engine: Engine, actor: Actor, contract_id: str) -> ContractUsage:
    """The contract's terms and items with what call-offs consumed and what remains."""
    with session_scope(engine) as session:
        _visible_contract(session, actor, contract_id)
        usage = consumption.usage(session, contract_id)
        assert usage is not None  # it is visible, so it exists
        return usage


def _require_manager(actor: Actor) -> None:
    # the role alone is not enough: a customer's user must never change contract terms
    require_seller(actor, "catalog_manager", "Contract terms are edited by the seller's catalog managers")


def create_contract(engine: Engine, actor: Actor, body: ContractCreate) -> ContractUsage:
    """A new contract with its items (seller administrators, and catalog managers, who edit terms
    anyway); answers with it as `get_contract` shows it."""
    if not actor.is_seller_staff:
        raise Forbidden("Contracts are created by the seller's administrators and catalog managers")
    require_role(actor, ADMIN, CATALOG_MANAGER)
    creation.create_contract(engine, body, actor=actor.id)
    return get_contract(engine, actor, body.contract_id)


def update_terms(engine: Engine, actor: Actor, contract_id: str, changes: ContractTermsUpdate) -> ContractUsage:
    """Changes the terms sent (only those); new call-offs are checked against them."""
    _require_manager(actor)
    terms.update_terms(engine, contract_id, changes, actor=actor.id)
    return get_contract(engine, actor, contract_id)


def set_item(engine: Engine, actor: Actor, contract_id: str, sku: str, item: ContractItemTerms) -> ContractUsage:
    """Adds the item to the contract or replaces its terms."""
    _require_manager(actor)
    terms.set_item(engine, contract_id, sku, item, actor=actor.id)
    return get_contract(engine, actor, contract_id)


def call_offs(engine: Engine, actor: Actor, contract_id: str, status: str | None, limit: int) -> list[CallOff]:
    """The orders that called the contract off, newest first."""
    with session_scope(engine) as session:
        contract = _visible_contract(session, actor, contract_id)
        if actor.customer_id is not None and actor.customer_id != contract.customer_id:
            # a subsidiary calls off its parent's contract, but the parent's orders are not its business
            raise Forbidden(f"the call-offs of {contract_id} are shown to {contract.customer_id}'s users")
        return ledger.call_offs(session, contract_id, status=status, limit=limit)


# --- for the order's activities ------------------------------------------------------------------


def consume(
    engine: Engine, contract_id: str, order_id: str, lines: list[ConsumptionLine], *, force: bool = False
) -> ConsumptionResult:
    """Consumes the contract for the order, or says why not; a retry gets the first answer."""
    return consumption.consume(engine, contract_id, order_id, lines, force=force)


def release(engine: Engine, order_id: str) -> int:
    """Gives back what the order consumed; a retry releases nothing more."""
    return consumption.release(engine, order_id)


def record_spend(engine: Engine, user: str, order_id: str, month: str, net: Decimal, currency: str) -> None:
    limits.record_spend(engine, user, order_id, month, net, currency)


def release_spend(engine: Engine, user: str, order_id: str) -> None:
    limits.release_spend(engine, user, order_id)


def keep_bookings(engine: Engine, target: BookingTarget) -> None:
    """Books only what the order still delivers; nothing left: gives everything back."""
    if not target.lines:
        consumption.release(engine, target.order_id)
        limits.release_spend(engine, target.user, target.order_id)
        return
    consumption.keep_only(engine, target.order_id, target.lines)
    limits.record_spend(engine, target.user, target.order_id, target.month, target.net, target.currency)


def percent(value: Decimal) -> str:
    return consumption.percent(value)
