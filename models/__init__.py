"""Pydantic models that cross a boundary: API <-> workflow <-> activity. One model per message."""
