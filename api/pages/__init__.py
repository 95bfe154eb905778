"""Web pages for people (buyers, approvers, experts, partners, finance).

The pages are thin: every read and every action goes through the same functions as the JSON API
(each concept's service module and the gateway), so a page can never do
what the API would refuse. Sign-in sets the httponly cookie `o2c_token` that `current_actor`
accepts. Forms POST and redirect (POST-redirect-GET); a `Problem` becomes a message on the page.

`common` holds what every page shares (templates and filters, session, CSRF, flash, the `page`
decorator); `session` signs in and out and shows home and inbox; `ordering` the catalog, order
form and orders; `portal` the partners' sub-orders; `finance` invoices and payments; `contracts`
the framework contracts and their consumption; `customers` the customers and their catalog rules
(read-only, with the audit trail); `catalog_versions` the catalog managers' versions,
diffs and publishing.
"""

from fastapi import APIRouter
from fastapi.staticfiles import StaticFiles

from api.pages import catalog_versions, contracts, customers, finance, ordering, portal, session
from api.pages.common import STATIC_DIR

router = APIRouter(include_in_schema=False)
router.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
for module in (session, ordering, portal, finance, contracts, customers, catalog_versions):
    router.include_router(module.router)

__all__ = ["router"]
