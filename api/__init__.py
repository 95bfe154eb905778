"""The HTTP layer: JSON API under /api/v1 and web pages. Thin: it authenticates, checks who may
see what, and starts, updates and queries workflows; business rules live elsewhere."""
