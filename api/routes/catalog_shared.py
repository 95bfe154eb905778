"""What the catalog management routes (catalog_versions, catalog_drafts, catalog_customer_views,
catalog_export, catalog_sync_schedules, catalog_changes) share: their prefix and their tag."""

PREFIX = "/api/v1/catalog"
TAG = "catalog management"  # one tag: the docs show catalog management as one section
