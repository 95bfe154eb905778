"""Loads the demo customers, contracts, items, delivery units and users. Idempotent: rows are
upserted by key and existing users keep their password hash."""

from datetime import date
from decimal import Decimal

from sqlalchemy import Engine

from accounts.passwords import hash_password
from accounts.tables import User
from catalog.tables import Item
from contracts.tables import Contract, ContractItem
from core.database import session_scope
from customers.rule_tables import SpecialItem
from customers.tables import Customer
from demo.catalog_rules import load_catalog_rules
from demo.catalog_versions import load_catalog_versions
from demo.contracts import load_contract_terms
from partners.tables import DeliveryUnit

DEMO_PASSWORD = "demo"

# the secrets are the demo's own (the walk-through's `partner-event` and the tests sign with them);
# loading the demo again sets them back, also after a rotation
DELIVERY_UNITS = [
    DeliveryUnit(
        id="central-warehouse",
        name="Central warehouse",
        kind="own",
        contact_email="ops@warehouse.example",
        webhook_secret="whsec_FNaupulYFpv1lY3CwrzXsvCNEg4BZ0V2",
    ),
    DeliveryUnit(
        id="netpartner",
        name="NetPartner GmbH",
        kind="partner",
        contact_email="ops@netpartner.example",
        webhook_secret="whsec_w0ECERTCYpRJF5RXm80JL1CIPatxqAxx",
    ),
    DeliveryUnit(
        id="installco",
        name="InstallCo Services GmbH",
        kind="partner",
        contact_email="ops@installco.example",
        webhook_secret="whsec_Y4/WZY+7TQel6gvViMhrzhpcS0E4vxQV",
    ),
]

# invoicing particulars: made up, in the shape of real ones (VAT IDs with their country prefix)
CUSTOMERS = [
    Customer(
        id="acme",
        name="ACME GmbH",
        country="DE",
        vat_id="DE811907980",
        street="Industriestraße 12",
        postal_code="70565",
        city="Stuttgart",
        address_country="DE",
        invoice_email="invoices@acme.example",
        buyer_reference="ACME-IT-4711",
    ),
    Customer(
        id="acme-at",
        name="ACME Austria GmbH",
        parent_id="acme",
        country="AT",
        vat_id="ATU12345675",
        street="Wiener Straße 5",
        postal_code="4020",
        city="Linz",
        address_country="AT",
        invoice_email="rechnung@acme-at.example",
    ),
    Customer(
        id="globex",
        name="Globex AG",
        country="DE",
        vat_id="DE129273398",
        street="Hafenweg 3",
        postal_code="20457",
        city="Hamburg",
        address_country="DE",
        invoice_email="ap@globex.example",
        buyer_reference="04011000-1234512345-06",  # a Leitweg-ID (public buyers in Germany)
        invoicing_policy="per_delivery",  # partial invoicing: an invoice for each delivery as it arrives
    ),
]

SWITCH_OPTIONS = {"hw_version": ["A1", "B2"], "sw_version": ["7.2", "8.0"]}
SWITCH_CONSTRAINTS = [
    {
        "type": "incompatible",
        "when": {"hw_version": "A1", "sw_version": "8.0"},
        "message": "hardware version A1 does not support software version 8.0",
    },
    {
        "type": "surcharge",
        "when": {"hw_version": "A1"},
        "amount": "35.00",  # catalog/configuration.py
        "message": "extended support for legacy hardware A1",
    },
]

ITEMS = [
    Item(
        sku="SW-24-PRO",
        name="Network switch 24 port Pro",
        category="network",
        description="Managed 24-port gigabit switch; choose hardware and software version.",
        list_price=Decimal("1690.00"),
        delivery_unit_id="netpartner",
        options=SWITCH_OPTIONS,
        constraints=SWITCH_CONSTRAINTS,
    ),
    Item(
        sku="CBL-CAT6-5M",
        name="Patch cable Cat 6, 5 m",
        category="cables",
        description="Shielded Cat 6 patch cable, 5 metres.",
        list_price=Decimal("5.90"),
        delivery_unit_id="central-warehouse",
    ),
    Item(
        sku="SVC-INSTALL-ONSITE",
        name="On-site installation",
        category="services",
        description="Installation of network equipment on site by a certified technician.",
        list_price=Decimal("990.00"),
        delivery_unit_id="installco",
        expert_review=True,
        supply="services",  # to a business in another EU country: reverse charge (AE), e.g. ACME Austria
    ),
    Item(
        sku="PWR-UPS-AT",
        name="UPS 1500 VA (AT plug)",
        category="power",
        description="Uninterruptible power supply for Austrian sites.",
        list_price=Decimal("640.00"),
        delivery_unit_id="central-warehouse",
    ),
]

CONTRACTS = [
    Contract(
        id="ACME-FC-2026",
        customer_id="acme",
        name="ACME framework contract IT equipment",
        valid_from=date(2025, 1, 1),
        valid_to=date(2030, 12, 31),
        payment_terms_days=30,
    ),
    Contract(
        id="GLOBEX-FC-2026",
        customer_id="globex",
        name="Globex framework contract network",
        valid_from=date(2025, 1, 1),
        valid_to=date(2030, 12, 31),
        payment_terms_days=14,
        discount_days=7,  # cash discount: 7 days 2 %, 14 days net
        discount_percent=Decimal("2.00"),
    ),
]

CONTRACT_ITEMS = [
    ContractItem(contract_id="ACME-FC-2026", sku="SW-24-PRO", price=Decimal("1450.00")),
    ContractItem(contract_id="ACME-FC-2026", sku="CBL-CAT6-5M", price=Decimal("4.20")),
    ContractItem(contract_id="ACME-FC-2026", sku="SVC-INSTALL-ONSITE", price=Decimal("890.00")),
    ContractItem(contract_id="GLOBEX-FC-2026", sku="SW-24-PRO", price=Decimal("1520.00")),
    ContractItem(contract_id="GLOBEX-FC-2026", sku="CBL-CAT6-5M", price=Decimal("4.60")),
]

SPECIAL_ITEMS = [SpecialItem(customer_id="acme-at", sku="PWR-UPS-AT", price=Decimal("589.00"))]

# (email, name, customer, delivery unit, roles, order limit)
USERS = [
    ("buyer@acme.example", "Anna Buyer", "acme", None, ["buyer"], Decimal("5000.00")),
    ("approver@acme.example", "Arno Approver", "acme", None, ["approver", "buyer"], Decimal("50000.00")),
    ("buyer@acme-at.example", "Berta Einkauf", "acme-at", None, ["buyer"], Decimal("5000.00")),
    ("buyer@globex.example", "Gus Globex", "globex", None, ["buyer"], Decimal("10000.00")),
    ("admin@seller.example", "Ada Admin", None, None, ["admin"], None),  # onboards customers and users
    ("expert@seller.example", "Erik Expert", None, None, ["expert"], None),
    ("catalog@seller.example", "Carla Catalog", None, None, ["catalog_manager"], None),
    ("finance@seller.example", "Fiona Finance", None, None, ["finance"], None),
    ("ops@warehouse.example", "Walter Warehouse", None, "central-warehouse", ["fulfilment"], None),
    ("ops@netpartner.example", "Nina NetPartner", None, "netpartner", ["fulfilment"], None),
    ("ops@installco.example", "Ivan InstallCo", None, "installco", ["fulfilment"], None),
]


def load_demo_data(engine: Engine) -> None:
    with session_scope(engine) as session:
        for group in (DELIVERY_UNITS, CUSTOMERS, ITEMS, CONTRACTS, CONTRACT_ITEMS, SPECIAL_ITEMS):
            for row in group:
                session.merge(row.model_copy())
            session.flush()
        password_hash = None
        for email, name, customer_id, unit_id, roles, limit in USERS:
            user = session.get(User, email)
            if user is None:
                password_hash = password_hash or hash_password(DEMO_PASSWORD)
                user = User(email=email, name=name, password_hash=password_hash)
            user.name, user.customer_id, user.delivery_unit_id = name, customer_id, unit_id
            user.roles, user.order_limit = roles, limit
            session.add(user)
    load_contract_terms(engine)
    load_catalog_rules(engine)
    load_catalog_versions(engine)
