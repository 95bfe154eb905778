"""A real chromium: the seller's administrator creates a customer and a user for it on the pages,
gets the one-time link, and the new user sets a password through it and signs in."""

import re
import uuid

from tests.pages.test_browser import ARGS, CHROMIUM, pytestmark  # noqa: F401  (the browser mark and skip)

PASSWORD = "browser-password-1"


async def new_page(browser, base_url: str):
    context = await browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return await context.new_page()


async def sign_in(page, base_url: str, email: str, password: str) -> None:
    await page.goto("/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url(f"{base_url}/")


async def test_the_admin_onboards_a_customer_and_a_user_who_sets_a_password_by_link(system):
    from playwright.async_api import async_playwright, expect

    customer_id, email = f"browser-{uuid.uuid4().hex[:6]}", f"new-{uuid.uuid4().hex[:6]}@initech.example"
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            admin = await new_page(browser, system)
            await sign_in(admin, system, "admin@seller.example", "demo")
            await admin.get_by_role("link", name="Customers").first.click()
            await admin.get_by_role("link", name="New customer").click()
            await admin.get_by_label("Customer id").fill(customer_id)
            await admin.get_by_label("Legal name").fill("Initech Browser GmbH")
            await admin.get_by_label("Parent customer").select_option("acme")
            await admin.get_by_label("Country (ISO 3166, e.g. DE)").fill("DE")
            await admin.get_by_label("VAT ID").fill("DE123456789")
            await admin.get_by_label("Street").fill("Hauptstraße 1")
            await admin.get_by_label("Postal code").fill("10115")
            await admin.get_by_label("City").fill("Berlin")
            await admin.get_by_label("Invoice e-mail").fill("ap@initech.example")
            await admin.get_by_role("button", name="Create customer").click()
            await admin.wait_for_url(re.compile(rf"/customers/{customer_id}$"))
            await expect(admin.locator(".flash.ok")).to_contain_text(f"Customer {customer_id} created.")
            await expect(admin.locator("#vat-id")).to_have_text("DE123456789")
            await expect(admin.locator("#address")).to_have_text("Hauptstraße 1, 10115 Berlin")
            await expect(admin.locator("#contract")).to_have_text("ACME-FC-2026")  # the parent's

            # a wrong VAT ID on the edit form: the message names the field, nothing changes
            await admin.locator("#edit-customer").click()
            await admin.get_by_label("VAT ID").fill("123")
            await admin.get_by_role("button", name="Save").click()
            await expect(admin.locator(".flash.error")).to_contain_text("vat_id")
            await admin.get_by_label("City").fill("Potsdam")
            await admin.get_by_role("button", name="Save").click()
            await admin.wait_for_url(re.compile(rf"/customers/{customer_id}$"))
            await expect(admin.locator("#address")).to_have_text("Hauptstraße 1, 10115 Potsdam")

            await admin.get_by_role("link", name="Users").click()
            form = admin.locator("#new-user")
            await form.get_by_label("E-mail").fill(email)
            await form.get_by_label("Name", exact=True).fill("Nele New")
            await form.get_by_label("Account").select_option(f"customer:{customer_id}")
            await form.get_by_label("buyer", exact=True).check()
            await form.get_by_label("Limit per order").fill("1000")
            await form.get_by_role("button", name="Create user").click()
            await expect(admin.locator("#roles")).to_have_text("buyer")
            url = await admin.locator("#invitation-url").inner_text()
            assert url.startswith(f"{system}/invitation/"), url
            await admin.goto(f"/users/{email}")  # shown once: not on the user's page again
            await expect(admin.locator("#password")).to_have_text("not set yet")
            await expect(admin.locator("#invitation-url")).to_have_count(0)

            # the new user, in a browser of their own, sets a password through the link
            user = await new_page(browser, system)
            await user.goto(url)
            await expect(user.locator("main")).to_contain_text(email)
            await user.get_by_label("New password", exact=True).fill(PASSWORD)
            await user.get_by_label("New password again").fill(PASSWORD + "x")
            await user.get_by_role("button", name="Set password").click()
            await expect(user.locator(".flash.error")).to_contain_text("The two passwords differ")
            await user.get_by_label("New password", exact=True).fill(PASSWORD)
            await user.get_by_label("New password again").fill(PASSWORD)
            await user.get_by_role("button", name="Set password").click()
            await user.wait_for_url(f"{system}/login")
            await expect(user.locator(".flash.ok")).to_contain_text(f"sign in as {email}")
            await sign_in(user, system, email, PASSWORD)
            await expect(user.locator(".who")).to_contain_text(email)
            await user.goto(url)  # the link worked once
            await expect(user.locator("main")).to_contain_text("used already")
        finally:
            await browser.close()
