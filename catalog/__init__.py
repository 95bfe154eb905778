"""Catalog and contract domain: customers, framework contracts, items, assortments, prices."""
