"""Invoices: gapless numbers, net/VAT/gross, payment terms, payments."""
