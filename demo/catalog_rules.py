"""Demo catalog rules: ACME's price list with a quantity break, ACME's part numbers (ACME Austria
inherits them and has one of its own), and a role that may see but not order services, with a
demo user who has it. Idempotent: rows are upserted by key, the demo user keeps its password hash.

- tech@acme.example (roles buyer, technician) sees ACME's on-site installation but cannot order
  it; orders everything else, up to 1,000.00 EUR per order and 3,000.00 EUR a month (the
  technician role's monthly limit). buyer@acme.example, whose role has no rule, orders
  everything as before.
- CBL-CAT6-5M costs ACME 4.20 (contract), from 100 pieces 3.90 (price list, a volume discount).
"""

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine

from accounts.passwords import hash_password
from accounts.tables import User
from core.database import session_scope
from customers.rule_tables import CATEGORY, AssortmentRule, CustomerPartNumber, PriceList, PriceListEntry, RoleLimit

DEMO_PASSWORD = "demo"

PRICE_LISTS = [
    PriceList(
        id="ACME-PL-2026",
        customer_id="acme",
        name="ACME volume prices",
        currency="EUR",
        valid_from=date(2025, 1, 1),
        valid_to=None,
    ),
]
PRICE_LIST_ENTRIES = [
    PriceListEntry(price_list_id="ACME-PL-2026", sku="CBL-CAT6-5M", min_quantity=100, price=Decimal("3.90")),
]
PART_NUMBERS = [
    CustomerPartNumber(customer_id="acme", sku="SW-24-PRO", part_number="ACME-NET-0024"),
    CustomerPartNumber(customer_id="acme", sku="CBL-CAT6-5M", part_number="ACME-CBL-0005"),
    CustomerPartNumber(customer_id="acme", sku="SVC-INSTALL-ONSITE", part_number="ACME-SVC-0001"),
    CustomerPartNumber(customer_id="acme-at", sku="PWR-UPS-AT", part_number="AT-USV-1500"),
]
RULES = [
    AssortmentRule(
        customer_id="acme", role="technician", scope=CATEGORY, target="services", may_see=True, may_order=False
    ),
]
ROLE_LIMITS = [
    RoleLimit(customer_id="acme", role="technician", order_limit=None, monthly_limit=Decimal("3000.00")),
]
# (email, name, customer, roles, order limit, monthly limit)
USERS = [
    ("tech@acme.example", "Theo Technician", "acme", ["buyer", "technician"], Decimal("1000.00"), None),
]


def load_catalog_rules(engine: Engine) -> None:
    with session_scope(engine) as session:
        for group in (PRICE_LISTS, PRICE_LIST_ENTRIES, PART_NUMBERS, RULES, ROLE_LIMITS):
            for row in group:
                session.merge(row.model_copy())
            session.flush()
        for email, name, customer_id, roles, order_limit, monthly_limit in USERS:
            user = session.get(User, email)
            if user is None:
                user = User(email=email, name=name, password_hash=hash_password(DEMO_PASSWORD))
            user.name, user.customer_id, user.delivery_unit_id = name, customer_id, None
            user.roles, user.order_limit, user.monthly_limit = roles, order_limit, monthly_limit
            session.add(user)
