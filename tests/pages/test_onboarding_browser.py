"""A real chromium: the demo administrator onboards a delivery unit (its secret shown once), rotates
the secret (the new one shown once, the old one verifying for the grace period) and creates a
framework contract from the form."""

import re
import uuid

from standardwebhooks.webhooks import Webhook

from tests.pages.test_browser import ARGS, CHROMIUM, pytestmark, sign_in

__all__ = ["pytestmark"]  # browser-marked, skipped without chromium: as test_browser.py


async def test_an_administrator_onboards_a_unit_and_a_contract_in_the_browser(system):
    from playwright.async_api import async_playwright, expect

    unit, contract = f"browser-{uuid.uuid4().hex[:6]}", f"BROWSER-FC-{uuid.uuid4().hex[:6]}"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            admin = await sign_in(browser, system, "admin@seller.example")
            await admin.get_by_role("link", name="Delivery units").click()
            await expect(admin.locator('tr[data-unit="netpartner"]')).to_be_visible()
            await admin.get_by_role("link", name="New delivery unit").click()
            await admin.get_by_label("Unit id").fill(unit)
            await admin.get_by_label("Name", exact=True).fill("Browser Partner GmbH")
            await admin.get_by_label("Webhook URL").fill("https://browser-partner.example/o2c")
            await admin.get_by_label("Contact e-mail").fill("ops@browser-partner.example")
            await admin.get_by_role("button", name="Create delivery unit").click()
            await expect(admin.locator("#new-secret")).to_contain_text("shown only this once")
            first = await admin.locator("#webhook-secret").inner_text()
            Webhook(first)  # the Standard Webhooks format
            assert first.startswith("whsec_")

            await admin.goto(f"/delivery-units/{unit}")  # the secret is never shown again
            await expect(admin.locator("#unit-webhook")).to_contain_text("https://browser-partner.example/o2c")
            await expect(admin.locator("#webhook-secret")).to_have_count(0)
            await admin.get_by_role("button", name="Rotate the secret").click()
            await expect(admin.locator("#new-secret")).to_contain_text("still verifies")
            second = await admin.locator("#webhook-secret").inner_text()
            assert second.startswith("whsec_") and second != first
            await expect(admin.locator("#unit-previous")).to_contain_text("verifies until")

            await admin.get_by_role("link", name="Contracts").click()
            await admin.get_by_role("link", name="New contract").click()
            await admin.get_by_label("Contract id").fill(contract)
            await admin.get_by_label("Customer").select_option("globex")
            await admin.get_by_label("Name", exact=True).fill("Browser contract")
            await admin.get_by_label("Valid from").fill("2031-01-01")
            await admin.get_by_label("Valid to").fill("2031-12-31")
            await admin.get_by_label("Items, one a line").fill("CBL-CAT6-5M;4.05;2000\nSW-24-PRO;1380.00")
            await admin.get_by_role("button", name="Create contract").click()
            await admin.wait_for_url(re.compile(rf"/contracts/{contract}$"))
            await expect(admin.locator(".flash.ok")).to_contain_text(f"Contract {contract} created with 2 items.")
            await expect(admin.locator("main")).to_contain_text("4.05")
            await expect(admin.locator("main")).to_contain_text("1380.00")
        finally:
            await browser.close()
