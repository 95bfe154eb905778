"""`order2cash admin ...`: onboarding without SQL, for the seller's administrators (the same services
as the API and the pages).

    order2cash admin create-admin --email ada@seller.example --name "Ada Admin"   # first account
    order2cash admin customers create initech --name "Initech GmbH" --country DE --vat-id DE123456789
    order2cash admin customers update initech --invoice-email ap@initech.example --clear buyer_reference
    order2cash admin users create anna@initech.example --name "Anna" --customer initech --role buyer
    order2cash admin users invite anna@initech.example        # a new one-time link (a reset)
    order2cash admin users deactivate anna@initech.example
    order2cash admin contracts create --file initech-2027.json
    order2cash admin units create fastfix --name "FastFix GmbH" --webhook-url https://fastfix.example/o2c
    order2cash admin units rotate-secret fastfix

The command line has no login: whoever reaches the database (DATABASE_URL) acts as an
administrator, named `cli:<os user>` (invitations' created_by, the audit trail).
"""

import sys

import typer

from cli import admin_contracts, admin_customers, admin_units, admin_users
from cli.admin_common import USER_OPTIONS, created_link, parse, run_admin
from cli.common import console

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)
app.add_typer(admin_customers.app, name="customers", help="Create, change and list customers")
app.add_typer(admin_users.app, name="users", help="Create, change, list, invite and deactivate users")
app.add_typer(admin_contracts.app, name="contracts", help="Create framework contracts with their items")
app.add_typer(admin_units.app, name="units", help="Delivery units: create, change, list, rotate the signing secret")


@app.command("create-admin")
def create_admin(
    email: str = typer.Option(..., help="the administrator's e-mail (the sign-in name)"),
    name: str = typer.Option(..., help="the person's name"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="read the password from standard input"),
) -> None:
    """An administrator account with a password: the first account of a fresh install (a migrated
    database, with or without demo data)."""
    from accounts import service as accounts
    from models.users import UserIn

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    body = parse(UserIn, {"email": email, "name": name, "roles": ["admin"], "password": password}, USER_OPTIONS)
    user = run_admin(accounts.create_user, body, with_link=True, options=USER_OPTIONS)
    console.print(f"administrator {user.email} created: sign in at {created_link('/login')}", soft_wrap=True)
