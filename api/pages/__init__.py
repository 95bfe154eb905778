"""Web pages for people (buyers, approvers, experts, partners, finance).

The pages are thin: every read and every action goes through the same functions as the JSON API
(each concept's service module and the gateway), so a page can never do
what the API would refuse. Sign-in sets the httponly cookie `o2c_token` that `current_actor`
accepts. Forms POST and redirect (POST-redirect-GET); a `Problem` becomes a message on the page.

`common` holds what every page shares (templates and filters, session, CSRF, flash, the `page`
decorator); `session` signs in and out and shows home and inbox; `ordering` the catalog, order
form and orders; `portal` the partners' sub-orders; `finance` invoices and payments; `receivables`
the invoice list and finance's overview (open items, DSO, blocked invoices); `contracts` the
framework contracts and their consumption; `customers` the customers and their catalog rules
(with the audit trail); `customer_admin` the administrators' customer forms; `users` the
administrators' users and the page behind a one-time link; `contract_admin` the new-contract
form; `delivery_units` the units and their signing secrets; `catalog_versions` the catalog
managers' versions, diffs and publishing.
"""

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from api.pages import (
    catalog_versions,
    contract_admin,
    contracts,
    customer_admin,
    customers,
    delivery_units,
    finance,
    ordering,
    portal,
    receivables,
    session,
    users,
)
from api.pages.common import STATIC_DIR

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
# customer_admin before customers, contract_admin before contracts: /customers/new is no
# customer's id, /contracts/new no contract's
for module in (session, ordering, portal, finance, contract_admin, contracts, customer_admin, customers):
    router.include_router(module.router)
for module in (catalog_versions, users, delivery_units, receivables):
    router.include_router(module.router)

__all__ = ["router"]
