from datetime import datetime

from pydantic import BaseModel


class TimelineEntry(BaseModel):
    """One line of an order's history: who did what when."""

    at: datetime
    actor: str
    event: str
    detail: str = ""
