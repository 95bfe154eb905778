"""A real chromium drives the pages: the buyer orders from the catalog and follows the order, the
delivery units work in the partner portal, finance books the payment."""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = Path("/tmp/order_page.png")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.access(CHROMIUM, os.X_OK),
        reason=f"{CHROMIUM} is missing: `apt-get install -y chromium` (make test does it)",
    ),
]


async def sign_in(browser, base_url: str, email: str, **options):
    context = await browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900}, **options)
    context.set_default_timeout(15_000)
    page = await context.new_page()
    await page.goto("/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill("demo")
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base_url}/")
    return page


async def reload_until(page, locator, text: str, attempts: int = 100) -> None:
    """The order moves on asynchronously: reload until the element shows `text`."""
    for _ in range(attempts):
        if text in (await locator.inner_text()):
            return
        await page.wait_for_timeout(200)
        await page.reload()
    raise AssertionError(f"{text!r} never appeared; last: {await locator.inner_text()}")


async def portal_step(page, sid: str, button: str, expect: str, **fields: str) -> None:
    row = page.locator(f'tr[data-suborder="{sid}"]')
    for name, value in fields.items():
        await row.locator(f'input[name="{name}"]').fill(value)
    await row.get_by_role("button", name=button).click()
    await page.wait_for_url(re.compile(rf"/suborders/{sid}$"))
    await reload_until(page, page.locator("#suborder-status"), expect)
    await page.goto("/suborders")


async def test_buyer_orders_partners_deliver_finance_collects_in_the_browser(system):
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            # the buyer orders a switch B2/8.0 and ten cables from the catalog
            buyer = await sign_in(browser, system, "buyer@acme.example")
            await buyer.get_by_role("link", name="Catalog").first.click()
            await expect(buyer.locator('tr[data-sku="SW-24-PRO"] .price')).to_have_text("1450.00 EUR")
            await buyer.get_by_label("Quantity of SW-24-PRO").fill("1")
            await buyer.locator('select[name="cfg:SW-24-PRO:hw_version"]').select_option("B2")
            await buyer.locator('select[name="cfg:SW-24-PRO:sw_version"]').select_option("8.0")
            await buyer.get_by_label("Quantity of CBL-CAT6-5M").fill("10")
            await buyer.get_by_label("Your reference (PO number)").fill("PO-BROWSER")
            await buyer.get_by_role("button", name="Place order").click()
            await buyer.wait_for_url(re.compile(r"/orders/O-[0-9A-Z]{12}$"))
            order_id = buyer.url.rsplit("/", 1)[1]
            await expect(buyer.locator(".flash.ok").first).to_contain_text(f"Order {order_id} placed.")

            # ... and sees it validated and in fulfilment, with its timeline
            await reload_until(buyer, buyer.locator("#order-status"), "IN_FULFILLMENT")
            await expect(buyer.locator("#gross-total")).to_have_text("1775.48 EUR")
            timeline = buyer.locator("ol.timeline")
            await expect(timeline).to_contain_text("order.received")
            await expect(timeline).to_contain_text("order.validated")
            await expect(buyer.get_by_role("button", name="Cancel order")).to_be_visible()
            await buyer.screenshot(path=str(SCREENSHOT), full_page=True)

            # NetPartner accepts, ships and delivers the switch in the partner portal
            netpartner = await sign_in(browser, system, "ops@netpartner.example")
            await netpartner.get_by_role("link", name="Sub-orders").first.click()
            row = netpartner.locator(f'tr[data-order="{order_id}"]')
            await expect(row).to_have_count(1)
            sid = await row.get_attribute("data-suborder")
            await portal_step(netpartner, sid, "Accept", "ACCEPTED")
            await portal_step(netpartner, sid, "Ship", "SHIPPED", tracking="DHL-0042")
            await portal_step(netpartner, sid, "Deliver", "DELIVERED")

            # the warehouse accepts and delivers the cables without shipping notice
            warehouse = await sign_in(browser, system, "ops@warehouse.example")
            await warehouse.goto("/suborders")
            sid = await warehouse.locator(f'tr[data-order="{order_id}"]').get_attribute("data-suborder")
            await portal_step(warehouse, sid, "Accept", "ACCEPTED")
            await portal_step(warehouse, sid, "Deliver", "DELIVERED")

            # the buyer's order is invoiced; its timeline tells who did what
            await reload_until(buyer, buyer.locator("#order-status"), "INVOICED")
            await expect(timeline).to_contain_text("suborder.shipped")
            await expect(timeline).to_contain_text("tracking DHL-0042")
            await expect(timeline).to_contain_text("ops@netpartner.example")
            await expect(buyer.get_by_role("button", name="Cancel order")).to_have_count(0)
            invoice_link = buyer.locator('a[href^="/invoices/"]')
            invoice_path = await invoice_link.get_attribute("href")

            # finance books the payment on the invoice page
            finance = await sign_in(browser, system, "finance@seller.example")
            await finance.goto(invoice_path)
            await expect(finance.locator("#invoice-open")).to_have_text("1775.48 EUR")
            await finance.get_by_label("Bank reference").fill("BANK-BROWSER")
            await finance.get_by_role("button", name="Record payment").click()
            await expect(finance.locator(".flash.ok")).to_contain_text("Payment BANK-BROWSER recorded")
            await expect(finance.locator("#invoice-open")).to_have_text("0.00 EUR")

            await reload_until(buyer, buyer.locator("#order-status"), "PAID")
            await expect(timeline).to_contain_text("order.paid")
        finally:
            await browser.close()


async def test_the_catalog_manager_finds_the_draft_and_its_diff_in_the_browser(system):
    from playwright.async_api import async_playwright, expect

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            manager = await sign_in(browser, system, "catalog@seller.example", timezone_id="Europe/Berlin")
            await manager.get_by_role("link", name="Catalog versions", exact=True).click()
            await manager.locator("#versions tr", has_text="price update and a new cable").get_by_role("link").click()
            await expect(manager.locator("#diff-added")).to_contain_text("CBL-CAT6A-10M")
            await expect(manager.locator('#diff-prices tr[data-sku="CBL-CAT6-5M"]')).to_contain_text("6.20 EUR")
            # the offset is the one of the chosen date in the browser's zone: summer and winter time
            offset = manager.get_by_label("UTC offset")
            await expect(offset).to_have_value(re.compile(r"^\+0[12]:00$"))
            await manager.get_by_label("Date and time").fill("2031-07-01T10:00")
            await expect(offset).to_have_value("+02:00")
            await manager.get_by_label("Date and time").fill("2031-01-15T10:00")
            await expect(offset).to_have_value("+01:00")

            # without JavaScript: the offset is UTC until the user changes it, the forms still post
            # and come back with their message
            no_js = await sign_in(browser, system, "catalog@seller.example", java_script_enabled=False)
            await no_js.goto(manager.url)
            await expect(no_js.get_by_label("UTC offset")).to_have_value("+00:00")
            await no_js.goto("/contracts/GLOBEX-FC-2026")
            await no_js.get_by_role("button", name="Save terms").click()
            await no_js.wait_for_url(re.compile(r"/contracts/GLOBEX-FC-2026$"))
            await expect(no_js.locator(".flash.ok")).to_have_text("Nothing changed.")
        finally:
            await browser.close()
