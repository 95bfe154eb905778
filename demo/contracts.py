"""Demo terms for call-off consumption: ACME's switches are agreed at 100 units (5 % tolerance),
and an order beyond that goes to the seller's expert. Idempotent: sets the terms on every load."""

from decimal import Decimal

from sqlalchemy import Engine

from contracts.tables import Contract, ContractItem
from core.database import session_scope

# contract id -> (value cap, tolerance in percent, on_exceed)
CONTRACT_TERMS = {
    "ACME-FC-2026": (None, Decimal("5"), "expert"),
}
# (contract id, sku) -> (agreed quantity, value cap)
AGREED_ITEMS = {
    ("ACME-FC-2026", "SW-24-PRO"): (100, None),
}


def load_contract_terms(engine: Engine) -> None:
    with session_scope(engine) as session:
        for contract_id, (value_cap, tolerance, on_exceed) in CONTRACT_TERMS.items():
            contract = session.get(Contract, contract_id)
            if contract is not None:
                contract.value_cap, contract.tolerance_percent, contract.on_exceed = value_cap, tolerance, on_exceed
        for key, (agreed, value_cap) in AGREED_ITEMS.items():
            item = session.get(ContractItem, key)
            if item is not None:
                item.agreed_quantity, item.value_cap = agreed, value_cap
