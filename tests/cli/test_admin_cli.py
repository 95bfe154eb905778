"""`order2cash admin ...`: the first administrator of a fresh install, customers and users from the
command line, with the same rules as the API (customers/onboarding.py, accounts/admin.py);
fixtures `run` and `cli_db` in tests/cli/conftest.py (a fresh demo database per test, SQLite and
PostgreSQL)."""

import re

import pytest
from sqlalchemy import select
from sqlmodel import col
from typer.testing import CliRunner

from accounts import service as accounts
from accounts.tables import User
from cli import app as cli
from core.database import make_engine, session_scope
from core.settings import get_settings
from customers.audit_tables import CatalogChange
from customers.tables import Customer
from migrations import upgrade
from tests.cli.tables import row

PASSWORD = "a-good-long-password"
SECRET = "test-secret-of-a-good-length-for-hs256"


def link_of(output: str) -> str:
    match = re.search(r"/invitation/([A-Za-z0-9_-]+)", output)
    assert match, output
    return match.group(1)


@pytest.fixture
def empty_db(tmp_path, monkeypatch):
    """A migrated database without demo data: a fresh production install."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    get_settings.cache_clear()
    engine = make_engine(url)
    yield engine
    engine.dispose()
    get_settings.cache_clear()


class Runner(CliRunner):
    def invoke(self, *args, **kwargs):  # wide: rich wraps messages at the default 80 columns
        return super().invoke(*args, env={"COLUMNS": "200"}, **kwargs)


def test_create_admin_makes_the_first_account_of_a_fresh_install(empty_db):
    runner = Runner()
    args = ["admin", "create-admin", "--email", "Root@Seller.example", "--name", "Rita Root"]
    result = runner.invoke(cli.app, [*args, "--password-stdin"], input="short\n")
    assert result.exit_code == 1 and "password (the password): a password needs at least 10" in result.output
    result = runner.invoke(cli.app, [*args, "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "administrator root@seller.example created" in result.output
    signed_in = accounts.sign_in(empty_db, SECRET, get_settings().jwt_ttl, "root@seller.example", PASSWORD)
    assert signed_in is not None
    actor = accounts.actor_of(empty_db, signed_in.access_token, SECRET)
    assert actor.roles == ["admin"] and actor.is_seller_staff

    # the password from a prompt, typed twice
    result = runner.invoke(
        cli.app,
        ["admin", "create-admin", "--email", "second@seller.example", "--name", "Sam"],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli.app, [*args, "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 1 and "email (EMAIL): user root@seller.example exists already" in result.output


def test_the_last_active_administrator_stays(empty_db):
    runner = Runner()
    runner.invoke(
        cli.app,
        ["admin", "create-admin", "--email", "root@seller.example", "--name", "Root", "--password-stdin"],
        input=PASSWORD + "\n",
    )
    result = runner.invoke(cli.app, ["admin", "users", "deactivate", "root@seller.example"])
    assert result.exit_code == 1 and "the last active administrator" in result.output
    result = runner.invoke(cli.app, ["admin", "users", "update", "root@seller.example", "--role", "finance"])
    assert result.exit_code == 1 and "roles (--role): root@seller.example is the last active" in result.output


def test_customers_create_update_list(run, cli_db):
    result = run(
        "admin",
        "customers",
        "create",
        "initech",
        "--name",
        "Initech GmbH",
        "--country",
        "de",
        "--parent",
        "acme",
        "--vat-id",
        "DE 123456789",
        "--street",
        "Hauptstraße 1",
        "--postal-code",
        "10115",
        "--city",
        "Berlin",
        "--invoice-email",
        "ap@initech.example",
    )
    assert result.exit_code == 0, result.output
    assert "customer initech created" in result.output and "VAT ID: DE123456789" in result.output
    assert row(run("admin", "customers", "list").output, "initech") == ["initech", "Initech GmbH", "acme", "DE"]

    result = run("admin", "customers", "update", "initech", "--city", "Potsdam", "--clear", "vat_id")
    assert result.exit_code == 0, result.output
    with session_scope(cli_db) as session:
        c = session.get(Customer, "initech")
        assert (c.city, c.street, c.vat_id, c.invoice_email) == ("Potsdam", "Hauptstraße 1", None, "ap@initech.example")
        changes = session.execute(select(CatalogChange).where(col(CatalogChange.customer_id) == "initech")).scalars()
        kinds, actors = zip(*((ch.kind, ch.actor) for ch in changes), strict=True)
    assert kinds == ("customer", "customer") and all(a.startswith("cli:") for a in actors)

    for args, message in (
        (("create", "x1", "--name", "X", "--country", "ZZ"), "country (--country): 'ZZ' is not an ISO 3166"),
        (("create", "x2", "--name", "X", "--country", "DE", "--vat-id", "12345"), "vat_id (--vat-id):"),
        (("create", "acme", "--name", "X", "--country", "DE"), "customer_id (ID): customer acme exists already"),
        (("create", "x3", "--name", "X", "--country", "DE", "--parent", "nope"), "parent_id (--parent): there is no"),
        (("update", "acme", "--parent", "initech"), "parent_id (--parent): initech cannot be the parent of acme"),
        (("update", "acme", "--clear", "name"), "--clear name: one of"),
        (("update", "nope", "--name", "X"), "customer nope not found"),
    ):
        result = run("admin", "customers", *args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)


def test_users_create_invite_update_list_deactivate(run, cli_db):
    result = run(
        "admin",
        "users",
        "create",
        "Anna@Initech.example",
        "--name",
        "Anna",
        "--customer",
        "acme",
        "--role",
        "buyer",
        "--role",
        "technician",
        "--order-limit",
        "900",
    )
    assert result.exit_code == 0, result.output
    assert "user anna@initech.example created (buyer, technician)" in result.output
    token = link_of(result.output)
    assert accounts.use_invitation(cli_db, token, PASSWORD) == "anna@initech.example"
    assert row(run("admin", "users", "list", "--customer", "acme").output, "anna@initech.example")[2:] == [
        "acme",
        "buyer, technician",
        "yes",
        "900.00",
        "–",
    ]

    result = run(
        "admin",
        "users",
        "update",
        "anna@initech.example",
        "--role",
        "approver",
        "--monthly-limit",
        "3000",
        "--clear",
        "order_limit",
    )
    assert result.exit_code == 0 and "active, roles approver" in result.output
    with session_scope(cli_db) as session:
        user = session.get(User, "anna@initech.example")
        assert (user.roles, user.order_limit, str(user.monthly_limit)) == (["approver"], None, "3000.00")

    result = run("admin", "users", "invite", "anna@initech.example")
    assert result.exit_code == 0 and "http://127.0.0.1:8000/invitation/" in result.output
    with session_scope(cli_db) as session:  # a reset: the password stops counting
        assert accounts.authenticate(session, "anna@initech.example", PASSWORD) is None

    result = run("admin", "users", "deactivate", "anna@initech.example")
    assert result.exit_code == 0 and "user anna@initech.example deactivated" in result.output
    assert row(run("admin", "users", "list", "--inactive").output, "anna@initech.example")[4] == "no (no password yet)"

    result = run(
        "admin",
        "users",
        "create",
        "ops@initech.example",
        "--name",
        "Ops",
        "--unit",
        "netpartner",
        "--role",
        "fulfilment",
        "--password-stdin",
        input=PASSWORD + "\n",
    )
    assert result.exit_code == 0 and "/invitation/" not in result.output
    for args, message in (
        (
            ("create", "f@seller.example", "--name", "F", "--role", "buyer"),
            "roles (--role): buyer: not a role for the seller's staff",
        ),
        (
            ("create", "g@x.example", "--name", "G", "--customer", "nope"),
            "customer_id (--customer): there is no customer nope",
        ),
        (("create", "buyer@acme.example", "--name", "B"), "email (EMAIL): user buyer@acme.example exists already"),
        (("create", "bad-address", "--name", "B"), "email (EMAIL):"),
        (("update", "nobody@x.example", "--name", "N"), "user nobody@x.example not found"),
        (("update", "finance@seller.example", "--order-limit", "5"), "order_limit (--order-limit): limits are for"),
        (("list", "--kind", "robots"), "--kind robots: one of"),
    ):
        result = run("admin", "users", *args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)


def test_customers_invoicing_policy_and_dunning_schedule(run, cli_db):
    schedule = '[{"days_after_due": 10, "kind": "reminder"}, {"days_after_due": 40, "kind": "collections"}]'
    result = run(
        "admin", "customers", "create", "initech", "--name", "Initech GmbH", "--country", "DE",
        "--invoicing-policy", "per_delivery", "--dunning-schedule", schedule,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "invoicing: per_delivery; dunning: 10 days reminder, 40 days collections" in result.output
    with session_scope(cli_db) as session:
        c = session.get(Customer, "initech")
        assert c is not None and c.invoicing_policy == "per_delivery"
        assert c.dunning_schedule == [
            {"days_after_due": 10, "kind": "reminder", "fee": "0.00"},
            {"days_after_due": 40, "kind": "collections", "fee": "0.00"},
        ]

    result = run(
        "admin", "customers", "update", "initech", "--invoicing-policy", "per_order", "--clear", "dunning_schedule"
    )
    assert result.exit_code == 0, result.output
    assert "invoicing: per_order; dunning (the seller's default): 7 days reminder, 21 days notice 5.00" in result.output
    with session_scope(cli_db) as session:
        c = session.get(Customer, "initech")
        assert c is not None and (c.invoicing_policy, c.dunning_schedule) == ("per_order", None)

    falling = '[{"days_after_due": 30, "kind": "reminder"}, {"days_after_due": 10, "kind": "notice"}]'
    for args, message in (
        (
            ("--invoicing-policy", "monthly"),
            "invoicing_policy (--invoicing-policy): monthly invoicing is not available",
        ),
        (("--invoicing-policy", "weekly"), "invoicing_policy (--invoicing-policy): Input should be 'per_order'"),
        (
            ("--dunning-schedule", falling),
            "dunning_schedule (--dunning-schedule): the levels' days_after_due must rise",
        ),
        (("--dunning-schedule", "[{"), "dunning_schedule (--dunning-schedule): not JSON"),
        (
            ("--dunning-schedule", '[{"days_after_due": 5, "kind": "lawsuit"}]'),
            "dunning_schedule.0.kind (--dunning-schedule): Input should be 'reminder'",
        ),
    ):
        result = run("admin", "customers", "update", "initech", *args)
        assert result.exit_code == 1 and message in " ".join(result.output.split()), (args, result.output)
    with session_scope(cli_db) as session:
        c = session.get(Customer, "initech")
        assert c is not None and (c.invoicing_policy, c.dunning_schedule) == ("per_order", None)
