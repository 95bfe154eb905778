"""The catalog page shows the customer's part numbers, volume prices and surcharges, and offers no
quantity field for an item the user may see but not order (the rule of catalog/rights.py)."""


async def test_catalog_page_shows_rules_of_the_customer(signed_in):
    tech = await signed_in("tech@acme.example")
    r = await tech.get("/catalog")
    assert r.status_code == 200
    html = r.text
    assert "your no. ACME-NET-0024" in html and "from 100: 3.90 EUR" in html
    assert "+35.00 EUR: extended support for legacy hardware A1" in html
    assert "your role technician may see but not order the category services" in html
    assert 'name="qty:SVC-INSTALL-ONSITE"' not in html and 'name="qty:CBL-CAT6-5M"' in html

    buyer = await signed_in("buyer@acme.example")
    html = (await buyer.get("/catalog")).text
    assert 'name="qty:SVC-INSTALL-ONSITE"' in html and "may see but not order" not in html
