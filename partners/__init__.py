"""Delivery units (the seller's own warehouse and partner companies) and how they talk to us."""
